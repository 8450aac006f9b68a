import { RopekitError } from "../util/errors.ts";

/**
 * A token id the model cannot embed (not an integer, or outside `[0, vocabSize)`): the caller's ids
 * (a job, a request, a file of ids) are at fault, never the model.
 */
export class TokenIdError extends RopekitError {}
