/**
 * A ZIP archive of files stored without compression (method 0): enough to hand a folder to a browser
 * as one download, and readable by every unzip tool. Model weights barely compress, so nothing is lost;
 * the archive is written from the files in chunks, so a model-sized folder never sits in memory.
 *
 * @module
 */
import { RopekitError } from "./errors.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE) as ZIP records it, incremental: feed chunks with `update`, read the checksum with `digest`. */
class Crc32 {
  #c = 0xffffffff;
  update(data: Uint8Array): void {
    let c = this.#c;
    for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
    this.#c = c;
  }
  digest(): number {
    return (this.#c ^ 0xffffffff) >>> 0;
  }
}

/** A file too large for a ZIP without ZIP64 (4 GiB per file or per archive). */
export class ZipTooLargeError extends RopekitError {
  override name = "ZipTooLargeError";
}

const ZIP_MAX = 0xffffffff;

/**
 * Writes the archive of `files` (name → path on disk) to `out`, in the order given, streaming: each
 * file is read twice (its CRC, then its bytes) in chunks, so a model-sized folder never sits in memory.
 * Sizes must stay below 4 GiB, each file and the whole (no ZIP64): beyond, a {@linkcode ZipTooLargeError}.
 */
export async function zipStore(out: string, files: { name: string; path: string }[]): Promise<void> {
  const enc = new TextEncoder();
  const centrals: Uint8Array[] = [];
  const sink = await Deno.open(out, { write: true, create: true, truncate: true });
  let offset = 0;
  const write = async (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += await sink.write(bytes.subarray(done));
    offset += bytes.length;
  };
  try {
    for (const f of files) {
      const { size } = await Deno.stat(f.path);
      if (size >= ZIP_MAX || offset + size >= ZIP_MAX) {
        throw new ZipTooLargeError(`${f.name}: too large for a ZIP without ZIP64 (4 GiB)`);
      }
      const crc = new Crc32();
      {
        using file = await Deno.open(f.path);
        for await (const chunk of file.readable) crc.update(chunk);
      }
      const name = enc.encode(f.name);
      const local = new Uint8Array(30 + name.length);
      const lv = new DataView(local.buffer);
      lv.setUint32(0, 0x04034b50, true);
      lv.setUint16(4, 20, true); // version needed
      lv.setUint16(8, 0, true); // stored
      lv.setUint32(14, crc.digest(), true);
      lv.setUint32(18, size, true);
      lv.setUint32(22, size, true);
      lv.setUint16(26, name.length, true);
      local.set(name, 30);
      const central = new Uint8Array(46 + name.length);
      const cv = new DataView(central.buffer);
      cv.setUint32(0, 0x02014b50, true);
      cv.setUint16(4, 20, true);
      cv.setUint16(6, 20, true);
      cv.setUint32(16, crc.digest(), true);
      cv.setUint32(20, size, true);
      cv.setUint32(24, size, true);
      cv.setUint16(28, name.length, true);
      cv.setUint32(42, offset, true);
      central.set(name, 46);
      centrals.push(central);
      await write(local);
      let copied = 0;
      {
        using file = await Deno.open(f.path);
        for await (const chunk of file.readable) {
          copied += chunk.length;
          await write(chunk);
        }
      }
      if (copied !== size) throw new Error(`${f.path} changed while it was archived`);
    }
    const centralStart = offset;
    for (const c of centrals) await write(c);
    const end = new Uint8Array(22);
    const ev = new DataView(end.buffer);
    ev.setUint32(0, 0x06054b50, true);
    ev.setUint16(8, files.length, true);
    ev.setUint16(10, files.length, true);
    ev.setUint32(12, offset - centralStart, true);
    ev.setUint32(16, centralStart, true);
    await write(end);
  } finally {
    sink.close();
  }
}
