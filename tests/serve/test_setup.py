"""Settings, key files, export-directory detection and the stand-alone runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from appliance.errors import EXIT_OK, ApplianceError, InvalidInput
from appliance.serve import ServeConfig, StaticKeyStore, TorchBackend, hash_key, load_model_dir, load_model_dirs
from appliance.serve.backends import BACKENDS, OnnxBackend, describe
from appliance.serve.keys import new_key
from appliance.serve.runner import main


def test_config_defaults_are_safe() -> None:
    config = ServeConfig()
    assert config.host == "127.0.0.1" and not config.tls_enabled
    assert set(ServeConfig.help()) == set(ServeConfig.defaults())
    assert all(ServeConfig.help().values())


@pytest.mark.parametrize("settings,message", [
    ({"port": 70000}, "port"),
    ({"port": "8000"}, "port must be a int"),
    ({"max_tokens_limit": 0}, "max_tokens_limit"),
    ({"default_max_tokens": 2000, "max_tokens_limit": 1000}, "default_max_tokens"),
    ({"max_body_bytes": True}, "max_body_bytes"),
    ({"request_timeout_s": 0}, "request_timeout_s"),
    ({"tls_cert": "/nonexistent/cert.pem"}, "both tls_cert and tls_key"),
    ({"tls_cert": "/nonexistent/cert.pem", "tls_key": "/nonexistent/key.pem"}, "not a readable file"),
    ({"host": "0.0.0.0"}, "without TLS"),
    ({"host": ""}, "host"),
    ({"hots": "127.0.0.1"}, "unknown setting"),
])
def test_config_rejects_bad_settings(settings, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        ServeConfig.from_dict(settings)


def test_config_allows_plain_network_only_when_asked() -> None:
    assert ServeConfig(host="0.0.0.0", allow_plaintext_network=True).host == "0.0.0.0"
    assert ServeConfig(host="::1").host == "::1"


def test_config_from_toml(tmp_path) -> None:
    (tmp_path / "s.toml").write_text('[serve]\nport = 9001\nmax_tokens_limit = 64\ndefault_max_tokens = 32\n'
                                     'tls_cert = ""\n')
    config = ServeConfig.from_toml(tmp_path / "s.toml")
    assert (config.port, config.max_tokens_limit, config.tls_cert) == (9001, 64, None)
    assert ServeConfig.from_dict(config.to_dict()) == config


def test_key_store_scopes_and_rejects() -> None:
    store = StaticKeyStore.from_plain({"a": ("key-a", None), "b": ("key-b", ["m1"])})
    assert store.check("key-a").name == "a" and store.check("key-a").models is None
    assert store.check("key-b").models == frozenset({"m1"})
    assert store.check("key-b").allows("m1") and not store.check("key-b").allows("m2")
    assert store.check("key-c") is None and store.check("") is None


def test_key_file(tmp_path) -> None:
    key = new_key()
    (tmp_path / "keys.toml").write_text(f'[[keys]]\nname = "ehr"\nsha256 = "{hash_key(key)}"\nmodels = ["tiny"]\n')
    store = StaticKeyStore.from_toml(tmp_path / "keys.toml")
    assert store.check(key).name == "ehr" and store.check(key).models == frozenset({"tiny"})
    assert key not in (tmp_path / "keys.toml").read_text()
    (tmp_path / "bad.toml").write_text('[[keys]]\nname = "x"\nsha256 = "not-hex"\n')
    with pytest.raises(InvalidInput, match="64 hex"):
        StaticKeyStore.from_toml(tmp_path / "bad.toml")


def test_backend_registry_covers_every_export_format() -> None:
    formats = {f for b in BACKENDS.values() for f in b.formats}
    assert formats == {"merged", "adapter", "onnx", "onnx-int8"}
    assert BACKENDS["torch"].cls is TorchBackend and BACKENDS["onnx"].cls is OnnxBackend


def _copy_without_export_json(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    (dst / "export.json").unlink()
    return dst


def test_format_detection_from_export_json_and_files(exports, tmp_path) -> None:
    assert describe(exports.merged).format == "merged" and describe(exports.merged).model_id == "tiny"
    adapter = describe(exports.adapters["tiny-lora-a"])
    assert (adapter.format, adapter.base) == ("adapter", exports.merged.resolve())
    assert describe(exports.onnx).format == "onnx"
    sniffed = _copy_without_export_json(exports.merged, tmp_path / "plain-merged")
    assert (describe(sniffed).format, describe(sniffed).model_id) == ("merged", "plain-merged")
    onnx = _copy_without_export_json(exports.onnx, tmp_path / "plain-onnx")
    assert describe(onnx).format == "onnx"
    (onnx / "model.onnx").rename(onnx / "model_quantized.onnx")
    assert describe(onnx).format == "onnx-int8"


def test_format_errors_are_clear(exports, tmp_path) -> None:
    with pytest.raises(InvalidInput, match="not a directory"):
        describe(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="not a model export"):
        describe(tmp_path / "empty")
    weird = _copy_without_export_json(exports.merged, tmp_path / "weird")
    (weird / "export.json").write_text(json.dumps({"format": "gguf"}))
    with pytest.raises(InvalidInput, match="not one of"):
        describe(weird)
    orphan = tmp_path / "orphan"
    shutil.copytree(exports.adapters["tiny-lora-a"], orphan)
    (orphan / "export.json").write_text(json.dumps({"format": "adapter", "base": "/nonexistent/base"}))
    with pytest.raises(InvalidInput, match="not a local model directory"):
        describe(orphan)
    two = _copy_without_export_json(exports.onnx, tmp_path / "two-onnx")
    shutil.copy(two / "model.onnx", two / "other.onnx")
    with pytest.raises(InvalidInput, match="several .onnx files"):
        load_model_dir(two)


def test_adapters_of_one_base_share_one_backend(backends) -> None:
    assert backends["tiny-lora-a"] is backends["tiny-lora-b"]
    assert set(backends["tiny-lora-a"].model_ids) == {"tiny-lora-a", "tiny-lora-b"}
    assert backends["tiny"] is not backends["tiny-lora-a"]
    assert backends["tiny-onnx"].kind == "onnx"


def test_duplicate_model_ids_are_refused(exports) -> None:
    with pytest.raises(InvalidInput, match="given twice"):
        load_model_dirs([exports.merged, exports.merged])


def test_base_served_beside_its_adapters(exports) -> None:
    backend = TorchBackend.from_adapters(exports.merged, exports.adapters, base_id="tiny-base")
    ids = backend.encode("chest pain")
    out = {m: backend.generate(ids, 8, temperature=0, model_id=m).text() for m in backend.model_ids}
    plain = TorchBackend.from_dir(exports.merged, "tiny").generate(ids, 8, temperature=0).text()
    assert out["tiny-base"] == plain
    assert len(set(out.values())) == 3


def test_runner_prints_a_new_key(capsys) -> None:
    assert main(["--new-key", "ehr"]) == EXIT_OK
    out = capsys.readouterr().out
    key = out.split("(shown once): ")[1].split()[0]
    assert f'sha256 = "{hash_key(key)}"' in out


def test_runner_needs_models_and_keys(capsys) -> None:
    assert main([]) == ApplianceError.exit_code
    assert "--model" in capsys.readouterr().err


def test_onnx_int8_export_loads_and_matches_its_own_model(exports, tmp_path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from optimum.onnxruntime import ORTModelForCausalLM

    int8 = tmp_path / "tiny-int8"
    shutil.copytree(exports.onnx, int8)
    quantize_dynamic(str(int8 / "model.onnx"), str(int8 / "model_quantized.onnx"), weight_type=QuantType.QInt8)
    (int8 / "export.json").write_text(json.dumps({"format": "onnx-int8", "model_id": "tiny-int8"}))
    backend = load_model_dir(int8)  # two .onnx files: the format picks the quantized one
    assert backend.kind == "onnx" and backend.model_ids == ("tiny-int8",)
    ids = backend.encode("The patient was seen")
    served = backend.generate(ids, 12, temperature=0).text()
    direct = ORTModelForCausalLM.from_pretrained(int8, file_name="model_quantized.onnx", local_files_only=True)
    out = direct.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False)
    assert served == backend.tokenizer.decode(out[0, len(ids):], skip_special_tokens=True)


def test_runner_reports_bad_settings_with_their_exit_code(exports, tmp_path, capsys) -> None:
    (tmp_path / "keys.toml").write_text("")
    (tmp_path / "serve.toml").write_text("[serve]\nhost = \"0.0.0.0\"\n")
    code = main(["--model", str(exports.merged), "--keys", str(tmp_path / "keys.toml"),
                 "--config", str(tmp_path / "serve.toml")])
    assert code == InvalidInput.exit_code
    assert "without TLS" in capsys.readouterr().err
