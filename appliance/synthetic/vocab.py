"""Word lists for the synthetic note generator: people, places, facilities (from ``data/vocab.json``).

These lists belong to the generator alone. They are deliberately independent of any de-identification
dictionary so that scoring a recognizer on synthetic notes does not reward it for sharing a word list
with the generator. Many entries are also ordinary English words (Hope, Will, Brown, Mobile, Normal):
that is the hard case for a de-identifier and the reason they are here.

Every entry is ASCII (checked on load): upper-casing a note must not change its length, or gold offsets
would drift.
"""

from __future__ import annotations

from appliance.synthetic.tables import string_pairs, strings

_FILE = "vocab.json"

FEMALE_FIRST: tuple[str, ...] = strings(_FILE, "FEMALE_FIRST")
MALE_FIRST: tuple[str, ...] = strings(_FILE, "MALE_FIRST")
LAST: tuple[str, ...] = strings(_FILE, "LAST")
# (city, state) pairs. The state is not PHI under Safe Harbor; only the city is planted as a span.
CITIES: tuple[tuple[str, str], ...] = string_pairs(_FILE, "CITIES")
STREET_NAMES: tuple[str, ...] = strings(_FILE, "STREET_NAMES")
STREET_SUFFIXES: tuple[str, ...] = strings(_FILE, "STREET_SUFFIXES")
UNIT_FORMS: tuple[str, ...] = strings(_FILE, "UNIT_FORMS")  # "{n}" a number, "{l}" a letter
# Facility names are assembled from a place word and a kind, so the same facility recurs across notes.
FACILITY_PLACES: tuple[str, ...] = strings(_FILE, "FACILITY_PLACES")
FACILITY_KINDS: tuple[str, ...] = strings(_FILE, "FACILITY_KINDS")
EMAIL_DOMAINS: tuple[str, ...] = strings(_FILE, "EMAIL_DOMAINS")
# (relation word, sex of the relative): the sex picks a plausible first name.
RELATIONS: tuple[tuple[str, str], ...] = string_pairs(_FILE, "RELATIONS")
OCCUPATIONS: tuple[str, ...] = strings(_FILE, "OCCUPATIONS")
