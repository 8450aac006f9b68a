/**
 * Which sampled windows share tokens: perplexity windows drawn at random offsets can overlap when the text
 * is short, and overlapping windows are not independent evidence. @module
 */

/** Distinct tokens covered by windows of `span` tokens starting at `offsets`. */
export function distinctTokens(offsets: readonly number[], span: number): number {
  const sorted = [...offsets].sort((a, b) => a - b);
  let covered = 0, end = -Infinity;
  for (const o of sorted) {
    covered += Math.max(0, o + span - Math.max(o, end));
    end = Math.max(end, o + span);
  }
  return covered;
}

/**
 * The largest set of windows of `span` tokens that share no token (greedy by end, optimal for equal spans:
 * the interval scheduling argument), as indices into `offsets` in ascending order.
 */
export function nonOverlapping(offsets: readonly number[], span: number): number[] {
  const order = offsets.map((o, i) => [o, i] as const).sort((x, y) => x[0] - y[0]);
  const keep: number[] = [];
  let free = -Infinity;
  for (const [o, i] of order) {
    if (o >= free) {
      keep.push(i);
      free = o + span;
    }
  }
  return keep.sort((a, b) => a - b);
}

/** A one-line account of the overlap, or undefined when the windows are disjoint. */
export function overlapNote(offsets: readonly number[], span: number, length: number): string | undefined {
  const keep = nonOverlapping(offsets, span);
  if (keep.length === offsets.length) return undefined;
  return `windows of ${length} overlap (${offsets.length} windows of ${span} tokens cover ${
    distinctTokens(offsets, span).toLocaleString("en-US")
  } distinct tokens): the paired statistics use the ${keep.length} that share no token`;
}
