"""Tiny models for the export tests, built in the test itself: a byte-level BPE tokenizer with a ChatML
template, a random Llama (tied embeddings), LoRA and DoRA adapters with non-zero weights. Nothing is
downloaded."""

from __future__ import annotations

from pathlib import Path

import appliance  # noqa: F401  (offline switches before transformers)

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "Patient presents with chest pain radiating to the left arm; troponin elevated.",
    "Shortness of breath and productive cough for three days, fever 38.5 C.",
    "Follow-up after appendectomy, wound healing well, no signs of infection.",
    "Sudden slurred speech and right-sided weakness, onset two hours ago.",
    "Summarize the note. Which specialty? Triage level: urgent or routine.",
]
PROMPTS = [
    "Summarize: chest pain radiating to the left arm.",
    "Which specialty for sudden slurred speech?",
    "Triage level for fever and productive cough?",
    "Follow-up after appendectomy: any infection?",
    "Shortness of breath for three days.",
    "Is troponin elevated?",
]
BASE_ID = "tiny-llama-test"
BASE_SHA = "ab" * 32


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<pad>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>")
    fast.chat_template = CHATML
    return fast


def build_llama(tokenizer, *, seed: int = 0, tied: bool = True):
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
        tie_word_embeddings=tied, initializer_range=0.1,
        bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    return model


def save_adapter(base_dir: Path, out: Path, *, dora: bool) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_dir, local_files_only=True)
    torch.manual_seed(1)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                           "up_proj", "down_proj"],
                        init_lora_weights=False, use_dora=dora, task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    if dora:
        # Move the learned magnitudes away from the weight norms so the DoRA term matters.
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_magnitude_vector" in name:
                    p.mul_(1.0 + 0.2 * torch.rand_like(p))
    model.save_pretrained(out)
    return out


def tiny_metric(gen) -> float:
    """A stand-in for an evaluation metric: the mean top logit after two fixed prompts."""
    import numpy as np

    from appliance.runtime.decoding import encode_prompt

    ids = [encode_prompt(gen.tokenizer, p) for p in PROMPTS[:2]]
    return float(np.mean([gen.next_token_logits(i).max() for i in ids]))
