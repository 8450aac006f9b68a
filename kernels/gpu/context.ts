/**
 * The one place that talks to `navigator.gpu`: adapter and device, what they support, a pipeline
 * cache (compile once per key: cold WGSL compiles take seconds on software adapters), cached uniform
 * buffers, a buffer pool, and scratch textures (a kernel's operands copied where it reads them as texels).
 *
 * `DENO_WEBGPU_BACKEND=vulkan|gl` (read by Deno itself) picks lavapipe or llvmpipe on this machine.
 *
 * @module
 */

/** What the kernels need to know about the device. */
export interface GpuContext {
  device: GPUDevice;
  /** e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  /** Value of DENO_WEBGPU_BACKEND, or "default". */
  backend: string;
  /** Software rasteriser (lavapipe/llvmpipe) or fallback adapter: loads are slow, compiles are slow. */
  isSoftware: boolean;
  /** `shader-f16` was requested and granted. */
  f16: boolean;
  /**
   * Pipeline for `key`, compiled from `wgsl()` on first use. Its bind group layout is derived from the
   * shader unless `bindings` gives it (needed for textures read with `textureLoad` only: a derived layout
   * asks for filterable ones, which rgba32float is not).
   */
  pipeline(key: string, wgsl: () => string, bindings?: GPUBindGroupLayoutEntry[]): GPUComputePipeline;
  /** Throws if any pipeline compiled since the last call failed validation, naming the kernel. */
  checkErrors(): Promise<void>;
  /** A uniform buffer holding these u32/f32 words, cached by content so equal calls share it. */
  uniform(words: ArrayLike<number>, floats?: boolean): GPUBuffer;
  /** A storage buffer of at least `bytes` (reused from the pool when possible). */
  acquire(bytes: number, usage?: number): GPUBuffer;
  /** Returns a buffer from {@linkcode acquire} to the pool. */
  release(buffer: GPUBuffer): void;
  /**
   * The rgba32float texture of `slot` (copy destination, read by shaders), at least `width` × `rows`
   * texels: reused while large enough, replaced by a larger one otherwise (by a quarter at least);
   * null when `rows` exceeds the device's `maxTextureDimension2D`. Work recorded earlier on an encoder
   * may still read a replaced texture: it is dropped, not destroyed.
   */
  scratchTexture(slot: string, width: number, rows: number): GPUTexture | null;
  /** Destroys the device and everything in it. */
  destroy(): void;
}

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

let shared: Promise<GpuContext | null> | undefined;

/**
 * The process-wide context, or null when there is no adapter (no WebGPU, or no driver).
 * Destroying it resets the cache so the next call opens a fresh device.
 */
export function getGpu(): Promise<GpuContext | null> {
  shared ??= createGpu();
  return shared;
}

/** Opens a new device (prefer {@linkcode getGpu}, which shares one). */
export async function createGpu(): Promise<GpuContext | null> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return null;
  const info = adapter.info;
  const description = info.description || `${info.vendor} ${info.device}`;
  const isSoftware = info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(description);
  const wanted: GPUFeatureName[] = ["shader-f16"];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxTextureDimension2D: adapter.limits.maxTextureDimension2D,
    },
  });
  const backend = Deno.env.get("DENO_WEBGPU_BACKEND") ?? "default";
  if (Deno.env.get("ROPEKIT_GPU_QUIET") === undefined) {
    console.error(`ropekit gpu: ${description} (backend ${backend}${isSoftware ? ", software" : ""})`);
  }
  return contextFor(device, { description, backend, isSoftware, features: requiredFeatures });
}

function contextFor(
  device: GPUDevice,
  o: { description: string; backend: string; isSoftware: boolean; features: GPUFeatureName[] },
): GpuContext {
  const pipelines = new Map<string, GPUComputePipeline>();
  const pending: Promise<void>[] = [];
  const uniforms = new Map<string, GPUBuffer>();
  const pool = new Map<number, GPUBuffer[]>();
  const textures = new Map<string, GPUTexture>();

  return {
    device,
    description: o.description,
    backend: o.backend,
    isSoftware: o.isSoftware,
    f16: o.features.includes("shader-f16"),
    pipeline(key, wgsl, bindings) {
      let p = pipelines.get(key);
      if (p) return p;
      // Creation is synchronous so encoders stay synchronous; errors come back through checkErrors().
      device.pushErrorScope("validation");
      const module = device.createShaderModule({ label: key, code: wgsl() });
      p = device.createComputePipeline({
        label: key,
        layout: bindings
          ? device.createPipelineLayout({
            bindGroupLayouts: [device.createBindGroupLayout({ label: key, entries: bindings })],
          })
          : "auto",
        compute: { module, entryPoint: "main" },
      });
      pending.push(
        device.popErrorScope().then((e) => {
          if (e) throw new Error(`ropekit kernel ${key}: ${e.message}`);
        }),
      );
      pipelines.set(key, p);
      return p;
    },
    async checkErrors() {
      const all = pending.splice(0);
      await Promise.all(all);
    },
    uniform(words, floats = false) {
      const data = floats ? Float32Array.from(words) : Uint32Array.from(words);
      const key = `${floats ? "f" : "u"}${Array.from(data).join(",")}`;
      let b = uniforms.get(key);
      if (!b) {
        b = device.createBuffer({
          label: `uniform ${key}`,
          size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        });
        device.queue.writeBuffer(b, 0, data);
        uniforms.set(key, b);
      }
      return b;
    },
    acquire(bytes, usage = STORAGE) {
      // Power-of-two size classes keep the pool small; usage is part of the class.
      const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
      const list = pool.get(size * 64 + usage);
      return list?.pop() ?? device.createBuffer({ size, usage });
    },
    release(buffer) {
      const k = buffer.size * 64 + buffer.usage;
      const list = pool.get(k) ?? [];
      list.push(buffer);
      pool.set(k, list);
    },
    scratchTexture(slot, width, rows) {
      const limit = device.limits.maxTextureDimension2D;
      if (rows > limit || width > limit) return null;
      const held = textures.get(slot);
      if (held && held.width === width && held.height >= rows) return held;
      const texture = device.createTexture({
        label: `scratch ${slot}`,
        // A quarter more than the held one at least, so that growing calls do not replace it each time.
        size: [width, Math.min(limit, Math.max(rows, Math.ceil((held?.height ?? 0) * 1.25)))],
        format: "rgba32float",
        usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
      });
      textures.set(slot, texture);
      return texture;
    },
    destroy() {
      device.destroy();
      pipelines.clear();
      textures.clear();
      uniforms.clear();
      pool.clear();
      shared = undefined;
    },
  };
}

/** Copies `bytes` from a GPU buffer back to the CPU (one submit + map: ≥10 ms on software adapters). */
export async function readBuffer(ctx: GpuContext, src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const staging = ctx.device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = ctx.device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, bytes);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.destroy();
  return out;
}

/** Typed arrays that can be uploaded. */
export type HostArray =
  | Float32Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>
  | Uint32Array<ArrayBuffer>
  | Uint16Array<ArrayBuffer>;

/** A storage buffer holding `data` (sizes rounded up to 4 bytes). */
export function upload(ctx: GpuContext, data: HostArray): GPUBuffer {
  const b = ctx.device.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: STORAGE,
  });
  ctx.device.queue.writeBuffer(b, 0, data, 0, data.length);
  return b;
}

/** Number of workgroups needed to cover `n` items, `per` at a time. */
export function groups(n: number, per: number): number {
  return Math.max(1, Math.ceil(n / per));
}
