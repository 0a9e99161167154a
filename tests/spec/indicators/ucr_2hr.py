"""UCR_2HR: 2-hour urgent community response within 2 hours.

Of 2-hour urgent community response (UCR) referrals with a contact in the calendar month that
ends on the period end, the percentage where care was provided within 2 hours of the referral.
Contacts with no record of whether the 2 hours were met are left out (they cannot be assessed);
virtual ward stays are another service; every contact counts, not every patient."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import contact, patient

INDICATOR = "UCR_2HR"
SOURCE = ("NHS England, Community Health Services SitRep and Community Services Data Set "
          "(CSDS) 2-hour urgent community response statistics: 2-hour UCR referrals where "
          "care was provided within 2 hours, as a share of 2-hour UCR referrals where care "
          "was provided, monthly; national standard at least 70% "
          "(https://www.england.nhs.uk/community-health-services/urgent-community-response-"
          "services/); age for the age bands as the project's rule (whole years on the "
          "contact date, month of birth as the 1st)")


def ucr(pid, on, within):
    return contact(pid, on, "urgent_community_response", on, within_2_hours=within)


CASES = [
    Case("Care within 2 hours counts; care after 2 hours is in the denominator only",
         [patient(1), patient(2)],
         [ucr(1, "2025-03-10", True), ucr(2, "2025-03-11", False)], Expect(1, 2, 50.0)),
    Case("A contact with no record of the timing is left out",
         [patient(1), patient(2)],
         [ucr(1, "2025-03-10", True), ucr(2, "2025-03-11", None)], Expect(1, 1, 100.0)),
    Case("Virtual ward stays are not urgent community response contacts",
         [patient(1), patient(2)],
         [ucr(1, "2025-03-10", False), contact(2, "2025-03-05", "virtual_ward")],
         Expect(0, 1, 0.0)),
    Case("A contact counts in the month of its date: 1 and 31 March are March's; 28 February "
         "and 1 April are not",
         [patient(1), patient(2), patient(3), patient(4)],
         [ucr(1, "2025-03-01", True), ucr(2, "2025-03-31", False),
          ucr(3, "2025-02-28", False), ucr(4, "2025-04-01", False)], Expect(1, 2, 50.0)),
    Case("Every contact counts: one person with three contacts in the month, two within 2 "
         "hours, is 2 of 3",
         [patient(1)],
         [ucr(1, "2025-03-02", True), ucr(1, "2025-03-12", True), ucr(1, "2025-03-22", False)],
         Expect(2, 3, 200 / 3)),
    Case("A contact counts whatever happens to the patient afterwards: seen 10 March, died 20 "
         "March, still in March's figure",
         [patient(1, date_of_death="2025-03-20", registration_end="2025-03-20")],
         [ucr(1, "2025-03-10", True)], Expect(1, 1, 100.0)),
    Case("Each month counts its own contacts: within 2 hours in January, not in February",
         [patient(1)], [ucr(1, "2025-01-15", True), ucr(1, "2025-02-15", False)],
         expect={"2025-01-31": Expect(1, 1, 100.0), "2025-02-28": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age on the contact date in whole years from the month of "
         "birth: born June 1945 is 79 on 10 March 2025 (60-79), so the 80+ band holds only "
         "the contact of the person born January 1945 (80)",
         [patient(1, born="1945-06-01"), patient(2, born="1945-01-01")],
         [ucr(1, "2025-03-10", True), ucr(2, "2025-03-10", False)],
         Expect(0, 1, 0.0), alone=True, breakdown="age_band", group="80+"),
]
