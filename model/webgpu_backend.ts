/**
 * The WebGPU backend: a whole llama forward pass (embedding → blocks → final norm → chunked NLL)
 * encoded into one command buffer and submitted once — a submit+wait costs ≥ 10 ms on the software
 * adapters here, so per-op submissions would dominate. Weights are uploaded once per weights object,
 * as f32 (encoded GGUF matrices are decoded for the upload: the WGSL matmul reads f32).
 * Incremental decoding (one token at a time) stays on the CPU backend: a step is tiny and the
 * round trip would cost more than it saves.
 *
 * @module
 */
import {
  encodeAdd,
  encodeAttention,
  encodeEmbed,
  encodeGegluTanh,
  encodeLogitsNll,
  encodeMatmul,
  encodeRmsnorm,
  encodeRope,
  encodeSwiglu,
  getGpu,
  type GpuContext,
  readBuffer,
  upload,
} from "../kernels/mod.ts";
import { checkRopeApply, type RopeApply, ropeCosSinTable } from "../kernels/rope_apply.ts";
import type { Backend, KvCache } from "./backend.ts";
import type { LayerWeights, ModelWeights } from "./config.ts";
import { denseWeights } from "./quant_matrix.ts";
import { type BlockOps, layerRope, llamaBlock, sharedBlockBuffers } from "./llama_block.ts";
import { CpuBackend } from "./cpu_backend.ts";

/** Largest storage binding WebGPU guarantees here (128 MiB). */
const MAX_BINDING = 128 * 2 ** 20;

type GpuLayer = { [K in keyof LayerWeights]: GPUBuffer };

interface GpuWeights {
  embedding: GPUBuffer;
  finalNorm: GPUBuffer;
  classifier: GPUBuffer;
  layers: GpuLayer[];
}

/** Runs `forwardNll` on a WebGPU device; `createCache`/`forwardStep` on the CPU. */
export class WebGpuBackend implements Backend {
  readonly name: string;
  #uploaded = new WeakMap<ModelWeights, GpuWeights>();
  #cpu = new CpuBackend();

  constructor(readonly ctx: GpuContext) {
    this.name = `webgpu (${ctx.description})`;
  }

  /** The backend on the process-wide adapter, or null when there is none. */
  static async create(): Promise<WebGpuBackend | null> {
    const ctx = await getGpu();
    return ctx ? new WebGpuBackend(ctx) : null;
  }

  /** Uploads an array (weights may be views of a shared or loaded buffer: the bytes are copied). */
  #upload(a: Float32Array): GPUBuffer {
    return upload(this.ctx, a.buffer instanceof ArrayBuffer ? a as Float32Array<ArrayBuffer> : a.slice());
  }

  #weights(model: ModelWeights): GpuWeights {
    let g = this.#uploaded.get(model);
    if (!g) {
      const w = denseWeights(model);
      for (const [name, a] of [["embedding", w.embedding], ["classifier", w.classifier]] as const) {
        if (a.byteLength > MAX_BINDING) {
          throw new RangeError(
            `webgpu backend: ${name} is ${a.byteLength} bytes, over the 128 MiB binding limit`,
          );
        }
      }
      const layer = (l: LayerWeights) =>
        Object.fromEntries(
          // absent biases may be present as undefined keys (the GGUF loader's): nothing to upload
          Object.entries(l).flatMap(([k, v]) => (v ? [[k, this.#upload(v as Float32Array)]] : [])),
        ) as GpuLayer;
      g = {
        embedding: this.#upload(w.embedding),
        finalNorm: this.#upload(w.finalNorm),
        classifier: this.#upload(w.classifier),
        layers: w.layers.map(layer),
      };
      this.#uploaded.set(model, g);
    }
    return g;
  }

  async forwardNll(
    w: ModelWeights,
    tokens: Int32Array,
    rope: RopeApply,
    localRope?: RopeApply,
  ): Promise<Float32Array> {
    const c = w.config;
    const T = tokens.length - 1;
    if (T < 1) return new Float32Array(0);
    const ropes = [rope, ...(localRope ? [localRope] : [])];
    for (const r of ropes) checkRopeApply(r, c.headDim, T);
    const ctx = this.ctx;
    const g = this.#weights(w);
    const scratch: GPUBuffer[] = [];
    const buf = (floats: number) => {
      const b = ctx.acquire(Math.max(16, floats * 4));
      scratch.push(b);
      return b;
    };
    const x = buf(T * c.dim), s = sharedBlockBuffers(c, T, buf), h = s.h1;
    const nll = buf(T);
    const ids = upload(ctx, tokens.slice(0, T));
    const targets = upload(ctx, tokens.slice(1));
    const cosSin = new Map(ropes.map((r) => [r, upload(ctx, ropeCosSinTable(r, T))]));

    const enc = ctx.device.createCommandEncoder({ label: "llama forward NLL" });
    const ops: BlockOps<GPUBuffer> = {
      rmsnorm: (a) => encodeRmsnorm(ctx, enc, a),
      matmul: (a) => encodeMatmul(ctx, enc, a),
      matmulAdd(a, tmp) {
        encodeMatmul(ctx, enc, { ...a, out: tmp });
        encodeAdd(ctx, enc, { out: a.out, a: a.out, b: tmp, n: a.T * a.N });
      },
      rope: (a, layer) => {
        const r = layerRope(c, layer, rope, localRope);
        encodeRope(ctx, enc, { ...a, cosSin: cosSin.get(r)!, rotaryDim: r.rotaryDim, pairing: r.pairing });
      },
      // Inference passes no document mask (docStarts), the one field the GPU takes as rows instead.
      attention: ({ docStarts: _, ...a }) => encodeAttention(ctx, enc, a),
      swiglu: (a) => encodeSwiglu(ctx, enc, a),
      gegluTanh: (a) => encodeGegluTanh(ctx, enc, a),
      add: (a) => encodeAdd(ctx, enc, a),
    };
    encodeEmbed(ctx, enc, { out: x, table: g.embedding, tokens: ids, T, D: c.dim });
    g.layers.forEach((l, i) => llamaBlock(ops, c, l, i, T, x, s));
    encodeRmsnorm(ctx, enc, { out: h, x, weight: g.finalNorm, T, D: c.dim, eps: c.normEps });
    const logits = encodeLogitsNll(ctx, enc, {
      hidden: h,
      wcls: g.classifier,
      targets,
      nll,
      T,
      D: c.dim,
      V: c.vocabSize,
    });
    ctx.device.queue.submit([enc.finish()]);
    try {
      await ctx.checkErrors();
      return new Float32Array(await readBuffer(ctx, nll, T * 4));
    } finally {
      logits.done();
      for (const b of scratch) ctx.release(b);
      for (const b of [ids, targets, ...cosSin.values()]) b.destroy();
    }
  }

  createCache(w: ModelWeights, capacity: number): KvCache {
    return this.#cpu.createCache(w, capacity);
  }

  forwardStep(
    w: ModelWeights,
    cache: KvCache,
    tokens: Int32Array,
    rope: RopeApply,
    localRope?: RopeApply,
  ): Promise<Float32Array> {
    return this.#cpu.forwardStep(w, cache, tokens, rope, localRope);
  }
}
