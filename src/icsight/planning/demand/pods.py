"""The points of delivery the demand projection counts, one class per point of delivery (the
habit of the Strategy Unit's nhp_model, which has one model class per activity type).

Each point of delivery says where its activity is in the lake and how one row counts: an
attendance or admission counts 1, a bed day counts the nights of the stay. `rows(lake, start,
end)` gives `patient_id`, `date` (the date the activity is counted on) and `value` for the
activity dated after `start` and on or before `end` (the baseline year), before anyone's
registration is checked (`icsight.planning.demand.baseline` does that, as the indicators do).

Bed days belong with their admissions: a bed-days point of delivery names the admissions it
`follows`, so that a simulated run's random variation in admissions carries to their bed days
(`icsight.planning.demand.projection`).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from icsight.indicators.programmes.ltc import MSK_TREATMENT_FUNCTIONS

__all__ = ["POD_IDS", "POINTS_OF_DELIVERY", "PointOfDelivery", "point_of_delivery"]


def _within(column: ir.DateValue, start: dt.date, end: dt.date) -> ir.BooleanValue:
    return (column > ibis.literal(start, "date")) & (column <= ibis.literal(end, "date"))


def _counted(table: ir.Table, date: ir.DateValue, value: ir.NumericValue | None = None
             ) -> ir.Table:
    value = ibis.literal(1.0, "float64") if value is None else value.cast("float64")
    return table.select("patient_id", date=date.cast("date"), value=value)


@dataclass(frozen=True)
class PointOfDelivery(ABC):
    """One point of delivery: its id (used in scenario files and CSVs), the name a planner
    reads, what one unit of it is, and (for bed days) the admissions it follows."""

    id: str
    label: str
    unit: str
    follows: str | None = None

    @abstractmethod
    def rows(self, lake, start: dt.date, end: dt.date) -> ir.Table:
        """`patient_id`, `date` and `value` of the activity after `start`, up to `end`."""


class AEAttendances(PointOfDelivery):
    """Every attendance at an emergency department or urgent treatment centre (ECDS types 01
    and 03), counted on its arrival date."""

    def rows(self, lake, start, end):
        t = lake.table("ec_attendances")
        day = t.arrival.cast("date")
        return _counted(t.filter(_within(day, start, end)), day)


def _spells(lake, start, end, methods: tuple[str, ...], classification: str | None):
    t = lake.table("apc_spells")
    t = t.filter(t.admission_method.isin(list(methods)),
                 _within(t.admission_date, start, end))
    if classification is not None:
        t = t.filter(t.patient_classification == classification)
    return t


def _nights(t: ir.Table, end: dt.date) -> ir.NumericValue:
    """Nights in hospital of each spell: discharge less admission; a spell still open at the
    end of the baseline year counts to that day (its later nights are the next year's)."""
    stop = ibis.coalesce(t.discharge_date, ibis.literal(end, "date"))
    stop = ibis.least(stop, ibis.literal(end, "date"))
    return stop.delta(t.admission_date, unit="day")


#: admission methods of non-elective (unplanned) admissions, maternity apart: emergency, and
#: other (transfers from another provider's bed, HES codes 81-83)
NON_ELECTIVE = ("emergency", "other")


class NonElectiveAdmissions(PointOfDelivery):
    """Emergency admissions and transfers in (admission method emergency or other), by date of
    admission. Maternity admissions are counted as deliveries instead."""

    def rows(self, lake, start, end):
        t = _spells(lake, start, end, NON_ELECTIVE, None)
        return _counted(t, t.admission_date)


class NonElectiveBedDays(PointOfDelivery):
    """The nights in hospital of the non-elective admissions of the baseline year."""

    def rows(self, lake, start, end):
        t = _spells(lake, start, end, NON_ELECTIVE, None)
        return _counted(t, t.admission_date, _nights(t, end))


class ElectiveAdmissions(PointOfDelivery):
    """Planned admissions staying at least one night (elective, ordinary)."""

    def rows(self, lake, start, end):
        t = _spells(lake, start, end, ("elective",), "ordinary")
        return _counted(t, t.admission_date)


class ElectiveBedDays(PointOfDelivery):
    """The nights in hospital of the elective ordinary admissions of the baseline year."""

    def rows(self, lake, start, end):
        t = _spells(lake, start, end, ("elective",), "ordinary")
        return _counted(t, t.admission_date, _nights(t, end))


class DayCases(PointOfDelivery):
    """Planned admissions discharged the same day (elective, day case)."""

    def rows(self, lake, start, end):
        t = _spells(lake, start, end, ("elective",), "day_case")
        return _counted(t, t.admission_date)


def _attended(lake, start, end, first: bool):
    t = lake.table("op_appointments")
    return t.filter(t.attended == "attended", t.first_attendance == first,
                    _within(t.appointment_date, start, end))


class OutpatientFirst(PointOfDelivery):
    """First outpatient attendances (appointments attended; missed and cancelled ones are not
    activity)."""

    def rows(self, lake, start, end):
        t = _attended(lake, start, end, True)
        return _counted(t, t.appointment_date)


class OutpatientFollowUp(PointOfDelivery):
    """Follow-up outpatient attendances (attended)."""

    def rows(self, lake, start, end):
        t = _attended(lake, start, end, False)
        return _counted(t, t.appointment_date)


class MSKReferrals(PointOfDelivery):
    """Referrals into secondary care musculoskeletal services that were seen: first attended
    outpatient appointments in trauma and orthopaedics or rheumatology, as the MSK_REF_RATE
    indicator counts them. A part of the outpatient first attendances, not an addition."""

    def rows(self, lake, start, end):
        t = _attended(lake, start, end, True)
        t = t.filter(t.treatment_function.isin(list(MSK_TREATMENT_FUNCTIONS)))
        return _counted(t, t.appointment_date)


class MentalHealthReferrals(PointOfDelivery):
    """Referrals received by secondary mental health services (adult community, crisis,
    talking therapies, children and young people's), by referral date."""

    def rows(self, lake, start, end):
        t = lake.table("mh_referrals")
        return _counted(t.filter(_within(t.referral_date, start, end)), t.referral_date)


class CancerReferrals(PointOfDelivery):
    """Referrals onto a cancer pathway (urgent suspected cancer, breast symptomatic, urgent
    from screening), by the date received. Consultant upgrades are left out: they move a
    patient already referred, they are not a new referral."""

    def rows(self, lake, start, end):
        t = lake.table("cancer_pathways")
        t = t.filter(t.route != "consultant_upgrade", _within(t.referral_date, start, end))
        return _counted(t, t.referral_date)


class Deliveries(PointOfDelivery):
    """Births delivered (maternity records with a delivery date), counted for the mother."""

    def rows(self, lake, start, end):
        t = lake.table("maternity")
        t = t.filter(t.delivery_date.notnull(), _within(t.delivery_date, start, end))
        return _counted(t, t.delivery_date)


class CommunityContacts(PointOfDelivery):
    """Community services the lake holds: virtual ward admissions and 2-hour urgent community
    response contacts, by their start date."""

    def rows(self, lake, start, end):
        t = lake.table("community_contacts")
        return _counted(t.filter(_within(t.start_date, start, end)), t.start_date)


POINTS_OF_DELIVERY: tuple[PointOfDelivery, ...] = (
    AEAttendances("ae", "A&E attendances", "attendances"),
    NonElectiveAdmissions("non_elective", "Non-elective admissions", "admissions"),
    NonElectiveBedDays("non_elective_bed_days", "Non-elective bed days", "bed days",
                       follows="non_elective"),
    ElectiveAdmissions("elective", "Elective admissions (overnight)", "admissions"),
    ElectiveBedDays("elective_bed_days", "Elective bed days", "bed days", follows="elective"),
    DayCases("day_case", "Day cases", "admissions"),
    OutpatientFirst("op_first", "Outpatient first attendances", "attendances"),
    OutpatientFollowUp("op_follow_up", "Outpatient follow-up attendances", "attendances"),
    MSKReferrals("msk", "MSK referrals seen (T&O and rheumatology firsts)", "attendances"),
    CancerReferrals("cancer_referrals", "Cancer referrals", "referrals"),
    Deliveries("maternity", "Maternity: deliveries", "deliveries"),
    MentalHealthReferrals("mh_referrals", "Mental health referrals", "referrals"),
    CommunityContacts("community", "Community: virtual ward and urgent response", "contacts"),
)
POD_IDS = tuple(p.id for p in POINTS_OF_DELIVERY)


def point_of_delivery(pod_id: str) -> PointOfDelivery:
    for pod in POINTS_OF_DELIVERY:
        if pod.id == pod_id:
            return pod
    raise KeyError(f"unknown point of delivery {pod_id!r}: the points of delivery are "
                   f"{', '.join(POD_IDS)}")
