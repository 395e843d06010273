"""Getting models into memory and running them: the one place tune, evaluate, compare, export and serve do it.

- `device`: which torch device, dtype and ONNX Runtime provider to use (a GPU is used, never required).
- `loading`: a causal LM, its tokenizer (with the ChatML special-token fix) or a base plus adapter,
  strictly from local files; `bases` unpacks a workspace's registered base model the same way for
  every workflow.
- `contexts`: the evaluation context that is safe for QLoRA's 4-bit layers.
- `decoding`: greedy decoding and logits over any transformers-style causal LM, PyTorch or ONNX Runtime.

Layering: this package imports only the layers below it (errors, store, workspace, catalog,
base_models); tune, evaluate, compare, export and serve import it, never the reverse
(`tests/test_architecture.py`). The submodules are imported by name; this file imports none of them,
so loading one does not pull in torch, transformers or onnxruntime for the others.
"""
