"""The task endpoint of an extraction run: greedy replies made by evaluation's own ``predict`` (same prompt,
reserve and decoding), parsed as evaluation parses them; the ONNX backend answers as PyTorch does."""

from __future__ import annotations

from appliance.data.tasks import TaskConfig
from appliance.serve import MemorySink, ServeConfig, StaticKeyStore, serve
from appliance.serve.tasks import EXTRACT_MAX_NEW_TOKENS, Extractor, TaskSpec

from .client import get, post

KEY = "sk-test-extract"
NOTES = ["Chest pain radiating to the left arm.", "New onset seizure, urgent referral to neurology."]


def test_extraction_equals_the_evaluation_code_on_torch_and_onnx(exports, backends) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from appliance.evaluate.metrics import parse_json_object
    from appliance.evaluate.predict import predict

    config = TaskConfig(extract_fields=("specialty", "urgency"), max_length=256)
    specs = {m: TaskSpec(m, "run-0002-lora", "extract", config, version="ward-fields@v1")
             for m in ("tiny", "tiny-onnx")}
    tasks = {m: Extractor(backends[m], spec) for m, spec in specs.items()}
    keys = StaticKeyStore.from_plain({"ehr": (KEY, None)})
    handle = serve({m: backends[m] for m in specs}, keys, MemorySink(), ServeConfig(port=0), tasks=tasks)
    try:
        answers = {}
        for model in specs:
            reply = post(handle.url, "/v1/extract", {"model": model, "input": NOTES}, key=KEY)
            assert reply.status == 200, reply.raw
            answers[model] = reply.json()
        card = get(handle.url, "/v1/models/tiny", key=KEY).json()
        assert card["task"] == "extract" and card["fields"] == ["specialty", "urgency"]
        wrong = post(handle.url, "/v1/classify", {"model": "tiny", "input": NOTES[0]}, key=KEY)
        assert wrong.status == 404 and wrong.json()["error"]["code"] == "not_a_classifier"
    finally:
        handle.stop()

    # What evaluation would answer, from the export loaded on its own.
    model = AutoModelForCausalLM.from_pretrained(exports.merged, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(exports.merged, local_files_only=True)
    expected = predict(model, tokenizer, "extract", config, [{"text": n} for n in NOTES],
                       max_new_tokens=EXTRACT_MAX_NEW_TOKENS)
    for model_id in specs:
        data = answers[model_id]["data"]
        assert [d["text"] for d in data] == expected
        for item, text in zip(data, expected, strict=True):
            parsed = parse_json_object(text)
            assert item["valid_json"] is (parsed is not None)
            assert item["fields"] == ({f: parsed.get(f) for f in config.extract_fields} if parsed else None)
        assert answers[model_id]["model_version"] == "ward-fields@v1"
