"""Worklists: the people a practice should call in, in what order, and why.

Each list is a documented definition built from the same patient-level rules as the matching
indicator, so that a practice's list and its indicator shortfall always reconcile. Rows are
keyed by the pseudonymised patient; the identifiable details (NHS number, name, date of birth)
are joined only when a clinician of the patient's own practice or PCN views or exports the
list, through the audited reader in `icsight.governance`.
"""
