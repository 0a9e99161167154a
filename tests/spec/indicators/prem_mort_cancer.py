"""PREM_MORT_CANCER: under 75 mortality from cancer, directly age-standardised.

Deaths of people aged under 75 with an underlying cause of ICD-10 C00-C97 (malignant
neoplasms) in the 12 months to the period end, per 100,000 people under 75, standardised to
the 2013 European Standard Population (bands 0-4 ... 70-74). The denominator is the registered
population under 75 on the period end plus those who died under 75 in the year (the project's
documented decision)."""

from tests.spec.indicators._premature import cases

INDICATOR = "PREM_MORT_CANCER"
SOURCE = ("OHID Public Health Outcomes Framework indicator E05a 'Under 75 "
          "mortality rate from cancer' (ICD-10 C00-C97 underlying cause, ONS death "
          "registrations, ESP2013 directly standardised rate per 100,000, PHE DSR method with "
          "no value under 10 deaths), Fingertips "
          "https://fingertips.phe.org.uk/profile/public-health-outcomes-framework; the rolling "
          "12 months and the registered-population denominator (plus the people who died under "
          "75 in the year) follow the project's documented decision in docs/indicators.md "
          "('Premature mortality')")

# C349 lung cancer (in); D059 carcinoma in situ of breast (out: in situ neoplasms are D00-D09);
# J449 COPD (another chapter)
CASES = cases("C349", "D059", "J449", "ICD-10 C00-C97")
