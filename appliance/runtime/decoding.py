"""Greedy decoding and logits over any model with the transformers causal-LM call convention.

Export parity and the serving backends (`OrtDecoder.run_batch`) share
these decoders. One loop serves the PyTorch reference, a peft model, a merged model and optimum's
`ORTModelForCausalLM`, so parity compares models, not two decoding implementations. Decoding is
batch size 1 with a KV cache, with explicit positions and attention mask: ONNX graphs exported by
optimum take both as inputs, and passing them keeps the PyTorch and ONNX calls identical.

Ties in the argmax resolve to the lowest token id (numpy's rule) for every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from appliance.errors import InvalidInput

if TYPE_CHECKING:
    import torch


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
    """An `appliance.export.base.Generator` (structurally) over a transformers-style causal LM.

    `model` is called as ``model(input_ids=, attention_mask=, position_ids=, past_key_values=,
    use_cache=True)`` and must return ``.logits`` and ``.past_key_values``. Tensors are placed on
    `device` (the model's own device for ORT models with IO binding).

    An optimum ``ORTModelForCausalLM`` on the CPU execution provider is not called through its
    ``forward`` at all: its ONNX Runtime session is driven by `OrtDecoder`, which runs the same graph
    on the same inputs (so the logits are the same numbers) without the per-token cost of optimum's
    call path. Any other ONNX model (merged decoders, CUDA) takes the generic path.
    """

    def __init__(self, model: Any, tokenizer: Any, *, device: torch.device | None = None, label: str = "",
                 ort_direct: bool = True) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device if device is not None else _cpu()
        self.label = label
        self.eos = eos_ids(model, tokenizer)
        # ort_direct=False keeps an ORT model on optimum's forward: only for comparing the two paths.
        self._ort = OrtDecoder.for_model(model) if ort_direct else None

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

    def start(self, capacity: int) -> Callable[[list[int]], np.ndarray]:
        """A fresh sequence: a function that feeds the next ids and returns their logits,
        ``(len(ids), vocab)`` (float32, or the graph's float16), valid until its next call. `capacity` is
        the expected final length (prompt + new tokens); a longer sequence still works, the cache grows."""
        if self._ort is not None:
            return self._ort.start(capacity).run
        return _TorchSequence(self._forward).run

    def greedy(self, prompt_ids: list[int], max_new_tokens: int) -> list[int]:
        run = self.start(len(prompt_ids) + max_new_tokens)
        logits = run(list(prompt_ids))
        produced: list[int] = []
        while len(produced) < max_new_tokens:
            token = int(np.argmax(logits[-1]))
            produced.append(token)
            if token in self.eos or len(produced) == max_new_tokens:
                break
            logits = run([token])
        return produced

    def next_token_logits(self, ids: list[int]) -> np.ndarray:
        return self.sequence_logits(ids)[-1]

    def sequence_logits(self, ids: list[int]) -> np.ndarray:
        """Logits at every position of `ids` in one forward pass: shape ``(len(ids), vocab)``."""
        return np.array(self.start(len(ids))(list(ids)), dtype=np.float32)


class _TorchSequence:
    """The KV cache and position of one sequence on the generic (model call) path."""

    def __init__(self, forward: Callable[[list[int], Any, int], tuple[np.ndarray, Any]]) -> None:
        self._forward = forward
        self._past: Any = None
        self._position = 0

    def run(self, ids: list[int]) -> np.ndarray:
        logits, self._past = self._forward(ids, self._past, self._position)
        self._position += len(ids)
        return logits


_ORT_TYPES: dict[str, Any] = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
                              "tensor(int64)": np.int64, "tensor(int32)": np.int32}
_PAST, _PRESENT = "past_key_values.", "present."


class OrtDecoder:
    """Batch-1 decoding with a KV cache straight on an ONNX Runtime session, through IO binding.

    For optimum's ``text-generation-with-past`` decoder graphs: inputs ``input_ids``, ``attention_mask``,
    ``position_ids`` (the last two optional) and ``past_key_values.N.key|value`` of shape
    ``(1, kv_heads, past, head_dim)``; outputs ``logits`` and ``present.N.key|value`` (past + new).

    Why not optimum's ``forward``: it wraps every step in torch tensors, an input dict, numpy
    conversions of sixty-odd cache tensors and a ``CausalLMOutputWithPast``. Here every input and output
    is bound to memory allocated once per sequence (`OrtSequence`), so a step allocates and copies
    nothing outside the graph. Measured on SmolLM2-135M int8 with one thread
    (``tests/benchmarks/infer_bench.py``), that saves about 1 ms of a ~44 ms step: decode time goes to
    the graph itself (~3,100 nodes; the int8 ``MatMulNBits`` and the float32 tied output head).

    Only the CPU execution provider: bound pointers are host memory. `for_model` / `from_session`
    return None for any graph or provider this does not cover, and the caller keeps the generic path.
    The decoder is shared and thread-safe (one session, several sequences each with their own binding);
    one `OrtSequence` is not.
    """

    def __init__(self, session: Any, inputs: dict[str, Any], kv_pairs: list[tuple[str, str]], kv_dims: tuple[int, int],
                 kv_dtype: Any, vocab: int, logits_dtype: Any) -> None:
        self.session = session
        self.inputs = inputs  # "input_ids" / "attention_mask" / "position_ids" -> numpy dtype (when present)
        self.kv_pairs = kv_pairs  # (past input name, present output name)
        self.kv_heads, self.head_dim = kv_dims
        self.kv_dtype = np.dtype(kv_dtype)
        self.vocab = vocab
        self.logits_dtype = np.dtype(logits_dtype)

    @classmethod
    def for_model(cls, model: Any) -> OrtDecoder | None:
        """The decoder for an ``ORTModelForCausalLM`` (its ``session``), or None for anything else."""
        session = getattr(model, "session", None)
        if session is None or not hasattr(session, "io_binding") or not hasattr(session, "get_inputs"):
            return None
        return cls.from_session(session)

    @classmethod
    def from_session(cls, session: Any) -> OrtDecoder | None:
        if session.get_providers()[:1] != ["CPUExecutionProvider"]:
            return None
        inputs: dict[str, Any] = {}
        past: dict[str, Any] = {}
        for arg in session.get_inputs():
            if arg.name.startswith(_PAST):
                past[arg.name] = arg
            elif arg.name in ("input_ids", "attention_mask", "position_ids") and arg.type in _ORT_TYPES:
                inputs[arg.name] = _ORT_TYPES[arg.type]
            else:
                return None  # e.g. a merged decoder's use_cache_branch: not this graph shape
        outputs = {arg.name: arg for arg in session.get_outputs()}
        logits = outputs.get("logits")
        if "input_ids" not in inputs or not past or logits is None or logits.type not in _ORT_TYPES:
            return None
        pairs = [(name, _PRESENT + name[len(_PAST):]) for name in past]
        if set(outputs) != {"logits", *(present for _, present in pairs)}:
            return None
        shapes = {tuple(arg.shape[i] for i in (1, 3)) for arg in past.values()}
        types = {arg.type for arg in past.values()}
        vocab = logits.shape[-1]
        if len(shapes) != 1 or len(types) != 1 or not isinstance(vocab, int):
            return None
        kv_heads, head_dim = shapes.pop()
        kv_type = types.pop()
        if not isinstance(kv_heads, int) or not isinstance(head_dim, int) or kv_type not in _ORT_TYPES:
            return None
        return cls(session, inputs, pairs, (kv_heads, head_dim), _ORT_TYPES[kv_type], vocab, _ORT_TYPES[logits.type])

    def start(self, capacity: int) -> OrtSequence:
        return OrtSequence(self, max(1, capacity))

    def run_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray, position_ids: np.ndarray,
                  past: Sequence[np.ndarray] | None) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass over a batch: ``input_ids`` and ``position_ids`` ``(batch, new)``, ``attention_mask``
        ``(batch, past + new)`` and ``past`` one ``(batch, kv_heads, past, head_dim)`` array per cache input
        (in `kv_pairs` order; None for none). Returns the logits ``(batch, new, vocab)`` and the presents
        ``(batch, kv_heads, past + new, head_dim)``, all freshly allocated, so the caller owns them.

        For batched decoding (`appliance.serve.backends.batching`): rows of different lengths are left
        padded, the padding masked out in ``attention_mask``, and ``position_ids`` count each row's own tokens.
        Thread-safe (a binding per call); every array must be C-contiguous.
        """
        batch, count = input_ids.shape
        total = attention_mask.shape[1]
        held = total - count
        binding = self.session.io_binding()
        arrays: list[np.ndarray] = []  # kept alive until the run returns

        def bind_in(name: str, array: np.ndarray, dtype: Any) -> None:
            array = np.ascontiguousarray(array, dtype=dtype)
            arrays.append(array)
            binding.bind_input(name, "cpu", 0, array.dtype, array.shape, array.ctypes.data)

        bind_in("input_ids", input_ids, self.inputs["input_ids"])
        if "attention_mask" in self.inputs:
            bind_in("attention_mask", attention_mask, self.inputs["attention_mask"])
        if "position_ids" in self.inputs:
            bind_in("position_ids", position_ids, self.inputs["position_ids"])
        logits = np.empty((batch, count, self.vocab), dtype=self.logits_dtype)
        binding.bind_output("logits", "cpu", 0, logits.dtype, logits.shape, logits.ctypes.data)
        empty = np.empty(1, dtype=self.kv_dtype)  # a valid pointer for a zero-length past
        presents = []
        for i, (past_name, present_name) in enumerate(self.kv_pairs):
            if past is None:
                source = empty
                shape: tuple[int, ...] = (batch, self.kv_heads, 0, self.head_dim)
            else:
                source = past[i]
                if source.shape != (batch, self.kv_heads, held, self.head_dim) or not source.flags.c_contiguous:
                    raise ValueError(f"{past_name}: expected a contiguous {(batch, self.kv_heads, held, self.head_dim)}"
                                     f" array, got {source.shape}")
                shape = source.shape
            binding.bind_input(past_name, "cpu", 0, self.kv_dtype, shape, source.ctypes.data)
            target = np.empty((batch, self.kv_heads, total, self.head_dim), dtype=self.kv_dtype)
            binding.bind_output(present_name, "cpu", 0, target.dtype, target.shape, target.ctypes.data)
            presents.append(target)
        self.session.run_with_iobinding(binding)
        return logits, presents


class OrtSequence:
    """One sequence's KV cache and bound buffers.

    Each cache tensor has two flat buffers of `capacity` positions used in turn: a step reads the past
    from one and the graph writes the present (past + new positions) into the other, so no cache
    tensor is allocated or copied outside the graph. A ``(1, heads, length, head_dim)`` tensor is the
    first ``heads * length * head_dim`` elements of its buffer. When a sequence outgrows `capacity`,
    the buffers are doubled once and the cache copied.
    """

    def __init__(self, decoder: OrtDecoder, capacity: int) -> None:
        self._d = decoder
        self._binding = decoder.session.io_binding()
        self.length = 0
        self._capacity = 0
        self._current: list[np.ndarray] = []  # holds the past
        self._spare: list[np.ndarray] = []  # receives the present
        self._step_ids = np.zeros((1, 1), dtype=decoder.inputs["input_ids"])
        self._step_logits = np.empty((1, decoder.vocab), dtype=decoder.logits_dtype)
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        d = self._d
        per_position = d.kv_heads * d.head_dim
        current = [np.empty(capacity * per_position, dtype=d.kv_dtype) for _ in d.kv_pairs]
        spare = [np.empty(capacity * per_position, dtype=d.kv_dtype) for _ in d.kv_pairs]
        used = self.length * per_position
        for new, old in zip(current, self._current, strict=False):
            new[:used] = old[:used]
        self._current, self._spare, self._capacity = current, spare, capacity
        self._mask = np.ones((1, capacity), dtype=d.inputs.get("attention_mask", np.int64))
        self._positions = np.arange(capacity, dtype=d.inputs.get("position_ids", np.int64)).reshape(1, capacity)

    def run(self, ids: Sequence[int]) -> np.ndarray:
        """Feed `ids` after the cached positions; their logits, ``(len(ids), vocab)``.

        A single-token step returns a buffer this sequence reuses: it is valid until the next `run`.
        """
        count = len(ids)
        if count == 0:
            raise InvalidInput("cannot run the model on an empty token sequence")
        d, binding, past = self._d, self._binding, self.length
        total = past + count
        if total > self._capacity:
            self._grow(max(total, 2 * self._capacity))
        if count == 1:
            self._step_ids[0, 0] = ids[0]
            input_ids, logits = self._step_ids, self._step_logits
        else:
            input_ids = np.asarray(ids, dtype=d.inputs["input_ids"]).reshape(1, count)
            logits = np.empty((count, d.vocab), dtype=d.logits_dtype)
        binding.bind_input("input_ids", "cpu", 0, input_ids.dtype, input_ids.shape, input_ids.ctypes.data)
        if "attention_mask" in d.inputs:
            binding.bind_input("attention_mask", "cpu", 0, self._mask.dtype, (1, total), self._mask.ctypes.data)
        if "position_ids" in d.inputs:
            offset = self._positions.ctypes.data + past * self._positions.itemsize
            binding.bind_input("position_ids", "cpu", 0, self._positions.dtype, (1, count), offset)
        binding.bind_output("logits", "cpu", 0, logits.dtype, (1, count, d.vocab), logits.ctypes.data)
        past_shape, present_shape = (1, d.kv_heads, past, d.head_dim), (1, d.kv_heads, total, d.head_dim)
        for (past_name, present_name), source, target in zip(d.kv_pairs, self._current, self._spare, strict=True):
            binding.bind_input(past_name, "cpu", 0, d.kv_dtype, past_shape, source.ctypes.data)
            binding.bind_output(present_name, "cpu", 0, d.kv_dtype, present_shape, target.ctypes.data)
        d.session.run_with_iobinding(binding)
        self._current, self._spare = self._spare, self._current
        self.length = total
        return logits
