"""Governance used by every stage: pseudonymisation (and, later, access, suppression, audit)."""
