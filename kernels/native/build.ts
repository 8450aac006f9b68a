/**
 * `deno task build`: compiles ropekit.c into `.build/libropekit.so` (gitignored) with the system C
 * compiler. Without a compiler it prints why and exits 0: everything then runs on the JS path.
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
import { fileURLToPath } from "node:url";
import { BUILD_DIR, LIBRARY_PATH } from "./lib.ts";

const SOURCE = fileURLToPath(new URL("./ropekit.c", import.meta.url));

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; stderr: string } | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Builds the library with `cc` (default: the first of cc, gcc, clang found); false (after saying why) when it could not. */
export async function build(cc?: string, openmp = true): Promise<boolean> {
  if (cc === undefined) {
    for (const candidate of ["cc", "gcc", "clang"]) {
      if ((await run(candidate, ["--version"])) !== null) return build(candidate, openmp);
    }
    console.log("build: no C compiler (cc, gcc, clang) found; skipping (the JS kernels will be used)");
    return false;
  }
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  await Deno.writeTextFile(BUILD_DIR + ".gitignore", "*\n"); // keeps build outputs out of git
  const base = ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fPIC", "-shared", "-Wall"];
  const tail = ["-Wl,-z,nodelete", "-o", LIBRARY_PATH, SOURCE, "-lm"];
  const attempts = openmp ? [[...base, "-fopenmp", ...tail], [...base, ...tail]] : [[...base, ...tail]];
  for (const args of attempts) {
    const r = await run(cc, args);
    if (r === null) {
      console.log(`build: no C compiler "${cc}" found; skipping (the JS kernels will be used)`);
      return false;
    }
    if (r.ok) {
      console.log(`build: ${LIBRARY_PATH} (${cc} ${args.filter((a) => a.startsWith("-f")).join(" ")})`);
      return true;
    }
    console.log(`build: ${cc} ${args.join(" ")} failed:\n${r.stderr}`);
  }
  console.log("build: failed; the JS kernels will be used");
  return false;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--cc");
  await build(i >= 0 ? Deno.args[i + 1] : undefined, !Deno.args.includes("--no-openmp"));
}
