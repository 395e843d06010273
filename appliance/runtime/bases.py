"""A workspace's registered base model, ready to load: the one way every workflow opens a base.

Tune, evaluate, compare and export all start from the same three steps: unpack (or convert once)
the registered base into a Hugging Face directory in a scratch directory, load its tokenizer, and
apply the ChatML special-token fix. `open_base` does the three.

Hazard: the directory holds the plaintext base weights (public, never PHI) and lives in the caller's
``Workspace.scratch()`` directory, which is removed with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance import base_models
from appliance.runtime.loading import fix_chatml_special_tokens, load_tokenizer
from appliance.workspace import Workspace


def open_base(ws: Workspace, model_id: str, scratch: Path,
              progress: Callable[[str], None] | None = None) -> tuple[Path, Any]:
    """(Hugging Face directory, ChatML-fixed tokenizer) of the registered base `model_id`, in `scratch`.
    `progress` receives a line when the base must be converted (about a minute on CPU, once per workspace)."""
    directory = base_models.hf_dir(ws, model_id, scratch, progress)
    tokenizer = load_tokenizer(directory)
    fix_chatml_special_tokens(tokenizer)
    return directory, tokenizer
