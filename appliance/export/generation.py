"""Greedy decoding and logits over any model with the transformers causal-LM call convention.

One loop serves the PyTorch reference, a peft model, a merged model and optimum's
`ORTModelForCausalLM`, so parity compares models, not two decoding implementations. Decoding is
batch size 1 with a KV cache, with explicit positions and attention mask: ONNX graphs exported by
optimum take both as inputs, and passing them keeps the PyTorch and ONNX calls identical.

Ties in the argmax resolve to the lowest token id (numpy's rule) for every backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from appliance.errors import InvalidInput

if TYPE_CHECKING:
    import torch


def torch_device() -> torch.device:
    """CUDA when present, CPU otherwise: a GPU is used, never required."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def ort_provider() -> str:
    """CUDAExecutionProvider when onnxruntime has it and a GPU is visible, else CPUExecutionProvider.

    onnxruntime-gpu lists CUDA as available even on a machine without a GPU, so torch is asked too.
    """
    import onnxruntime
    import torch

    if torch.cuda.is_available() and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return "CUDAExecutionProvider"
    return "CPUExecutionProvider"


def eos_ids(model: Any, tokenizer: Any) -> set[int]:
    """End-of-sequence ids from the generation config, else the tokenizer's."""
    ids: set[int] = set()
    config = getattr(model, "generation_config", None)
    value = getattr(config, "eos_token_id", None) if config is not None else None
    if value is None and tokenizer is not None:
        value = tokenizer.eos_token_id
    if isinstance(value, int):
        ids.add(value)
    elif isinstance(value, list | tuple):
        ids.update(int(v) for v in value)
    return ids


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids for one prompt.

    A plain message is wrapped as a user turn with the tokenizer's chat template and the assistant
    generation prompt. A prompt the caller already rendered with the template (it contains the special
    tokens the template emits, or starts with the template's opening) is tokenized as is, without
    special tokens added a second time.
    """
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise InvalidInput("the tokenizer has no chat template; export needs the base model's chat template")
    probe = "\x00probe\x00"
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": probe}], tokenize=False,
                                             add_generation_prompt=True)
    opening = rendered.split(probe, 1)[0]
    markers = [t for t in getattr(tokenizer, "all_special_tokens", []) if t and t in rendered]
    if any(m in prompt for m in markers) or (opening and prompt.startswith(opening)):
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    else:
        ids = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=True,
                                            add_generation_prompt=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):  # some tokenizers return a BatchEncoding
            ids = ids["input_ids"]
    return [int(i) for i in ids]


def _cpu() -> torch.device:
    import torch

    return torch.device("cpu")


class CausalLMGenerator:
    """`appliance.export.base.Generator` over a transformers-style causal LM.

    `model` is called as ``model(input_ids=, attention_mask=, position_ids=, past_key_values=,
    use_cache=True)`` and must return ``.logits`` and ``.past_key_values``. Tensors are placed on
    `device` (the model's own device for ORT models with IO binding).
    """

    def __init__(self, model: Any, tokenizer: Any, *, device: torch.device | None = None, label: str = "") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device if device is not None else _cpu()
        self.label = label
        self.eos = eos_ids(model, tokenizer)

    def _forward(self, ids: list[int], past: Any, start: int) -> tuple[np.ndarray, Any]:
        import torch

        if not ids:
            raise InvalidInput("cannot run the model on an empty token sequence")
        input_ids = torch.tensor([ids], dtype=torch.long, device=self.device)
        mask = torch.ones((1, start + len(ids)), dtype=torch.long, device=self.device)
        positions = torch.arange(start, start + len(ids), dtype=torch.long, device=self.device).unsqueeze(0)
        with torch.no_grad():
            out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions,
                             past_key_values=past, use_cache=True)
        logits = out.logits[0]
        if isinstance(logits, torch.Tensor):
            logits = logits.detach().float().cpu().numpy()
        return np.asarray(logits, dtype=np.float32), out.past_key_values

    def greedy(self, prompt_ids: list[int], max_new_tokens: int) -> list[int]:
        logits, past = self._forward(list(prompt_ids), None, 0)
        produced: list[int] = []
        position = len(prompt_ids)
        while len(produced) < max_new_tokens:
            token = int(np.argmax(logits[-1]))
            produced.append(token)
            if token in self.eos or len(produced) == max_new_tokens:
                break
            logits, past = self._forward([token], past, position)
            position += 1
        return produced

    def next_token_logits(self, ids: list[int]) -> np.ndarray:
        return self.sequence_logits(ids)[-1]

    def sequence_logits(self, ids: list[int]) -> np.ndarray:
        """Logits at every position of `ids` in one forward pass: shape ``(len(ids), vocab)``."""
        logits, _ = self._forward(list(ids), None, 0)
        return logits
