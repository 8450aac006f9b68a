/**
 * The search journal: JSON lines, a header describing the search, then one line per evaluated
 * candidate, appended as each completes. A journal lets `--resume` continue a killed search without
 * re-evaluating anything: the loop replays deterministically and takes recorded fitness instead of
 * calling the evaluator. A kill -9 can tear the last line; it is dropped (and cut off the file) on
 * resume — that candidate is simply evaluated again.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { RopekitError } from "../util/errors.ts";

/** Journal format marker (first line). */
export const JOURNAL_FORMAT = "ropekit-search-journal";

/** The first line: what search this journal belongs to. */
export interface JournalHeader {
  /** Marks the header line. */
  type: "header";
  /** Always {@linkcode JOURNAL_FORMAT}. */
  format: typeof JOURNAL_FORMAT;
  /** Version of the journal format. */
  version: 1;
  /** Everything that determines which candidates are proposed and how they are scored. */
  fingerprint: Record<string, unknown>;
}

/** One evaluated candidate. */
export interface JournalEntry {
  /** Marks an evaluation line. */
  type: "eval";
  /** The candidate's canonical key. */
  key: string;
  /** The candidate as its space encodes it. */
  genome: unknown;
  /** Its fitness; null for a failed evaluation (ranks last). */
  fitness: number | null;
  /** What the fitness function returned beside the value. */
  detail?: unknown;
  /** Generation (0 = initial population) and position in the search's deterministic order. */
  generation: number;
  /** Position in the deterministic proposal order. */
  order: number;
  /** Seconds this evaluation took, and search time so far (summed over sessions). */
  seconds: number;
  /** Search time when this evaluation finished, summed over sessions. */
  elapsed: number;
}

/** A finalist re-scored on fresh documents after the search (see `search_strategy.ts`). */
export interface RescoreEntry {
  /** Marks a finalist's re-score. */
  type: "rescore";
  /** The finalist's canonical key. */
  key: string;
  /** Its fitness on the fresh documents; null when scoring failed. */
  fitness: number | null;
  /** What the fitness recorded beside the value (mean NLL, standard error, per-document scores). */
  detail?: unknown;
  /** Seconds the re-score took. */
  seconds: number;
}

/** Thrown for a journal that cannot be used. */
export class JournalError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "JournalError";
}

/** Reads a journal's entries; tolerates (and reports) a torn last line. */
export function parseJournal(text: string, path: string): {
  header: JournalHeader;
  /** Evaluations of the search loop. */
  entries: JournalEntry[];
  /** Finalists re-scored after it. */
  rescores: RescoreEntry[];
  /** Bytes of complete, valid lines (where the next append must start). */
  validBytes: number;
  tornTail: boolean;
} {
  const enc = new TextEncoder();
  const lines = text.split("\n");
  // Without a trailing newline the last piece is a partial write; with one it is "".
  const tail = lines.pop() ?? "";
  const parsed: unknown[] = [];
  let validBytes = 0;
  let tornTail = tail !== "";
  for (const [i, line] of lines.entries()) {
    try {
      parsed.push(JSON.parse(line));
      validBytes += enc.encode(line).length + 1;
    } catch {
      if (i === lines.length - 1 && tail === "") {
        tornTail = true; // a partial line followed by a newline of a later, interrupted write
        break;
      }
      throw new JournalError(`journal ${path}: line ${i + 1} is not JSON (only the last line may be torn)`);
    }
  }
  const header = parsed[0] as JournalHeader | undefined;
  if (!header || header.type !== "header" || header.format !== JOURNAL_FORMAT || header.version !== 1) {
    throw new JournalError(`journal ${path}: not a ${JOURNAL_FORMAT} v1 file`);
  }
  const rest = parsed.slice(1) as (JournalEntry | RescoreEntry)[];
  return {
    header,
    entries: rest.filter((e): e is JournalEntry => e.type === "eval"),
    rescores: rest.filter((e): e is RescoreEntry => e.type === "rescore"),
    validBytes,
    tornTail,
  };
}

/** Top-level fields of two fingerprints that differ (for a clear resume error). */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !isDeepStrictEqual(a[k], b[k]));
}

/** An open journal: appends are serialised so lines never interleave. */
export class Journal {
  #chain: Promise<void> = Promise.resolve();

  private constructor(readonly path: string, private readonly file: Deno.FsFile) {}

  /**
   * Creates a journal (refusing to overwrite one) or, with `resume`, reopens it after checking it
   * belongs to the same search; returns the entries already recorded.
   */
  static async open(
    path: string,
    fingerprint: Record<string, unknown>,
    resume: boolean,
  ): Promise<{ journal: Journal; entries: JournalEntry[]; rescores: RescoreEntry[]; tornTail: boolean }> {
    if (!resume) {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { write: true, createNew: true });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) {
          throw new JournalError(
            `journal ${path} exists: pass --resume to continue that search, or remove it`,
          );
        }
        throw new JournalError(`journal ${path}: cannot create (${(e as Error).message})`);
      }
      const journal = new Journal(path, file);
      const header: JournalHeader = { type: "header", format: JOURNAL_FORMAT, version: 1, fingerprint };
      await journal.#write(header);
      return { journal, entries: [], rescores: [], tornTail: false };
    }
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new JournalError(`--resume: cannot read journal ${path} (${(e as Error).message})`);
    }
    const { header, entries, rescores, validBytes, tornTail } = parseJournal(text, path);
    const diff = differences(header.fingerprint, fingerprint);
    if (diff.length) {
      throw new JournalError(
        `journal ${path} belongs to a different search (differs in: ${diff.join(", ")}); ` +
          `rerun with the same settings or start a new journal`,
      );
    }
    await Deno.truncate(path, validBytes);
    const file = await Deno.open(path, { append: true });
    return { journal: new Journal(path, file), entries, rescores, tornTail };
  }

  /** Appends one entry; resolves once it is written. */
  append(entry: JournalEntry | RescoreEntry): Promise<void> {
    return this.#write(entry);
  }

  #write(obj: unknown): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(obj) + "\n");
    this.#chain = this.#chain.then(async () => {
      // Lines go out whole and in order, so a kill can tear at most the line being written.
      let at = 0;
      while (at < bytes.length) at += await this.file.write(bytes.subarray(at));
    });
    return this.#chain;
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    await this.#chain;
    this.file.close();
  }
}
