"""JSON-lines front ends: detect identifiers in a file of notes, or score the engine on a gold file.

Input lines are JSON objects ``{"id": ..., "text": ...}`` (gold files add ``"spans": [{"start",
"end", "label"}, ...]``); blank lines are skipped. Output lines are ``{"id": ..., "spans": [{"start",
"end", "label", "subtype", "confidence"}, ...]}``: offsets only, never text, so the output holds no PHI.

Errors: any malformed line raises `InvalidInput` naming the file and line number and what is wrong,
never the line's content. The output file is written to a temporary file beside it and renamed into
place only when every line succeeded, so a failure leaves no half-written output.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.deid.config import DeidConfig
from appliance.deid.engine import DeidEngine
from appliance.deid.scoring import score
from appliance.deid.spans import LABELS, Span
from appliance.errors import InvalidInput


def _records(path: Path, *, gold: bool) -> Iterator[tuple[int, str, str, list[Span]]]:
    """(line number, id, text, gold spans) per non-blank line; raises InvalidInput on a bad line."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115  (closed by the with below)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot open ({exc.strerror or 'unreadable'})") from None
    with handle:
        lineno = 0
        while True:
            try:
                line = handle.readline()
            except UnicodeDecodeError:
                raise InvalidInput(f"{path}:{lineno + 1}: not UTF-8 text") from None
            if not line:
                return
            lineno += 1
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise InvalidInput(f"{path}:{lineno}: not valid JSON; each line must be one JSON object") from None
            if not isinstance(obj, dict):
                raise InvalidInput(f'{path}:{lineno}: expected a JSON object with "id" and "text"')
            if "id" not in obj or not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool):
                raise InvalidInput(f'{path}:{lineno}: missing "id" (a string or an integer)')
            text = obj.get("text")
            if not isinstance(text, str):
                raise InvalidInput(f'{path}:{lineno}: missing "text" (a string)')
            spans = _gold_spans(path, lineno, obj, len(text)) if gold else []
            yield lineno, str(obj["id"]), text, spans


def _gold_spans(path: Path, lineno: int, obj: dict[str, Any], length: int) -> list[Span]:
    raw = obj.get("spans")
    if not isinstance(raw, list):
        raise InvalidInput(f'{path}:{lineno}: missing "spans" (a list of {{start, end, label}})')
    spans = []
    for k, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidInput(f"{path}:{lineno}: span {k} is not an object")
        start, end, label = item.get("start"), item.get("end"), item.get("label")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            raise InvalidInput(f'{path}:{lineno}: span {k} needs integer "start" and "end"')
        if not 0 <= start < end <= length:
            raise InvalidInput(
                f"{path}:{lineno}: span {k} [{start}, {end}) is out of range for a text of {length} characters"
            )
        if label not in LABELS:
            raise InvalidInput(f"{path}:{lineno}: span {k} has unknown label; use one of {', '.join(LABELS)}")
        subtype = item.get("subtype")
        spans.append(Span(start, end, label, subtype if isinstance(subtype, str) else None))
    return spans


def detect_jsonl(input: Path, output: Path, config: DeidConfig | None = None) -> dict[str, Any]:
    """Detect identifiers in every note of `input`; write one line of spans per note to `output`.

    Returns a summary: ``{"notes": n, "spans": n, "by_label": {label: n}}``.
    """
    input, output = Path(input), Path(output)
    engine = DeidEngine(config)
    by_label: Counter[str] = Counter()
    notes = 0
    directory = output.parent if str(output.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for _lineno, note_id, text, _ in _records(input, gold=False):
                spans = engine.detect(text)
                by_label.update(s.label for s in spans)
                notes += 1
                found = [s.to_json(with_source=False, digits=4) for s in spans]
                out.write(json.dumps({"id": note_id, "spans": found}) + "\n")
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return {"notes": notes, "spans": sum(by_label.values()), "by_label": dict(sorted(by_label.items()))}


def eval_jsonl(gold: Path, config: DeidConfig | None = None) -> dict[str, Any]:
    """Run detection over a gold file and score it (see `appliance.deid.scoring.score`)."""
    engine = DeidEngine(config)
    texts: list[str] = []
    golds: list[list[Span]] = []
    preds: list[list[Span]] = []
    for _lineno, _note_id, text, spans in _records(Path(gold), gold=True):
        texts.append(text)
        golds.append(spans)
        preds.append(engine.detect(text))
    report = score(golds, preds, texts)
    report["notes"] = len(texts)
    return report
