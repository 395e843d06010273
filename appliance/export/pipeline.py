"""The export workflow, top to bottom: check, run the reference, write, reload, measure parity, publish.

`export` writes into a private temporary sibling of ``out_dir`` and renames it to ``out_dir`` only when
every file is written and parity passed, so ``out_dir`` either holds a complete, verified export or does
not exist. A failed parity raises IntegrityError (exit 4) naming the measured and required figures, and
leaves the attempt's export.json, with ``"status": "failed"``, beside it as ``<out_dir>.failed.json``.
Any other failure, a cancellation raised from `progress` included, removes the temporary directory and
re-raises.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError, IntegrityError, UsageError
from appliance.export import manifest
from appliance.export.base import EXPORT_JSON, ExportRequest, Generator, Metric, ProgressFn, resolve_dir
from appliance.export.parity import failure_message, measure, run_reference
from appliance.export.registry import get_format
from appliance.export.source import ExportSource
from appliance.runtime.decoding import CausalLMGenerator, encode_prompt
from appliance.runtime.device import torch_device


def export(request: ExportRequest, prompts: list[str], *, progress: ProgressFn | None = None,
           metric: Metric | None = None) -> dict[str, Any]:
    """Export `request` in its format, check parity on `prompts`, and return the export.json content.

    `prompts` are user messages, wrapped with the tokenizer's chat template (or already-rendered
    chat-template strings, used as is). `metric(generator) -> float`, when given, is computed for the
    reference and for the export and recorded; it does not decide the verdict. `progress(step, total,
    stage=...)` counts within each stage:
    ``reference`` and ``parity`` per prompt, ``write`` and ``hash`` as 0/1 then 1/1.

    Raises UsageError (bad request, out_dir exists), InvalidInput (unreadable model directories),
    IntegrityError (parity failed, or the written files are not what they should be) or ApplianceError
    (the disk is full or not writable).
    """
    fmt = get_format(request.fmt)
    _check_request(request, fmt.needs_adapter, prompts)
    out_dir = request.out_dir
    tmp = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(mode=0o700)
        source = ExportSource(request, scratch=tmp / ".scratch", device=torch_device())
        prompt_ids = [encode_prompt(source.tokenizer, p) for p in prompts]

        reference = CausalLMGenerator(source.reference_model(), source.tokenizer, device=source.device,
                                      label="reference")
        ref_run = run_reference(reference, prompt_ids, metric=metric, progress=progress)
        del reference
        gc.collect()  # the reference can be as large as the export; free it before loading the export

        _report(progress, 0, 1, "write")
        export_dir = tmp / "export"
        export_dir.mkdir(mode=0o700)
        source.scratch.mkdir(mode=0o700)
        details = fmt.write(source, export_dir)
        shutil.rmtree(source.scratch, ignore_errors=True)
        _report(progress, 1, 1, "write")

        candidate: Generator = fmt.load(export_dir, request.base_dir)
        result = measure(fmt.name, fmt.rule, ref_run, candidate, metric=metric, progress=progress)
        del candidate
        gc.collect()

        _report(progress, 0, 1, "hash")
        status = "passed" if result.passed else "failed"
        doc = manifest.build(fmt=fmt.name, status=status, request_metadata=dict(request.metadata),
                             base_model_id=request.base_model_id, base_model_sha256=request.base_model_sha256,
                             source_kind=request.source_kind, files=manifest.file_inventory(export_dir),
                             format_details=details, parity=result.to_dict(),
                             error=None if result.passed else failure_message(result, fmt.rule))
        if not result.passed:
            manifest.write_json(failed_json_path(out_dir), doc)
            raise IntegrityError(failure_message(result, fmt.rule))
        manifest.write_json(export_dir / EXPORT_JSON, doc)
        if out_dir.exists():  # another export took the name while this one ran
            raise UsageError(f"{out_dir} appeared while exporting; nothing was replaced")
        os.replace(export_dir, out_dir)
        failed_json_path(out_dir).unlink(missing_ok=True)  # a stale verdict from an earlier attempt
        _report(progress, 1, 1, "hash")
        return doc
    except OSError as exc:
        if isinstance(exc, ConnectionError):  # the offline guard: let it speak for itself
            raise
        if exc.errno == errno.ENOSPC:
            raise ApplianceError(f"disk full while exporting to {out_dir.parent}; free space and retry") from None
        raise ApplianceError(f"export to {out_dir} failed: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_generator(export_dir: Path, base_dir: Path | None = None) -> Generator:
    """A generator over a finished export, loaded with its format's stock loader.

    The export's files are checked against export.json first (IntegrityError on any difference).
    An ``adapter`` export also needs `base_dir`, the base model directory it was trained on.
    """
    export_dir = resolve_dir(Path(export_dir), "export directory")
    manifest.verify_files(export_dir)
    doc = manifest.read(export_dir)
    if doc.get("status") != "passed":
        raise IntegrityError(f"{export_dir}: export status is {doc.get('status')!r}, not 'passed'")
    return get_format(str(doc["format"])).load(export_dir, Path(base_dir) if base_dir is not None else None)


def failed_json_path(out_dir: Path) -> Path:
    return Path(out_dir).with_suffix(".failed.json")


def _check_request(request: ExportRequest, needs_adapter: bool, prompts: list[str]) -> None:
    if not prompts:
        raise UsageError("parity needs at least one prompt")
    if request.out_dir.exists():
        raise UsageError(f"{request.out_dir} already exists; choose a new export directory")
    resolve_dir(request.base_dir, "base model directory")
    if request.adapter_dir is not None:
        resolve_dir(request.adapter_dir, "adapter directory")
    if request.model_dir is not None:
        resolve_dir(request.model_dir, "model directory")
    if needs_adapter and request.adapter_dir is None:
        raise UsageError(f"format '{request.fmt}' exports a LoRA/DoRA adapter; this run has none "
                         "(use 'merged' or 'onnx')")


def _report(progress: ProgressFn | None, step: int, total: int, stage: str) -> None:
    if progress is not None:
        progress(step, total, stage=stage)
