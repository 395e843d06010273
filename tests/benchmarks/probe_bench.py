"""Linear-probe cost and quality on the training split of a workspace's dataset: cross-validated
macro-F1 and CPU seconds per record for each encoding setting, and the hybrid of TF-IDF and probe
features against TF-IDF alone on the same folds.

Reads the training split of a fresh comparison snapshot (the validation and test splits are never
read), encodes every training note once per (max_tokens, dtype) setting with the hidden states of
several layers from the same pass (cached in `--workdir`), then scores, on 5 folds stratified by
label and grouped by patient: the probe per layer choice and C, TF-IDF, and the hybrids. Encoding runs
on one thread and its cost is this process's CPU time, so neighbours on a shared machine do not count.

    APPLIANCE_WORKSPACE=... APPLIANCE_USER=... APPLIANCE_PASSWORD=... \\
    OMP_NUM_THREADS=1 .venv/bin/python tests/benchmarks/probe_bench.py --dataset abstracts \\
        --label-field condition --encode 128:auto,256:auto,512:auto,128:float32
    .venv/bin/python tests/benchmarks/probe_bench.py --dataset abstracts --label-field condition --score

The cached features are computed from note text: `--workdir` is a scratch folder to delete afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import appliance  # noqa: E402,F401  (offline switches before any Hugging Face import)

LAYERS = (10, 15, 20, -1)  # hidden-state indices kept from each pass (SmolLM2-135M has 30 layers)
C_GRID = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0)


def training_split(args: argparse.Namespace) -> list[dict[str, Any]]:
    cached = args.workdir / "train.json"
    if cached.is_file():
        return list(json.loads(cached.read_text()))
    from appliance.data.snapshots import SnapshotSpec, create_snapshot, load_split
    from appliance.workspace import Workspace

    with Workspace.open(Path(os.environ["APPLIANCE_WORKSPACE"]), os.environ["APPLIANCE_USER"],
                        os.environ["APPLIANCE_PASSWORD"]) as ws:
        snapshot = create_snapshot(ws, SnapshotSpec(args.dataset, seed=args.split_seed))
        records = [{"text": r["text"], "label": str(r[args.label_field]), "patient": str(r.get("patient") or i)}
                   for i, r in enumerate(load_split(ws, snapshot.snapshot_id, "train"))]
    cached.write_text(json.dumps(records))
    return records


def encode(args: argparse.Namespace, records: list[dict[str, Any]]) -> None:
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from appliance.evaluate.probe import layer_means
    from appliance.runtime.device import cpu_has_native_bf16
    from appliance.runtime.loading import load_causal_lm
    from tests.benchmarks.icl_bench import base_dir

    torch.set_num_threads(1)
    base = base_dir(args.workdir)
    model = load_causal_lm(base)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(base)
    texts = [r["text"] for r in records][: args.limit or None]
    print(f"CPU computes bfloat16 natively: {cpu_has_native_bf16()}", flush=True)
    layer_means(model, tokenizer, texts[:4], [-1], max_tokens=32, batch_size=4)  # warm-up
    for setting in args.encode.split(","):
        tokens, dtype = setting.split(":")
        target = args.workdir / f"features-{tokens}-{dtype}.npz"
        if target.is_file():
            continue
        started = time.process_time()
        parts = layer_means(model, tokenizer, texts, LAYERS, max_tokens=int(tokens), batch_size=8, dtype=dtype)
        per_record = (time.process_time() - started) / len(texts)
        np.savez(target, cpu_per_record=per_record, **{f"layer{layer}": p for layer, p in zip(LAYERS, parts)})
        print(f"encoded {len(texts)} notes at {tokens} tokens, {dtype}: {per_record:.3f} CPU-s per record",
              flush=True)


def folds(records: list[dict[str, Any]], seed: int) -> list[tuple[Any, Any]]:
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    return list(splitter.split(range(len(records)), [r["label"] for r in records], [r["patient"] for r in records]))


def out_of_fold(fit_proba: Any, n: int, splits: list[tuple[Any, Any]], classes: list[str]) -> Any:
    """Out-of-fold class probabilities: `fit_proba(train_idx, test_idx) -> (len(test_idx), classes)`."""
    import numpy as np

    out = np.zeros((n, len(classes)))
    for train_idx, test_idx in splits:
        out[test_idx] = fit_proba(train_idx, test_idx)
    return out


def score(args: argparse.Namespace, records: list[dict[str, Any]]) -> None:
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from appliance.evaluate.intervals import intervals, item_table, paired_test
    from appliance.evaluate.metrics import classification_metrics

    labels = np.array([r["label"] for r in records])
    classes = sorted(set(labels))
    texts = [r["text"] for r in records]
    splits = folds(records, args.split_seed)
    tables: dict[str, Any] = {}

    def report(name: str, proba: Any, extra: str = "") -> None:
        predictions = [classes[i] for i in proba.argmax(1)]
        metrics = classification_metrics(predictions, list(labels), classes)
        table = item_table(metrics["items"])
        tables[name] = table
        f1 = intervals(table)["macro_f1"]
        print(f"{name:<44} macro-F1 {f1['value']:.3f} [{f1['low']:.3f}, {f1['high']:.3f}]  "
              f"accuracy {metrics['accuracy']:.3f} {extra}", flush=True)

    def logistic(c: float) -> Any:
        return LogisticRegression(C=c, max_iter=3000, class_weight="balanced")

    def tfidf_proba(train_idx: Any, test_idx: Any) -> Any:
        vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                     max_features=50_000)
        x = vectorizer.fit_transform([texts[i] for i in train_idx])
        model = logistic(10.0).fit(x, labels[train_idx])
        return model.predict_proba(vectorizer.transform([texts[i] for i in test_idx]))

    def probe_proba(features: Any, c: float) -> Any:
        def fit(train_idx: Any, test_idx: Any) -> Any:
            scaler = StandardScaler().fit(features[train_idx])
            model = logistic(c).fit(scaler.transform(features[train_idx]), labels[train_idx])
            return model.predict_proba(scaler.transform(features[test_idx]))
        return fit

    started = time.process_time()
    tfidf = out_of_fold(tfidf_proba, len(records), splits, classes)
    report("tfidf", tfidf, f"({(time.process_time() - started) / 5:.1f} CPU-s per fold)")

    settings = sorted(args.workdir.glob("features-*.npz"),
                      key=lambda f: (f.stem.split("-")[2], int(f.stem.split("-")[1])))
    chosen: dict[str, Any] = {}
    for path in settings:
        data = np.load(path)
        per_record = float(data["cpu_per_record"])
        layer = {k: data[k] for k in data.files if k.startswith("layer")}
        n = next(iter(layer.values())).shape[0]
        if n != len(records):
            print(f"{path.stem}: {n} of {len(records)} notes encoded; skipped here")
            continue
        choices = {"last": layer["layer-1"], "middle": layer["layer15"],
                   "middle+last": np.concatenate([layer["layer15"], layer["layer-1"]], axis=1)}
        if args.all_layers:
            choices.update({f"layer {k[5:]}": v for k, v in layer.items() if k not in ("layer-1", "layer15")})
        for name, features in choices.items():
            for c in C_GRID if name in ("last", "middle", "middle+last") else (1.0,):
                started = time.process_time()
                proba = out_of_fold(probe_proba(features, c), len(records), splits, classes)
                key = f"probe {path.stem[9:]} {name} C={c:g}"
                chosen[key] = (features, c)
                fit_cpu = (time.process_time() - started) / 5
                report(key, proba, f"(encode {per_record:.3f} CPU-s/record; fit {fit_cpu:.1f} CPU-s per fold)")
                np.save(args.workdir / f"oof-{key.replace(' ', '_')}.npy", proba)
    if args.hybrid:
        hybrids = args.hybrid.split(";")
        for key in hybrids:
            probe = np.load(args.workdir / f"oof-{key.replace(' ', '_')}.npy")
            report(f"hybrid: mean with {key}", (tfidf + probe) / 2)
        features, c = chosen[hybrids[0]]

        if not args.mean_only:
            def concat_proba(weight: float) -> Any:
                def fit(train_idx: Any, test_idx: Any) -> Any:
                    vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                                 max_features=50_000)
                    scaler = StandardScaler().fit(features[train_idx])
                    scale = weight / np.sqrt(features.shape[1])  # a row of unit norm on average, like a TF-IDF row
                    def both(idx: Any, fitted: bool) -> Any:
                        words = (vectorizer.transform if fitted else vectorizer.fit_transform)([texts[i] for i in idx])
                        probe = sparse.csr_matrix(scaler.transform(features[idx]) * scale)
                        return sparse.hstack([words, probe]).tocsr()
                    model = logistic(10.0).fit(both(train_idx, False), labels[train_idx])
                    return model.predict_proba(both(test_idx, True))
                return fit

            for weight in (0.25, 0.5, 1.0, 2.0):
                started = time.process_time()
                proba = out_of_fold(concat_proba(weight), len(records), splits, classes)
                report(f"hybrid: TF-IDF + probe features x{weight:g}", proba,
                       f"(fit {(time.process_time() - started) / 5:.1f} CPU-s per fold)")
                tables[f"hybrid-concat-{weight:g}"] = tables.pop(f"hybrid: TF-IDF + probe features x{weight:g}")

            def stacked(train_idx: Any, test_idx: Any) -> Any:
                part = [records[i] for i in train_idx]
                inner = [(train_idx[a], train_idx[b]) for a, b in folds(part, args.split_seed)]
                first = np.zeros((len(records), len(classes)))
                second = np.zeros((len(records), len(classes)))
                for a, b in inner:
                    first[b] = tfidf_proba(a, b)
                    second[b] = probe_proba(features, c)(a, b)
                meta = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")
                meta.fit(np.log(np.hstack([first[train_idx], second[train_idx]]) + 1e-9), labels[train_idx])
                outer = np.hstack([tfidf_proba(train_idx, test_idx), probe_proba(features, c)(train_idx, test_idx)])
                return meta.predict_proba(np.log(outer + 1e-9))

            started = time.process_time()
            report("hybrid: stacked probabilities", out_of_fold(stacked, len(records), splits, classes),
                   f"(fit {(time.process_time() - started) / 5:.1f} CPU-s per fold)")
            tables["hybrid-stacked"] = tables.pop("hybrid: stacked probabilities")
        for name in [k for k in tables if k.startswith("hybrid")] + hybrids:
            test = paired_test(tables[name], tables["tfidf"], "macro_f1")
            print(f"{name} - tfidf: macro-F1 {test['difference']:+.3f} [{test['low']:+.3f}, {test['high']:+.3f}] "
                  f"p={test['p_value']:.3f} ({test['differing_records']} records differ)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/probe-bench"))
    parser.add_argument("--dataset", default="abstracts")
    parser.add_argument("--label-field", default="condition")
    parser.add_argument("--split-seed", type=int, default=13)
    parser.add_argument("--limit", type=int, default=0, help="encode only the first N training notes")
    parser.add_argument("--encode", default="", help="settings MAX_TOKENS:DTYPE, comma-separated")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--mean-only", action="store_true", help="only the mean-of-probabilities hybrids")
    parser.add_argument("--all-layers", action="store_true", help="also score each kept layer alone (C=1)")
    parser.add_argument("--hybrid", default="", help="probe settings to combine with TF-IDF, as printed, "
                        "separated by ';' (the feature-level and stacked hybrids use the first)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    records = training_split(args)
    if args.encode:
        encode(args, records)
    if args.score:
        score(args, records)


if __name__ == "__main__":
    main()
