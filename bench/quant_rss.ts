/**
 * One model's memory for `deno task bench` (bench/quant.ts runs it as its own process, so each file's
 * peak is its own): loads a GGUF on the native backend, runs one NLL pass over `length` tokens, prints
 * JSON {peakRssMb, weightMb}: the process's peak resident set (Linux VmHWM) and the bytes its weights
 * hold as loaded (model/quant_matrix.ts weightBytes; the native f32 path also keeps a packed copy).
 *
 *   deno run --allow-ffi=.build --allow-read --allow-env --allow-run=cat bench/quant_rss.ts MODEL.gguf LENGTH
 *
 * @module
 */
import { loadModel } from "../model/load_model.ts";
import { nativeBackend } from "../model/native_backend.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { weightBytes } from "../model/quant_matrix.ts";
import { timeNll } from "./time_nll.ts";

const [path, length] = [Deno.args[0], Number(Deno.args[1] ?? 512)];
const model = await loadModel(path, { backend: nativeBackend() ?? new CpuBackend() });
await timeNll(model, model.backend, length, 0);
const status = await new Deno.Command("cat", { args: [`/proc/${Deno.pid}/status`], stdout: "piped" })
  .output();
const hwm = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(status.stdout));
console.log(JSON.stringify({
  peakRssMb: hwm ? Number(hwm[1]) / 1024 : Deno.memoryUsage().rss / 2 ** 20,
  weightMb: weightBytes(model.weights) / 2 ** 20,
  backend: model.backend.name,
}));
