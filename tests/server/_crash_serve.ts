/**
 * `cli/serve.ts` with the crash hook of tests/server/_crash_worker.ts injected: the entry module
 * crash_test.ts starts instead of the shipped one.
 */
import { runCommand } from "../../cli/args.ts";
import { serve } from "../../cli/serve.ts";

await runCommand(() => serve(Deno.args, { compareWorker: new URL("./_crash_worker.ts", import.meta.url) }));
