"""CANCER_FDS_28D: the 28-day faster diagnosis standard.

Of cancer pathways started by an urgent suspected cancer referral, a breast symptomatic
referral or an urgent referral from a screening programme, whose faster diagnosis clock stopped
in the calendar month that ends on the period end (cancer diagnosed and the patient told, or
cancer ruled out), the percentage where that happened within 28 days of the referral being
received. The day the referral is received is day 0, so a clock stop on day 28 meets the
standard. Consultant upgrades are outside it; pathways still open are not counted until their
clock stops; every pathway counts, not every patient."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import cancer_pathway, patient

INDICATOR = "CANCER_FDS_28D"
SOURCE = ("NHS England, Cancer Waiting Times statistics (28-day Faster Diagnosis Standard: "
          "patients told they have cancer, or that cancer is ruled out, within 28 days of an "
          "urgent suspected cancer, breast symptomatic or urgent screening referral; reported "
          "by the month the clock stops), https://www.england.nhs.uk/statistics/"
          "statistical-work-areas/cancer-waiting-times/, and the National Cancer Waiting "
          "Times Monitoring Dataset Guidance (version 12, from 1 October 2023: the clock "
          "starts on the date the referral is received, day 0); age for the age bands as the "
          "project's rule (whole years on the referral date, month of birth as the 1st)")


def told(pid, referred, on, route="urgent_suspected_cancer", diagnosed=False):
    return cancer_pathway(pid, referred, route=route, told=on,
                          outcome="diagnosed" if diagnosed else "ruled_out")


CASES = [
    Case("Told on day 28 meets the standard (referred 15 February, told 15 March 2025); "
         "day 29 does not (referred 14 February)",
         [patient(1), patient(2)],
         [told(1, "2025-02-15", "2025-03-15"), told(2, "2025-02-14", "2025-03-15")],
         Expect(1, 2, 50.0)),
    Case("Cancer ruled out and cancer diagnosed both stop the clock: ruled out in 10 days and "
         "diagnosed in 20 days meet it, diagnosed in 40 days does not (2 of 3)",
         [patient(1), patient(2), patient(3)],
         [told(1, "2025-03-01", "2025-03-11"),
          told(2, "2025-03-01", "2025-03-21", diagnosed=True),
          told(3, "2025-02-01", "2025-03-13", diagnosed=True)],
         Expect(2, 3, 200 / 3)),
    Case("Breast symptomatic and screening referrals are in the standard; a consultant "
         "upgrade is not, even with a diagnosis date",
         [patient(1), patient(2), patient(3)],
         [told(1, "2025-03-01", "2025-03-08", route="breast_symptomatic"),
          told(2, "2025-02-01", "2025-03-20", route="screening"),
          told(3, "2025-03-01", "2025-03-05", route="consultant_upgrade", diagnosed=True)],
         Expect(1, 2, 50.0)),
    Case("A pathway counts in the month its clock stops: told 5 March (referred in February, "
         "18 days) and told 31 March after 89 days are March's; told 2 April is not, nor is "
         "a pathway still open",
         [patient(1), patient(2), patient(3), patient(4)],
         [told(1, "2025-02-15", "2025-03-05"), told(2, "2025-01-01", "2025-03-31"),
          told(3, "2025-03-10", "2025-04-02"), cancer_pathway(4, "2025-03-20")],
         Expect(1, 2, 50.0)),
    Case("Every pathway counts: one patient referred twice, told within 28 days once and "
         "after 28 days once, is 1 of 2",
         [patient(1)],
         [told(1, "2025-03-01", "2025-03-10", diagnosed=False),
          cancer_pathway(1, "2025-01-20", tumour_group="skin", told="2025-03-25",
                         outcome="ruled_out")],
         Expect(1, 2, 50.0)),
    Case("A pathway counts whatever happens to the patient afterwards: told on 10 March, "
         "died on 25 March, still in March's figure",
         [patient(1, date_of_death="2025-03-25", registration_end="2025-03-25")],
         [told(1, "2025-03-01", "2025-03-10", diagnosed=True)], Expect(1, 1, 100.0)),
    Case("Each month counts the clock stops in it: within 28 days in January, after 28 days "
         "in February",
         [patient(1), patient(2)],
         [told(1, "2025-01-02", "2025-01-20"), told(2, "2025-01-02", "2025-02-20")],
         expect={"2025-01-31": Expect(1, 1, 100.0), "2025-02-28": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age on the referral date in whole years from the month "
         "of birth: born March 2007 is 17 when referred on 20 February 2025 (though 18 when "
         "told on 10 March), so the 0-17 band holds that pathway; born January 2000 is 25 "
         "(18-39)",
         [patient(1, born="2007-03-01"), patient(2, born="2000-01-01")],
         [told(1, "2025-02-20", "2025-03-10"), told(2, "2025-02-01", "2025-03-20")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
