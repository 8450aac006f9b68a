#!/usr/bin/env python3
"""Hugging Face transformers reference for RoPE frequency tables (ropekit HF parity harness).

Reads a JSON list of cases on stdin, prints a JSON object with HF's answer for each on stdout.

Usage (a Python with torch + transformers 5.x, e.g. a venv's python):

    python tools/gen_rope_cases.py --seed 1 --n 300 > /tmp/cases.json
    python tools/hf_rope_reference.py < /tmp/cases.json > /tmp/hf.json
    # or, to (re)write the checked-in fixture in one go:
    python tools/gen_rope_cases.py --seed 20261128 --n 300 --fixture tests/fixtures/hf_rope_cases.json

Input (a list; a bare object {"cases": [...]} is accepted too):

    [{"id": "yarn-17", "config": {<config.json fields>}, "seq_len": 5000 | null, "layer_type"?: str}, ...]

`layer_type` picks one entry of a transformers 5 `rope_parameters` nested per layer type (Gemma 4).

`config` is what a model's config.json holds: `model_type` (default "llama"), `rope_theta`, `hidden_size`,
`num_attention_heads`, `head_dim`, `partial_rotary_factor`, `max_position_embeddings`,
`original_max_position_embeddings`, `rope_scaling` (legacy) or `rope_parameters`, ...

How a case is evaluated — the way `from_pretrained` does it:

1. `CONFIG_MAPPING[model_type].from_dict(config)` builds the config object. In transformers 5.x the config's
   `__post_init__` moves `rope_scaling` into `rope_parameters` (`rope_scaling or rope_parameters`), copies
   `rope_theta` and `partial_rotary_factor` into it, sets `rope_type` from the legacy `type` key, fills
   `original_max_position_embeddings` for llama3/yarn/longrope, and validates (validation may raise:
   missing required keys -> KeyError, odd head_dim -> ValueError, Phi3: type not default/longrope or factor
   lists of the wrong length -> ValueError). Phi3Config also renames `"su"` (and `"yarn"`!) to `"longrope"`.
2. The model's rotary-embedding module picks the function: `rope_type == "default"` -> the modeling file's
   `<Model>RotaryEmbedding.compute_default_rope_parameters` (Llama's ignores partial_rotary_factor, Phi3's
   honours it); anything else -> `ROPE_INIT_FUNCTIONS[rope_type]` (KeyError for unknown types such as
   "su" on a Llama config). It is called as `fn(config, "cpu", seq_len=seq_len)`; `seq_len=None` is exactly
   what the module's `__init__` does.
   NB: every init function re-runs `config.standardize_rope_params()`, and that gives a *top-level*
   `original_max_position_embeddings` attribute priority over the one in rope_parameters — including
   Phi3Config's class default of 4096 when config.json has no top-level value.

Output:

    {"transformers": "5.x", "torch": "...", "results": [
       {"id", "ok": true, "inv_freq": [exact float32 values as JSON numbers], "attention_factor": float,
        "rope_type": str (after standardisation), "rotary_dim": int, "resolved": {standardised rope_parameters
        minus factor lists}, "warnings": [HF log warnings], "softmax_scale"?: float (models whose attention
        multiplies its softmax scale, DeepSeek's `yarn_apply_mscale(rope_parameters, 1.0)`)}
       | {"id", "ok": false, "stage": "config" | "init" | "result", "error": "ExcType: message"}]}

`stage: "result"` means HF returned without raising but the table is unusable (non-finite or <= 0
inv_freq, complex inv_freq, or an attention factor that is not finite and > 0 — e.g. an explicit
`attention_factor: 0.0`, which HF uses as-is and which zeroes cos/sin); JSON cannot carry NaN/Infinity, so such cases are reported
as rejections (a usable ropekit table cannot reproduce them either).

Options: `--compact` prints one line (default: one result per line).

Machine dependence: HF computes `base ** exponents` with torch's CPU pow, whose float32 result depends on the
instruction set torch dispatches to (AVX2/AVX-512 use SLEEF's vectorised powf, 1-ulp accurate; with
ATEN_CPU_CAPABILITY=default the scalar libm powf, which is (almost always) correctly rounded). About 1.5% of
pow values differ by 1 ulp between the two. The output records `cpu_capability` so a fixture says which
one it holds.
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
import math
import sys
import warnings

# Silence the noise that torch/transformers print at import; our own warning capture is per case.
warnings.filterwarnings("ignore")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS  # noqa: E402
from transformers.models.auto.configuration_auto import CONFIG_MAPPING  # noqa: E402


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _hf_logger() -> logging.Logger:
    lg = logging.getLogger("transformers")
    lg.propagate = False
    for h in list(lg.handlers):
        lg.removeHandler(h)
    lg.setLevel(logging.WARNING)
    return lg


_ROTARY_CLASS_CACHE: dict[str, object] = {}


def rotary_class(model_type: str):
    """The `<Model>RotaryEmbedding` class of a model type (for its compute_default_rope_parameters)."""
    if model_type in _ROTARY_CLASS_CACHE:
        return _ROTARY_CLASS_CACHE[model_type]
    mod = _modeling(model_type)
    if mod is None:
        raise RuntimeError(f"no modeling module for model_type {model_type}")
    cands = [
        getattr(mod, n)
        for n in dir(mod)
        if n.endswith("RotaryEmbedding") and hasattr(getattr(mod, n), "compute_default_rope_parameters")
    ]
    if not cands:
        raise RuntimeError(f"no RotaryEmbedding with compute_default_rope_parameters in modeling_{model_type}")
    # Prefer the plain one (e.g. LlamaRotaryEmbedding over variants).
    cands.sort(key=lambda c: len(c.__name__))
    _ROTARY_CLASS_CACHE[model_type] = cands[0]
    return cands[0]


def _modeling(model_type: str):
    """The modeling module beside the config class (gemma4_text lives in models/gemma4/)."""
    try:
        conf_mod = CONFIG_MAPPING[model_type].__module__
        return importlib.import_module(conf_mod.replace(".configuration_", ".modeling_"))
    except Exception:
        return None


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    return v


def run_case(case: dict, lg: logging.Logger) -> dict:
    cid = case.get("id")
    cap = _Capture()
    lg.addHandler(cap)
    try:
        cfg_dict = copy.deepcopy(case["config"])
        model_type = cfg_dict.get("model_type", "llama")
        seq_len = case.get("seq_len")
        try:
            cfg = CONFIG_MAPPING[model_type].from_dict(cfg_dict)
        except Exception as e:  # HF rejects the config itself
            return {"id": cid, "ok": False, "stage": "config", "error": f"{type(e).__name__}: {e}"}
        layer_type = case.get("layer_type")
        try:
            if layer_type is None:
                rope_params = cfg.rope_parameters
                rope_type = rope_params["rope_type"]
                fn_cfg, kw = cfg, {}
            else:
                # transformers 5 per-layer-type RoPE (Gemma 4): the module calls the init function with
                # the layer type's view of the config (its own head_dim) and `layer_type=`.
                rope_params = cfg.rope_parameters[layer_type]
                rope_type = rope_params["rope_type"]
                fn_cfg, kw = cfg.per_layer_config[layer_type], {"layer_type": layer_type}
            if rope_type == "default":
                fn = rotary_class(model_type).compute_default_rope_parameters
            else:
                fn = ROPE_INIT_FUNCTIONS[rope_type]
            with torch.no_grad():
                inv, att = fn(fn_cfg, torch.device("cpu"), seq_len=seq_len, **kw)
        except Exception as e:
            return {"id": cid, "ok": False, "stage": "init", "error": f"{type(e).__name__}: {e}"}
        if inv.dtype != torch.float32:
            return {"id": cid, "ok": False, "stage": "result", "error": f"inv_freq dtype {inv.dtype}"}
        vals = [float(x) for x in inv.tolist()]
        att = float(att)
        # 0 past the first pair is a pair that does not rotate (proportional RoPE); negative is unusable.
        bad = [i for i, x in enumerate(vals) if not math.isfinite(x) or x < 0 or (x == 0 and i == 0)]
        if bad or not math.isfinite(att) or att <= 0:
            return {
                "id": cid,
                "ok": False,
                "stage": "result",
                "error": f"HF returned an unusable table: inv_freq[{bad[0] if bad else '-'}]="
                f"{vals[bad[0]] if bad else '-'} ({len(bad)} bad entries), attention_factor={att}",
            }
        resolved = {
            k: v for k, v in rope_params.items() if k not in ("short_factor", "long_factor")
        }
        extra = {}
        # A softmax-scale factor applied by the model's attention (DeepSeek `yarn_apply_mscale`).
        mod = _modeling(model_type)
        if mod is not None and hasattr(mod, "yarn_apply_mscale"):
            extra["softmax_scale"] = float(mod.yarn_apply_mscale(rope_params, 1.0))
        return {
            **extra,
            "id": cid,
            "ok": True,
            "inv_freq": vals,
            "attention_factor": att,
            "rope_type": rope_type,
            "rotary_dim": 2 * len(vals),
            "resolved": _json_safe(resolved),
            "warnings": sorted(set(cap.messages)),
        }
    finally:
        lg.removeHandler(cap)


def main(argv: list[str]) -> int:
    data = json.load(sys.stdin)
    cases = data["cases"] if isinstance(data, dict) else data
    lg = _hf_logger()
    results = [run_case(c, lg) for c in cases]
    out = {"transformers": transformers.__version__, "torch": torch.__version__,
           "cpu_capability": torch.backends.cpu.get_cpu_capability(), "results": results}
    if "--compact" in argv:
        json.dump(out, sys.stdout, separators=(",", ":"))
    else:
        sys.stdout.write('{"transformers": %s, "torch": %s, "cpu_capability": %s, "results": [\n' % (
            json.dumps(out["transformers"]), json.dumps(out["torch"]), json.dumps(out["cpu_capability"])))
        sys.stdout.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in results))
        sys.stdout.write("\n]}\n")
    sys.stdout.write("\n" if "--compact" in argv else "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
