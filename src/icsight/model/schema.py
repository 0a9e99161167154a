"""The canonical data model: every table icsight stores, column by column.

The tables are shaped like the national datasets they stand for (GP extracts as in GPES and
OpenSAFELY's core tables; hospital activity as in SUS/HES Admitted Patient Care, the Emergency
Care Data Set and Outpatients; RTT as in the Waiting List Minimum Data Set; maternity as in MSDS;
mental health as in MHSDS; community as in CSDS) and coded as the NHS codes them: SNOMED CT in
primary care, dm+d and BNF for medicines, ICD-10 and OPCS-4 in hospital data, ODS codes for
organisations and ONS codes for areas.

This module is the single source of truth: the synthetic generator writes these schemas, the
engine reads them, and `docs/data-model.md` is generated from the descriptions here
(`python -m icsight.model.docs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

ANALYTICS = "analytics"
IDENTIFIABLE = "identifiable"
REFERENCE = "reference"


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    nullable: bool = True
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    zone: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    like: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns]
        )

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name, type_, description, nullable=True, categories=()):
    return Column(name, type_, description, nullable, tuple(categories))


_str, _date, _int, _float, _bool = pa.string(), pa.date32(), pa.int64(), pa.float64(), pa.bool_()
_ts = pa.timestamp("ms")  # Parquet stores milliseconds, not seconds
_pid = _c(
    "patient_id",
    _int,
    "Pseudonymous patient identifier: the first 63 bits of HMAC-SHA256(key, NHS number). "
    "The same person has the same id in every table; the key never leaves the identifiable zone.",
    nullable=False,
)

PLACES = ("Bedford Borough", "Central Bedfordshire", "Luton", "Milton Keynes")

#: The FHIR Patient extension that carries `data_opt_out` (valueBoolean). UK Core has none (NHS
#: England keeps opt-outs in its own service), so icsight names one; its exports write it and its
#: FHIR parser reads it.
OPT_OUT_EXTENSION_URL = ("https://icsight.invalid/fhir/StructureDefinition/"
                         "Extension-icsight-NationalDataOptOut")

ETHNICITY_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", "Not stated")

# ONS 2001 16-category classification (the NHS Data Dictionary "ethnic category" codes A-S)
# plus Z, "not stated".
ETHNICITY_CATEGORIES = {
    "A": ("White", "White - British"),
    "B": ("White", "White - Irish"),
    "C": ("White", "White - Any other White background"),
    "D": ("Mixed", "Mixed - White and Black Caribbean"),
    "E": ("Mixed", "Mixed - White and Black African"),
    "F": ("Mixed", "Mixed - White and Asian"),
    "G": ("Mixed", "Mixed - Any other mixed background"),
    "H": ("Asian", "Asian or Asian British - Indian"),
    "J": ("Asian", "Asian or Asian British - Pakistani"),
    "K": ("Asian", "Asian or Asian British - Bangladeshi"),
    "L": ("Asian", "Asian or Asian British - Any other Asian background"),
    "M": ("Black", "Black or Black British - Caribbean"),
    "N": ("Black", "Black or Black British - African"),
    "P": ("Black", "Black or Black British - Any other Black background"),
    "R": ("Other", "Other ethnic groups - Chinese"),
    "S": ("Other", "Other ethnic groups - Any other ethnic group"),
    "Z": ("Not stated", "Not stated"),
}

TABLES: dict[str, Table] = {}


def _table(t: Table) -> Table:
    TABLES[t.name] = t
    return t


# --- reference -----------------------------------------------------------------------------

_table(Table(
    "places", REFERENCE,
    "The four places of BLMK: the unitary local authorities, each with a place-based partnership.",
    (
        _c("place", _str, "Place name.", False, PLACES),
        _c("la_code", _str, "ONS local authority code (E06...).", False),
    ),
    key=("place",),
    like="ONS local authority districts",
))
_table(Table(
    "pcns", REFERENCE,
    "Primary Care Networks (January 2022 mapping). Practices not in a PCN sit in "
    "`UNALLOCATED-<LA code>`, one per place.",
    (
        _c("pcn_code", _str, "ODS code of the PCN (U.....).", False),
        _c("pcn_name", _str, "PCN name.", False),
        _c("place", _str, "Place the PCN serves.", False, PLACES),
    ),
    key=("pcn_code",),
    like="ODS ePCN",
))
_table(Table(
    "practices", REFERENCE,
    "The 96 BLMK GP practices (January 2022).",
    (
        _c("practice_code", _str, "ODS practice code.", False),
        _c("practice_name", _str, "Practice name.", False),
        _c("postcode", _str, "Practice postcode (an organisation's, not a person's).", False),
        _c("pcn_code", _str, "PCN the practice belongs to.", False),
        _c("place", _str, "Place of the practice.", False, PLACES),
    ),
    key=("practice_code",),
    like="ODS epraccur + ePCN",
))
_table(Table(
    "lsoas", REFERENCE,
    "The 533 BLMK Lower-layer Super Output Areas (2011) with the English Indices of Deprivation "
    "2019. Decile and quintile are national (1 = most deprived); quintile 1 is CORE20.",
    (
        _c("lsoa_code", _str, "ONS LSOA 2011 code.", False),
        _c("lsoa_name", _str, "LSOA name.", False),
        _c("la_code", _str, "ONS local authority code.", False),
        _c("place", _str, "Place.", False, PLACES),
        _c("imd_rank", _int, "IMD 2019 rank of 32,844 (1 = most deprived).", False),
        _c("imd_decile", _int, "IMD 2019 national decile (1 = most deprived 10%).", False),
        _c("imd_quintile", _int, "IMD 2019 national quintile (1 = most deprived 20%).", False),
        _c("population_mid2019", _int, "ONS mid-2019 resident population.", False),
    ),
    key=("lsoa_code",),
    like="MHCLG English Indices of Deprivation 2019",
))

# --- identifiable zone --------------------------------------------------------------------

_table(Table(
    "person_identifiers", IDENTIFIABLE,
    "Who each pseudonym is. Lives only in the identifiable zone, never in the analytics store. "
    "Re-identification (for direct care) recomputes the pseudonym from the NHS number with "
    "the key.",
    (
        _pid,
        _c("nhs_number", _str, "10-digit NHS number (modulus-11 valid; synthetic numbers come "
           "from 9000000000-9999999999, a range never issued to real people); null when the "
           "source had none."),
        _c("local_id_system", _str, "Without an NHS number: the source's identifier system "
           "(e.g. a hospital number's namespace) the pseudonym was made from."),
        _c("local_id_value", _str, "Without an NHS number: the source's identifier value."),
        _c("given_name", _str, "Given name (null if the source had none)."),
        _c("family_name", _str, "Family name (null if the source had none)."),
        _c("date_of_birth", _date, "Full date of birth."),
        _c("address_line", _str, "First line of address (null if the source had none)."),
        _c("postcode", _str, "Home postcode (null if the source had none)."),
    ),
    key=("patient_id",),
    like="Personal Demographics Service",
))

# --- analytics store ----------------------------------------------------------------------

_table(Table(
    "patients", ANALYTICS,
    "One row per person ever registered with a BLMK practice in the data window.",
    (
        _pid,
        _c("sex", _str, "Sex as recorded: `female`, `male` (or `unknown`).", False,
           ("female", "male", "unknown")),
        _c("month_of_birth", _date, "First day of the month of birth (the full date is "
           "identifiable and stays in the identifiable zone).", False),
        _c("ethnicity_group", _str, "ONS 5 groups, or `Not stated`.", False, ETHNICITY_GROUPS),
        _c("ethnicity_category", _str, "NHS ethnic category code A-S, or Z not stated (16+1).",
           False, tuple(ETHNICITY_CATEGORIES)),
        _c("lsoa_code", _str, "LSOA (2011) of residence; null when the source gives no "
           "address that maps to one."),
        _c("practice_code", _str, "Practice of (latest) registration; null when the source "
           "does not name a BLMK practice."),
        _c("registration_start", _date, "Start of registration with that practice; null when "
           "the source does not say (such people never count as registered)."),
        _c("registration_end", _date, "End of registration (moved away or died); null while "
           "registered."),
        _c("date_of_death", _date, "Date of death, from the death registration; null if alive."),
        _c("care_home", _bool, "Lives in a care home (as at the reference date).", False),
        _c("housebound", _bool, "Recorded as housebound (as at the reference date).", False),
        _c("data_opt_out", _bool, "Registered a national data opt-out: left out of planning "
           "and research outputs, never out of their own practice's direct care.", False),
        _c("nhs_number_verified", _bool, "The pseudonym comes from a valid NHS number; false "
           "when the source had none and the person is linked by the source's local "
           "identifier (system and value).", False),
    ),
    key=("patient_id",),
    like="GP registration + PDS (OpenSAFELY `patients`, `practice_registrations`)",
))
_table(Table(
    "clinical_events", ANALYTICS,
    "Coded events from the GP record: diagnoses, resolutions, observations and measurements.",
    (
        _pid,
        _c("date", _date, "Date the event was recorded as happening.", False),
        _c("snomed_code", _str, "SNOMED CT concept id.", False),
        _c("numeric_value", _float, "Value where the code carries one: systolic or diastolic BP "
           "(mmHg), HbA1c (mmol/mol), BMI (kg/m2), cholesterol (mmol/L), alcohol (units/week)."),
    ),
    like="GPES / OpenSAFELY `clinical_events`",
))
_table(Table(
    "medications", ANALYTICS,
    "Medicines issued in primary care (each issue is one row).",
    (
        _pid,
        _c("date", _date, "Issue date.", False),
        _c("dmd_code", _str, "dm+d VMP or AMP code (a SNOMED CT id).", False),
        _c("bnf_code", _str, "BNF chemical substance code (9 characters) or presentation code."),
        _c("quantity", _float, "Quantity issued (tablets, inhalers, ...); null when the source "
           "does not say (e.g. an inpatient order)."),
    ),
    like="GPES / OpenSAFELY `medications`",
))
_table(Table(
    "vaccinations", ANALYTICS,
    "Vaccinations given (GP, school-aged immunisation service or pharmacy).",
    (
        _pid,
        _c("date", _date, "Date given.", False),
        _c("vaccine", _str, "Programme: `hpv`, `influenza`, `pneumococcal`.", False,
           ("hpv", "influenza", "pneumococcal")),
        _c("snomed_code", _str, "SNOMED CT code of the administration procedure.", False),
        _c("dose_number", _int, "Dose in the course (1 for single-dose programmes); null when "
           "the source does not say."),
    ),
    like="NIMS / OpenSAFELY `vaccinations`",
))
_table(Table(
    "screening", ANALYTICS,
    "Cancer screening programme events: invitations, tests and results.",
    (
        _pid,
        _c("programme", _str, "`bowel`, `breast` or `cervical`.", False,
           ("bowel", "breast", "cervical")),
        _c("event", _str, "`invited`, `tested` (an adequate screen) or `ceased` (ceased for "
           "clinical reasons).", False, ("invited", "tested", "ceased")),
        _c("date", _date, "Date of the event.", False),
        _c("result", _str, "For `tested`: `normal`, `abnormal` (referred on) or, for cervical, "
           "`hpv_negative`/`hpv_positive`.",
           categories=("normal", "abnormal", "hpv_negative", "hpv_positive")),
    ),
    like="NHS screening programme data (BCSS, NBSS, CSMS)",
))
_table(Table(
    "apc_spells", ANALYTICS,
    "Admitted patient care hospital spells.",
    (
        _pid,
        _c("spell_id", _int, "Spell identifier, unique within the table.", False),
        _c("provider_code", _str, "ODS code of the provider trust.", False),
        _c("admission_date", _date, "Date of admission.", False),
        _c("discharge_date", _date, "Date of discharge (null if still in hospital)."),
        _c("admission_method", _str, "`elective`, `emergency`, `maternity` or `other` "
           "(grouped from the HES admission method codes 11-13, 21-2D, 31-32, 81-83).", False,
           ("elective", "emergency", "maternity", "other")),
        _c("patient_classification", _str, "`ordinary`, `day_case`.", False,
           ("ordinary", "day_case")),
        _c("primary_diagnosis", _str, "ICD-10 code of the primary diagnosis (first episode), "
           "without the dot (e.g. `J459`).", False),
        _c("primary_procedure", _str, "OPCS-4 code of the main procedure, if any."),
        _c("treatment_function", _str, "Treatment function code of the admitting specialty.",
           False),
        _c("discharge_destination", _str, "`usual_residence`, `care_home`, `other_provider` or "
           "`died`.", categories=("usual_residence", "care_home", "other_provider", "died")),
    ),
    key=("spell_id",),
    like="SUS+/HES Admitted Patient Care",
))
_table(Table(
    "ec_attendances", ANALYTICS,
    "Emergency department attendances.",
    (
        _pid,
        _c("attendance_id", _int, "Attendance identifier, unique within the table.", False),
        _c("provider_code", _str, "ODS code of the provider trust.", False),
        _c("department_type", _str, "`01` major emergency department, `03` urgent treatment "
           "centre.", False, ("01", "03")),
        _c("arrival", _ts, "Arrival date and time.", False),
        _c("departure", _ts, "Departure (conclusion) date and time.", False),
        _c("acuity", _int, "Manchester/ECDS acuity 1 (immediate resuscitation) to 5 "
           "(non-urgent).", False),
        _c("disposal", _str, "`admitted`, `discharged`, `referred` or `transferred` or `died`.",
           False, ("admitted", "discharged", "referred", "transferred", "died")),
        _c("chief_complaint", _str, "SNOMED CT chief complaint."),
    ),
    key=("attendance_id",),
    like="Emergency Care Data Set (ECDS)",
))
_table(Table(
    "op_appointments", ANALYTICS,
    "Outpatient appointments.",
    (
        _pid,
        _c("appointment_id", _int, "Appointment identifier.", False),
        _c("provider_code", _str, "ODS code of the provider trust.", False),
        _c("appointment_date", _date, "Date of the appointment.", False),
        _c("treatment_function", _str, "Treatment function code.", False),
        _c("first_attendance", _bool, "First (true) or follow-up (false) attendance.", False),
        _c("attended", _str, "`attended`, `dna` (did not attend) or `cancelled`.", False,
           ("attended", "dna", "cancelled")),
    ),
    key=("appointment_id",),
    like="SUS+/HES Outpatients",
))
_table(Table(
    "rtt_pathways", ANALYTICS,
    "Consultant-led referral-to-treatment pathways (18-week rules).",
    (
        _pid,
        _c("pathway_id", _int, "Pathway identifier.", False),
        _c("provider_code", _str, "ODS code of the provider trust.", False),
        _c("treatment_function", _str, "RTT treatment function code.", False),
        _c("clock_start", _date, "Referral-to-treatment clock start.", False),
        _c("clock_stop", _date, "Clock stop date (null while the pathway is open)."),
        _c("status", _str, "`waiting` (incomplete), `admitted` (stopped by admission), "
           "`non_admitted` (stopped otherwise).", False, ("waiting", "admitted", "non_admitted")),
        _c("diagnostic_wait_start", _date, "Start of a wait for a diagnostic test within the "
           "pathway, if any."),
        _c("diagnostic_test_date", _date, "Date of that diagnostic test (null while waiting)."),
    ),
    key=("pathway_id",),
    like="Waiting List Minimum Data Set (WLMDS) / RTT",
))
_table(Table(
    "maternity", ANALYTICS,
    "Pregnancies booked with a BLMK maternity service, one row per pregnancy, with its birth.",
    (
        _pid,
        _c("pregnancy_id", _int, "Pregnancy identifier.", False),
        _c("booking_date", _date, "Date of the booking appointment.", False),
        _c("gestation_at_booking_weeks", _int, "Completed weeks of gestation at booking.", False),
        _c("smoking_at_booking", _bool, "Smoker at booking.", False),
        _c("smoking_at_delivery", _bool, "Smoker at the time of delivery (SATOD)."),
        _c("delivery_date", _date, "Date of birth of the baby (null if not yet delivered)."),
        _c("gestation_at_birth_weeks", _int, "Completed weeks of gestation at birth."),
        _c("birthweight_grams", _int, "Birthweight in grams."),
        _c("outcome", _str, "`live_birth`, `stillbirth` or null while pregnant.",
           categories=("live_birth", "stillbirth")),
    ),
    key=("pregnancy_id",),
    like="Maternity Services Data Set (MSDS)",
))
_table(Table(
    "mh_referrals", ANALYTICS,
    "Referrals to secondary mental health services, adult and children and young people's.",
    (
        _pid,
        _c("referral_id", _int, "Referral identifier.", False),
        _c("service", _str, "`adult_community`, `crisis`, `talking_therapies` or `camhs`.", False,
           ("adult_community", "crisis", "talking_therapies", "camhs")),
        _c("referral_date", _date, "Date the referral was received.", False),
        _c("first_contact_date", _date, "Date of the first attended contact (null if none yet)."),
        _c("discharge_date", _date, "Date of discharge from the service (null while open)."),
    ),
    key=("referral_id",),
    like="Mental Health Services Data Set (MHSDS)",
))
# --- autism assessment and mental health inpatient placements (MHLDA) --------------------

AUTISM_OUTCOMES = ("autism", "not_autism", "closed_without_assessment")
MH_BED_TYPES = ("adult_acute", "older_adult_acute", "picu")
#: Why a placement is out of area, as NHS England's Out of Area Placements collection (now in
#: MHSDS) records it. Only `bed_unavailable` makes a placement *inappropriate*: the person was
#: sent out of area because no local bed was free; the others are appropriate OAPs.
OAP_REASONS = ("bed_unavailable", "safeguarding", "offender_pathway", "patient_choice",
               "staff_or_family", "other")
INAPPROPRIATE_OAP_REASONS = ("bed_unavailable",)

_table(Table(
    "autism_referrals", ANALYTICS,
    "Referrals for an autism diagnostic assessment (suspected autism), children and adults, "
    "with the first appointment and the assessment's outcome (`outcome` and `outcome_date` "
    "are given together or not at all).",
    (
        _pid,
        _c("referral_id", _int, "Referral identifier.", False),
        _c("referral_date", _date, "Date the referral for suspected autism was received "
           "(MHSDS reason for referral 25, suspected autism).", False),
        _c("first_appointment_date", _date, "Date of the first attended appointment (care "
           "contact) of the assessment; null while waiting, or if there was none."),
        _c("outcome_date", _date, "Date the assessment concluded (the diagnosis, or that it "
           "is not autism) or the referral was closed; null while open."),
        _c("outcome", _str, "`autism` (diagnosed), `not_autism` (assessed, not diagnosed) or "
           "`closed_without_assessment` (declined, moved away, died); null while open.",
           categories=AUTISM_OUTCOMES),
    ),
    key=("referral_id",),
    like="MHSDS (Autism Waiting Time Statistics: referrals for suspected autism)",
))
_table(Table(
    "mh_admissions", ANALYTICS,
    "Mental health inpatient placements for adults (adult acute, older adult acute, PICU), "
    "one row per placement in one unit (a transfer to another unit is a new row), flagged "
    "when it is out of area (`oap_reason` is given exactly when `out_of_area` is true).",
    (
        _pid,
        _c("admission_id", _int, "Placement identifier.", False),
        _c("provider_code", _str, "ODS code of the provider running the unit.", False),
        _c("admission_date", _date, "Date admitted to the unit.", False),
        _c("discharge_date", _date, "Date discharged or transferred from the unit (null while "
           "still there)."),
        _c("bed_type", _str, "`adult_acute`, `older_adult_acute` or `picu` (psychiatric "
           "intensive care).", False, MH_BED_TYPES),
        _c("out_of_area", _bool, "An out of area placement (OAP): a unit that is not part of "
           "the person's usual local network of services (NHS England definition).", False),
        _c("oap_reason", _str, "For an OAP, why: `bed_unavailable` (no local bed: an "
           "*inappropriate* OAP), or an appropriate reason (`safeguarding`, "
           "`offender_pathway`, `patient_choice`, `staff_or_family`, `other`); null when not "
           "out of area.", categories=OAP_REASONS),
    ),
    key=("admission_id",),
    like="MHSDS hospital spells and ward stays / NHS England Out of Area Placements collection",
))

_table(Table(
    "community_contacts", ANALYTICS,
    "Community services: virtual ward stays and 2-hour urgent community response (UCR).",
    (
        _pid,
        _c("contact_id", _int, "Contact or stay identifier.", False),
        _c("service", _str, "`virtual_ward` or `urgent_community_response`.", False,
           ("virtual_ward", "urgent_community_response")),
        _c("start_date", _date, "Referral/admission date (virtual ward) or contact date (UCR).",
           False),
        _c("end_date", _date, "Discharge from the virtual ward (null while on it); the contact "
           "date for UCR."),
        _c("within_2_hours", _bool, "UCR only: seen within 2 hours of referral."),
    ),
    key=("contact_id",),
    like="Community Services Data Set (CSDS)",
))
_table(Table(
    "cancer_diagnoses", ANALYTICS,
    "New primary cancer diagnoses of BLMK residents (excluding non-melanoma skin cancer).",
    (
        _pid,
        _c("diagnosis_date", _date, "Date of diagnosis (the registry's, usually the first "
           "histological confirmation or first admission for the cancer).", False),
        _c("site", _str, "ICD-10 code of the primary site (no dot), e.g. `C349`, `C509`.",
           False),
        _c("stage", _str, "Stage at diagnosis: `1`-`4` or `unknown`.", False,
           ("1", "2", "3", "4", "unknown")),
    ),
    key=("patient_id", "diagnosis_date", "site"),
    like="NDRS Rapid Cancer Registration Dataset (RCRD) / Cancer Outcomes and Services Dataset",
))
# --- cancer waiting times (issue 10: kept in its own block) --------------------------------

#: Routes onto a cancer pathway, as NHS England's Cancer Waiting Times (CWT) collection names
#: them: an urgent suspected cancer referral (from a GP or dentist), a breast symptomatic
#: referral (cancer not initially suspected), an urgent referral from a screening programme,
#: and a consultant upgrade (a patient on another pathway upgraded onto a cancer one).
CANCER_ROUTES = ("urgent_suspected_cancer", "breast_symptomatic", "screening",
                 "consultant_upgrade")
#: Suspected cancer (tumour) groups of the CWT collection, as short names.
TUMOUR_GROUPS = ("breast", "lower_gi", "upper_gi", "lung", "skin", "urological",
                 "gynaecological", "head_and_neck", "haematological", "brain_cns", "sarcoma",
                 "children", "other")
_table(Table(
    "cancer_pathways", ANALYTICS,
    "Cancer waiting time pathways of BLMK residents, one row per pathway: from the referral "
    "(or upgrade) that starts the clock, through the faster diagnosis standard's clock stop "
    "(diagnosis communicated or cancer ruled out), to the decision to treat and the first "
    "definitive treatment. Every date is on or after the referral, and the treatment on or "
    "after the decision to treat (ingestion quarantines a pathway out of order).",
    (
        _pid,
        _c("pathway_id", _int, "Pathway identifier, unique within the table.", False),
        _c("provider_code", _str, "ODS code of the provider trust the patient was referred "
           "to.", False),
        _c("route", _str, "How the pathway started: `urgent_suspected_cancer`, "
           "`breast_symptomatic`, `screening` (urgent referral from a screening programme) or "
           "`consultant_upgrade`.", False, CANCER_ROUTES),
        _c("referral_date", _date, "Clock start: the date the referral was received (for a "
           "consultant upgrade, the date of the upgrade).", False),
        _c("tumour_group", _str, "Suspected cancer group of the referral (CWT's suspected "
           "cancer types), e.g. `lower_gi`, `breast`, `skin`.", False, TUMOUR_GROUPS),
        _c("faster_diagnosis_date", _date, "Faster diagnosis clock stop: the date cancer was "
           "diagnosed and the patient told, or cancer ruled out; null while open and for "
           "consultant upgrades (outside the standard)."),
        _c("outcome", _str, "`diagnosed` (cancer confirmed) or `ruled_out`; null while "
           "open.", categories=("diagnosed", "ruled_out")),
        _c("decision_to_treat_date", _date, "Date the patient agreed a first treatment plan "
           "(null when cancer was ruled out or no decision is recorded yet)."),
        _c("first_treatment_date", _date, "Date of the first definitive treatment (surgery, "
           "systemic therapy, radiotherapy, active monitoring ...); stops the 62-day clock; "
           "null while untreated."),
    ),
    key=("pathway_id",),
    like="NHS England Cancer Waiting Times (CWT) dataset",
))
# --- end of cancer waiting times --------------------------------------------------------------
_table(Table(
    "deaths", ANALYTICS,
    "Registered deaths of BLMK residents.",
    (
        _pid,
        _c("date_of_death", _date, "Date of death.", False),
        _c("underlying_cause", _str, "ICD-10 underlying cause of death (no dot).", False),
        _c("place_of_death", _str, "`hospital`, `home`, `care_home`, `hospice` or `other`.",
           False, ("hospital", "home", "care_home", "hospice", "other")),
    ),
    key=("patient_id",),
    like="ONS death registrations (Civil Registration - Deaths)",
))

ANALYTICS_TABLES = [t.name for t in TABLES.values() if t.zone == ANALYTICS]
REFERENCE_TABLES = [t.name for t in TABLES.values() if t.zone == REFERENCE]


def table(name: str) -> Table:
    """The definition of canonical table `name`."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no canonical table {name!r}; known: {', '.join(TABLES)}") from None
