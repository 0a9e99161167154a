"""PREM_MORT_RESP: under 75 mortality from respiratory disease, directly age-standardised.

Deaths of people aged under 75 with an underlying cause of ICD-10 J00-J99 (diseases of the
respiratory system) in the 12 months to the period end, per 100,000 people under 75,
standardised to the 2013 European Standard Population (bands 0-4 ... 70-74). The denominator is
the registered population under 75 on the period end plus those who died under 75 in the year
(the project's documented decision)."""

from tests.spec.indicators._premature import cases

INDICATOR = "PREM_MORT_RESP"
SOURCE = ("OHID Public Health Outcomes Framework indicator E07a 'Under 75 "
          "mortality rate from respiratory disease' (ICD-10 J00-J99 underlying cause, ONS "
          "death registrations, ESP2013 directly standardised rate per 100,000, PHE DSR "
          "method with no value under 10 deaths), Fingertips "
          "https://fingertips.phe.org.uk/profile/public-health-outcomes-framework; the rolling "
          "12 months and the registered-population denominator (plus the people who died under "
          "75 in the year) follow the project's documented decision in docs/indicators.md "
          "('Premature mortality')")

# J449 COPD (in); U071 COVID-19, virus identified (out: ONS codes it to chapter XXII, not J);
# I219 acute myocardial infarction (another chapter)
CASES = cases("J449", "U071", "I219", "ICD-10 J00-J99")
