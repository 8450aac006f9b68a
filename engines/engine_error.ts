import { RopekitError } from "../util/errors.ts";

/**
 * A reference engine (transformers, llama.cpp) that could not score: its process failed, is not
 * installed, or answered nothing usable. An explained failure of the user's environment, not a bug.
 */
export class EngineError extends RopekitError {}
