#!/usr/bin/env python3
"""Convert the hand-written, marked-up notes into gold JSON lines.

Reads ``notes.txt`` (and ``nophi.txt``) beside this file and writes ``dev.jsonl``,
``test.jsonl`` (and ``nophi.jsonl``) beside it.  Standard library only::

    python3 tests/data/deid/handwritten/build.py

Source format: blocks that start with a line ``=== <id> <style>``; the block's text runs to the
next such line (leading/trailing blank lines dropped, inner line breaks kept).  Lines before the
first block are comments.  Identifiers are marked inline as ``[[LABEL:text]]`` with LABEL one of
NAME, LOCATION, DATE, AGE, CONTACT, ID.  An AGE span gets ``subtype`` ``over89`` when its number
is greater than 89, else ``le89``.

Split: the number at the end of the id decides it -- odd -> dev, even -> test.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = ("NAME", "LOCATION", "DATE", "AGE", "CONTACT", "ID")
MARK = re.compile(r"\[\[([A-Z]+):(.*?)\]\]", re.S)
HEADER = re.compile(r"^=== (\S+) (\S+)\s*$")


def read_blocks(path: Path) -> list[tuple[str, str, str]]:
    blocks: list[tuple[str, str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = HEADER.match(line)
        if m:
            blocks.append((m.group(1), m.group(2), []))
        elif blocks:
            blocks[-1][2].append(line)
    return [(i, s, "\n".join(lines).strip("\n").strip()) for i, s, lines in blocks]


def age_subtype(text: str) -> str:
    digits = re.search(r"\d+", text)
    if not digits:
        raise ValueError(f"AGE without a number: {text!r}")
    return "over89" if int(digits.group()) > 89 else "le89"


def convert(doc_id: str, style: str, marked: str) -> dict:
    out: list[str] = []
    spans: list[dict] = []
    pos = 0
    length = 0
    for m in MARK.finditer(marked):
        before = marked[pos:m.start()]
        out.append(before)
        length += len(before)
        label, inner = m.group(1), m.group(2)
        if label not in LABELS:
            raise ValueError(f"{doc_id}: unknown label {label!r}")
        if not inner or inner != inner.strip():
            raise ValueError(f"{doc_id}: empty or padded span {inner!r}")
        span = {"start": length, "end": length + len(inner), "label": label}
        if label == "AGE":
            span["subtype"] = age_subtype(inner)
        spans.append(span)
        out.append(inner)
        length += len(inner)
        pos = m.end()
    out.append(marked[pos:])
    text = "".join(out)
    if "[[" in text or "]]" in text:
        raise ValueError(f"{doc_id}: unbalanced markup")
    # verify offsets against the marked strings, in order
    for span, m in zip(spans, MARK.finditer(marked)):
        if text[span["start"]:span["end"]] != m.group(2):
            raise AssertionError(f"{doc_id}: offset mismatch for {m.group(2)!r}")
    return {"id": doc_id, "text": text, "spans": spans, "style": style}


def number(doc_id: str) -> int:
    return int(re.search(r"(\d+)$", doc_id).group(1))


def write(path: Path, docs: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


def main() -> int:
    docs = [convert(*b) for b in read_blocks(HERE / "notes.txt")]
    ids = [d["id"] for d in docs]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate ids")
    for d in docs:
        if not 300 <= len(d["text"]) <= 1500:
            print(f"warning: {d['id']} has {len(d['text'])} characters", file=sys.stderr)
    split = {"dev": [d for d in docs if number(d["id"]) % 2 == 1],
             "test": [d for d in docs if number(d["id"]) % 2 == 0]}
    for name, part in split.items():
        write(HERE / f"{name}.jsonl", part)

    nophi_src = HERE / "nophi.txt"
    nophi = []
    if nophi_src.exists():
        for doc_id, style, text in read_blocks(nophi_src):
            if "[[" in text:
                raise SystemExit(f"{doc_id}: markup in a no-PHI document")
            nophi.append({"id": doc_id, "text": text, "spans": [], "style": style})
        write(HERE / "nophi.jsonl", nophi)

    styles = sorted({d["style"] for d in docs}, key=lambda s: ids.index(next(d["id"] for d in docs if d["style"] == s)))
    print("| split | style | notes | chars | " + " | ".join(LABELS) + " | spans |")
    print("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in LABELS) + " | ---: |")
    for name, part in split.items():
        for style in styles + ["all"]:
            sel = part if style == "all" else [d for d in part if d["style"] == style]
            c = Counter(s["label"] for d in sel for s in d["spans"])
            chars = sum(len(d["text"]) for d in sel)
            row = [name, style if style != "all" else "**all**", str(len(sel)), str(chars)]
            row += [str(c[label]) for label in LABELS] + [str(sum(c.values()))]
            print("| " + " | ".join(row) + " |")
    over = Counter(s.get("subtype") for d in docs for s in d["spans"] if s["label"] == "AGE")
    print(f"\nAGE subtypes (both splits): {dict(over)}")
    print(f"nophi: {len(nophi)} documents, {sum(len(d['text']) for d in nophi)} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
