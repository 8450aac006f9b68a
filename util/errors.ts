/**
 * The one base of ropekit's errors. Every module's error class extends {@linkcode RopekitError}, so
 * callers (the CLI, the server's status mapping) can tell an expected, explained failure — bad input,
 * an unreadable file, a refused plugin — from a bug, which is any other exception.
 *
 * @module
 */

/** What {@linkcode RopekitError} accepts besides the message. */
export interface RopekitErrorOptions {
  /** The input at fault (a request field, a flag, a config key), when one is. */
  field?: string;
  /** Overrides the code derived from the class name. */
  code?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** "ModelFormatError" → "model_format". */
function codeOf(className: string): string {
  return className.replace(/Error$/, "").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase() || "error";
}

/** An expected failure with a one-line message, a stable `code` and, when known, the `field` at fault. */
export class RopekitError extends Error {
  /** Stable and machine-readable: by default the class name in snake_case without "Error". */
  readonly code: string;
  /** The input at fault, when one is. */
  readonly field?: string;

  /**
   * `message` is one line that names the file, flag or field at fault; `options.field` names it
   * for machines too (the server answers it as the response's `field`).
   */
  constructor(message: string, options: RopekitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? codeOf(new.target.name);
    if (options.field !== undefined) this.field = options.field;
  }
}
