"""Reading is streamed: memory growth while iterating stays far below the size of the file."""

from __future__ import annotations

import base64
import gc
import json
from collections.abc import Iterator
from pathlib import Path

import psutil

from appliance.ingest import Record, Rejected, read_path

MB = 1024 * 1024
SAMPLE_EVERY = 500


def peak_growth(items: Iterator[Record | Rejected]) -> tuple[int, int]:
    """Consume `items` without keeping them; return (count, peak RSS growth in bytes)."""
    process = psutil.Process()
    gc.collect()
    baseline = peak = process.memory_info().rss
    count = 0
    for item in items:
        assert isinstance(item, Record)
        count += 1
        if count % SAMPLE_EVERY == 0:
            peak = max(peak, process.memory_info().rss)
    peak = max(peak, process.memory_info().rss)
    return count, peak - baseline


def test_100_mb_csv_parses_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    filler = "Patient reports intermittent chest discomfort, no radiation. Vitals stable. " * 12
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("note_id,patient_id,date,note_type,text,label\n")
        while stream.tell() < 100 * MB:
            stream.write(
                "".join(
                    f"N{rows + i},P{(rows + i) % 997},2024-01-{1 + i % 28:02d},progress,"
                    f'"{filler}\r\nsecond line, ""quoted"" {rows + i}",{i % 2}\n'
                    for i in range(1000)
                )
            )
            rows += 1000
    size = path.stat().st_size

    count, growth = peak_growth(read_path(path))

    assert count == rows
    assert growth < 20 * MB, f"RSS grew by {growth / MB:.1f} MB reading a {size / MB:.0f} MB file"


def test_large_fhir_bundle_is_streamed_entry_by_entry(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    text = base64.b64encode(("Findings: unremarkable study. " * 1500).encode()).decode()
    entries = 0
    with path.open("w", encoding="utf-8") as stream:
        stream.write('{"resourceType": "Bundle", "type": "collection", "entry": [')
        while stream.tell() < 40 * MB:
            resource = {
                "resourceType": "DocumentReference",
                "id": f"D{entries}",
                "status": "current",
                "subject": {"reference": f"Patient/P{entries % 50}"},
                "content": [{"attachment": {"contentType": "text/plain", "data": text}}],
            }
            stream.write(("," if entries else "") + json.dumps({"resource": resource}))
            entries += 1
        stream.write("]}")
    size = path.stat().st_size

    count, growth = peak_growth(read_path(path))

    assert count == entries
    assert growth < 15 * MB, f"RSS grew by {growth / MB:.1f} MB reading a {size / MB:.0f} MB bundle"
