"""Session fixtures: the tiny base, adapters and full fine-tuning result, and each export made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.export.tiny_models import BASE_ID, BASE_SHA, PROMPTS, build_llama, build_tokenizer, save_adapter, tiny_metric


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    """Paths: base, lora, dora, full (directories) built once per test session."""
    import torch

    root = tmp_path_factory.mktemp("tiny-models")
    tokenizer = build_tokenizer()
    base = build_llama(tokenizer)
    base.save_pretrained(root / "base")
    tokenizer.save_pretrained(root / "base")
    save_adapter(root / "base", root / "lora", dora=False)
    save_adapter(root / "base", root / "dora", dora=True)
    torch.manual_seed(2)
    with torch.no_grad():
        for p in base.parameters():
            p.add_(0.02 * torch.randn_like(p))
    base.config.use_cache = False  # as a training run saves it
    base.save_pretrained(root / "full")  # no tokenizer: the export takes the base's
    return {"base": root / "base", "lora": root / "lora", "dora": root / "dora", "full": root / "full"}


@pytest.fixture(scope="session")
def prompts() -> list[str]:
    return list(PROMPTS)


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tiny models gain nothing from a second thread, and on a shared CPU OpenMP's spinning threads
    make each forward pass many times slower; ONNX Runtime follows torch's setting (onnx_fp32)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def export_case(tiny, prompts, tmp_path_factory):
    """``export_case(fmt, source) -> (out_dir, export.json)``, each export made once per session."""
    from appliance.export import ExportRequest, export

    root = tmp_path_factory.mktemp("exports")
    done: dict[tuple[str, str], tuple[Path, dict]] = {}

    def make(fmt: str, source: str):
        key = (fmt, source)
        if key not in done:
            out = root / f"{source}-{fmt}"
            request = ExportRequest(
                fmt=fmt, base_dir=tiny["base"],
                adapter_dir=tiny[source] if source in ("lora", "dora") else None,
                model_dir=tiny["full"] if source == "full" else None,
                out_dir=out, base_model_id=BASE_ID, base_model_sha256=BASE_SHA,
                metadata={"run_id": f"run-{source}", "dataset_sha256": "cd" * 32, "approver": "rex"},
            )
            done[key] = (out, export(request, prompts, metric=tiny_metric))
        return done[key]

    return make
