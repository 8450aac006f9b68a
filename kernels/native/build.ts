/**
 * `deno task build`: compiles ropekit.c into `.build/libropekit.so` (gitignored) with the system C
 * compiler. Without a compiler it prints why and exits 0: the WebAssembly build of the same source
 * (kernels/wasm) is used instead. lib.ts also calls {@linkcode buildSync} on first use, and again when
 * the sources changed since the library was built (a stamp beside it), so the task is never required.
 *
 *   deno task build [--cc gcc] [--no-openmp]
 *
 * Flags: -O3 -march=native (AVX2/FMA where the CPU has them; the library is for this machine only),
 * -fopenmp (2+ cores), -fno-math-errno -fno-trapping-math (lets gcc vectorise branch-free selects
 * and inline floorf/sqrt; unlike -ffast-math they keep NaN/inf semantics and operation order),
 * -Wl,-z,nodelete (libgomp's idle threads must outlive a dlclose at exit).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ABI_VERSION } from "./symbols.ts";
/** The build folder (gitignored) and the library file in it, for this platform. */
export const BUILD_DIR = fileURLToPath(new URL("../../.build/", import.meta.url));
export const LIBRARY_PATH = BUILD_DIR +
  (Deno.build.os === "windows"
    ? "ropekit.dll"
    : Deno.build.os === "darwin"
    ? "libropekit.dylib"
    : "libropekit.so");

/** The C the library is compiled from: ropekit.c (the compiler's input) and the file it includes. */
const SOURCES = ["ropekit.c", "quant.c"].map((name) => fileURLToPath(new URL(`./${name}`, import.meta.url)));
const SOURCE = SOURCES[0];
/** Beside the library: the stamp of the sources it was built from. */
export const STAMP_PATH = `${LIBRARY_PATH}.sources`;

/**
 * A digest of the library's sources and ABI version, or undefined when they cannot be read (no read
 * permission: a library user's sandbox). lib.ts rebuilds a library whose stamp differs, so a checkout that
 * changes ropekit.c never runs the kernels of the old one (the ABI version only changes with the symbols).
 */
export function sourceStamp(): string | undefined {
  const hash = createHash("sha256").update(`abi ${ABI_VERSION}\n`);
  for (const path of SOURCES) {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
    try {
      hash.update(path.slice(path.lastIndexOf("/") + 1)).update("\0").update(Deno.readFileSync(path));
    } catch {
      return undefined;
    }
  }
  return hash.digest("hex");
}

function run(cmd: string, args: string[]): { ok: boolean; stderr: string } | null {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Builds the library with `cc` (default: the first of `candidates` found); false (after saying why
 * through `log`) when it could not. `extraFlags` go after the standard ones (the tests build the 8-float
 * kernels on an AVX-512 machine with `-mno-avx512f`).
 */
export function buildSync(
  cc?: string,
  openmp = true,
  log: (line: string) => void = console.log,
  candidates = ["cc", "gcc", "clang"],
  extraFlags: string[] = [],
): boolean {
  if (cc === undefined) {
    for (const candidate of candidates) {
      if (run(candidate, ["--version"]) !== null) {
        return buildSync(candidate, openmp, log, candidates, extraFlags);
      }
    }
    log(
      `build: no C compiler (${
        candidates.join(", ")
      }) found; skipping (the WebAssembly kernels will be used)`,
    );
    return false;
  }
  Deno.mkdirSync(BUILD_DIR, { recursive: true });
  Deno.writeTextFileSync(BUILD_DIR + ".gitignore", "*\n"); // keeps build outputs out of git
  const base = [
    "-O3",
    "-march=native",
    "-fno-math-errno",
    "-fno-trapping-math",
    "-fPIC",
    "-shared",
    "-Wall",
    `-DRK_ABI_VERSION=${ABI_VERSION}`,
    ...extraFlags,
  ];
  // Written under a temporary name and renamed: processes building at once never load a half-written file.
  const tmp = `${LIBRARY_PATH}.${Deno.pid}.tmp`;
  const tail = ["-Wl,-z,nodelete", "-o", tmp, SOURCE, "-lm"];
  const attempts = openmp ? [[...base, "-fopenmp", ...tail], [...base, ...tail]] : [[...base, ...tail]];
  for (const args of attempts) {
    const r = run(cc, args);
    if (r === null) {
      log(`build: no C compiler "${cc}" found; skipping (the WebAssembly kernels will be used)`);
      return false;
    }
    if (r.ok) {
      Deno.renameSync(tmp, LIBRARY_PATH);
      const stamp = sourceStamp();
      if (stamp) {
        Deno.writeTextFileSync(`${STAMP_PATH}.${Deno.pid}.tmp`, stamp);
        Deno.renameSync(`${STAMP_PATH}.${Deno.pid}.tmp`, STAMP_PATH);
      }
      log(`build: ${LIBRARY_PATH} (${cc} ${args.filter((a) => a.startsWith("-f")).join(" ")})`);
      return true;
    }
    log(`build: ${cc} ${args.join(" ")} failed:\n${r.stderr}`);
  }
  log("build: failed; the WebAssembly kernels will be used");
  return false;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--cc");
  buildSync(i >= 0 ? Deno.args[i + 1] : undefined, !Deno.args.includes("--no-openmp"));
}
