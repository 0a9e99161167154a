"""PREM_MORT_CVD: under 75 mortality from cardiovascular disease, directly age-standardised.

Deaths of people aged under 75 with an underlying cause of ICD-10 I00-I99 (diseases of the
circulatory system) in the 12 months to the period end, per 100,000 people under 75,
standardised to the 2013 European Standard Population (bands 0-4 ... 70-74). The denominator is
the registered population under 75 on the period end plus those who died under 75 in the year
(the project's documented decision)."""

from tests.spec.indicators._premature import cases

INDICATOR = "PREM_MORT_CVD"
SOURCE = ("OHID Public Health Outcomes Framework indicator E04a 'Under 75 "
          "mortality rate from cardiovascular disease' (ICD-10 I00-I99 underlying cause, ONS "
          "death registrations, ESP2013 directly standardised rate per 100,000, PHE DSR "
          "method with no value under 10 deaths), Fingertips "
          "https://fingertips.phe.org.uk/profile/public-health-outcomes-framework; the rolling "
          "12 months and the registered-population denominator (plus the people who died under "
          "75 in the year) follow the project's documented decision in docs/indicators.md "
          "('Premature mortality')")

# I219 acute myocardial infarction (in); G459 transient cerebral ischaemic attack, chapter VI
# (out, often mistaken for circulatory); C349 lung cancer (another chapter)
CASES = cases("I219", "G459", "C349", "ICD-10 I00-I99")
