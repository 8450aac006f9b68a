/**
 * An independent, deliberately plain float64 llama forward pass used as the oracle in tests:
 * per-token NLL of tokens[1..] with RoPE from `invFreq`, either pairing, partial rotary and biases.
 */
import type { LlamaWeights } from "../../model/config.ts";

export function referenceNll(
  w: LlamaWeights,
  tokens: number[],
  invFreq: ArrayLike<number>,
  pairing: "interleaved" | "half",
  rotaryDim: number,
  scale = 1,
): number[] {
  const c = w.config, hd = c.headDim, T = tokens.length - 1;
  const matvec = (m: Float32Array, x: number[], rows: number, b?: Float32Array) =>
    Array.from({ length: rows }, (_, r) => x.reduce((s, v, i) => s + m[r * x.length + i] * v, b ? b[r] : 0));
  const norm = (x: number[], g: Float32Array) => {
    const inv = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + c.normEps);
    return x.map((v, i) => v * inv * g[i]);
  };
  const rotate = (v: number[], heads: number, pos: number) => {
    const out = v.slice();
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < rotaryDim / 2; i++) {
        const a = h * hd + (pairing === "interleaved" ? 2 * i : i);
        const b = a + (pairing === "interleaved" ? 1 : rotaryDim / 2);
        const cos = Math.cos(pos * invFreq[i]) * scale, sin = Math.sin(pos * invFreq[i]) * scale;
        out[a] = v[a] * cos - v[b] * sin;
        out[b] = v[b] * cos + v[a] * sin;
      }
    }
    return out;
  };
  let x = tokens.slice(0, T).map((t) => Array.from(w.embedding.subarray(t * c.dim, (t + 1) * c.dim)));
  for (const l of w.layers) {
    const h = x.map((r) => norm(r, l.attnNorm));
    const q = h.map((r, t) => rotate(matvec(l.wq, r, c.nHeads * hd, l.bq), c.nHeads, t));
    const k = h.map((r, t) => rotate(matvec(l.wk, r, c.nKvHeads * hd, l.bk), c.nKvHeads, t));
    const v = h.map((r) => matvec(l.wv, r, c.nKvHeads * hd, l.bv));
    const att = q.map((qt, t) => {
      const out = new Array(c.nHeads * hd).fill(0);
      for (let hh = 0; hh < c.nHeads; hh++) {
        const g = Math.floor(hh / (c.nHeads / c.nKvHeads));
        const logits = Array.from({ length: t + 1 }, (_, s) => {
          let d = 0;
          for (let i = 0; i < hd; i++) d += qt[hh * hd + i] * k[s][g * hd + i];
          return d / Math.sqrt(hd);
        });
        const m = Math.max(...logits);
        const p = logits.map((z) => Math.exp(z - m));
        const z = p.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          for (let i = 0; i < hd; i++) out[hh * hd + i] += (p[s] / z) * v[s][g * hd + i];
        }
      }
      return out;
    });
    x = x.map((r, t) => matvec(l.wo, att[t], c.dim).map((o, i) => r[i] + o));
    const h2 = x.map((r) => norm(r, l.ffnNorm));
    x = x.map((r, t) => {
      const g = matvec(l.wGate, h2[t], c.hiddenDim), u = matvec(l.wUp, h2[t], c.hiddenDim);
      const a = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]);
      return matvec(l.wDown, a, c.dim).map((d, i) => r[i] + d);
    });
  }
  return x.map((r, t) => {
    const logits = matvec(w.classifier, norm(r, w.finalNorm), c.vocabSize);
    const m = Math.max(...logits);
    const lse = m + Math.log(logits.reduce((s, z) => s + Math.exp(z - m), 0));
    return lse - logits[tokens[t + 1]];
  });
}
