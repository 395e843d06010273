"""De-identification accuracy per source, side by side, and throughput (a script, not a test).

    python tests/benchmarks/deid_bench.py [--notes 2000] [--chars 1024] [--seed 7] [--split test|dev|both]
                                          [--add RECOGNIZER] [--drop crf]

Sources, each scored with the same binary token-level scorer (`appliance.deid.score`):

* ``synthetic``: notes made by the project's own generator (`appliance.synthetic`): a
  regression check only, not evidence;
* ``handwritten``: notes written by hand for this project in the styles real notes take
  (tests/data/deid/handwritten/, committed);
* public gold corpora converted by tests/benchmarks/deid_corpora.py into
  tests/data/deid/public/fetched/ (not committed; see tests/data/deid/SOURCES.md), when present;
* text with no patient identifiers (``*.nophi.jsonl``): marked spans per document, as written and
  in capitals (many nursing notes are written in capitals, where case tells nothing).

Gold AGE spans of ages 89 and under are dropped before scoring: Safe Harbor makes only ages over 89
identifiers, and the engine keeps the others on purpose. Sources that label organisations, countries
or US states as places get a second row, "(Safe Harbor)", scored without those spans. Rules are tuned
on ``dev`` halves; the figures to report are the ``test`` halves.

Throughput: `DeidEngine.detect` on one core (a single process, one note at a time) over generated
notes of about 1 KB, by wall clock and by the process's own CPU time (the fair figure on a shared
machine). Target: >= 100 notes/s of CPU time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from appliance.deid import LABELS, DeidConfig, DeidEngine, Span, score  # noqa: E402
from appliance.deid.recognizers.locations import STATE_CODES, STATE_NAMES  # noqa: E402
from appliance.synthetic import generate  # noqa: E402

TARGET_NOTES_PER_S = 100.0
DATA = ROOT / "tests" / "data" / "deid"


# Source entity types outside Safe Harbor that some corpora label anyway (organisations); countries and
# US states, which Safe Harbor allows, are recognised by their text.
_NOT_SAFE_HARBOR_TYPES = frozenset({"ORGANIZATION", "PAIS", "INSTITUCION"})


def _countries() -> frozenset[str]:
    from appliance.deid.lexicon import read_list

    return frozenset(name.lower() for name in read_list("countries.txt"))


_TRAILING_STATE = re.compile(r",[ \t]*(?P<state>[A-Za-z][A-Za-z .]*?)[ \t]*$")


def _is_state(piece: str) -> bool:
    return piece in STATE_CODES or piece.lower() in STATE_NAMES


def _read(path: Path, *, safe_harbor: bool = False) -> tuple[list[str], list[list[Span]], bool]:
    """Texts, gold spans, and whether any span was outside Safe Harbor. `safe_harbor` drops those
    spans: organisations, countries and US states (Safe Harbor removes places smaller than a state),
    and cuts a state that ends a place's span ("Chicago, IL" keeps "Chicago")."""
    countries = _countries()
    texts, golds = [], []
    outside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        text = obj["text"]
        texts.append(text)
        kept = []
        for s in obj.get("spans", []):
            if s["label"] == "AGE" and s.get("subtype") == "le89":
                continue
            piece = text[s["start"] : s["end"]].strip()
            not_phi = (
                s.get("source_type") in _NOT_SAFE_HARBOR_TYPES
                or (s["label"] == "LOCATION" and piece.lower() in countries)
                or (s["label"] == "LOCATION" and (piece in STATE_CODES or piece.lower() in STATE_NAMES))
            )
            outside = outside or not_phi
            if safe_harbor and not_phi:
                continue
            end = s["end"]
            state = _TRAILING_STATE.search(text, s["start"], end) if s["label"] == "LOCATION" else None
            if state is not None and _is_state(state.group("state")):
                outside = True  # "Chicago, IL" as one span: the state is not an identifier
                if safe_harbor:
                    end = state.start()
            kept.append(Span(s["start"], end, s["label"]))
        golds.append(kept)
    return texts, golds, outside


def _sources(split: str) -> list[tuple[str, Path]]:
    splits = ("dev", "test") if split == "both" else (split,)
    found: list[tuple[str, Path]] = []
    for folder in (DATA / "handwritten", DATA / "public", DATA / "public" / "fetched"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.jsonl")):
            stem = path.name[: -len(".jsonl")]
            name, _, part = stem.rpartition(".")
            if folder.name == "handwritten":
                name, part = "handwritten", stem
            if part in splits:
                found.append((f"{name}.{part}", path))
    return found


def _nophi(folder_list: list[Path]) -> list[tuple[str, Path]]:
    out = []
    for folder in folder_list:
        if folder.is_dir():
            out.extend((p.name[: -len(".jsonl")], p) for p in sorted(folder.glob("*nophi.jsonl")))
    return out


def _row(name: str, docs: int, report: dict) -> str:
    token = report["token"]
    per = report["per_label_recall"]
    labels = "  ".join(f"{label} {per[label]['recall']:.3f}" if label in per else f"{label}   -  " for label in LABELS)
    return (
        f"{name:36}{docs:6}{token['recall']:9.3f}{token['precision']:9.3f}{token['f2']:8.3f}"
        f"{token['tp'] + token['fn']:8}   {labels}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notes", type=int, default=2000, help="generated notes for the speed figure")
    parser.add_argument("--chars", type=int, default=1024, help="target characters per generated note")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument(
        "--add", action="append", default=[], metavar="RECOGNIZER", help='add a recognizer (e.g. "model")'
    )
    parser.add_argument(
        "--drop", action="append", default=[], metavar="RECOGNIZER",
        help='leave a default recognizer out (e.g. "crf", for the rules alone)',
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    config = DeidConfig()
    if args.add or args.drop:
        kept = tuple(name for name in config.recognizers if name not in args.drop)
        config = DeidConfig(recognizers=(*kept, *(name for name in args.add if name not in kept)))
    engine = DeidEngine(config)
    engine.detect("warm-up")
    startup = time.perf_counter() - t0

    notes = generate(args.notes, args.seed, target_chars=args.chars)
    texts = [note.text for note in notes]
    kbytes = sum(len(t.encode("utf-8")) for t in texts) / 1024
    wall0, cpu0 = time.perf_counter(), time.process_time()
    predictions = [engine.detect(text) for text in texts]
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    gold = [[Span(g.start, g.end, g.label, g.subtype) for g in note.spans] for note in notes]

    print(f"{'source':36}{'docs':>6}{'recall':>9}{'prec.':>9}{'F2':>8}{'PHI tok':>8}   per-label recall")
    print(_row("synthetic (generator)", len(texts), score(gold, predictions, texts)))
    for name, path in _sources(args.split):
        src_texts, src_gold, outside = _read(path)
        preds = [engine.detect(t) for t in src_texts]
        print(_row(name, len(src_texts), score(src_gold, preds, src_texts)))
        if outside:
            _, sh_gold, _ = _read(path, safe_harbor=True)
            print(_row(f"{name} (Safe Harbor)", len(src_texts), score(sh_gold, preds, src_texts)))

    nophi = _nophi([DATA / "handwritten", DATA / "public", DATA / "public" / "fetched"])
    if nophi:
        print()
        print(f"{'text with no identifiers':36}{'docs':>6}{'spans':>8}{'per doc':>9}{'docs/span':>11}   by label")
        runs = []
        for name, path in nophi:
            src_texts, _, _ = _read(path)
            runs.append((name, src_texts))
            # The same text in capitals, as many nursing notes are written: precision where case says nothing.
            runs.append((f"{name} (capitals)", [t.upper() for t in src_texts]))
        for name, src_texts in runs:
            counts = dict.fromkeys(LABELS, 0)
            for t in src_texts:
                for s in engine.detect(t):
                    counts[s.label] += 1
            total = sum(counts.values())
            ratio = f"{len(src_texts) / total:11.1f}" if total else f"{'inf':>11}"
            by_label = "  ".join(f"{k} {v}" for k, v in counts.items() if v)
            print(f"{name:36}{len(src_texts):6}{total:8}{total / len(src_texts):9.3f}{ratio}   {by_label}")

    print()
    print(f"speed: {len(texts)} generated notes, mean {kbytes * 1024 / len(texts):.0f} B; start-up {startup:.2f} s")
    print(f"{'':14}{'notes/s':>10}{'KB/s':>10}")
    print(f"{'wall clock':14}{len(texts) / wall:10.1f}{kbytes / wall:10.1f}")
    print(f"{'process CPU':14}{len(texts) / cpu:10.1f}{kbytes / cpu:10.1f}")
    speed = len(texts) / cpu
    print(f"target {TARGET_NOTES_PER_S:.0f} notes/s (CPU): {speed / TARGET_NOTES_PER_S:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
