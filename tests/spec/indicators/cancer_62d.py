"""CANCER_62D: the 62-day referral to first treatment standard (combined).

Of first definitive treatments for cancer given in the calendar month that ends on the period
end, on pathways started by an urgent suspected cancer referral, a breast symptomatic referral,
an urgent screening referral or a consultant upgrade, the percentage that started within 62
days of the clock start (the referral received, or the upgrade). The clock start is day 0, so
treatment on day 62 meets the standard. The clock runs from the referral, not from the
diagnosis or the decision to treat; pathways not (yet) treated are not counted; every
treatment counts, not every patient."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import cancer_pathway, patient

INDICATOR = "CANCER_62D"
SOURCE = ("NHS England, Cancer Waiting Times statistics (62-day combined standard from 1 "
          "October 2023: urgent suspected cancer, breast symptomatic and urgent screening "
          "referrals and consultant upgrades, first definitive treatment within 62 days; "
          "reported by the month of first treatment), https://www.england.nhs.uk/statistics/"
          "statistical-work-areas/cancer-waiting-times/, and the National Cancer Waiting "
          "Times Monitoring Dataset Guidance (version 12: the clock starts on the date the "
          "referral is received or the patient upgraded, day 0); age for the age bands as the "
          "project's rule (whole years on the referral date, month of birth as the 1st)")


def treated(pid, referred, on, route="urgent_suspected_cancer", told=None, decision=None):
    return cancer_pathway(pid, referred, route=route, told=told, outcome="diagnosed",
                          decision=decision or on, treated=on)


CASES = [
    Case("Treated on day 62 meets the standard (referred 28 January, treated 31 March "
         "2025); day 63 does not (referred 27 January)",
         [patient(1), patient(2)],
         [treated(1, "2025-01-28", "2025-03-31"), treated(2, "2025-01-27", "2025-03-31")],
         Expect(1, 2, 50.0)),
    Case("The clock runs from the referral, not the diagnosis or the decision to treat: "
         "referred 1 December, told 10 January, decided 20 February, treated 10 March is 99 "
         "days (though 18 days from the decision); referred 1 March, treated 28 March meets it",
         [patient(1), patient(2)],
         [treated(1, "2024-12-01", "2025-03-10", told="2025-01-10", decision="2025-02-20"),
          treated(2, "2025-03-01", "2025-03-28", told="2025-03-14", decision="2025-03-20")],
         Expect(1, 2, 50.0)),
    Case("Every route counts, a consultant upgrade from the date of upgrade: an upgrade on 1 "
         "February treated 15 March (42 days) and a breast symptomatic referral of 1 February "
         "treated 20 March (47 days) meet it; a screening referral of 1 January treated 20 "
         "March (78 days) does not",
         [patient(1), patient(2), patient(3)],
         [treated(1, "2025-02-01", "2025-03-15", route="consultant_upgrade"),
          treated(2, "2025-02-01", "2025-03-20", route="breast_symptomatic"),
          treated(3, "2025-01-01", "2025-03-20", route="screening")],
         Expect(2, 3, 200 / 3)),
    Case("A treatment counts in the month it is given: treated 1 March counts; treated 1 "
         "April does not; a decision to treat in March with no treatment yet, and a pathway "
         "that ruled cancer out, are not counted",
         [patient(1), patient(2), patient(3), patient(4)],
         [treated(1, "2025-02-01", "2025-03-01"), treated(2, "2025-03-01", "2025-04-01"),
          cancer_pathway(3, "2025-02-01", told="2025-03-01", decision="2025-03-10"),
          cancer_pathway(4, "2025-02-20", told="2025-03-05", outcome="ruled_out")],
         Expect(1, 1, 100.0)),
    Case("Every treatment counts: one patient with two pathways treated in March, one within "
         "62 days and one after 70, is 1 of 2",
         [patient(1)],
         [treated(1, "2025-03-01", "2025-03-20"),
          cancer_pathway(1, "2025-01-10", tumour_group="skin", told="2025-02-01",
                         decision="2025-03-15", treated="2025-03-21")],
         Expect(1, 2, 50.0)),
    Case("A treatment counts whatever happens to the patient afterwards: treated 10 March, "
         "died 25 March, still in March's figure",
         [patient(1, date_of_death="2025-03-25", registration_end="2025-03-25")],
         [treated(1, "2025-02-01", "2025-03-10")], Expect(1, 1, 100.0)),
    Case("Each month counts the treatments in it: within 62 days in January, after 62 days in "
         "February",
         [patient(1), patient(2)],
         [treated(1, "2024-12-01", "2025-01-20"), treated(2, "2024-12-01", "2025-02-20")],
         expect={"2025-01-31": Expect(1, 1, 100.0), "2025-02-28": Expect(0, 1, 0.0)}),
]
