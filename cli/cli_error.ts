/**
 * The CLI's own error: a usage or input mistake on the command line.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";

/** A usage or input error: printed without a stack, exit code 1. */
export class CliError extends RopekitError {}
