"""Theatre sessions and outpatient clinic slots and sessions from activity, by the documented
assumptions in `capacity.toml` (`Theatres`, `Clinics`). Every function works element by
element on arrays of any shape (runs x years x places)."""

from __future__ import annotations

import numpy as np

from icsight.planning.capacity.assumptions import Clinics, Theatres

__all__ = ["clinic_sessions", "clinic_slots", "theatre_sessions"]


def theatre_sessions(elective, day_case, theatres: Theatres) -> np.ndarray:
    """Theatre sessions a year: the elective (overnight) and day case admissions that have a
    procedure in theatre, over the cases a session holds for each."""
    elective = np.asarray(elective, dtype=float)
    day_case = np.asarray(day_case, dtype=float)
    return (elective * theatres.elective_share_in_theatre / theatres.elective_cases_per_session
            + day_case * theatres.day_case_share_in_theatre
            / theatres.day_case_cases_per_session)


def clinic_slots(attendances, clinics: Clinics) -> np.ndarray:
    """Booked slots that give `attendances`: some booked patients do not attend, and their
    slot is used up all the same."""
    return np.asarray(attendances, dtype=float) / (1 - clinics.did_not_attend_rate)


def clinic_sessions(first, follow_up, clinics: Clinics) -> np.ndarray:
    """Clinic sessions a year: first and follow-up slots over the slots a session holds."""
    return (clinic_slots(first, clinics) / clinics.first_per_session
            + clinic_slots(follow_up, clinics) / clinics.follow_up_per_session)
