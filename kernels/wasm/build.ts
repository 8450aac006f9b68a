/**
 * `deno task build:wasm`: compiles kernels/native/ropekit.c (the same source as the native library)
 * with kernels/wasm/runtime.c into the two committed modules the WebAssembly backend loads:
 *
 * - `ropekit_simd.wasm`: SIMD128, for any runtime with WebAssembly threads and SIMD;
 * - `ropekit_relaxed.wasm`: also relaxed SIMD (f32x4.relaxed_madd, an FMA on x86 with FMA and on Arm),
 *   picked by lib.ts where the runtime validates it.
 *
 *   deno task build:wasm [--check]
 *
 * `--check` builds into a temporary folder and exits 1 if either file differs from the committed one
 * (CI runs it). The build is reproducible: a pinned compiler (Debian's clang-19 and lld-19), fixed flags,
 * no debug info, so no paths or times end up in the output. OpenMP pragmas compile to libomp calls that
 * runtime.c implements over a pool of workers sharing the module's memory.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { ABI_VERSION } from "../native/symbols.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCES = ["kernels/wasm/runtime.c", "kernels/native/ropekit.c"];
/** The compiler the committed files were built with; another version builds different bytes. */
const COMPILERS = ["clang-19", "clang"];
const WANT_VERSION = "clang version 19.";

const COMMON = [
  "--target=wasm32",
  `-DRK_ABI_VERSION=${ABI_VERSION}`,
  "-O3",
  "-msimd128",
  "-matomics",
  "-mbulk-memory",
  "-fopenmp",
  "-ffreestanding",
  "-nostdlib",
  "-fno-math-errno",
  "-fno-trapping-math",
  "-fvisibility=default",
  "-Wall",
  "-Wno-pass-failed", // `omp simd` loops calling rk_exp stay scalar; the warning says so for each
  "-Wl,--no-entry",
  "-Wl,--export-dynamic",
  "-Wl,--export=__stack_pointer", // each worker sets its own stack
  "-Wl,--import-memory",
  "-Wl,--shared-memory",
  "-Wl,--max-memory=4294967296",
  "-Wl,--initial-memory=16777216",
  "-Wl,--stack-first",
  "-Wl,-z,stack-size=1048576",
];

/** The committed modules and the extra flags of each. */
export const VARIANTS = {
  "ropekit_simd.wasm": [] as string[],
  "ropekit_relaxed.wasm": ["-mrelaxed-simd"],
};

function run(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } | null {
  try {
    const out = new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" }).outputSync();
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The first compiler that targets wasm32 (clang-19 preferred), or null. */
function findClang(): { cc: string; version: string } | null {
  for (const cc of COMPILERS) {
    const r = run(cc, ["--version"]);
    if (r?.ok) return { cc, version: r.stdout.split("\n")[0] };
  }
  return null;
}

/** Builds both modules into `dir` (a path relative to the repository root, or absolute); throws on failure. */
export function buildWasm(dir: string): string[] {
  const clang = findClang();
  if (!clang) throw new Error("build:wasm: no clang found (apt-get install clang-19 lld-19)");
  if (!clang.version.includes(WANT_VERSION)) {
    console.error(
      `build:wasm: ${clang.version}: not clang 19, so the output will differ from the committed files`,
    );
  }
  const written = [];
  for (const [name, extra] of Object.entries(VARIANTS)) {
    const out = `${dir.replace(/\/$/, "")}/${name}`;
    const r = run(clang.cc, [...COMMON, ...extra, ...SOURCES, "-o", out]);
    if (!r?.ok) throw new Error(`build:wasm: ${clang.cc} failed for ${name}:\n${r?.stderr}`);
    written.push(out);
  }
  return written;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const tmp = Deno.makeTempDirSync({ prefix: "ropekit_wasm_" });
    try {
      buildWasm(tmp);
      let same = true;
      for (const name of Object.keys(VARIANTS)) {
        const built = Deno.readFileSync(`${tmp}/${name}`);
        const committed = Deno.readFileSync(`${ROOT}kernels/wasm/${name}`);
        const equal = built.length === committed.length && built.every((b, i) => b === committed[i]);
        console.log(
          `build:wasm --check: ${name} ${equal ? "matches the source" : "DIFFERS from the source"}`,
        );
        same &&= equal;
      }
      if (!same) {
        console.error("build:wasm --check: run `deno task build:wasm` and commit the .wasm files");
        Deno.exit(1);
      }
    } finally {
      Deno.removeSync(tmp, { recursive: true });
    }
  } else {
    for (const f of buildWasm("kernels/wasm")) console.log(`build:wasm: ${f}`);
  }
}
