"""The ``onnx`` backend: an ``ORTModelForCausalLM`` directory (optimum-onnx export, fp32 or int8).

ONNX Runtime runs on CUDA when a GPU is present and on CPU otherwise, with as many intra-op threads
as torch (``torch.set_num_threads`` or ``OMP_NUM_THREADS`` governs both); see `appliance.runtime.device`.

Hazards:
- A directory with several ``.onnx`` files (fp32 beside its int8 quantization) is ambiguous; the export's
  ``export.json`` names the file (``"onnx_file"``), else a name containing "quantized" is taken for
  ``onnx-int8`` and the other one for ``onnx``.
- The export must have been made with the KV cache (optimum's default ``text-generation-with-past``); a
  model without it recomputes the whole sequence at each token.
- On the CPU provider the session is driven directly through IO binding
  (`appliance.runtime.decoding.OrtDecoder.run_batch`): same graph, same inputs, same logits as
  optimum's ``forward``, and the presents are written into arrays the batch scheduler then owns
  (no copy). Other providers and graph shapes (a merged decoder) keep optimum's ``forward``.
- The cache inputs must come in the order of `OrtDecoder.kv_pairs`: key then value per layer, as
  optimum names them (``past_key_values.N.key``, ``past_key_values.N.value``); checked at load.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from appliance.errors import InvalidInput
from appliance.runtime.decoding import OrtDecoder
from appliance.runtime.loading import load_ort_causal_lm, load_tokenizer
from appliance.serve.backends.base import KV, CausalLMBackend, context_length_of, eos_token_ids
from appliance.serve.backends.registry import ModelDir, register_backend


def pick_onnx_file(path: Path, fmt: str, named: str | None = None) -> str:
    if named:
        if not (path / named).is_file():
            raise InvalidInput(f"{path}: export.json names {named}, which is missing")
        return named
    files = sorted(p.name for p in path.glob("*.onnx"))
    if not files:
        raise InvalidInput(f"{path}: no .onnx file")
    if len(files) == 1:
        return files[0]
    quantized = [f for f in files if "quantized" in f]
    plain = [f for f in files if "quantized" not in f]
    chosen = quantized if fmt == "onnx-int8" else plain
    if len(chosen) != 1:
        raise InvalidInput(f"{path}: several .onnx files ({', '.join(files)}); name one in export.json 'onnx_file'")
    return chosen[0]


@register_backend("onnx", formats=("onnx", "onnx-int8"))
class OnnxBackend(CausalLMBackend):
    kind = "onnx"

    def __init__(self, model: Any, tokenizer: Any, model_id: str, max_batch: int = 16, max_waiting: int = 64) -> None:
        self._model = model
        decoder = OrtDecoder.for_model(model)
        if decoder is not None:
            names = [past for past, _ in decoder.kv_pairs]
            layers = len(names) // 2
            if names != [f"past_key_values.{i}.{part}" for i in range(layers) for part in ("key", "value")]:
                decoder = None  # an unexpected cache layout: optimum's forward knows its own names
        self._decoder = decoder
        super().__init__(tokenizer, [model_id], eos_token_ids(tokenizer, getattr(model, "generation_config", None)),
                         context_length_of(getattr(model, "config", None)), device=model.device,
                         max_batch=max_batch, max_waiting=max_waiting)

    @classmethod
    def load(cls, dirs: Sequence[ModelDir]) -> OnnxBackend:
        if len(dirs) != 1:
            raise ValueError("an ONNX model loads alone")
        return cls.from_dir(dirs[0].path, dirs[0].model_id, dirs[0].format, dirs[0].onnx_file)

    @classmethod
    def from_dir(cls, path: Path, model_id: str, fmt: str = "onnx", onnx_file: str | None = None) -> OnnxBackend:
        path = Path(path)
        model = load_ort_causal_lm(path, pick_onnx_file(path, fmt, onnx_file))
        return cls(model, load_tokenizer(path), model_id)

    def _forward_batch(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                       past: KV | None) -> tuple[torch.Tensor, KV]:
        if self._decoder is not None:
            flat = None if past is None else [t.numpy() for pair in past for t in pair]
            logits, presents = self._decoder.run_batch(input_ids.numpy(), attention_mask.numpy(), position_ids.numpy(),
                                                       flat)
            tensors = [torch.from_numpy(p) for p in presents]  # no copy: the scheduler owns these arrays
            return torch.from_numpy(logits[:, -1]), list(zip(tensors[::2], tensors[1::2], strict=True))
        with torch.inference_mode():
            out = self._model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                              past_key_values=None if past is None else tuple(past), use_cache=True)
        cache = out.past_key_values
        return out.logits[:, -1], [(k, v) for k, v in cache]
