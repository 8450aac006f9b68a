/**
 * The starter plugin `deno task plugin new NAME` writes: the smallest complete plugin (Position
 * Interpolation with one parameter), typed against the plugin SDK (`@ropekit/ropekit/plugin`) by a
 * type-only import — erased when the sandbox loads it, so the module stays self-contained — and a
 * test beside it that runs ropekit's conformance suite.
 *
 * @module
 */

/** Source of a starter plugin called `name` (kebab-case). */
export function starterPlugin(name: string): string {
  return `/**
 * ${name}: a ropekit strategy plugin. Started from \`deno task plugin new\`; it divides every
 * frequency by the extension factor (Position Interpolation). Replace \`table\` with your method.
 *
 * Check it (the conformance suite ropekit runs on load, in the same sandbox):
 *   deno task plugin check ./this_file.ts
 * Use it by URL or path wherever a strategy is named, parameters after "#":
 *   deno task compare --strategies "yarn,https://example.org/this_file.ts#factor=4"
 *
 * Rules: one self-contained module (no imports but \`import type\`; bundle if you need any), no I/O,
 * the same inputs must give the same table, return plain numbers and arrays.
 */
import type { PluginDefinition } from "@ropekit/ropekit/plugin";

export const strategy = {
  apiVersion: 1,
  name: ${JSON.stringify(name)},
  version: "0.1.0",
  description: "Position Interpolation (a starter plugin: replace with your method).",
  params: {
    factor: {
      type: "number",
      min: 1,
      optional: true,
      description: "Extension factor; defaults to target length / trained context.",
    },
  },
  /**
   * @param spec   the model's RoPE: theta, rotaryDim, headDim, originalContext (L0), maxPositions, pairing
   * @param ctx    targetLength (the length to extend to) and seqLen, when known
   * @param params the declared parameters, validated, with defaults applied
   * @returns      rotaryDim, invFreq (rotaryDim / 2 positive numbers) and attentionScale
   */
  table(spec, ctx, params) {
    const factor = typeof params.factor === "number"
      ? params.factor
      : Math.max(1, (ctx.targetLength ?? spec.maxPositions) / spec.originalContext);
    const pairs = spec.rotaryDim / 2;
    const invFreq = Array.from({ length: pairs }, (_, i) => Math.pow(spec.theta, (-2 * i) / spec.rotaryDim) / factor);
    return { rotaryDim: spec.rotaryDim, invFreq, attentionScale: 1 };
  },
} satisfies PluginDefinition;
`;
}

/** Source of the starter's test: `deno test` runs ropekit's conformance suite on the plugin in `file`. */
export function starterTest(file: string): string {
  return `import { assertConformance } from "@ropekit/ropekit/plugin";
import { strategy } from "./${file}";

Deno.test("${file} conforms to the ropekit strategy contract", async () => {
  await assertConformance(strategy, { full: true });
});
`;
}
