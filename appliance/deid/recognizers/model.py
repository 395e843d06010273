"""Optional trained token-classification model (e.g. a clinical de-identification BERT) as one more
recognizer. Off by default and no model ships with the appliance.

The model is read from a local folder only: `appliance.offline` is imported first, which sets the
Hugging Face offline switches and the socket guard, and loading passes ``local_files_only=True``.
The model is loaded once per engine, on first use, never per note.

Label mapping: the model's entity groups (with any B-/I- prefix removed) are mapped to the six Safe
Harbor classes by `DEFAULT_LABEL_MAP` (i2b2 2014 and common NER label names); groups mapped to None
(e.g. STATE, COUNTRY, PROFESSION) are dropped, because Safe Harbor allows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon
from appliance.deid.recognizers.base import register
from appliance.deid.spans import AGE, CONTACT, DATE, ID, LOCATION, NAME, Span
from appliance.deid.text import Document
from appliance.errors import InvalidInput

DEFAULT_LABEL_MAP: dict[str, tuple[str, str | None] | None] = {
    "PATIENT": (NAME, "patient"),
    "DOCTOR": (NAME, "clinician"),
    "USERNAME": (NAME, "username"),
    "NAME": (NAME, None),
    "PER": (NAME, None),
    "PERSON": (NAME, None),
    "STAFF": (NAME, "clinician"),
    "HCW": (NAME, "clinician"),
    "HOSPITAL": (LOCATION, "facility"),
    "ORGANIZATION": (LOCATION, "facility"),
    "STREET": (LOCATION, "street"),
    "CITY": (LOCATION, "city"),
    "ZIP": (LOCATION, "zip"),
    "LOCATION": (LOCATION, None),
    "LOCATION-OTHER": (LOCATION, None),
    "LOC": (LOCATION, None),
    "STATE": None,
    "COUNTRY": None,
    "PROFESSION": None,
    "DATE": (DATE, "date"),
    "AGE": (AGE, None),
    "PHONE": (CONTACT, "phone"),
    "FAX": (CONTACT, "fax"),
    "EMAIL": (CONTACT, "email"),
    "URL": (CONTACT, "url"),
    "IPADDR": (CONTACT, "ip"),
    "IP": (CONTACT, "ip"),
    "CONTACT": (CONTACT, None),
    "MEDICALRECORD": (ID, "mrn"),
    "MRN": (ID, "mrn"),
    "IDNUM": (ID, "other"),
    "ID": (ID, "other"),
    "SSN": (ID, "ssn"),
    "HEALTHPLAN": (ID, "health_plan"),
    "ACCOUNT": (ID, "account"),
    "LICENSE": (ID, "license"),
    "VEHICLE": (ID, "vehicle"),
    "DEVICE": (ID, "device"),
    "BIOID": (ID, "other"),
}

#: Characters per model call. Long notes are cut at whitespace into windows of about this size so no
#: window exceeds the model's maximum sequence length (512 word pieces is roughly 1,500 characters).
WINDOW_CHARS = 1200

Pipeline = Callable[[str], Sequence[Mapping[str, Any]]]


def _load_pipeline(model_dir: Path) -> Pipeline:
    import appliance.offline  # noqa: F401  (sets the offline switches before any Hugging Face import)

    try:
        from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline
    except ImportError as exc:
        raise InvalidInput('the "model" recognizer needs the transformers package; install it or drop "model"') from exc
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModelForTokenClassification.from_pretrained(str(model_dir), local_files_only=True)
    model.eval()
    return pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple", device=-1)


def _windows(text: str, size: int) -> Iterator[tuple[int, str]]:
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > start else end
        yield start, text[start:end]
        start = end


def _over(text: str, limit: int) -> bool:
    digits = "".join(ch for ch in text if ch.isdigit())
    return not digits or int(digits) > limit  # spelled-out ages are kept as found


class TransformersRecognizer:
    """Runs a local Hugging Face token-classification model over the note.

    `pipeline` may be given directly (tests, or a model already in memory); otherwise it is built
    from `model_dir` on first use. Scores become span confidences, so `confidence_threshold` applies.
    """

    def __init__(
        self,
        model_dir: Path | None,
        *,
        label_map: Mapping[str, tuple[str, str | None] | None] | None = None,
        pipeline: Pipeline | None = None,
        window_chars: int = WINDOW_CHARS,
        max_age_kept: int = 89,
    ) -> None:
        if pipeline is None:
            if model_dir is None or not Path(model_dir).is_dir():
                raise InvalidInput("model recognizer: model_dir is not a folder; give the folder of a local model")
            if not (Path(model_dir) / "config.json").is_file():
                raise InvalidInput("model recognizer: model_dir holds no config.json; give a Hugging Face model folder")
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.label_map = dict(DEFAULT_LABEL_MAP if label_map is None else label_map)
        self._pipeline = pipeline
        self.window_chars = window_chars
        self.max_age_kept = max_age_kept

    def _get_pipeline(self) -> Pipeline:
        if self._pipeline is None:
            assert self.model_dir is not None
            self._pipeline = _load_pipeline(self.model_dir)
        return self._pipeline

    def _map(self, group: str) -> tuple[str, str | None] | None:
        key = group.upper()
        for prefix in ("B-", "I-", "E-", "S-", "L-", "U-"):
            if key.startswith(prefix):
                key = key[len(prefix) :]
        return self.label_map.get(key)

    def find(self, doc: Document) -> Iterator[Span]:
        run = self._get_pipeline()
        for offset, chunk in _windows(doc.text, self.window_chars):
            if not chunk.strip():
                continue
            for entity in run(chunk):
                group = str(entity.get("entity_group") or entity.get("entity") or "")
                mapped = self._map(group)
                if mapped is None:
                    continue
                start, end = int(entity["start"]), int(entity["end"])
                while start < end and chunk[start].isspace():
                    start += 1
                while end > start and chunk[end - 1].isspace():
                    end -= 1
                if end <= start:
                    continue
                label, subtype = mapped
                if label == AGE and not _over(chunk[start:end], self.max_age_kept):
                    continue  # Safe Harbor keeps ages up to the limit; a model tags every age
                score = float(entity.get("score", 1.0))
                yield Span(offset + start, offset + end, label, subtype, min(1.0, max(0.0, score)), "model")


@register("model", "A local Hugging Face token-classification model (needs model_dir; never downloads).")
def _model(config: DeidConfig, lexicon: Lexicon) -> TransformersRecognizer:
    return TransformersRecognizer(
        Path(config.model_dir) if config.model_dir else None, max_age_kept=config.max_age_kept
    )
