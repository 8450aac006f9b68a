/**
 * The sliding window of `AttentionArgs.window` against transformers itself: the mask is built by
 * transformers' `sliding_window_causal_mask_function` (row i sees keys j with i − window < j ≤ i) and
 * the attention computed in float64 by torch inside the test, then compared with causalAttentionRef,
 * causalAttentionFast, the native kernels and their WebAssembly build (with and without documents for
 * the native ones, whose masks are the reference's). Ignored, with the reason, without python3 + torch
 * + transformers (ROPEKIT_PEER_PYTHON names another python).
 */
import { causalAttentionRef } from "../../kernels/cpu/attention.ts";
import { causalAttentionFast } from "../../kernels/cpu/attention_fast.ts";
import { causalAttentionNative, nativeKernels } from "../../kernels/native/mod.ts";
import { wasmKernels } from "../../kernels/wasm/lib.ts";
import { assertClose, random } from "./_util.ts";

const PYTHON = Deno.env.get("ROPEKIT_PEER_PYTHON") ?? "python3";

const SCRIPT = `
import json, sys, torch
from transformers.masking_utils import sliding_window_causal_mask_function
a = json.load(sys.stdin)
T, H, KV, hd = a["T"], a["H"], a["KV"], a["hd"]
q = torch.tensor(a["q"], dtype=torch.float64).view(T, H, hd).transpose(0, 1)
k = torch.tensor(a["k"], dtype=torch.float64).view(T, KV, hd).transpose(0, 1).repeat_interleave(H // KV, 0)
v = torch.tensor(a["v"], dtype=torch.float64).view(T, KV, hd).transpose(0, 1).repeat_interleave(H // KV, 0)
out = {}
for w in a["windows"]:
    visible = sliding_window_causal_mask_function(w)
    i, j = torch.arange(T).view(T, 1), torch.arange(T).view(1, T)
    mask = visible(torch.tensor(0), torch.tensor(0), i, j)
    s = (q @ k.transpose(1, 2)) / hd ** 0.5
    p = torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1)
    out[str(w)] = (p @ v).transpose(0, 1).reshape(-1).tolist()
print(json.dumps(out))
`;

/** Why the transformers check cannot run here, or null when it can. */
function missingPython(): string | null {
  try {
    const r = new Deno.Command(PYTHON, {
      args: ["-c", "import torch, transformers.masking_utils"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return r.success ? null : `${PYTHON} lacks torch or transformers`;
  } catch (e) {
    return `${PYTHON} cannot run: ${(e as Error).message}`;
  }
}

const missing = missingPython();
if (missing) console.log(`SKIP sliding-window attention vs transformers: ${missing}`);

Deno.test({
  name:
    "attention window matches transformers' sliding_window_causal_mask_function (ref, fast, native, wasm)",
  ignore: missing !== null,
  fn: async () => {
    const T = 45, H = 4, KV = 2, hd = 8, windows = [1, 4, 17, 64];
    const q = random(T * H * hd, 11), k = random(T * KV * hd, 12), v = random(T * KV * hd, 13);
    const child = new Deno.Command(PYTHON, { args: ["-c", SCRIPT], stdin: "piped", stdout: "piped" }).spawn();
    const writer = child.stdin.getWriter();
    const input = { T, H, KV, hd, windows, q: [...q], k: [...k], v: [...v] };
    await writer.write(new TextEncoder().encode(JSON.stringify(input)));
    await writer.close();
    const result = await child.output();
    if (!result.success) throw new Error(`${PYTHON} failed`);
    const want: Record<string, number[]> = JSON.parse(new TextDecoder().decode(result.stdout));
    const kernels = [
      ["causalAttentionRef", causalAttentionRef],
      ["causalAttentionFast", causalAttentionFast],
      ...(nativeKernels() ? [["native", causalAttentionNative] as const] : []),
      ...(wasmKernels()
        ? [
          ["wasm", (a: Parameters<typeof causalAttentionRef>[0]) =>
            causalAttentionNative(a, wasmKernels()!)] as const,
        ]
        : []),
    ] as const;
    for (const window of windows) {
      for (const [name, run] of kernels) {
        const out = new Float32Array(T * H * hd).fill(NaN);
        run({ out, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd, window });
        assertClose(
          `${name} window ${window} vs transformers`,
          out,
          want[String(window)],
          name.startsWith("causal") ? 1e-5 : 1e-4,
        );
      }
    }
  },
});
