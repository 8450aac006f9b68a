/** Test-only: a command whose main has a bug (a TypeError), run through the CLI's runCommand. */
import { runCommand } from "../../cli/args.ts";

await runCommand(() => {
  const config = JSON.parse(Deno.args[0] ?? "{}") as { rope?: { theta: number } };
  // The bug: reading a field of an object that is not there.
  return Promise.resolve(void config.rope!.theta);
});
