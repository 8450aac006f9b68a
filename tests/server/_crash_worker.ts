/// <reference lib="deno.worker" />
/**
 * The compare worker with a test hook: a job with a strategy labelled `crash-me` kills the whole
 * server process (SIGKILL to itself) at its first progress event, as a native kernel's fault
 * would. Only tests/server/_crash_serve.ts runs it; the shipped server has no such hook.
 */
import { setProgressHook } from "../../server/compare_worker.ts";

/** The label that crashes the server (crash_test.ts uses the same). */
const CRASH_LABEL = "crash-me";

setProgressHook((spec) => {
  if (spec.strategies.some((s) => s.label === CRASH_LABEL)) Deno.kill(Deno.pid, "SIGKILL");
});
