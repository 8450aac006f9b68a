#!/usr/bin/env python3
"""Seeded generator of Hugging Face RoPE configs for the ropekit HF parity harness.

Plain Python (stdlib only); the cases it prints are evaluated by tools/hf_rope_reference.py.

    python tools/gen_rope_cases.py --seed 7 --n 200            # JSON list of cases on stdout
    python tools/gen_rope_cases.py --seed 7 --n 200 --no-fixed # random cases only (no real-model configs)
    # regenerate the checked-in fixture (runs the reference itself, needs torch + transformers; use the
    # Python of a venv that has them, e.g. the one ROPEKIT_PEER_PYTHON names):
    "$ROPEKIT_PEER_PYTHON" tools/gen_rope_cases.py --seed 20261128 --n 300 \
        --fixture tests/fixtures/hf_rope_cases.json

A case is {"id", "group", "note", "config": <config.json-like dict>, "seq_len": int | null}. `config` always
has `model_type` ("llama" unless the case needs another class: "phi3" for Phi-style LongRoPE / "su" /
partial-rotary default RoPE, "gpt_oss", "deepseek_v3" for the real configs). The same seed always gives
the same cases (Python's random.Random; no other entropy).

Groups (ids are "<group>-<n>" for random cases, "real-..."/"quirk-..." for fixed ones):
default, linear, dynamic, yarn, longrope, llama3, real (shipped model configs), quirk (hand-made edge cases
where HF does something surprising, incl. configs HF rejects).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys

THETAS = [10000.0, 10000, 500000.0, 1000000.0, 1000000, 150000.0, 12345.678, 77777.0, 25000000.0, 314159.0,
          500.0, 2000000.0, 40000.0, 3.5e5]
HEAD_DIMS = [8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 256]
PARTIALS = [0.25, 0.5, 0.75]
MAXPOS = [2048, 4096, 8192, 16384, 32768, 65536, 131072, 163840, 262144]

PHI4_LONG = [1, 1.118320672, 1.250641126, 1.398617824, 1.564103225, 1.74916897, 1.956131817, 2.187582649,
             2.446418898, 2.735880826, 3.059592084, 3.421605075, 3.826451687, 4.279200023, 4.785517845,
             5.351743533, 5.984965424, 6.693110555, 7.485043894, 8.370679318, 9.36110372, 10.4687158,
             11.70738129, 13.09260651, 14.64173252, 16.37415215, 18.31155283, 20.47818807, 22.90118105,
             25.61086418, 28.64115884, 32.03, 32.1, 32.13, 32.23, 32.6, 32.61, 32.64, 32.66, 32.7, 32.71,
             32.93, 32.97, 33.28, 33.49, 33.5, 44.16, 47.77]


def phi3_mini_like_long() -> list[float]:
    """48 factors: the published first 10 and last 5 of Phi-3-mini-128k's long_factor, a monotone middle."""
    head = [1.0700000524520874, 1.1200000047683716, 1.149999976158142, 1.4199999570846558, 1.5699999332427979,
            1.7999999523162842, 2.129999876022339, 2.129999876022339, 3.009999990463257, 5.910000324249268]
    tail = [64.19435119628906, 64.24435424804688, 64.57435607910156, 64.69000244140625, 64.76000213623047]
    mid_n = 48 - len(head) - len(tail)
    a, b = head[-1], tail[0]
    mid = [round(a * (b / a) ** ((k + 1) / (mid_n + 1)), 12) for k in range(mid_n)]
    return head + mid + tail


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.cases: list[dict] = []
        self.counts: dict[str, int] = {}

    def add(self, group: str, note: str, config: dict, seq_len, cid: str | None = None,
            layer_type: str | None = None) -> None:
        if cid is None:
            n = self.counts.get(group, 0)
            self.counts[group] = n + 1
            cid = f"{group}-{n}"
        case = {"id": cid, "group": group, "note": note, "config": config, "seq_len": seq_len}
        if layer_type is not None:
            case["layer_type"] = layer_type
        bug = known_hf_bug(config)
        if bug:
            case["known_hf_bug"] = bug
        self.cases.append(case)

    # ---- shared pieces -------------------------------------------------------------------------
    def theta(self):
        r = self.r
        if r.random() < 0.15:  # an arbitrary odd value
            return round(10 ** r.uniform(3.0, 7.5), r.choice([0, 2, 5]))
        return r.choice(THETAS)

    def dims(self, partial_ok: bool, model_type: str = "llama") -> dict:
        """hidden_size / num_attention_heads / head_dim / partial_rotary_factor fields. Keeps rotary dim even."""
        r = self.r
        hd = r.choice(HEAD_DIMS)
        heads = r.choice([4, 8, 12, 16, 24, 32, 40, 64])
        out: dict = {}
        style = r.random()
        if model_type == "phi3" or style < 0.5:  # head_dim implied by hidden/heads
            out["hidden_size"] = hd * heads
            out["num_attention_heads"] = heads
        else:  # explicit head_dim that differs from hidden/heads (Gemma/Qwen3 style)
            out["hidden_size"] = heads * r.choice([h for h in (32, 64, 72, 96, 128, 160) if h != hd])
            out["num_attention_heads"] = heads
            out["head_dim"] = hd
        if partial_ok and r.random() < 0.35:
            ps = [p for p in PARTIALS if int(hd * p) % 2 == 0 and int(hd * p) >= 2]
            if ps:
                out["partial_rotary_factor"] = r.choice(ps)
        return out

    def rotary_dim(self, cfg: dict) -> int:
        hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
        return int(hd * cfg.get("partial_rotary_factor", 1.0))

    def scaling_key(self) -> str:
        return "rope_scaling" if self.r.random() < 0.6 else "rope_parameters"

    def type_key(self) -> str:
        return "type" if self.r.random() < 0.3 else "rope_type"

    # ---- random groups -------------------------------------------------------------------------
    def g_default(self):
        r = self.r
        mt = "phi3" if r.random() < 0.3 else "llama"
        cfg = {"model_type": mt, "rope_theta": self.theta(), "max_position_embeddings": r.choice(MAXPOS)}
        cfg.update(self.dims(partial_ok=True, model_type=mt))
        how = r.randrange(4)
        if how == 1:
            cfg["rope_scaling"] = None
        elif how == 2:
            cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": cfg.pop("rope_theta")}
        elif how == 3:
            cfg["rope_scaling"] = {"type": "default"}
        note = f"default via {['nothing', 'rope_scaling null', 'rope_parameters', 'type default'][how]}"
        if mt == "llama" and "partial_rotary_factor" in cfg:
            note += "; Llama default ignores partial_rotary_factor"
        self.add("default", note, cfg, r.choice([None, None, 100, 10 ** 6]))

    def g_linear(self):
        r = self.r
        cfg = {"model_type": "llama", "rope_theta": self.theta(), "max_position_embeddings": r.choice(MAXPOS)}
        cfg.update(self.dims(partial_ok=True))
        factor = r.choice([1.0, 2.0, 4.0, 8.0, 16.0, 2.5, 1.37, 3, 0.5, 7.123456789])
        cfg[self.scaling_key()] = {self.type_key(): "linear", "factor": factor}
        self.add("linear", f"factor={factor}", cfg, r.choice([None, 1, 4096, 10 ** 6]))

    def g_dynamic(self):
        r = self.r
        M = r.choice(MAXPOS)
        cfg = {"model_type": "llama", "rope_theta": self.theta(), "max_position_embeddings": M}
        cfg.update(self.dims(partial_ok=True))
        factor = r.choice([2.0, 4.0, 8.0, 1.5, 3, 16.0, 1.0, 2.71828])
        cfg[self.scaling_key()] = {self.type_key(): "dynamic", "factor": factor}
        which = r.choice(["none", "below", "equal", "above1", "above", "far"])
        seq_len = {"none": None, "below": r.randint(1, M - 1), "equal": M, "above1": M + 1,
                   "above": r.randint(M + 2, 4 * M), "far": 37 * M + 11}[which]
        self.add("dynamic", f"factor={factor} seq_len {which} M", cfg, seq_len)

    def g_yarn(self):
        r = self.r
        M = r.choice(MAXPOS)
        cfg = {"model_type": "llama", "rope_theta": self.theta(), "max_position_embeddings": M}
        cfg.update(self.dims(partial_ok=True))
        notes = []
        rp: dict = {self.type_key(): "yarn"}
        O = r.choice([o for o in [1024, 2048, 4096, 8192, 32768] if o <= M] or [M])
        # original_max_position_embeddings: in rope params / missing (filled from M) / top-level attribute
        o_where = r.choices(["rp", "missing", "top", "both"], [6, 2, 1, 1])[0]
        if o_where in ("rp", "both"):
            rp["original_max_position_embeddings"] = O
        if o_where in ("top", "both"):
            cfg["original_max_position_embeddings"] = O if o_where == "top" else r.choice([O, 2 * O])
        notes.append(f"O:{o_where}")
        # factor: explicit / null (-> M/O) / odd
        fk = r.choices(["explicit", "null", "odd"], [6, 2, 2])[0]
        if fk == "null":
            rp["factor"] = None
        elif fk == "odd":
            rp["factor"] = round(r.uniform(1.0, 64.0), r.choice([1, 3, 9]))
        else:
            rp["factor"] = r.choice([2.0, 4.0, 8.0, 16.0, 32.0, 40.0, 64.0, 4, 1.0])
        notes.append(f"factor:{fk}")
        # attention factor / mscale family
        am = r.choices(["none", "explicit", "both", "mscale_only", "all_dim_only", "zero"], [4, 2, 3, 1, 1, 1])[0]
        if am == "explicit":
            rp["attention_factor"] = r.choice([1.0, 0.5, 1.2345678901234567, 2, 0.1 * math.log(7) + 1, 1e-3])
        elif am == "both":
            ms = r.choice([(1.0, 1.0), (0.707, 0.707), (1.0, 0.8), (0.9, 1.1), (1, 0.5)])
            rp["mscale"], rp["mscale_all_dim"] = ms
        elif am == "mscale_only":
            rp["mscale"] = r.choice([0.707, 1.0, 2.0])
        elif am == "all_dim_only":
            rp["mscale_all_dim"] = r.choice([0.707, 1.0])
        elif am == "zero":
            rp["mscale"], rp["mscale_all_dim"] = r.choice([(1.0, 0), (0, 1.0), (0.0, 0.0)])
        notes.append(f"att:{am}")
        # betas: missing / 0 (Python `or` -> default) / null / custom
        bk = r.choices(["missing", "zero", "null", "custom", "explicit_default"], [3, 2, 1, 3, 1])[0]
        if bk == "zero":
            rp["beta_fast"], rp["beta_slow"] = r.choice([(0, 0), (0, 2), (16, 0), (0.0, 1)])
        elif bk == "null":
            rp["beta_fast"], rp["beta_slow"] = None, None
        elif bk == "custom":
            rp["beta_fast"], rp["beta_slow"] = r.choice([(16, 2), (64, 1), (8, 0.5), (32.0, 1.0), (4, 4), (1, 32)])
        elif bk == "explicit_default":
            rp["beta_fast"], rp["beta_slow"] = 32, 1
        notes.append(f"beta:{bk}")
        tk = r.choices(["missing", True, False], [4, 2, 3])[0]
        if tk != "missing":
            rp["truncate"] = tk
        notes.append(f"truncate:{tk}")
        cfg[self.scaling_key()] = rp
        self.add("yarn", " ".join(notes), cfg, r.choice([None, None, 1, M, 10 * M]))

    def longrope_cfg(self, mt: str):
        r = self.r
        cfg = {"model_type": mt, "rope_theta": self.theta()}
        cfg.update(self.dims(partial_ok=True, model_type=mt))
        d = self.rotary_dim(cfg)
        n = d // 2
        O = r.choice([2048, 4096, 8192])
        M = r.choice([O, O * 4, O * 16, O * 32, O // 2])
        cfg["max_position_embeddings"] = M
        kind = r.choice(["ramp", "random", "ints", "f32"])
        if kind == "ramp":
            top = r.uniform(1.0, 2.5 * M / O + 1)
            long = [round(top ** (i / max(1, n - 1)), 9) for i in range(n)]
        elif kind == "random":
            long = sorted(round(r.uniform(1.0, 70.0), r.choice([2, 7, 16])) for _ in range(n))
        elif kind == "ints":
            long = [r.randint(1, 40) for _ in range(n)]
        else:  # values that are not float32-representable: HF rounds the list to float32 first
            long = [round(1.0 + 0.1 * i + 1e-9 * r.random(), 15) for i in range(n)]
        short = r.choice([[1.0] * n, [round(r.uniform(1.0, 3.0), 6) for _ in range(n)], [1] * n])
        return cfg, O, M, long, short

    def g_longrope(self):
        r = self.r
        mt = r.choice(["phi3", "phi3", "llama"])
        cfg, O, M, long, short = self.longrope_cfg(mt)
        notes = [f"model_type:{mt}"]
        tname = r.choice(["longrope", "longrope", "su"] if mt == "phi3" else ["longrope"])
        rp: dict = {self.type_key(): tname, "long_factor": long, "short_factor": short}
        notes.append(f"type:{tname}")
        ow = r.choices(["top", "rp", "both_differ", "missing"], [5, 2, 2, 1] if mt == "llama" else [6, 0, 2, 0])[0]
        if ow in ("top", "both_differ"):
            cfg["original_max_position_embeddings"] = O
        if ow in ("rp", "both_differ"):
            rp["original_max_position_embeddings"] = O if ow == "rp" else O * 2
        if ow == "missing":
            O = M
        if tname == "su" and r.random() < 0.5:  # "su" configs need O inside rope_scaling in HF 5.x (see quirks)
            rp.setdefault("original_max_position_embeddings", O)
        notes.append(f"O:{ow}")
        if r.random() < 0.25:
            rp["factor"] = r.choice([2.0, 16.0, 32.0, 1.0, 0.5, 7.5])
            notes.append("explicit factor")
        if r.random() < 0.2:
            rp["attention_factor"] = r.choice([1.0, 1.1902380714238083, 0.75, 1.5, 2])
            notes.append("explicit attention_factor")
        cfg[self.scaling_key()] = rp
        sl = r.choice(["none", "zero", "O", "O+1", "M", "small", "big"])
        seq_len = {"none": None, "zero": 0, "O": O, "O+1": O + 1, "M": M, "small": 17, "big": 10 * M}[sl]
        notes.append(f"seq_len:{sl}")
        self.add("longrope", " ".join(notes), cfg, seq_len)

    def g_llama3(self):
        r = self.r
        cfg = {"model_type": "llama", "rope_theta": self.theta(), "max_position_embeddings": r.choice(MAXPOS)}
        cfg.update(self.dims(partial_ok=True))
        O = r.choice([2048, 4096, 8192, 8192, 16384])
        lf, hf = r.choice([(1.0, 4.0), (1.0, 4.0), (1, 2), (0.5, 8.0), (2.0, 3.0), (1.25, 4.75)])
        rp = {self.type_key(): "llama3", "factor": r.choice([8.0, 32.0, 4.0, 16, 2.5]), "low_freq_factor": lf,
              "high_freq_factor": hf, "original_max_position_embeddings": O}
        if "rope_theta" in cfg and r.random() < 0.3:
            rp["rope_theta"] = cfg.pop("rope_theta")
        cfg[self.scaling_key()] = rp
        self.add("llama3", f"lf={lf} hf={hf} O={O}", cfg, r.choice([None, 1, 10 ** 6]))

    def g_llama3_edge(self):
        """A bucket threshold that equals an index's float32 wavelength (or rounds to it in float32)."""
        r = self.r
        theta = r.choice([500000.0, 10000.0, 1000000.0])
        hd = r.choice([64, 128])
        cfg = {"model_type": "llama", "rope_theta": theta, "hidden_size": hd * 32, "num_attention_heads": 32,
               "max_position_embeddings": 131072}
        d = hd
        O = 8192
        i = r.randrange(d // 4, d // 2 - 2)
        # float32 wavelen_i = f32(2π / f32 inv_i); computed here with struct to stay stdlib-only
        w = wavelen_f32(theta, d, i)
        edge = r.choice(["high_exact", "low_exact", "high_half_ulp", "low_half_ulp"])
        rel = 1.0 if edge.endswith("exact") else 1.0 + 2.0 ** -26  # < half a float32 ulp away
        thr = w * rel
        if edge.startswith("high"):
            hf = O / thr  # high_freq_wavelen = O/hf = thr (rounded to float32 when compared)
            lf = hf / 4
        else:
            lf, hf = O / thr, O / thr * 4
        cfg["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": lf,
                               "high_freq_factor": hf, "original_max_position_embeddings": O}
        self.add("llama3", f"bucket edge {edge} at i={i} (wavelen_f32={w!r}, threshold={O / (hf if edge.startswith('high') else lf)!r})",
                 cfg, None)

    # ---- fixed cases ---------------------------------------------------------------------------
    def fixed(self):
        A = self.add
        llama31 = {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
                   "max_position_embeddings": 131072, "rope_theta": 500000.0,
                   "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                    "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
        A("real", "Llama-3.1-8B config.json", llama31, None, "real-llama31-8b")
        A("real", "Llama-3.1-8B, seq_len ignored", llama31, 200000, "real-llama31-8b-L200k")
        A("real", "Llama-3.2-1B (head_dim 64, factor 32)",
          {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 32, "head_dim": 64,
           "max_position_embeddings": 131072, "rope_theta": 500000.0,
           "rope_scaling": {"factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                            "original_max_position_embeddings": 8192, "rope_type": "llama3"}}, None, "real-llama32-1b")
        A("real", "Llama-2-7B (default, theta 1e4)",
          {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
           "rope_theta": 10000.0, "rope_scaling": None}, None, "real-llama2-7b")
        A("real", "CodeLlama-7B (theta int 1000000)",
          {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 16384,
           "rope_theta": 1000000, "rope_scaling": None}, None, "real-codellama-7b")
        phi4 = {"model_type": "phi3", "hidden_size": 3072, "num_attention_heads": 24, "num_key_value_heads": 8,
                "partial_rotary_factor": 0.75, "rope_theta": 10000.0, "original_max_position_embeddings": 4096,
                "max_position_embeddings": 131072, "sliding_window": 262144,
                "rope_scaling": {"type": "longrope", "long_factor": PHI4_LONG, "short_factor": [1.0] * 48}}
        for sl, tag in [(None, "none"), (4096, "O"), (4097, "O+1"), (131072, "M")]:
            A("real", f"Phi-4-mini-instruct (partial 0.75, 48 factors), seq_len {tag}", phi4, sl, f"real-phi4-mini-{tag}")
        phi3 = {"model_type": "phi3", "hidden_size": 3072, "num_attention_heads": 32, "rope_theta": 10000.0,
                "original_max_position_embeddings": 4096, "max_position_embeddings": 131072,
                "sliding_window": 262144,
                "rope_scaling": {"type": "longrope", "long_factor": phi3_mini_like_long(),
                                 "short_factor": [round(1.0 + 0.04 * i, 2) for i in range(48)]}}
        for sl, tag in [(None, "none"), (4097, "O+1")]:
            A("real", f"Phi-3-mini-128k-like (middle of long_factor synthetic), seq_len {tag}", phi3, sl,
              f"real-phi3-mini-128k-{tag}")
        phi3su = json.loads(json.dumps(phi3))
        phi3su["rope_scaling"]["type"] = "su"
        phi3su["rope_scaling"]["long_factor"] = [round(1.03 + 0.02 * i, 4) for i in range(48)]
        for sl, tag in [(None, "none"), (4097, "O+1")]:
            A("real", f'Phi-3-mini-128k April 2024 style, "type": "su", seq_len {tag}', phi3su, sl,
              f"real-phi3-su-{tag}")
        phi3su_o = json.loads(json.dumps(phi3su))
        phi3su_o["rope_scaling"]["original_max_position_embeddings"] = 4096
        A("real", '"type": "su" with original_max_position_embeddings also inside rope_scaling (HF accepts)',
          phi3su_o, 4097, "real-phi3-su-O-inside-O+1")
        gptoss_rs = {"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0, "truncate": False,
                     "original_max_position_embeddings": 4096}
        A("real", "gpt-oss-20b config.json (model_type gpt_oss, truncate false)",
          {"model_type": "gpt_oss", "hidden_size": 2880, "num_attention_heads": 64, "num_key_value_heads": 8,
           "head_dim": 64, "max_position_embeddings": 131072, "rope_theta": 150000,
           "rope_scaling": dict(gptoss_rs), "num_hidden_layers": 24, "num_local_experts": 32,
           "sliding_window": 128}, None, "real-gpt-oss-20b")
        A("real", "gpt-oss-style yarn on a Llama config",
          {"model_type": "llama", "hidden_size": 2880, "num_attention_heads": 64, "head_dim": 64,
           "max_position_embeddings": 131072, "rope_theta": 150000, "rope_scaling": dict(gptoss_rs)},
          None, "real-gpt-oss-style-llama")
        ds_rs = {"type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0,
                 "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096}
        A("real", "DeepSeek-V3 config.json (model_type deepseek_v3: HF uses qk_rope_head_dim=64 as head_dim)",
          {"model_type": "deepseek_v3", "hidden_size": 7168, "num_attention_heads": 128, "qk_rope_head_dim": 64,
           "qk_nope_head_dim": 128, "v_head_dim": 128, "kv_lora_rank": 512, "q_lora_rank": 1536,
           "max_position_embeddings": 163840, "rope_theta": 10000, "rope_scaling": dict(ds_rs)},
          None, "real-deepseek-v3")
        A("real", "DeepSeek-V3-style yarn (mscale = mscale_all_dim = 1) on a Llama config, head_dim 64",
          {"model_type": "llama", "hidden_size": 7168, "num_attention_heads": 128, "head_dim": 64,
           "max_position_embeddings": 163840, "rope_theta": 10000, "rope_scaling": dict(ds_rs)},
          None, "real-deepseek-v3-style")
        ds2 = dict(ds_rs, mscale=0.707, mscale_all_dim=0.707)
        A("real", "DeepSeek-V2-Lite-style yarn (mscale = mscale_all_dim = 0.707)",
          {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 16, "head_dim": 64,
           "max_position_embeddings": 163840, "rope_theta": 10000, "rope_scaling": ds2}, None, "real-deepseek-v2-lite-style")
        A("real", "Gemma3-style global layer: linear factor 8, head_dim 256, theta 1e6",
          {"model_type": "llama", "hidden_size": 2560, "num_attention_heads": 8, "head_dim": 256,
           "max_position_embeddings": 131072, "rope_theta": 1000000.0,
           "rope_scaling": {"rope_type": "linear", "factor": 8.0}}, None, "real-gemma3-style-linear")
        A("real", "Gemma3-style yarn factor 10, O filled from M=131072 (high clamps at d-1 > d/2-1)",
          {"model_type": "llama", "hidden_size": 2560, "num_attention_heads": 8, "head_dim": 256,
           "max_position_embeddings": 131072, "rope_theta": 1000000.0,
           "rope_parameters": {"rope_type": "yarn", "factor": 10.0}}, None, "real-gemma3-style-yarn-f10")
        A("real", "Qwen2.5-style yarn factor 4, O 32768, theta int 1000000",
          {"model_type": "llama", "hidden_size": 5120, "num_attention_heads": 40, "max_position_embeddings": 131072,
           "rope_theta": 1000000, "rope_scaling": {"type": "yarn", "factor": 4.0,
                                                    "original_max_position_embeddings": 32768}}, None, "real-qwen25-style-yarn")
        A("real", "Qwen3-style default with explicit head_dim 128 != hidden/heads",
          {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 32, "head_dim": 128,
           "max_position_embeddings": 40960, "rope_theta": 1000000}, None, "real-qwen3-style-default")

        # ---- quirks ----
        Q = lambda cid, note, cfg, sl=None: A("quirk", note, cfg, sl, "quirk-" + cid)  # noqa: E731
        base = {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 8192,
                "rope_theta": 10000.0}
        Q("yarn-factor-missing", "yarn without a factor key: validation KeyError (HF rejects)",
          dict(base, rope_scaling={"rope_type": "yarn", "original_max_position_embeddings": 2048}))
        Q("yarn-factor-null", "yarn factor null -> M/O = 4",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": None, "original_max_position_embeddings": 2048}))
        Q("yarn-beta-equal-notrunc", "beta_fast == beta_slow, truncate false: low == high -> high += 0.001",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": 4.0, "beta_fast": 8, "beta_slow": 8,
                                   "truncate": False, "original_max_position_embeddings": 2048}))
        Q("yarn-beta-equal-trunc", "beta_fast == beta_slow, truncate true: floor/ceil make low < high (or equal)",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": 4.0, "beta_fast": 8, "beta_slow": 8,
                                   "original_max_position_embeddings": 2048}))
        Q("yarn-beta-swapped", "beta_fast < beta_slow: HF warns, high < low, ramp slope negative",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": 4.0, "beta_fast": 1, "beta_slow": 32,
                                   "original_max_position_embeddings": 2048}))
        Q("yarn-top-O-overrides", "top-level original_max_position_embeddings=4096 beats rope_scaling's 2048 "
          "(the init function re-standardises and the attribute wins)",
          dict(base, original_max_position_embeddings=4096,
               rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048}))
        Q("yarn-factor-lt1", "yarn factor 0.5 (warns): mscale 1, interpolation multiplies frequencies by 2",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": 0.5, "original_max_position_embeddings": 2048}))
        Q("yarn-att-zero", "attention_factor 0.0 is used as-is by HF (0 is not None)",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": 4.0, "attention_factor": 0.0,
                                   "original_max_position_embeddings": 2048}))
        Q("yarn-mscale-zero-both", "mscale=1, mscale_all_dim=0: `and` is falsy -> 0.1 ln s + 1",
          dict(base, rope_scaling={"rope_type": "yarn", "factor": 16.0, "mscale": 1.0, "mscale_all_dim": 0,
                                   "original_max_position_embeddings": 2048}))
        Q("yarn-partial-llama", "yarn with top-level partial_rotary_factor 0.5 on a Llama config (honoured)",
          dict(base, partial_rotary_factor=0.5,
               rope_scaling={"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 1024}))
        Q("yarn-low-above-half", "corr(beta_fast) beyond d/2: every index extrapolates (low > d/2-1)",
          dict(base, rope_theta=500.0, rope_scaling={"rope_type": "yarn", "factor": 8.0,
                                                     "original_max_position_embeddings": 65536}))
        Q("rope-scaling-empty-uses-params", "rope_scaling {} is falsy: rope_parameters is used",
          dict(base, rope_scaling={}, rope_parameters={"rope_type": "linear", "factor": 2.0}))
        Q("rope-scaling-beats-params", "both given: rope_scaling wins",
          dict(base, rope_scaling={"rope_type": "linear", "factor": 2.0},
               rope_parameters={"rope_type": "linear", "factor": 4.0}))
        Q("theta-in-params-beats-top", "rope_parameters.rope_theta beats top-level rope_theta",
          dict(base, rope_theta=10000.0, rope_parameters={"rope_type": "default", "rope_theta": 500000.0}))
        Q("theta-missing", "no rope_theta anywhere: default_theta 10000",
          {"model_type": "llama", "hidden_size": 1024, "num_attention_heads": 16, "max_position_embeddings": 2048})
        Q("linear-factor-missing", "linear without factor: validation KeyError",
          dict(base, rope_scaling={"rope_type": "linear"}))
        Q("dynamic-factor-missing", "dynamic without factor: validation KeyError",
          dict(base, rope_scaling={"type": "dynamic"}))
        Q("llama3-missing-lf", "llama3 without low_freq_factor: validation KeyError",
          dict(base, rope_scaling={"rope_type": "llama3", "factor": 8.0, "high_freq_factor": 4.0,
                                   "original_max_position_embeddings": 2048}))
        Q("llama3-O-filled", "llama3 without original_max_position_embeddings: filled from M (warns O >= M)",
          dict(base, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                   "high_freq_factor": 4.0}))
        Q("llama3-lf-eq-hf", "low_freq_factor == high_freq_factor: smooth = x/0 but no index is medium",
          dict(base, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 2.0,
                                   "high_freq_factor": 2.0, "original_max_position_embeddings": 2048}))
        Q("llama3-inverted-band", "high_freq_factor < low_freq_factor (HF only warns): high_wavelen > low_wavelen; "
          "HF applies `wavelen > low_wavelen -> inv/s` first, and no index is 'medium'",
          dict(base, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0,
                                   "high_freq_factor": 1.0, "original_max_position_embeddings": 2048}))
        # Band edges compared in float32: torch rounds the Python-float threshold to float32 before comparing.
        w = wavelen_f32(500000.0, 128, 40)
        lf = 8192 / (w * (1 - 2.0 ** -26))  # low_wavelen = O/lf sits < half an ulp below w: equal in float32
        Q("llama3-f32-compare-inverted", "inverted band with low_wavelen within half a float32 ulp below index 40's "
          "wavelength: HF compares in float32 (w > low is False, w < high True -> unchanged); a float64 "
          f"comparison divides index 40 by 8. wavelen_f32[40]={w!r} (AVX2 torch)",
          dict(base, rope_theta=500000.0, max_position_embeddings=131072,
               rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": lf,
                             "high_freq_factor": lf / 4, "original_max_position_embeddings": 8192}))
        Q("llama3-f32-compare-zero-band", "lf == hf with O/lf within half a float32 ulp above index 40's wavelength: "
          "HF (float32 compare) finds index 40 'medium' and divides by hf - lf = 0 -> NaN (unusable); a float64 "
          "comparison keeps it",
          dict(base, rope_theta=500000.0, max_position_embeddings=131072,
               rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 8192 / (w * (1 + 2.0 ** -26)),
                             "high_freq_factor": 8192 / (w * (1 + 2.0 ** -26)),
                             "original_max_position_embeddings": 8192}))
        Q("llama3-partial", "llama3 with partial_rotary_factor 0.5 (honoured by the llama3 function)",
          dict(base, partial_rotary_factor=0.5, rope_theta=500000.0,
               rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 2048}))
        Q("unknown-type", "rope_type 'ntk' is unknown to HF: KeyError at init",
          dict(base, rope_scaling={"rope_type": "ntk", "factor": 4.0}))
        Q("su-on-llama", '"type": "su" on a Llama config: only Phi3Config renames su -> longrope; KeyError',
          dict(base, hidden_size=1024, rope_scaling={"type": "su", "long_factor": [2.0] * 16,
                                                     "short_factor": [1.0] * 16,
                                                     "original_max_position_embeddings": 2048}))
        phi = {"model_type": "phi3", "hidden_size": 1024, "num_attention_heads": 16, "rope_theta": 10000.0,
               "max_position_embeddings": 32768}
        lf32 = [round(1 + 0.5 * i, 3) for i in range(32)]
        Q("phi3-class-default-O", "Phi3 config without top-level original_max_position_embeddings: Phi3Config's "
          "class default 4096 overrides rope_scaling's 8192",
          dict(phi, rope_scaling={"type": "longrope", "long_factor": lf32, "short_factor": [1.0] * 32,
                                  "original_max_position_embeddings": 8192}), 5000)
        Q("phi3-class-default-O-llama", "same factors on a Llama config: rope_scaling's 8192 is used",
          dict(phi, model_type="llama", rope_scaling={"type": "longrope", "long_factor": lf32,
                                                      "short_factor": [1.0] * 32,
                                                      "original_max_position_embeddings": 8192}), 5000)
        Q("phi3-yarn-renamed", 'Phi3Config renames "yarn" to "longrope" -> missing long/short factors: KeyError',
          dict(phi, original_max_position_embeddings=4096,
               rope_scaling={"type": "yarn", "factor": 8.0}))
        Q("phi3-wrong-length", "Phi3 factor list of the wrong length: ValueError",
          dict(phi, original_max_position_embeddings=4096,
               rope_scaling={"type": "longrope", "long_factor": [1.0] * 31, "short_factor": [1.0] * 32}))
        Q("llama-longrope-wrong-length", "Llama config with longrope lists of the wrong length: HF only warns, "
          "then multiplies a 31-vector by a 32-vector -> RuntimeError at init",
          dict(phi, model_type="llama", rope_scaling={"type": "longrope", "long_factor": [1.0] * 31,
                                                      "short_factor": [1.0] * 31,
                                                      "original_max_position_embeddings": 4096}))
        Q("longrope-factor-zero", "a zero in long_factor: inv_freq = inf (HF returns it; unusable)",
          dict(phi, original_max_position_embeddings=4096,
               rope_scaling={"type": "longrope", "long_factor": [0.0] + [1.0] * 31, "short_factor": [1.0] * 32}), 5000)
        Q("longrope-M-lt-O", "M < O: factor M/O < 1 -> attention factor 1.0",
          dict(phi, max_position_embeddings=2048, original_max_position_embeddings=4096,
               rope_scaling={"type": "longrope", "long_factor": lf32, "short_factor": [1.0] * 32}), 5000)
        Q("phi3-default-partial", "Phi3 default RoPE honours partial_rotary_factor 0.5 (Llama's would not)",
          dict(phi, partial_rotary_factor=0.5))
        Q("llama-default-partial", "Llama default RoPE ignores partial_rotary_factor 0.5: full head_dim",
          dict(phi, model_type="llama", partial_rotary_factor=0.5))
        Q("odd-rotary-dim", "head_dim 36 x 0.25 = 9 (odd): HF accepts and returns ceil(9/2)=5 frequencies "
          "with exponent 2i/9", dict(base, hidden_size=36 * 32, partial_rotary_factor=0.25,
                                     rope_scaling={"rope_type": "linear", "factor": 2.0}))
        Q("odd-head-dim", "head_dim 9 fully rotated: validation ValueError",
          dict(base, hidden_size=9 * 32, rope_scaling={"rope_type": "linear", "factor": 2.0}))
        Q("dynamic-neg-bracket", "dynamic factor -1 with seq_len 8M: bracket -6 < 0 -> base**x is complex (unusable)",
          dict(base, rope_scaling={"rope_type": "dynamic", "factor": -1.0}), 8 * 8192)
        Q("dynamic-rotary-dim-2", "dynamic with rotary dim 2 (head_dim 8 x 0.25): HF's exponent d/(d-2) raises "
          "ZeroDivisionError", dict(base, hidden_size=8 * 32, partial_rotary_factor=0.25,
                                    rope_scaling={"rope_type": "dynamic", "factor": 4.0}), 2 * 8192)
        Q("yarn-rotary-dim-2", "yarn with rotary dim 2: one frequency, high clamps at d-1 = 1",
          dict(base, hidden_size=8 * 32, partial_rotary_factor=0.25,
               rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048}))
        Q("dynamic-seq-equal", "dynamic with seq_len == M: bracket exactly 1 (default frequencies)",
          dict(base, rope_scaling={"rope_type": "dynamic", "factor": 4.0}), 8192)
        Q("head-dim-null", "head_dim: null in config.json -> hidden/heads",
          dict(base, head_dim=None, rope_scaling={"rope_type": "yarn", "factor": 4.0,
                                                  "original_max_position_embeddings": 2048}))

    def build(self, n: int, fixed: bool) -> list[dict]:
        if fixed:
            self.fixed()
        weights = [("default", self.g_default, 8), ("linear", self.g_linear, 9), ("dynamic", self.g_dynamic, 14),
                   ("yarn", self.g_yarn, 30), ("longrope", self.g_longrope, 20), ("llama3", self.g_llama3, 10),
                   ("llama3_edge", self.g_llama3_edge, 4)]
        total_w = sum(w for _, _, w in weights)
        remaining = max(0, n - len(self.cases))
        for name, fn, w in weights:
            for _ in range(round(remaining * w / total_w)):
                fn()
        while len(self.cases) < n:
            self.g_yarn()
        if fixed:
            self.v5()  # after the random cases, so adding them kept every earlier case as it was
        return self.cases

    def v5(self):
        """transformers 5 `rope_parameters` configs (theta and partial inside, nested per layer type)."""
        A = self.add
        A("v5", "Llama-3.1-8B, transformers 5 rope_parameters",
          {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
           "max_position_embeddings": 131072,
           "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}},
          None, "v5-llama31-8b")
        A("v5", "Qwen3-8B with the YaRN block its model card gives (factor 4, O 32768), rope_parameters",
          {"model_type": "qwen3", "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
           "head_dim": 128, "max_position_embeddings": 131072,
           "rope_parameters": {"rope_type": "yarn", "rope_theta": 1000000, "factor": 4.0,
                               "original_max_position_embeddings": 32768}}, None, "v5-qwen3-yarn")
        A("v5", "gpt-oss-20b, rope_parameters with truncate false",
          {"model_type": "gpt_oss", "hidden_size": 2880, "num_attention_heads": 64, "num_key_value_heads": 8,
           "head_dim": 64, "max_position_embeddings": 131072, "num_hidden_layers": 24, "num_local_experts": 32,
           "sliding_window": 128,
           "rope_parameters": {"rope_type": "yarn", "rope_theta": 150000, "factor": 32.0, "beta_fast": 32.0,
                               "beta_slow": 1.0, "truncate": False, "original_max_position_embeddings": 4096}},
          None, "v5-gpt-oss-20b")
        phi4 = {"model_type": "phi3", "hidden_size": 3072, "num_attention_heads": 24, "num_key_value_heads": 8,
                "original_max_position_embeddings": 4096, "max_position_embeddings": 131072,
                "sliding_window": 262144,
                "rope_parameters": {"rope_type": "longrope", "rope_theta": 10000.0, "partial_rotary_factor": 0.75,
                                    "long_factor": PHI4_LONG, "short_factor": [1.0] * 48}}
        for sl, tag in [(None, "none"), (4097, "O+1")]:
            A("v5", f"Phi-4-mini-instruct, rope_parameters (partial inside), seq_len {tag}", phi4, sl,
              f"v5-phi4-mini-{tag}")
        ds3 = {"model_type": "deepseek_v3", "hidden_size": 7168, "num_attention_heads": 128, "qk_rope_head_dim": 64,
               "qk_nope_head_dim": 128, "v_head_dim": 128, "kv_lora_rank": 512, "q_lora_rank": 1536,
               "max_position_embeddings": 163840}
        A("v5", "DeepSeek-V3, rope_parameters: yarn factor 40 with mscale = mscale_all_dim = 1 (softmax scale)",
          dict(ds3, rope_parameters={"rope_type": "yarn", "rope_theta": 10000, "factor": 40, "beta_fast": 32,
                                     "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0,
                                     "original_max_position_embeddings": 4096}), None, "v5-deepseek-v3")
        A("v5", "DeepSeek-V3 with mscale 0.8 / mscale_all_dim 0.6: cos/sin and softmax factors both != 1",
          dict(ds3, rope_parameters={"rope_type": "yarn", "rope_theta": 10000, "factor": 40, "mscale": 0.8,
                                     "mscale_all_dim": 0.6, "original_max_position_embeddings": 4096}),
          None, "v5-deepseek-v3-mscale-split")
        gemma4 = {"model_type": "gemma4_text", "hidden_size": 2304, "num_attention_heads": 8, "head_dim": 256,
                  "global_head_dim": 512, "max_position_embeddings": 131072, "num_hidden_layers": 6,
                  "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
                  "rope_parameters": {
                      "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                      "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25,
                                         "rope_theta": 1000000.0}}}
        for lt in ("full_attention", "sliding_attention"):
            A("v5", f"Gemma 4 text (Gemma4TextConfig defaults), rope_parameters per layer type: {lt}", gemma4,
              None, f"v5-gemma4-{lt}", layer_type=lt)
        A("v5", "proportional with factor 2 and partial 0.5 on a Gemma 4 full-attention layer",
          dict(gemma4, rope_parameters={
              "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
              "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.5, "factor": 2.0,
                                 "rope_theta": 1000000.0}}), None, "v5-gemma4-proportional-f2", layer_type="full_attention")


def known_hf_bug(config: dict) -> str | None:
    """Configs a real checkpoint ships that HF 5.x rejects by accident (ropekit may accept them)."""
    rs = config.get("rope_scaling") or config.get("rope_parameters") or {}
    t = rs.get("rope_type", rs.get("type"))
    if config.get("model_type") == "phi3" and t == "su" and "original_max_position_embeddings" not in rs:
        return ("Phi3Config standardises while rope_type is still 'su' (so original_max_position_embeddings is "
                "not copied in), renames su -> longrope, then longrope validation requires the key: KeyError. "
                "Shipped April-2024 Phi-3 configs look like this.")
    return None


def wavelen_f32(theta: float, d: int, i: int) -> float:
    """float32 `2π / inv_freq[i]` as HF's llama3 function computes it (numpy-free; uses torch if present)."""
    import struct

    def f32(x: float) -> float:
        return struct.unpack("f", struct.pack("f", x))[0]

    try:
        import torch

        inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        return float((2 * math.pi / inv)[i])
    except ImportError:
        e = f32(f32(2 * i) / d)
        inv = f32(1.0 / f32(f32(theta) ** e))
        return f32(f32(2 * math.pi) / inv)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--no-fixed", action="store_true", help="random cases only")
    ap.add_argument("--fixture", help="also run the reference and write a fixture file here")
    ap.add_argument("--python", default=sys.executable, help="python that has transformers (for --fixture)")
    a = ap.parse_args()
    cases = Gen(a.seed).build(a.n, not a.no_fixed)
    if not a.fixture:
        json.dump(cases, sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")
        return 0
    ref = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf_rope_reference.py")
    p = subprocess.run([a.python, ref, "--compact"], input=json.dumps(cases), capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        return p.returncode
    ref_out = json.loads(p.stdout)
    by_id = {r["id"]: r for r in ref_out["results"]}
    cap = os.environ.get("ATEN_CPU_CAPABILITY")
    cmd = ((f"ATEN_CPU_CAPABILITY={cap} " if cap else "") + f"python3 tools/gen_rope_cases.py --seed {a.seed} --n {a.n}"
           + (" --no-fixed" if a.no_fixed else "") + f" --fixture {a.fixture}")
    out_cases = []
    for c in cases:
        c = dict(c)
        c["hf"] = {k: v for k, v in by_id[c["id"]].items() if k != "id"}
        out_cases.append(c)
    fixture = {"generated_by": cmd, "seed": a.seed, "transformers": ref_out["transformers"],
               "torch": ref_out["torch"], "cpu_capability": ref_out.get("cpu_capability"), "cases": out_cases}
    with open(a.fixture, "w") as fh:
        # indent=2 is exactly what `deno fmt` produces for this JSON, so `deno fmt --check` passes.
        fh.write(json.dumps(fixture, indent=2) + "\n")
    ok = sum(1 for c in out_cases if c["hf"]["ok"])
    sys.stderr.write(f"wrote {a.fixture}: {len(out_cases)} cases ({ok} accepted by HF, {len(out_cases) - ok} rejected)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
