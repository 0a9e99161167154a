"""Governance used by every stage: pseudonymisation and disclosure control (access, audit and
opt-out arrive with the governance issue)."""
