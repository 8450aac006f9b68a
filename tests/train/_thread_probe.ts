/**
 * Run by determinism_test.ts in a child process (OMP_NUM_THREADS set by the parent): one native training
 * pass over a fixed batch, printing the engine and a hash of every gradient's bytes.
 */
import { initWeights } from "../../train/init.ts";
import { forwardBackward, type TrainWindow } from "../../train/model_grad.ts";
import { mapWeights, parameterList } from "../../train/params.ts";
import { trainOps } from "../../train/ops.ts";
import { nativeKernels } from "../../kernels/native/mod.ts";
import { createRng } from "../../util/random.ts";

const config = {
  architecture: "test",
  dim: 64,
  hiddenDim: 96,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 16,
  vocabSize: 80,
  normEps: 1e-5,
  bosId: 1,
  eosId: 2,
};
const w = initWeights(config, { seed: 5 });
const rng = createRng(11);
const tokens = (n: number) => Int32Array.from({ length: n }, () => rng.int(config.vocabSize));
const invFreq = Float32Array.from({ length: 8 }, (_, i) => 10000 ** (-i / 8));
const rope = { rotaryDim: 16, invFreq, scale: 1, pairing: "interleaved" as const };
const windows: TrainWindow[] = [
  { tokens: tokens(300), rope, docStarts: new Int32Array([0, 90, 200]) },
  { tokens: tokens(513), rope: { ...rope, invFreq: invFreq.map((f) => f / 4) } },
];
const g = mapWeights(w, (a) => new Float32Array(a.length));
const { nllSum } = forwardBackward(w, g, windows, { engine: "native" });
const digest = await crypto.subtle.digest(
  "SHA-256",
  new Uint8Array(parameterList(g).flatMap((p) => [...new Uint8Array(p.buffer, p.byteOffset, p.byteLength)])),
);
console.log(JSON.stringify({
  engine: trainOps().engine,
  threads: nativeKernels()?.rk_threads(),
  nllSum,
  hash: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
}));
