"""The indicators of each of the strategy's programmes, one module per programme (or family).

Each module holds its indicators whole, the query and the metadata side by side, in a list
`INDICATORS`; the catalogue (`icsight.indicators.catalogue`) names the modules explicitly.
Programme modules build on the shared cohort language (`icsight.indicators.cohorts`,
`icsight.indicators.population`), never on each other.

- `cvdprevent`: CVDPREVENT hypertension (prevalence, treated to threshold, BP recorded)
- `ltc`: long-term conditions (heart failure, flu, premature mortality, MSK, detection)
- `mhlda`: mental health, learning disability and autism
- `cancer`: screening, HPV, emergency presentations
- `children`: maternity, children and young people's asthma
- `uec`: urgent and emergency care and unnecessary hospital stays
- `planned_care`: waiting lists, diagnostics, elective activity
"""
