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

Prompt and pooling variants (`--variants plain:128,chat:128,abstract:128`: the note alone, the classify
task's chat prompt around it, or "Abstract: ... The condition is") keep, from one pass, several layers'
states averaged over the note's tokens and at the input's last token; `--score-variants prompts` scores
them alone and averaged with TF-IDF at probe shares 0.3, 0.5 and 0.7, each paired against TF-IDF and
against the current `tfidf-probe`; `--score-variants tfidf` tries other TF-IDF settings in the average,
`--combo` single combinations, `--inner-share` the probe share chosen by inner cross-validation.

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


VARIANT_LAYERS = (15, 20, 24, 27, 28, 29, 30)  # hidden-state indices; 30 is the last layer after the final norm
PROMPTS = {
    "plain": ("", ""),
    "abstract": ("Abstract: ", "\nThe condition is"),
}


def variant_parts(tokenizer: Any, name: str, classes: list[str]) -> tuple[list[int], list[int]]:
    """Token ids placed before and after the note for prompt variant `name`: plain text, a short
    "Abstract: ... The condition is" frame, or the classify task's chat prompt (with the label list,
    "chat", or without it, "chat-nolabels") ending with the assistant's turn."""
    def ids(text: str) -> list[int]:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    if name in PROMPTS:
        before, after = PROMPTS[name]
        return ids(before), ids(after)
    head = "Classify the clinical note."
    head += f" Answer with exactly one of: {', '.join(classes)}." if name == "chat" else " Answer with the label only."
    sentinel = "\u2063NOTE\u2063"
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": f"{head}\n\nNote:\n{sentinel}"}],
                                             tokenize=False, add_generation_prompt=True)
    before, after = rendered.split(sentinel)
    return ids(before), ids(after)


def encode_variants(args: argparse.Namespace, records: list[dict[str, Any]]) -> None:
    """One pass per (prompt variant, note tokens): the chosen layers' states averaged over the note's
    tokens ("mean") and at the last token of the whole input ("last"), cached as numpy arrays."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from appliance.runtime.device import scoring_autocast
    from appliance.runtime.loading import load_causal_lm
    from tests.benchmarks.icl_bench import base_dir

    torch.set_num_threads(1)
    base = base_dir(args.workdir)
    model = load_causal_lm(base)
    model.eval()
    decoder = model.model
    tokenizer = AutoTokenizer.from_pretrained(base)
    texts = [r["text"] for r in records][: args.limit or None]
    classes = sorted({r["label"] for r in records})
    for setting in args.variants.split(","):
        name, tokens = setting.split(":")
        target = args.workdir / f"variant-{name}-{tokens}.npz"
        if target.is_file():
            continue
        before, after = variant_parts(tokenizer, name, classes)
        notes = [tokenizer(t, add_special_tokens=False, truncation=True, max_length=int(tokens))["input_ids"]
                 or [tokenizer.eos_token_id] for t in texts]
        encoded = [before + n + after for n in notes]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        out = {f"{kind}{layer}": np.zeros((len(texts), 576), dtype=np.float32)
               for kind in ("mean", "last") for layer in VARIANT_LAYERS}
        started = time.process_time()
        with torch.no_grad(), scoring_autocast(model, "auto"):
            for start in range(0, len(order), 8):
                rows = order[start:start + 8]
                width = max(len(encoded[i]) for i in rows)
                ids = torch.zeros((len(rows), width), dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                note_mask = torch.zeros((len(rows), width, 1))
                for j, i in enumerate(rows):
                    ids[j, :len(encoded[i])] = torch.tensor(encoded[i])
                    mask[j, :len(encoded[i])] = 1
                    note_mask[j, len(before):len(before) + len(notes[i])] = 1
                hidden = decoder(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
                ends = torch.tensor([len(encoded[i]) - 1 for i in rows])
                for layer in VARIANT_LAYERS:
                    states = hidden[layer].float()
                    out[f"mean{layer}"][rows] = ((states * note_mask).sum(1) / note_mask.sum(1)).numpy()
                    out[f"last{layer}"][rows] = states[torch.arange(len(rows)), ends].numpy()
        per_record = (time.process_time() - started) / len(texts)
        np.savez(target, cpu_per_record=per_record, **out)
        print(f"encoded {len(texts)} notes, {name}, {tokens} tokens "
              f"(+{len(before) + len(after)} prompt tokens): {per_record:.3f} CPU-s per record", flush=True)


FOLD_SEED: list[int] = []  # set from --fold-seed: other folds of the same training split


def folds(records: list[dict[str, Any]], seed: int) -> list[tuple[Any, Any]]:
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=FOLD_SEED[0] if FOLD_SEED else seed)
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


def score_variants(args: argparse.Namespace, records: list[dict[str, Any]]) -> None:
    """The prompt and pooling variants, alone and averaged with TF-IDF, on the same folds as `score`;
    each hybrid paired against TF-IDF and against the current `tfidf-probe` (plain text, mean of the last
    layer, C = 0.003, probe share 0.5)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    from appliance.evaluate.intervals import intervals, item_table, paired_test
    from appliance.evaluate.metrics import classification_metrics

    labels = np.array([r["label"] for r in records])
    classes = sorted(set(labels))
    texts = [r["text"] for r in records]
    splits = folds(records, args.split_seed)
    n = len(records)

    def table(proba: Any) -> Any:
        predictions = [classes[i] for i in proba.argmax(1)]
        return item_table(classification_metrics(predictions, list(labels), classes)["items"])

    def f1(proba: Any) -> str:
        value = intervals(table(proba))["macro_f1"]
        return f"{value['value']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"

    def paired(a: Any, b: Any) -> str:
        test = paired_test(table(a), table(b), "macro_f1")
        return f"{test['difference']:+.3f} [{test['low']:+.3f}, {test['high']:+.3f}] p={test['p_value']:.3f}"

    def tfidf_model(kind: str, c: float) -> Any:
        def fit(train_idx: Any, test_idx: Any) -> Any:
            if kind == "word":
                vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                             max_features=50_000)
            else:
                vectorizer = TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5),
                                             sublinear_tf=True, min_df=2, max_features=200_000)
            x = vectorizer.fit_transform([texts[i] for i in train_idx])
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, labels[train_idx])
            return model.predict_proba(vectorizer.transform([texts[i] for i in test_idx]))
        return fit

    def probe_model(parts: list[Any], c: float, combine: str = "concat") -> Any:
        def fit(train_idx: Any, test_idx: Any) -> Any:
            scalers = [StandardScaler().fit(p[train_idx]) for p in parts]
            def features(idx: Any) -> Any:
                scaled = [s.transform(p[idx]) for s, p in zip(scalers, parts)]
                return np.mean(scaled, axis=0) if combine == "average" else np.concatenate(scaled, axis=1)
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            model.fit(features(train_idx), labels[train_idx])
            return model.predict_proba(features(test_idx))
        return fit

    def oof(fit: Any, idx_splits: Any = None) -> Any:
        return out_of_fold(fit, n, idx_splits or splits, classes)

    def inner_share(probe_fit: Any, tfidf_fit: Any) -> Any:
        """The probe share chosen per outer fold by 4-fold cross-validation inside its training part."""
        grid = np.round(np.arange(0.1, 0.95, 0.1), 2)
        out = np.zeros((n, len(classes)))
        chosen = []
        for train_idx, test_idx in splits:
            part = [records[i] for i in train_idx]
            inner = [(train_idx[a], train_idx[b]) for a, b in folds(part, args.split_seed)[:4]]
            pa, ta = np.zeros((n, len(classes))), np.zeros((n, len(classes)))
            seen = np.concatenate([b for _, b in inner])
            for a, b in inner:
                pa[b], ta[b] = probe_fit(a, b), tfidf_fit(a, b)
            scores = [f1_score(labels[seen], np.array(classes)[(w * pa[seen] + (1 - w) * ta[seen]).argmax(1)],
                               average="macro") for w in grid]
            share = float(grid[int(np.argmax(scores))])
            chosen.append(share)
            out[test_idx] = share * probe_fit(train_idx, test_idx) + (1 - share) * tfidf_fit(train_idx, test_idx)
        return out, chosen

    tfidf = oof(tfidf_model("word", 10.0))
    print(f"tfidf (word 1-2, C=10)                      {f1(tfidf)}", flush=True)
    variants = {p.stem[8:]: np.load(p) for p in sorted(args.workdir.glob("variant-*.npz"))}
    plain = variants["plain-128"]
    base_probe = oof(probe_model([plain["mean30"]], 0.003))
    base_hybrid = (base_probe + tfidf) / 2
    print(f"probe plain-128 mean30 C=0.003               {f1(base_probe)}  vs tfidf {paired(base_probe, tfidf)}")
    print(f"tfidf-probe (current)                        {f1(base_hybrid)}  vs tfidf {paired(base_hybrid, tfidf)}",
          flush=True)
    results: dict[str, Any] = {}

    def hybrid_lines(name: str, probe: Any) -> None:
        line = [f"{name:<44} probe {f1(probe)}"]
        for share in (0.3, 0.5, 0.7):
            mixed = share * probe + (1 - share) * tfidf
            results[f"{name} share={share}"] = mixed
            line.append(f"  share {share}: {f1(mixed)} vs tfidf {paired(mixed, tfidf)} "
                        f"vs current {paired(mixed, base_hybrid)}")
        print("\n".join(line), flush=True)

    if args.score_variants in ("all", "prompts"):
        for name, data in variants.items():
            per_record = float(data["cpu_per_record"])
            print(f"--- {name}: {per_record:.3f} CPU-s per record", flush=True)
            sets = {"mean30": [data["mean30"]], "last30": [data["last30"]],
                    "mean30+last30": [data["mean30"], data["last30"]],
                    "mean27-30 averaged": [data[f"mean{k}"] for k in (27, 28, 29, 30)],
                    "last27-30 averaged": [data[f"last{k}"] for k in (27, 28, 29, 30)],
                    "mean28+mean30": [data["mean28"], data["mean30"]], "last24": [data["last24"]],
                    "last20": [data["last20"]]}
            for set_name, parts in sets.items():
                combine = "average" if "averaged" in set_name else "concat"
                for c in (0.001, 0.003, 0.01):
                    hybrid_lines(f"{name} {set_name} C={c:g}", oof(probe_model(parts, c, combine)))
    if args.score_variants in ("all", "tfidf"):
        for kind, c in (("word", 1.0), ("word", 3.0), ("char", 10.0), ("char", 3.0)):
            words = oof(tfidf_model(kind, c))
            mixed = (words + base_probe) / 2
            print(f"tfidf {kind} C={c:g}: {f1(words)} vs tfidf {paired(words, tfidf)}; averaged with the probe "
                  f"{f1(mixed)} vs tfidf {paired(mixed, tfidf)} vs current {paired(mixed, base_hybrid)}", flush=True)
    word_models = {("word", "10"): tfidf}
    for combo in filter(None, args.combo.split(";")):
        name, set_name, c, kind, tfidf_c, share = combo.split("|")
        data = variants[name]
        combine = "average" if set_name.startswith("avg:") else "concat"
        parts = [data[k] for k in set_name.removeprefix("avg:").split("+")]
        probe = oof(probe_model(parts, float(c), combine))
        if (kind, tfidf_c) not in word_models:
            word_models[kind, tfidf_c] = oof(tfidf_model(kind, float(tfidf_c)))
        words = word_models[kind, tfidf_c]
        mixed = float(share) * probe + (1 - float(share)) * words
        print(f"{combo}: probe {f1(probe)}; averaged {f1(mixed)} vs tfidf {paired(mixed, tfidf)} "
              f"vs current {paired(mixed, base_hybrid)}", flush=True)
    if args.inner_share:
        name, set_name, c = args.inner_share.split("|")
        data = variants[name]
        parts = [data[k] for k in set_name.split("+")]
        mixed, chosen = inner_share(probe_model(parts, float(c)), tfidf_model("word", 10.0))
        print(f"{name} {set_name} C={c} share by inner CV {chosen}: {f1(mixed)} vs tfidf {paired(mixed, tfidf)} "
              f"vs current {paired(mixed, base_hybrid)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/probe-bench"))
    parser.add_argument("--dataset", default="abstracts")
    parser.add_argument("--label-field", default="condition")
    parser.add_argument("--split-seed", type=int, default=13)
    parser.add_argument("--limit", type=int, default=0, help="encode only the first N training notes")
    parser.add_argument("--encode", default="", help="settings MAX_TOKENS:DTYPE, comma-separated")
    parser.add_argument("--variants", default="", help="prompt variants NAME:MAX_TOKENS, comma-separated "
                        "(plain, abstract, chat, chat-nolabels)")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--score-variants", default="", help="all, prompts or tfidf: score the cached variants")
    parser.add_argument("--combo", default="", help="VARIANT|LAYERS|C|word-or-char|TFIDF_C|SHARE, ';'-separated; "
                        "LAYERS like mean30 or mean28+mean30, avg:mean27+mean28+... to average them")
    parser.add_argument("--fold-seed", type=int, default=None, help="fold seed (default: the split seed)")
    parser.add_argument("--inner-share", default="", help="VARIANT|LAYERS|C: probe share by inner CV")
    parser.add_argument("--mean-only", action="store_true", help="only the mean-of-probabilities hybrids")
    parser.add_argument("--all-layers", action="store_true", help="also score each kept layer alone (C=1)")
    parser.add_argument("--hybrid", default="", help="probe settings to combine with TF-IDF, as printed, "
                        "separated by ';' (the feature-level and stacked hybrids use the first)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.fold_seed is not None:
        FOLD_SEED.append(args.fold_seed)
    records = training_split(args)
    if args.encode:
        encode(args, records)
    if args.variants:
        encode_variants(args, records)
    if args.score:
        score(args, records)
    if args.score_variants or args.inner_share or args.combo:
        score_variants(args, records)


if __name__ == "__main__":
    main()
