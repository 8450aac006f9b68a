/**
 * The `gguf` Python package as an independent check, run inside the tests: its dequantization
 * (`gguf.quants.dequantize`), its quantizer where it has one (Q8_0, Q4_0, …), and — for the K-quants,
 * which it only decodes — a quantizer written here in numpy from the block layout, independent of
 * ropekit's (export/quantize.ts). Tests are ignored, with the reason printed, when python3 or the
 * package is missing.
 */

/** Why the `gguf` package cannot be used here, or null when it can. */
export async function ggufPythonMissing(): Promise<string | null> {
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", "import gguf.quants, numpy"],
      stdout: "null",
      stderr: "piped",
    }).output();
    return out.success ? null : `python3 cannot import gguf: ${new TextDecoder().decode(out.stderr).trim()}`;
  } catch (e) {
    return `python3 not runnable: ${(e as Error).message}`;
  }
}

/** Runs `script` with python3 and `args`; returns stdout, throws with stderr on failure. */
export async function python(script: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: ["-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`python3 failed:\n${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** numpy quantizers for Q4_K, Q5_K and Q6_K, from ggml's block layout (rows of 256-value blocks). */
export const K_QUANTIZERS = String.raw`
import numpy as np

def _f16(a):
    return np.asarray(a, dtype=np.float32).astype(np.float16)

def _pack_scales(sc, mn):
    # 8 six-bit scales and mins per block into 12 bytes (ggml's get_scale_min_k4 layout)
    out = np.zeros((sc.shape[0], 12), dtype=np.uint8)
    out[:, 0:4] = (sc[:, 0:4] & 63) | ((sc[:, 4:8] >> 4) << 6)
    out[:, 4:8] = (mn[:, 0:4] & 63) | ((mn[:, 4:8] >> 4) << 6)
    out[:, 8:12] = (sc[:, 4:8] & 15) | ((mn[:, 4:8] & 15) << 4)
    return out

def quantize_qk_min(x, bits):
    # Q4_K (bits 4) / Q5_K (bits 5): 8 sub-blocks of 32, x ~ d*sc*q - dmin*mn, q in [0, 2^bits)
    top = (1 << bits) - 1
    b = x.reshape(-1, 8, 32).astype(np.float32)
    lo = np.minimum(b.min(axis=2), 0)
    scale = (b.max(axis=2) - lo) / top
    d = _f16(scale.max(axis=1) / 63)
    dmin = _f16((-lo).max(axis=1) / 63)
    df, dminf = d.astype(np.float32), dmin.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(df[:, None] > 0, np.round(scale / df[:, None]), 0).clip(0, 63).astype(np.uint8)
        mn = np.where(dminf[:, None] > 0, np.round(-lo / dminf[:, None]), 0).clip(0, 63).astype(np.uint8)
        ds = df[:, None] * sc.astype(np.float32)
        dm = dminf[:, None] * mn.astype(np.float32)
        q = np.where(ds[:, :, None] > 0, np.round((b + dm[:, :, None]) / ds[:, :, None]), 0)
    q = q.clip(0, top).astype(np.uint8)
    n = b.shape[0]
    low = (q & 15).reshape(n, 4, 2, 32)
    qs = (low[:, :, 0, :] | (low[:, :, 1, :] << 4)).reshape(n, 128)
    parts = [d.view(np.uint8).reshape(n, 2), dmin.view(np.uint8).reshape(n, 2), _pack_scales(sc, mn)]
    if bits == 5:
        hi = (q >> 4).reshape(n, 8, 32)
        qh = np.zeros((n, 32), dtype=np.uint8)
        for s in range(8):
            qh |= (hi[:, s, :] << s).astype(np.uint8)
        parts.append(qh)
    parts.append(qs)
    return np.concatenate(parts, axis=1)

def quantize_q6_k(x):
    # 16 sub-blocks of 16: x ~ d*sc*(q - 32), sc int8, q in [0, 64)
    b = x.reshape(-1, 16, 16).astype(np.float32)
    n = b.shape[0]
    scale = np.abs(b).max(axis=2) / 32
    d = _f16(scale.max(axis=1) / 127)
    df = d.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(df[:, None] > 0, np.round(scale / df[:, None]), 0).clip(-128, 127).astype(np.int8)
        ds = df[:, None] * sc.astype(np.float32)
        q = np.where(ds[:, :, None] > 0, np.round(b / ds[:, :, None]), 0)
    q = (q.clip(-32, 31) + 32).astype(np.uint8).reshape(n, 2, 4, 32)
    ql = np.zeros((n, 2, 64), dtype=np.uint8)
    qh = np.zeros((n, 2, 32), dtype=np.uint8)
    for i in range(4):
        half = slice(32 * (i & 1), 32 * (i & 1) + 32)
        ql[:, :, half] |= ((q[:, :, i, :] & 15) << (0 if i < 2 else 4)).astype(np.uint8)
        qh |= ((q[:, :, i, :] >> 4) << (2 * i)).astype(np.uint8)
    return np.concatenate([ql.reshape(n, 128), qh.reshape(n, 64), sc.view(np.uint8), d.view(np.uint8).reshape(n, 2)], axis=1)

def quantize_rows(x, name):
    # x: [rows][cols] float32 -> [rows][bytes] uint8 of ggml type name
    import gguf
    from gguf.quants import quantize
    rows = x.shape[0]
    if name == "Q4_K": return quantize_qk_min(x, 4).reshape(rows, -1)
    if name == "Q5_K": return quantize_qk_min(x, 5).reshape(rows, -1)
    if name == "Q6_K": return quantize_q6_k(x).reshape(rows, -1)
    return quantize(x, gguf.GGMLQuantizationType[name])
`;
