/**
 * The native kernels run on 16-float vectors where the CPU has AVX-512 and on 8-float ones elsewhere, with the
 * same sums in the same order. The library here is built for this CPU, so the other path is built beside it
 * (a copy of kernels/ under .build/, compiled with -mno-avx512f) and both must give the same bits on the same
 * inputs: the path a machine without AVX-512 runs stays tested on one that has it.
 */
import assert from "node:assert/strict";
import { copyKernels } from "./_util.ts";
import {
  causalAttentionNative,
  LIBRARY_PATH,
  matmulNative,
  nativeKernels,
} from "../../kernels/native/mod.ts";
import type * as NativeMod from "../../kernels/native/mod.ts";
import type * as NativeBuild from "../../kernels/native/build.ts";
import { createRng } from "../../util/random.ts";

const ROOT = new URL("../../", import.meta.url);
/** Inside .build/ (git-ignored, and the folder the tests' --allow-ffi names). */
const COPY = new URL(".build/narrow/", ROOT);
const native = nativeKernels();

function randomArray(n: number, seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => 2 * r.next() - 1);
}

Deno.test({
  name: "native kernels: the 8-float build (-mno-avx512f) gives the same bits as this machine's build",
  ignore: native === null,
  async fn() {
    await copyKernels(COPY);
    const build: typeof NativeBuild = await import(new URL("kernels/native/build.ts", COPY).href);
    const lines: string[] = [];
    const built = build.buildSync(undefined, true, (l) => lines.push(l), undefined, ["-mno-avx512f"]);
    assert.ok(built, lines.join("\n"));
    const narrow: typeof NativeMod = await import(new URL("kernels/native/mod.ts", COPY).href);
    const nk = narrow.nativeKernels();
    assert.ok(nk, narrow.nativeStatus());
    assert.notEqual(narrow.LIBRARY_PATH, LIBRARY_PATH);

    // The two builds differ where it matters: no 512-bit register in the narrow one (objdump, from binutils).
    const zmm = async (lib: string) => {
      const d = await new Deno.Command("objdump", { args: ["-d", lib], stdout: "piped" }).output();
      return (new TextDecoder().decode(d.stdout).match(/%zmm/g) ?? []).length;
    };
    const wideHere = await zmm(LIBRARY_PATH);
    assert.equal(await zmm(narrow.LIBRARY_PATH), 0);
    if (wideHere === 0) console.log("this CPU has no AVX-512: both builds are the 8-float path");

    let checked = 0;
    for (const [T, K, N] of [[7, 13, 17], [150, 128, 100], [73, 64, 130]]) {
      const x = randomArray(T * K, 1), w = randomArray(N * K, 2), bias = randomArray(N, 3);
      const here = new Float32Array(T * N), there = new Float32Array(T * N);
      matmulNative({ out: here, x, w, bias, T, K, N });
      narrow.matmulNative({ out: there, x, w, bias, T, K, N }, nk);
      assert.deepEqual(there, here, `matmul ${T}×${K}×${N}`);
      checked++;
    }
    for (const [T, H, KV, hd, window] of [[333, 4, 2, 32, 0], [163, 4, 1, 64, 50], [600, 2, 2, 64, 0]]) {
      const q = randomArray(T * H * hd, 4), k = randomArray(T * KV * hd, 5), v = randomArray(T * KV * hd, 6);
      const docStarts = Int32Array.from([0, Math.floor(T / 3)]);
      for (const docs of [undefined, docStarts]) {
        const args = { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd, window, docStarts: docs };
        const here = new Float32Array(T * H * hd), there = new Float32Array(T * H * hd);
        causalAttentionNative({ ...args, out: here });
        narrow.causalAttentionNative({ ...args, out: there }, nk);
        assert.deepEqual(there, here, `attention T${T} H${H}/${KV} hd${hd} window ${window} docs ${!!docs}`);
        checked++;
      }
    }
    console.log(`${checked} calls bit-identical (${lines.at(-1)})`);
  },
});
