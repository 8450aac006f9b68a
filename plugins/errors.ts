/** The one error type plugin loading and plugin calls throw. @module */

/**
 * Stable codes: the CLI maps any of them to exit code 1, the server to a 4xx. Callers branch on the
 * code, never on the message.
 */
import { RopekitError } from "../util/errors.ts";
export type PluginErrorCode =
  /** The specifier is not an http(s) URL, a file: URL or a path, or its pin is malformed. */
  | "PLUGIN_SPECIFIER"
  /** The source could not be fetched or read (network error, HTTP status, missing file, permission). */
  | "PLUGIN_UNREACHABLE"
  /** The source is larger than `maxSourceBytes`. */
  | "PLUGIN_TOO_LARGE"
  /** The source's sha256 differs from the pin in the URL or from the lock file. */
  | "PLUGIN_INTEGRITY"
  /** The module did not evaluate: syntax error, not JavaScript/TypeScript, a failing import. */
  | "PLUGIN_IMPORT"
  /** No `strategy` or default export. */
  | "PLUGIN_EXPORT"
  /** The export breaks the strategy contract (apiVersion, name, params, table). */
  | "PLUGIN_CONTRACT"
  /** The plugin's name is a built-in's (or HF alias's) or already registered. */
  | "PLUGIN_NAME_TAKEN"
  /** The plugin used a capability the sandbox denies (file, network, env, subprocess, import). */
  | "PLUGIN_PERMISSION"
  /** The plugin threw. */
  | "PLUGIN_THREW"
  /** A call ran past its deadline; the sandbox process was killed. */
  | "PLUGIN_TIMEOUT"
  /** Too many calls already wait for this plugin (the sandbox pool's `maxQueued`); retry later. */
  | "PLUGIN_BUSY"
  /** The sandbox ran past its memory limit and was stopped. */
  | "PLUGIN_MEMORY"
  /** The plugin sent a message longer than `maxMessageLength`. */
  | "PLUGIN_MESSAGE_TOO_LARGE"
  /** A table failed validation (length, finite, positive). */
  | "PLUGIN_BAD_TABLE"
  /** The conformance suite failed. */
  | "PLUGIN_NONCONFORMANT"
  /** The sandbox process could not start or died for another reason. */
  | "PLUGIN_SANDBOX";

/** A plugin was refused or misbehaved. `code` is stable; `message` names the plugin and the reason. */
export class PluginError extends RopekitError {
  override name = "PluginError";
  constructor(
    override readonly code: PluginErrorCode,
    /** The plugin's URL as the user gave it (without a pin). */
    readonly plugin: string,
    /** Why, without the plugin's name. */
    readonly reason: string,
    loading = false,
  ) {
    // One line: the CLI prints it as its only line, and a plugin's own message may span several.
    super(
      `${loading ? "Cannot load plugin" : "Plugin"} "${plugin}": ${reason.trim().replace(/\s*\n\s*/g, " ")}`,
    );
  }

  /** The same error worded as a refusal to load, for failures while the plugin is being loaded. */
  whileLoading(): PluginError {
    return new PluginError(this.code, this.plugin, this.reason, true);
  }
}
