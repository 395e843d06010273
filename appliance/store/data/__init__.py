"""Data files of the store: the list of common passwords refused at sign-up (see README.md)."""
