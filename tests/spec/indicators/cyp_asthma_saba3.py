"""CYP_ASTHMA_SABA3: children and young people with asthma issued 3 or more SABA inhalers.

Of patients aged 5 to 17 on the period end (whole years, month of birth as the 1st) who are
registered and on the QOF asthma register (AST_COD not resolved by ASTRES_COD), the percentage
issued 3 or more short-acting beta-agonist relievers (salbutamol or terbutaline, every issue
counted) in the 12 months to the period end."""

from tests.spec.indicators import _saba

INDICATOR = "CYP_ASTHMA_SABA3"
SOURCE = _saba.SOURCE.format(
    why="3 or more short-acting reliever inhalers a year")
CASES = _saba.cases(3)
