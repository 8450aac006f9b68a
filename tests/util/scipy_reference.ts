/**
 * Runs a Python snippet with SciPy and statsmodels (the independent check of util/ statistics) and
 * returns its JSON output. `SCIPY` is false, with the reason printed, when python3 lacks them: tests
 * that need it are then ignored.
 */
const probe = (() => {
  try {
    const out = new Deno.Command("python3", {
      args: ["-c", "import scipy, statsmodels; print(scipy.__version__, statsmodels.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
})();

/** True when python3 with SciPy and statsmodels is available. */
export const SCIPY: boolean = probe !== undefined;
if (!SCIPY) {
  console.log("SKIP: python3 with scipy and statsmodels is absent; the SciPy reference tests are ignored");
}

/** Runs `code` (which reads the JSON `data` and prints JSON) and parses what it prints. */
export async function python<T>(code: string, data: unknown): Promise<T> {
  const out = await new Deno.Command("python3", {
    args: ["-c", `import json, sys\ndata = json.loads(sys.stdin.read())\n${code}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(data)));
  await w.close();
  const r = await out.output();
  if (!r.success) throw new Error(`python failed: ${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(new TextDecoder().decode(r.stdout)) as T;
}
