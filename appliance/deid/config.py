"""De-identification settings: one typed dataclass, with its help text and its validation.

The same `DeidConfig` is loaded from TOML, stored with every de-identified dataset (so an exported
model can be traced to the exact settings), and shown in the GUI from the field help below.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import InvalidInput
from appliance.fieldhelp import help_of, settings_from
from appliance.fieldhelp import help_text as _help

MODES = ("surrogate", "mask")

#: Three-digit ZIP prefixes whose areas held 20,000 people or fewer at the 2000 census; Safe Harbor
#: requires them to become 000 (45 CFR 164.514(b)(2)(i)(B), HHS guidance list).
RESTRICTED_ZIP_PREFIXES: tuple[str, ...] = (
    "036", "059", "063", "102", "203", "556", "692", "790", "821",
    "823", "830", "831", "878", "879", "884", "890", "893",
)  # fmt: skip

#: Recognizers on by default: the rules, then "crf", the shipped learned recognizer (a CRF trained
#: offline, hash-checked on load; it raises F2 on every held-out test half). "model" (a local
#: token-classification model) is opt-in.
DEFAULT_RECOGNIZERS: tuple[str, ...] = (
    "email",
    "url",
    "ip_address",
    "phone",
    "ssn",
    "labelled_id",
    "checksum_id",
    "generic_id",
    "date",
    "age",
    "street_address",
    "zip_code",
    "facility",
    "places",
    "gazetteer",
    "city",
    "name_context",
    "name_dictionary",
    "initials",
    "organisation",
    "speaker",
    "crf",
)


@dataclass(frozen=True)
class DeidConfig:
    """How notes are de-identified. Every field has a default; `__post_init__` checks them together."""

    mode: str = field(
        default="surrogate",
        metadata=_help(
            "surrogate: replace each identifier with a realistic stand-in, the same one every time for "
            "a patient; mask: replace it with its class in brackets, e.g. [NAME]."
        ),
    )
    date_shift_min_days: int = field(
        default=-365,
        metadata=_help(
            "Lower bound of the per-patient date shift in days. Each patient gets one offset in "
            "[min, max], derived from the secret key and the patient id, so intervals between that "
            "patient's dates are kept. The range may not contain 0."
        ),
    )
    date_shift_max_days: int = field(
        default=-1,
        metadata=_help("Upper bound of the per-patient date shift in days (see date_shift_min_days)."),
    )
    recognizers: tuple[str, ...] = field(
        default=DEFAULT_RECOGNIZERS,
        metadata=_help(
            'Recognizers to run, by registered name. "crf" is the shipped learned recognizer (on by '
            'default; leave it out for the rules alone, about 40 % faster); add "model" together with '
            "model_dir to run a local token-classification model as well."
        ),
    )
    confidence_threshold: float = field(
        default=0.5,
        metadata=_help(
            "Findings below this confidence are dropped. Lower it to redact more (recall first); "
            "raise it to keep more text."
        ),
    )
    model_dir: str | None = field(
        default=None,
        metadata=_help(
            'Folder of a local Hugging Face token-classification model used by the "model" '
            "recognizer. Loaded from disk only; nothing is ever downloaded."
        ),
    )
    reference_year: int = field(
        default_factory=lambda: _dt.date.today().year,
        metadata=_help(
            "Year the notes were written in: decides the century of two-digit years and whether a "
            "birth year reveals an age over 89."
        ),
    )
    max_age_kept: int = field(
        default=89,
        metadata=_help('Ages above this become "90+". Safe Harbor sets 89; it may only be lowered.'),
    )
    restricted_zip_prefixes: tuple[str, ...] = field(
        default=RESTRICTED_ZIP_PREFIXES,
        metadata=_help("Three-digit ZIP prefixes replaced by 000 instead of being kept."),
    )

    def __post_init__(self) -> None:
        # TOML gives lists; keep the frozen dataclass hashable and immutable.
        object.__setattr__(self, "recognizers", tuple(self.recognizers))
        object.__setattr__(self, "restricted_zip_prefixes", tuple(self.restricted_zip_prefixes))
        if self.mode not in MODES:
            raise InvalidInput(f"deid config: mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.date_shift_min_days > self.date_shift_max_days:
            raise InvalidInput("deid config: date_shift_min_days must not exceed date_shift_max_days")
        if self.date_shift_min_days <= 0 <= self.date_shift_max_days:
            raise InvalidInput("deid config: the date shift range must not contain 0, or some patients keep real dates")
        if max(abs(self.date_shift_min_days), abs(self.date_shift_max_days)) > 3650:
            raise InvalidInput("deid config: date shifts are limited to 3650 days either way")
        if not 0.0 <= self.confidence_threshold <= 1.0:
            raise InvalidInput("deid config: confidence_threshold must be within [0, 1]")
        if not 0 <= self.max_age_kept <= 89:
            raise InvalidInput("deid config: max_age_kept must be within [0, 89] (Safe Harbor)")
        if not 1900 <= self.reference_year <= 2200:
            raise InvalidInput("deid config: reference_year must be a four-digit year")
        for prefix in self.restricted_zip_prefixes:
            if not (isinstance(prefix, str) and len(prefix) == 3 and prefix.isdigit()):
                raise InvalidInput("deid config: restricted_zip_prefixes must be three-digit strings")
        from appliance.deid.recognizers import available_recognizers

        known = available_recognizers()
        unknown = [name for name in self.recognizers if name not in known]
        if unknown:
            raise InvalidInput(
                f"deid config: unknown recognizer(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if not self.recognizers:
            raise InvalidInput("deid config: at least one recognizer must be enabled")
        if "model" in self.recognizers and not self.model_dir:
            raise InvalidInput('deid config: the "model" recognizer needs model_dir')

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeidConfig:
        """Build from a mapping (e.g. the ``[deid]`` table of a TOML file); unknown keys are an error."""
        return settings_from(
            cls, data, unknown="deid config: unknown setting(s) {unknown}", wrong="deid config: ", error=InvalidInput
        )

    @classmethod
    def from_toml(cls, path: Path, table: str | None = "deid") -> DeidConfig:
        """Load from a TOML file; settings live in `table` when the file has it, else at the top level."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot read the de-identification settings ({exc})") from None
        if table and isinstance(data.get(table), dict):
            data = data[table]
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """A JSON/TOML-able copy (tuples become lists), stored with every de-identified dataset."""
        out = asdict(self)
        out["recognizers"] = list(self.recognizers)
        out["restricted_zip_prefixes"] = list(self.restricted_zip_prefixes)
        return out

    @staticmethod
    def help() -> dict[str, str]:
        """Field name -> help text, for the CLI and the GUI."""
        return help_of(DeidConfig)
