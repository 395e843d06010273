"""The ``torch`` backend: a Hugging Face causal LM in PyTorch, merged or as a base with LoRA adapters.

Several adapters of one base are served side by side: the base is loaded once, each adapter is loaded
into the same ``PeftModel`` under its model id, and the scheduler activates each adapter with peft's
``set_adapter`` around the forward passes of that adapter's batch (adapter choice is model-wide state,
so requests of different adapters run as separate batches, step by step). A model id mapped to ``None`` serves the bare
base, with adapters disabled for that request.

Hazards:
- An adapter must have been trained on this exact base; peft loads mismatched shapes with an error,
  but a same-shaped different base loads silently and generates nonsense. The export records the
  base it was trained on; check it before serving.
- Weights stay in memory for the life of the backend: one base plus a few MB per adapter.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from appliance.errors import InvalidInput
from appliance.runtime.device import serving_dtype, torch_device
from appliance.runtime.loading import load_causal_lm, load_tokenizer
from appliance.serve.backends.base import KV, CausalLMBackend, context_length_of, eos_token_ids
from appliance.serve.backends.registry import ModelDir, register_backend


def _load_model(directory: Path) -> Any:
    return load_causal_lm(directory, dtype=serving_dtype(), device=torch_device()).eval()


@register_backend("torch", formats=("merged", "adapter"))
class TorchBackend(CausalLMBackend):
    """A PyTorch model. ``adapters`` maps each served model id to its peft adapter name (``None``: the
    base without adapters); without it the model is served as is under ``model_id``."""

    kind = "torch"

    def __init__(self, model: Any, tokenizer: Any, model_id: str | None = None,
                 adapters: Mapping[str, str | None] | None = None, max_batch: int = 16,
                 max_waiting: int = 64) -> None:
        if (model_id is None) == (adapters is None):
            raise ValueError("give either model_id (one model) or adapters (model id -> adapter name)")
        self._model = model.eval()
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        self._logits_to_keep = "logits_to_keep" in inspect.signature(base.forward).parameters
        self._adapters = dict(adapters) if adapters is not None else {}
        ids = list(self._adapters) if adapters is not None else [str(model_id)]
        base_config = getattr(model, "config", None)
        super().__init__(tokenizer, ids, eos_token_ids(tokenizer, getattr(model, "generation_config", None)),
                         context_length_of(base_config), device=next(model.parameters()).device,
                         max_batch=max_batch, max_waiting=max_waiting)

    @classmethod
    def load(cls, dirs: Sequence[ModelDir]) -> TorchBackend:
        """A merged export, or adapters that all share one base."""
        if dirs[0].format == "adapter":
            if any(d.format != "adapter" or d.base != dirs[0].base for d in dirs) or dirs[0].base is None:
                raise ValueError("only adapters of one base load into one backend")
            return cls.from_adapters(dirs[0].base, {d.model_id: d.path for d in dirs})
        if len(dirs) != 1:
            raise ValueError("a merged model loads alone")
        return cls.from_dir(dirs[0].path, dirs[0].model_id)

    @classmethod
    def from_dir(cls, path: Path, model_id: str) -> TorchBackend:
        """A merged export (or any Hugging Face model directory with its tokenizer)."""
        path = Path(path)
        return cls(_load_model(path), load_tokenizer(path), model_id=model_id)

    @classmethod
    def from_adapters(cls, base_dir: Path, adapters: Mapping[str, Path], base_id: str | None = None) -> TorchBackend:
        """One base with several adapters: ``adapters`` maps model id -> adapter directory. ``base_id``
        also serves the base itself. The tokenizer comes from the first adapter directory that has
        one (training may add tokens), else from the base."""
        from peft import PeftModel

        if not adapters:
            raise InvalidInput("no adapters given")
        base_dir = Path(base_dir)
        base = _load_model(base_dir)
        items = list(adapters.items())
        first_id, first_dir = items[0]
        try:
            model = PeftModel.from_pretrained(base, Path(first_dir), adapter_name=first_id, is_trainable=False)
            for model_id, adapter_dir in items[1:]:
                model.load_adapter(Path(adapter_dir), adapter_name=model_id, is_trainable=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise InvalidInput(f"adapter does not fit base {base_dir} ({type(exc).__name__}: {exc})") from None
        names: dict[str, str | None] = {model_id: model_id for model_id, _ in items}
        if base_id is not None:
            if base_id in names:
                raise InvalidInput(f"base id {base_id!r} is also an adapter id")
            names[base_id] = None
        tokenizer = load_tokenizer(*[Path(d) for _, d in items], base_dir)
        return cls(model.eval(), tokenizer, adapters=names)

    def _activate(self, model_id: str) -> contextlib.AbstractContextManager[Any]:
        if not self._adapters:
            return contextlib.nullcontext()
        adapter = self._adapters[model_id]
        if adapter is None:
            return self._model.disable_adapter()
        self._model.set_adapter(adapter)
        return contextlib.nullcontext()

    def _forward_batch(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                       past: KV | None) -> tuple[torch.Tensor, KV]:
        # Only the last position's logits are used: for a prompt, the output head runs on one position.
        extra = {"logits_to_keep": 1} if self._logits_to_keep else {}
        with torch.inference_mode():
            out = self._model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                              past_key_values=to_cache(past), use_cache=True, **extra)
        return out.logits[:, -1], from_cache(out.past_key_values)


def to_cache(past: KV | None) -> Any:
    """The model's cache object for per-layer (key, value) tensors (None: an empty cache)."""
    if past is None:
        return None
    from transformers import DynamicCache

    layers: Any = tuple(past)  # transformers annotates this argument as a one-layer tuple
    return DynamicCache.from_legacy_cache(layers)


def from_cache(cache: Any) -> KV:
    """Per-layer (key, value) tensors of a transformers cache (a ``DynamicCache`` or the legacy tuples)."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return [(layer.keys, layer.values) for layer in layers]
    if hasattr(cache, "to_legacy_cache"):
        cache = cache.to_legacy_cache()
    return [(k, v) for k, v in cache]
