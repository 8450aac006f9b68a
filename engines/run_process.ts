import { EngineError } from "./engine_error.ts";

/** What an engine process wrote, and how it ended. */
export interface ProcessOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` with `input` on stdin, capturing its output (throws when it cannot start). */
export async function runProcess(
  cmd: string,
  args: string[],
  input: string,
  env: Record<string, string> = {},
): Promise<ProcessOutput> {
  const p = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped", env }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const { code, stdout, stderr } = await p.output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}

/**
 * The stdout of `once()`, run a second time if the first fails: on a loaded machine a native engine
 * process occasionally dies before it answers. Two failures are an {@linkcode EngineError} naming `engine`.
 */
export async function stdoutOfTwoTries(engine: string, once: () => Promise<ProcessOutput>): Promise<string> {
  let r = await once();
  if (r.code !== 0) r = await once();
  if (r.code !== 0) {
    const lines = r.stderr.trim().split("\n");
    const error = lines.find((l) => /error/i.test(l)) ?? lines.slice(-3).join(" | ");
    throw new EngineError(`${engine} exited ${r.code} twice: ${error.trim()}`, { field: engine });
  }
  return r.stdout;
}
