/**
 * The sandbox protocol's encoding: JSON lines in which typed arrays become arrays and non-finite
 * numbers survive (plain JSON turns NaN into null, and "invFreq[3] = null" would hide what the
 * plugin really returned). Shared by the host and the sandbox process.
 *
 * @module
 */

/** Exit status the sandbox process uses when its resident memory passes the limit. */
export const EXIT_OVER_MEMORY = 3;
/** Exit status the sandbox process uses after an uncaught error in the plugin's worker. */
export const EXIT_WORKER_ERROR = 4;

/** Encodes one message as a single line of JSON. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number>);
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  });
}

/** Decodes {@linkcode encodeWire}'s output; throws SyntaxError on malformed JSON. */
export function decodeWire(line: string): unknown {
  return JSON.parse(line, (_key, v) => {
    const tagged = v !== null && typeof v === "object" && Object.keys(v).length === 1 &&
      typeof v.$number === "string";
    return tagged ? Number(v.$number) : v;
  });
}

/**
 * Splits a byte stream into lines, refusing any line longer than `maxLength` characters so a
 * misbehaving peer cannot make the reader buffer without bound.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxLength: number,
): AsyncGenerator<string | { overlong: true }> {
  let pending = "";
  const decoder = new TextDecoder();
  for await (const bytes of stream) {
    pending += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      yield line.length > maxLength ? { overlong: true } : line;
    }
    if (pending.length > maxLength) {
      yield { overlong: true };
      return;
    }
  }
}
