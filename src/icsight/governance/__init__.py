"""Governance used by every stage: pseudonymisation, disclosure control and the audit log
(access control and the national data opt-out arrive with the governance issue)."""
