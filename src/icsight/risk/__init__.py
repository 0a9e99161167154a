"""Risk: the electronic frailty index and the emergency admission risk model.

Scores are computed from the canonical model in the lake, refresh with `icsight build`, and
carry the model's version in the build's provenance.
"""
