/**
 * How every command ends on a failure. An explained failure — a {@linkcode RopekitError} (bad flag,
 * unreadable file, refused plugin), or the operating system refusing a path the user named — prints
 * one line and exits 1. Anything else is a bug in ropekit: it prints its stack, so the report can
 * say where, and exits 70 (EX_SOFTWARE), so a script can tell the two apart.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";

/** The exit code of a bug (sysexits' EX_SOFTWARE); an explained failure exits 1. */
export const BUG_EXIT_CODE = 70;

/** The file-system errors that name a path the user gave: explained, not bugs. */
const OS_REFUSALS = [Deno.errors.NotFound, Deno.errors.PermissionDenied, Deno.errors.IsADirectory];

/** Whether `e` is an explained failure (one line), rather than a bug (a stack). */
export function isExplained(e: unknown): e is Error {
  return e instanceof RopekitError || OS_REFUSALS.some((k) => e instanceof k);
}

/** Runs a command's main: explained failures print one line and exit 1; bugs print a stack and exit 70. */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (isExplained(e)) {
      console.error(`error: ${e.message}`);
      Deno.exit(1);
    }
    console.error("bug: ropekit failed unexpectedly; please report this with the stack below");
    console.error(e);
    Deno.exit(BUG_EXIT_CODE);
  }
}
