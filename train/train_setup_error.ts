/**
 * The training room's error for what a user can get wrong: an option, a file, a text.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";

/** A setting, checkpoint or text a run cannot start with; the message names the option or the file. */
export class TrainSetupError extends RopekitError {}
