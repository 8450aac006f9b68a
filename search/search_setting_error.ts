/**
 * The search room's error for settings a search cannot run with: a loop size, a budget, a grid step, a
 * range of k or of a parameter, a target within the trained context. The message names the setting.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";

/** A search setting that cannot be used; one line naming the setting and the value given. */
export class SearchSettingError extends RopekitError {}
