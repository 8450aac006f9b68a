/**
 * A model's content hash: sha256 over its config, RoPE spec and every weight tensor. Workers are
 * keyed by it, so a job names exactly the weights it was built for — a worker with other weights
 * (another file, another quantisation, other spec overrides such as --original-context) never
 * scores it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { WeightMatrix } from "../model/config.ts";
import type { Model } from "../model/model.ts";

/** Hex sha256 of a loaded model's weights, config and spec. */
export function modelHash(model: Pick<Model, "weights" | "spec">): string {
  const h = createHash("sha256");
  const { config, embedding, layers, finalNorm, classifier } = model.weights;
  h.update(JSON.stringify({ config, spec: model.spec }));
  const add = (a: WeightMatrix | undefined) => {
    // The length goes in too, so an absent tensor differs from an empty one; an encoded one, its type.
    const encoded = a !== undefined && !(a instanceof Float32Array);
    h.update(`${a?.length ?? -1}${encoded ? `q${a.type}` : ""};`);
    if (a instanceof Float32Array) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    else if (a) h.update(a.bytes);
  };
  add(embedding);
  for (const layer of layers) {
    for (const k of Object.keys(layer).sort()) {
      add(layer[k as keyof typeof layer] as WeightMatrix | undefined);
    }
  }
  add(finalNorm);
  add(classifier === embedding ? undefined : classifier);
  return h.digest("hex");
}
