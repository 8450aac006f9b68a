#!/usr/bin/env python3
"""Samples of PyTorch's CPU float32 `base ** tensor`, exactly as Hugging Face's RoPE init calls it.

HF builds `inv_freq = 1 / (base ** (torch.arange(0, d, 2).to(torch.float) / d))`. `base` is a Python
float, rounded to float32 when it meets the float32 tensor; the power is evaluated by ATen's
`pow_tensor_tensor_kernel` through `cpu_kernel_vec`: with AVX2/AVX-512 the loop runs full blocks of
two vectors (2 x 8 floats on AVX2, 2 x 16 on AVX-512) through SLEEF's `Sleef_powf*_u10`, and the
remaining tail (< one block) through scalar `std::pow` (libm powf). `ATEN_CPU_CAPABILITY=default`
makes every element take a non-SLEEF path; this script re-runs itself under that setting for contrast.

Usage (a Python with torch, e.g. a venv's python or the one ROPEKIT_PEER_PYTHON names):

    python tools/torch_powf_samples.py [--seed 1] [--random-bases 8] [--d-max 512] [--odd]
        [--random-exps 4096] [--compact] > samples.json

Output (one JSON object):

    {"torch": "2.14.1", "cpu_capability": "AVX2", "default_capability": "DEFAULT",
     "cases": [{"kind": "hf", "base": <python float as given>, "base32": <float32 value>, "d": d,
                "n": <tensor length>, "exps": [float32 exponents], "torch": [results],
                "default": [results with ATEN_CPU_CAPABILITY=default]},
               {"kind": "random", "base": ..., "base32": ..., "n": ..., "exps": [...], "torch": [...],
                "default": [...]}]}

Every float32 is written as the JSON number of its exact value (Python's shortest double repr, which
round-trips). The element at index k of a case went through the tensor of length n, so whether it took
the vector or the scalar path is decided by k and n (k < n - n % block -> vector). Tensors here are far
below ATen's parallel grain size (32768), so there is no per-thread split of the loop.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

NAMED_BASES = [10000.0, 500000.0, 1000000.0, 150000.0, 25000000.0, 100000.0, 5000000.0, 8000000.0,
               1000.0, 75000.0, 2000000.0, 40000.0]


def f32(x: float) -> float:
    return float(np.float32(x))


def build_cases(args: argparse.Namespace) -> list[dict]:
    rng = np.random.default_rng(args.seed)
    bases = list(NAMED_BASES)
    # random bases in [100, 1e7], log-uniform, as float64 (HF passes Python floats) ...
    rb = [float(v) for v in np.exp(rng.uniform(np.log(100.0), np.log(1e7), args.random_bases))]
    bases += rb
    # ... and their float32 roundings given as the Python value (same float32 after rounding,
    # included so the case list also holds bases that are exactly representable)
    bases += [f32(v) for v in rb[: max(1, args.random_bases // 2)]]
    ds = list(range(2, args.d_max + 1, 1 if args.odd else 2))
    cases: list[dict] = []
    for b in bases:
        for d in ds:
            cases.append({"kind": "hf", "base": b, "d": d})
    for j, b in enumerate(bases):
        n = args.random_exps
        exps = rng.random(n).astype(np.float32)
        cases.append({"kind": "random", "base": b, "n": n, "exps": [float(v) for v in exps]})
    return cases


def evaluate(cases: list[dict]) -> list[list[float]]:
    out = []
    with torch.no_grad():
        for c in cases:
            if c["kind"] == "hf":
                d = c["d"]
                # exactly HF's expression
                e = torch.arange(0, d, 2, dtype=torch.int64).to(device="cpu", dtype=torch.float) / d
            else:
                e = torch.tensor(c["exps"], dtype=torch.float32)
            r = c["base"] ** e
            assert r.dtype == torch.float32
            out.append([float(v) for v in r.numpy()])
    return out


def exps_of(c: dict) -> list[float]:
    if c["kind"] == "hf":
        d = c["d"]
        e = torch.arange(0, d, 2, dtype=torch.int64).to(dtype=torch.float) / d
        return [float(v) for v in e.numpy()]
    return c["exps"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--random-bases", type=int, default=8)
    ap.add_argument("--d-max", type=int, default=512)
    ap.add_argument("--odd", action="store_true", help="also odd d (HF rejects odd head_dim, but rotary dims vary)")
    ap.add_argument("--random-exps", type=int, default=4096, help="random exponents in [0,1) per base")
    ap.add_argument("--compact", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_num_threads(1)

    if args.child:
        cases = json.load(sys.stdin)
        json.dump({"cpu_capability": torch.backends.cpu.get_cpu_capability(), "values": evaluate(cases)},
                  sys.stdout)
        return

    cases = build_cases(args)
    cap = torch.backends.cpu.get_cpu_capability()
    vals = evaluate(cases)
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], input=json.dumps(cases),
                           capture_output=True, text=True, env=env, check=True)
    dflt = json.loads(child.stdout)
    out_cases = []
    for c, v, dv in zip(cases, vals, dflt["values"]):
        oc = {"kind": c["kind"], "base": c["base"], "base32": f32(c["base"])}
        if c["kind"] == "hf":
            oc["d"] = c["d"]
        oc["n"] = len(v)
        oc["exps"] = exps_of(c)
        oc["torch"] = v
        oc["default"] = dv
        out_cases.append(oc)
    doc = {"torch": torch.__version__, "cpu_capability": cap, "default_capability": dflt["cpu_capability"],
           "cases": out_cases}
    if args.compact:
        json.dump(doc, sys.stdout, separators=(",", ":"))
    else:
        sys.stdout.write("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(doc[k])}" for k in doc if k != "cases"))
        sys.stdout.write(', "cases": [\n')
        sys.stdout.write(",\n".join(json.dumps(c) for c in out_cases))
        sys.stdout.write("\n]}\n")
    sys.stdout.write("\n" if args.compact else "")


if __name__ == "__main__":
    main()
