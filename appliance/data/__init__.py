"""Dataset pieces: task templates, patient-level splits, packing and quality filters.

Everything here is pure (no database, no workspace): it turns record dicts into training examples.
"""
