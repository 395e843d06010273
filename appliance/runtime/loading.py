"""Loading causal LMs and tokenizers, strictly from local files.

One loader for every workflow: a GGUF file (de-quantised by transformers) or a Hugging Face model
directory becomes a transformers model (`load_causal_lm`), optionally with its tokenizer
(`load_pretrained`, which also applies the ChatML fix), or a base with a run's peft adapter applied
(`load_adapted`, or `apply_adapter` to a base already in memory). `load_base` also accepts a model
object already in memory (tests and benchmarks build tiny ones).

Hazards:
- ``appliance.offline`` is imported before transformers (on first use, not at import: importing it
  installs the network guard), and every call passes ``local_files_only``: nothing here reaches the network.
- GGUF-converted ChatML tokenizers (SmolLM2) report the wrong end-of-turn token and no pad token;
  every tokenizer of a base goes through `fix_chatml_special_tokens`.
- ``for_inference`` turns the KV cache back on (a training run saves ``use_cache=False``) and puts the
  model in eval mode. Never use it on a model being converted or trained: the flag is saved in
  ``config.json``, and the converted base's digest is pinned by the model manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import InvalidInput

if TYPE_CHECKING:
    import torch

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, at most 200 characters: enough to say what failed."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in the file ``path`` (a model's or an export's metadata); ``InvalidInput`` (exit 5)
    when it cannot be read, is not JSON or holds something other than an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a readable JSON file ({first_line(exc)})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a JSON object")
    return data


def _location(path: Path) -> tuple[Path, dict[str, Any]]:
    """(directory, extra from_pretrained arguments) for a GGUF file or a model directory."""
    path = Path(path)
    if path.is_file():
        return path.parent, {"gguf_file": path.name}
    return path, {}


def load_causal_lm(location: Path, *, dtype: torch.dtype | None = None, device: torch.device | None = None,
                   for_inference: bool = False) -> Any:
    """A transformers causal LM from a GGUF file or a model directory. ``dtype`` None keeps transformers'
    default; ``for_inference`` enables the KV cache and eval mode (see the module hazards)."""
    from transformers import AutoModelForCausalLM

    import appliance.offline  # noqa: F401  (before transformers)

    directory, extra = _location(location)
    try:
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=dtype, local_files_only=True, **extra)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{location}: not a loadable Hugging Face model ({first_line(exc)})") from None
    if device is not None:
        model = model.to(device)  # type: ignore[arg-type]  # transformers types .to() loosely
    if for_inference:
        model.config.use_cache = True
        model.eval()
    return model


def has_tokenizer(directory: Path) -> bool:
    return any((Path(directory) / name).is_file() for name in _TOKENIZER_FILES)


def load_tokenizer(*locations: Path, required: bool = True) -> Any:
    """The tokenizer of the first location that has one (a directory, or a GGUF file that embeds one).
    None when none has one and not ``required``; an `InvalidInput` otherwise."""
    from transformers import AutoTokenizer

    import appliance.offline  # noqa: F401  (before transformers)

    for location in locations:
        directory, extra = _location(location)
        if not extra and not has_tokenizer(directory):
            continue
        try:
            return AutoTokenizer.from_pretrained(directory, local_files_only=True, **extra)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{location}: no loadable tokenizer ({first_line(exc)})") from None
    if not required:
        return None
    raise InvalidInput(f"no tokenizer found in {', '.join(str(p) for p in locations)}; "
                       "export the model with its tokenizer")


def fix_chatml_special_tokens(tokenizer: Any, model: Any | None = None) -> None:
    """GGUF-converted ChatML tokenizers (SmolLM2) report ``<|im_start|>`` as eos and have no pad token.

    A reply ends with ``<|im_end|>``, so that is the eos for generation and training; padding uses
    ``<|endoftext|>`` when the vocabulary has it. Without this, generation never stops at the end
    of a turn and ``continue`` examples start and end with the turn-opening token.
    """
    vocab = tokenizer.get_vocab()
    end_of_turn = "<|im_end|>"
    if end_of_turn in vocab and tokenizer.eos_token != end_of_turn:
        tokenizer.eos_token = end_of_turn
    if tokenizer.pad_token is None:
        tokenizer.pad_token = "<|endoftext|>" if "<|endoftext|>" in vocab else tokenizer.eos_token
    if model is not None:
        model.config.eos_token_id = tokenizer.eos_token_id
        model.config.pad_token_id = tokenizer.pad_token_id
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.eos_token_id = tokenizer.eos_token_id
            model.generation_config.pad_token_id = tokenizer.pad_token_id


def load_pretrained(location: Path, dtype: torch.dtype | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file or a model directory with its tokenizer, ChatML-fixed."""
    tokenizer = load_tokenizer(location)
    model = load_causal_lm(location, dtype=dtype)
    fix_chatml_special_tokens(tokenizer, model)
    return model, tokenizer


def apply_adapter(base: Any, adapter_dir: Path) -> Any:
    """`base` (a loaded model) with the peft adapter of a run applied, not merged and not trainable, in eval mode.
    The adapter's layers wrap the base's modules: the base object is shared, not copied."""
    from peft import PeftModel

    try:
        model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=False)
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"{adapter_dir}: not a peft adapter for this base model ({first_line(exc)})") from None
    return model.eval()


def load_adapted(base_dir: Path, adapter_dir: Path, device: torch.device | None = None) -> Any:
    """The float32 base with the peft adapter applied (not merged), for inference."""
    import torch

    return apply_adapter(load_causal_lm(base_dir, dtype=torch.float32, device=device, for_inference=True), adapter_dir)


def load_ort_causal_lm(directory: Path, file_name: str | None = None) -> Any:
    """An optimum ``ORTModelForCausalLM`` with its KV cache, on the provider and threads `appliance.runtime.device`
    chooses. ``file_name`` picks one ``.onnx`` file of several (fp32 beside its int8 quantization)."""
    from optimum.onnxruntime import ORTModelForCausalLM

    from appliance.runtime.device import ort_provider, ort_session_options

    extra = {"file_name": file_name} if file_name else {}
    try:
        model = ORTModelForCausalLM.from_pretrained(directory, provider=ort_provider(), use_cache=True,
                                                    session_options=ort_session_options(), local_files_only=True,
                                                    **extra)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{directory}: not a loadable ONNX model directory ({type(exc).__name__})") from None
    with_cache = model.can_use_cache if hasattr(model, "can_use_cache") else getattr(model, "use_cache", True)
    if not with_cache:
        raise InvalidInput(f"{directory}: ONNX model exported without a KV cache; re-export with it")
    return model


def is_model(base: Any) -> bool:
    import torch

    return isinstance(base, torch.nn.Module)


def load_base(base: Any, dtype: torch.dtype | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, a model directory or a model object (tokenizer None then,
    and None too for a directory saved without one)."""
    if is_model(base):
        if dtype is not None and next(base.parameters()).dtype != dtype:
            base = base.to(dtype)
        return base, None
    path = Path(base)
    if not path.exists():
        raise InvalidInput(f"base model {path} does not exist")
    if path.is_dir() and not (path / "tokenizer_config.json").exists():
        return load_causal_lm(path, dtype=dtype), None
    return load_pretrained(path, dtype=dtype)
