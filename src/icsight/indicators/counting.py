"""Who counts: the one rule for numerators and denominators, and its vocabulary.

Every indicator says, in its metadata, on what basis its numerator and its denominator are
counted; the tidy output carries the denominator's basis so that an analyst reading a number
knows whose number it is.

The rule:

- **Numerators** count events in the period (an admission, an attendance, a death, a referral)
  of people who were residents of, or registered with, BLMK at the event, whether or not they
  are still registered at the period end: a person who died or left during the year was at
  risk for part of it. Status indicators (on a register, had a check) count people on the
  period-end list who meet the rule.
- **Denominators** are what the published source defines: the period-end registered list
  (QOF, CVDPREVENT), the list plus those who died in the period, the mid-period population
  (ONS, PHOF), person-time at risk (life expectancy), the events themselves (attendances,
  pathways, births), the cases open on the period end (waiting lists), or an expected count.

This module only names the bases (the vocabulary); each indicator picks one of each.
"""

from __future__ import annotations

__all__ = ["DENOMINATOR_BASES", "NUMERATOR_BASES"]

#: basis -> what it means, in words an analyst would use
NUMERATOR_BASES: dict[str, str] = {
    "people on the period-end list meeting the rule":
        "people registered on the period end who meet the numerator's rule (on a register, "
        "had a check, prescribed)",
    "events in the period of people registered at the event":
        "every event in the period of a person registered with a BLMK practice on the event's "
        "date, including people who died or left before the period end",
    "units of the denominator meeting the rule":
        "the attendances, pathways, births or waits of the denominator that meet the rule",
}

DENOMINATOR_BASES: dict[str, str] = {
    "period-end list": "people registered with a BLMK practice on the period end",
    "period-end list and deaths in the period":
        "people registered on the period end plus those who died in the period while "
        "registered",
    "mid-period population": "people registered at the middle of the period",
    "person-time": "years lived at risk in the period by everyone registered during it",
    "events in the period": "the attendances, admissions, referrals or births in the period",
    "open on the period end": "the pathways or waits still open on the period end",
    "expected count": "the count expected from the reference rates (observed / expected)",
    "baseline activity": "the same activity in the baseline period",
}
