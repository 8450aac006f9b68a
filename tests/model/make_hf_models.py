"""Tiny random models of each family ropekit runs, made and scored by transformers (the independent check).

Usage: python3 make_hf_models.py OUT_DIR

For each family: a seeded `XForCausalLM(config)` with that family's RoPE scaling declared in its config
and an original context L0 = 32, weights re-drawn large enough that attention depends on position,
saved with `save_pretrained` to OUT_DIR/<family> (Qwen 3 and OLMo 2 also as OUT_DIR/<family>.gguf). OUT_DIR/tokens.json holds the windows (4 x L0 tokens
each) and OUT_DIR/reference.json, per family, transformers' per-token NLL of each window (float32, eager
attention), a greedy continuation of 20 tokens after the first PROMPT ids of window 0, the NLL with
the scaling removed and, for Gemma 3, without the sliding window (to show
that both matter at that length).
"""

import json
import sys

import torch
import transformers as tf

L0, LENGTH, VOCAB, WINDOWS, PROMPT = 32, 128, 96, 2, 100
SHAPE = dict(
    vocab_size=VOCAB,
    hidden_size=64,
    intermediate_size=96,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    max_position_embeddings=LENGTH,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)
YARN = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": L0, "rope_theta": 10000.0}


def families():
    """(name, model class, config class, config kwargs, the same config with plain RoPE)."""
    llama3 = {
        "rope_type": "llama3",
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": L0,
        "rope_theta": 10000.0,
    }
    # Phi-3: fused qkv / gate_up, half the head rotated, LongRoPE long set past L0 (4 pairs).
    longrope = {
        "rope_type": "longrope",
        "short_factor": [1.0, 1.1, 1.3, 1.6],
        "long_factor": [1.0, 2.0, 3.5, 4.0],
        "rope_theta": 10000.0,
        "partial_rotary_factor": 0.5,
    }
    gemma_layers = ["sliding_attention", "sliding_attention", "full_attention"]
    gemma = dict(
        SHAPE,
        num_hidden_layers=3,
        layer_types=gemma_layers,
        sliding_window=24,
        query_pre_attn_scalar=24,
        rope_parameters={
            "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 10000.0},
            "sliding_attention": {"rope_type": "default", "rope_theta": 1000.0},
        },
    )
    gemma_plain = dict(
        gemma,
        rope_parameters={
            "full_attention": {"rope_type": "default", "rope_theta": 10000.0},
            "sliding_attention": {"rope_type": "default", "rope_theta": 1000.0},
        },
    )
    plain = {"rope_type": "default", "rope_theta": 10000.0}
    return [
        ("llama", tf.LlamaForCausalLM, tf.LlamaConfig,
         dict(SHAPE, tie_word_embeddings=True, rope_parameters=llama3), dict(SHAPE, tie_word_embeddings=True, rope_parameters=plain)),
        ("qwen3", tf.Qwen3ForCausalLM, tf.Qwen3Config, dict(SHAPE, rope_parameters=YARN), dict(SHAPE, rope_parameters=plain)),
        ("olmo2", tf.Olmo2ForCausalLM, tf.Olmo2Config, dict(SHAPE, rope_parameters=YARN), dict(SHAPE, rope_parameters=plain)),
        ("phi3", tf.Phi3ForCausalLM, tf.Phi3Config,
         dict(SHAPE, original_max_position_embeddings=L0, rope_parameters=longrope),
         dict(SHAPE, original_max_position_embeddings=L0, rope_parameters=dict(plain, partial_rotary_factor=0.5))),
        ("gemma3", tf.Gemma3ForCausalLM, tf.Gemma3TextConfig, gemma, gemma_plain),
        # Mistral: the sliding window on every layer, PI (linear) scaling.
        ("mistral", tf.MistralForCausalLM, tf.MistralConfig,
         dict(SHAPE, sliding_window=24, rope_parameters={"rope_type": "linear", "factor": 4.0, "rope_theta": 10000.0}),
         dict(SHAPE, sliding_window=24, rope_parameters=plain)),
    ]


def redraw(model, gemma: bool, seed: int):
    """Weights large enough that attention logits are O(1): RoPE then changes the NLL visibly.
    Norm weights vary around 1 ((1 + w) for Gemma, whose stored w varies around 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if p.ndim == 1:
                p.copy_((0.0 if gemma else 1.0) + 0.3 * noise)
            elif "embed" in name:
                p.copy_(0.1 * noise)
            else:
                p.copy_(0.2 * noise)


def nll(model, windows):
    out = []
    with torch.no_grad():
        for w in windows:
            ids = torch.tensor([w])
            logits = model(ids).logits[0, :-1].float()
            lp = torch.log_softmax(logits, dim=-1)
            out.append((-lp.gather(1, ids[0, 1:, None])[:, 0]).tolist())
    return out


def greedy(model, prompt, steps=20):
    """Greedy continuation without a KV cache (each step re-runs the whole sequence), stopping at BOS/EOS
    as ropekit's generate does."""
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(steps):
            nxt = int(model(torch.tensor([ids])).logits[0, -1].argmax())
            if nxt in (1, 2):
                break
            ids.append(nxt)
    return ids[len(prompt):]


GGUF_ARCHS = {"qwen3": "QWEN3", "olmo2": "OLMO2"}


def write_gguf(model, name: str, path: str):
    """The model as a GGUF, tensors named by the gguf package's own HF -> GGUF map (what llama.cpp's
    converter uses), q/k in HF's layout (these architectures run NEOX RoPE), the YaRN scaling as
    rope.scaling.* keys. Needs the `gguf` package."""
    import gguf

    cfg = model.config
    w = gguf.GGUFWriter(path, name)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_key_length(cfg.head_dim)
    w.add_value_length(cfg.head_dim)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(YARN["rope_theta"])
    w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
    w.add_rope_scaling_factor(YARN["factor"])
    w.add_rope_scaling_orig_ctx_len(L0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, GGUF_ARCHS[name]), cfg.num_hidden_layers)
    for key, t in model.state_dict().items():
        w.add_tensor(names.get_name(key, try_suffixes=(".weight", ".bias")), t.numpy())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(out_dir: str):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    windows = [[1] + torch.randint(3, VOCAB, (LENGTH - 1,), generator=g).tolist() for _ in range(WINDOWS)]
    reference = {}
    for i, (name, cls, cfg_cls, kwargs, plain_kwargs) in enumerate(families()):
        model = cls(cfg_cls(**kwargs, attn_implementation="eager")).float().eval()
        redraw(model, name == "gemma3", 100 + i)
        model.save_pretrained(f"{out_dir}/{name}")
        if name in GGUF_ARCHS:
            write_gguf(model, name, f"{out_dir}/{name}.gguf")
        plain = cls(cfg_cls(**plain_kwargs, attn_implementation="eager")).float().eval()
        plain.load_state_dict(model.state_dict())
        reference[name] = {
            "nll": nll(model, windows),
            "plain_nll": nll(plain, windows),
            "prompt": windows[0][:PROMPT],
            "greedy": greedy(model, windows[0][:PROMPT]),
        }
        if name in ("gemma3", "mistral"):  # the sliding window matters at this length too
            unbounded = cls(cfg_cls(**dict(kwargs, sliding_window=LENGTH), attn_implementation="eager")).float().eval()
            unbounded.load_state_dict(model.state_dict())
            reference[name]["unwindowed_nll"] = nll(unbounded, windows)
    with open(f"{out_dir}/tokens.json", "w") as f:
        json.dump(windows, f)
    with open(f"{out_dir}/reference.json", "w") as f:
        json.dump(reference, f)


if __name__ == "__main__":
    main(sys.argv[1])
