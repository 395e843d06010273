"""What an export is made from: the base directory plus an adapter, or a full fine-tuning result.

`ExportSource` is what every format's ``write`` receives. It loads models on demand and never keeps
one alive between calls, so the reference, the model being written and the reloaded export are not
all in memory at once.

Hazards:
- Everything is loaded in float32. Merging LoRA/DoRA deltas in 16 bits rounds them away for small
  adapters, and parity compares against a float32 reference; an exported model is therefore float32
  (a 16-bit copy is a serving-side choice).
- A QLoRA adapter was trained against an NF4-quantized base; here it is applied to the float32 base.
  That is the model being exported, and the reference parity is measured against.
- `merged_model` returns a plain transformers model (peft layers folded in), not a PeftModel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.export.base import ExportRequest
from appliance.runtime.loading import has_tokenizer, load_adapted, load_causal_lm, load_tokenizer

if TYPE_CHECKING:
    import torch


@dataclass
class ExportSource:
    """The request's models, loaded on demand, plus a private scratch directory for a format's
    intermediate files (removed with the export's temporary directory)."""

    request: ExportRequest
    scratch: Path
    device: torch.device
    _tokenizer: Any = field(default=None, repr=False)

    @property
    def tokenizer(self) -> Any:
        """The run's tokenizer: a full run's own when it saved one, else the base model's."""
        if self._tokenizer is None:
            model_dir = self.request.model_dir
            location = model_dir if model_dir is not None and has_tokenizer(model_dir) else self.request.base_dir
            self._tokenizer = load_tokenizer(location)
        return self._tokenizer

    def reference_model(self, device: torch.device | None = None) -> Any:
        """The model as trained: base + unmerged adapter, the full model, or the base alone."""
        req = self.request
        device = device if device is not None else self.device
        if req.adapter_dir is not None:
            return load_adapted(req.base_dir, req.adapter_dir, device)
        import torch

        return load_causal_lm(req.model_dir or req.base_dir, dtype=torch.float32, device=device, for_inference=True)

    def merged_model(self, device: torch.device | None = None) -> Any:
        """A plain transformers model holding the final weights (adapter folded in for LoRA/DoRA)."""
        model = self.reference_model(device)
        if self.request.adapter_dir is not None:
            # merge_and_unload folds W + scale * B @ A (and DoRA's magnitude) into each base weight.
            model = model.merge_and_unload(safe_merge=True)
        return model.eval()
