"""The export request, the parity verdict and the generator contract shared by every export format.

Pure data: nothing here imports torch or onnxruntime, so the GUI and the CLI can build requests and read
verdicts without loading a model library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from appliance.errors import InvalidInput, UsageError

EXPORT_JSON = "export.json"
BASE_MODEL_JSON = "base_model.json"
PARITY_TOKENS = 32  # greedy tokens compared per prompt; also the teacher-forced window for top-1 agreement


class ProgressFn(Protocol):
    """``progress(step, total, stage=...)``, the shape of ``JobContext.progress``.

    It may raise (a cancelled job does): the export then stops and removes everything it wrote.
    """

    def __call__(self, step: int, total: int, **fields: Any) -> None: ...


class Generator(Protocol):
    """Something that generates from token ids: the PyTorch reference or a loaded export.

    `greedy` returns at most `max_new_tokens` new ids (the prompt excluded); it stops after the first
    end-of-sequence id, which is included. `next_token_logits` returns float32 logits of shape
    ``(vocab,)`` for the token that follows `ids`.
    """

    tokenizer: Any

    def greedy(self, prompt_ids: list[int], max_new_tokens: int) -> list[int]: ...

    def next_token_logits(self, ids: list[int]) -> np.ndarray: ...


Metric = Callable[[Generator], float]


@dataclass
class ExportRequest:
    """What to export and where.

    Exactly one of `adapter_dir` (a peft LoRA/DoRA adapter trained on `base_dir`) and `model_dir` (a full
    fine-tuning result, a Hugging Face model directory) is given; with neither, the base model itself is
    exported (the in-context-learning baseline). `out_dir` must not exist yet: it appears only once the
    files are written and parity passed. `base_model_sha256` is the caller's hash of the approved base
    (from the model manifest); it is recorded, not recomputed. `metadata` (run id, dataset hash,
    approver, ...) is copied verbatim into ``export.json`` and must be JSON-able and free of PHI.
    """

    fmt: str
    base_dir: Path
    adapter_dir: Path | None
    model_dir: Path | None
    out_dir: Path
    base_model_id: str
    base_model_sha256: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_dir = Path(self.base_dir)
        self.out_dir = Path(self.out_dir)
        self.adapter_dir = Path(self.adapter_dir) if self.adapter_dir is not None else None
        self.model_dir = Path(self.model_dir) if self.model_dir is not None else None
        if self.adapter_dir is not None and self.model_dir is not None:
            raise UsageError("give an adapter directory (LoRA/DoRA run) or a model directory (full run), not both")

    @property
    def source_kind(self) -> str:
        """``adapter``, ``full`` or ``base``: what the exported weights come from."""
        if self.adapter_dir is not None:
            return "adapter"
        return "full" if self.model_dir is not None else "base"


@dataclass
class ParityResult:
    """How closely an export reproduces the PyTorch reference on the given prompts.

    `exact_32`: fraction of prompts whose first 32 greedy tokens are identical to the reference's.
    `top1_agreement`: fraction of positions, teacher-forced along the reference's greedy path, where the
    export's most likely next token is the reference's. `metric_*` are the caller's metric, when given.
    `details` names the rule that decided `passed` and per-prompt figures.
    """

    passed: bool
    fmt: str
    prompts: int
    exact_32: float
    top1_agreement: float
    metric_reference: float | None
    metric_export: float | None
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ParityRule:
    """The figure a format must reach: ``exact_32`` or ``top1_agreement`` at least `minimum`."""

    measure: str
    minimum: float

    def __post_init__(self) -> None:
        if self.measure not in ("exact_32", "top1_agreement"):
            raise ValueError(f"unknown parity measure {self.measure!r}")

    @property
    def label(self) -> str:
        return "first-32-token exact match" if self.measure == "exact_32" else "top-1 next-token agreement"


EXACT_RULE = ParityRule("exact_32", 0.95)
TOP1_RULE = ParityRule("top1_agreement", 0.90)


def resolve_dir(path: Path | None, what: str) -> Path:
    """`path` as an existing directory, else InvalidInput naming `what`."""
    if path is None or not Path(path).is_dir():
        raise InvalidInput(f"{what} {path} is not a directory")
    return Path(path)
