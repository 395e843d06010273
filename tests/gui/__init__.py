"""Tests of the PySide6 shell (offscreen)."""
