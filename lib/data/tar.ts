/**
 * A small reader and writer for POSIX ustar archives (what `tar czf` writes), enough for the
 * official CIFAR archives and for the tiny fixtures the tests build. No npm tar package.
 *
 * Reading walks 512-byte headers: the name is `prefix/name` (ustar), overridden by a GNU long
 * name (`L` entry) or a pax `path=` record (`x` entry) when one precedes the member; sizes are
 * octal or GNU base-256. Each header's checksum is verified. Only regular files and directories
 * are returned; links and devices are skipped (they are never extracted). A member whose data
 * runs past the end of the archive, or an archive that stops mid-header, is an error naming the
 * archive and the member. {@link readTarGz} gunzips a `.tar.gz` first (`node:zlib`).
 *
 * @example
 * ```ts
 * import { readTar, writeTar } from "./tar.ts";
 * const tar = writeTar([{ name: "d/hello.txt", data: new TextEncoder().encode("hi") }]);
 * const [entry] = readTar(tar, "fixture.tar");
 * console.log(entry.name, new TextDecoder().decode(entry.data)); // "d/hello.txt" "hi"
 * ```
 * @module
 */
import { gunzipSync } from "node:zlib";

/** One member of a tar archive. */
export interface TarEntry {
  /** The member's path inside the archive, with `/` separators and no leading `./`. */
  readonly name: string;
  /** `file` for regular files, `directory` for directories. */
  readonly type: "file" | "directory";
  /** The member's bytes (a view into the archive buffer; empty for directories). */
  readonly data: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function cString(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function numericField(header: Uint8Array, start: number, length: number, what: string): number {
  const field = header.subarray(start, start + length);
  if (field[0] & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker.
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = cString(header, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`${what} is not an octal number: "${text}"`);
  return parseInt(text, 8);
}

/** Reads the `path=` record of a pax extended header, if it has one. */
function paxPath(data: Uint8Array): string | undefined {
  const text = decoder.decode(data);
  let offset = 0;
  let path: string | undefined;
  while (offset < text.length) {
    const space = text.indexOf(" ", offset);
    if (space === -1) break;
    const length = parseInt(text.slice(offset, space), 10);
    if (!(length > 0)) break;
    const record = text.slice(space + 1, offset + length - 1); // drop the trailing newline
    const eq = record.indexOf("=");
    if (eq !== -1 && record.slice(0, eq) === "path") path = record.slice(eq + 1);
    offset += length;
  }
  return path;
}

/** Normalises a member path: `./a/b` → `a/b`; rejects absolute paths and `..` segments. */
function cleanName(raw: string, archiveLabel: string): string {
  const parts = raw.split("/").filter((part) => part !== "" && part !== ".");
  if (raw.startsWith("/") || parts.includes("..")) {
    throw new Error(`${archiveLabel}: member "${raw}" escapes the archive (absolute or ..)`);
  }
  return parts.join("/");
}

/**
 * Lists the regular files and directories of an (uncompressed) tar archive.
 *
 * @param tar the archive's bytes (gunzip a `.tar.gz` first).
 * @param archiveLabel the archive's file name, used in error messages.
 * @throws Error naming the archive and the fault when a header's checksum is wrong, a member is
 *   cut short (truncated archive), or a member's path is absolute or contains `..`.
 */
export function readTar(tar: Uint8Array, archiveLabel: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pendingName: string | undefined;
  let sawEnd = false;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) {
      sawEnd = true;
      break;
    }
    const where = `${archiveLabel}: tar header at byte ${offset}`;
    const stored = numericField(header, 148, 8, `${where}: checksum`);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    if (sum !== stored) {
      throw new Error(`${where}: checksum ${stored} != computed ${sum} (corrupt or not a tar)`);
    }
    const size = numericField(header, 124, 12, `${where}: size`);
    const typeFlag = String.fromCharCode(header[156] || 48); // NUL means a regular file
    const magic = cString(header, 257, 6);
    const prefix = magic === "ustar" ? cString(header, 345, 155) : "";
    const headerName = prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) {
      throw new Error(
        `${archiveLabel}: member "${pendingName ?? headerName}" needs ${size} bytes but the ` +
          `archive ends ${tar.length - dataStart} bytes into it (truncated archive)`,
      );
    }
    const data = tar.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeFlag === "L") {
      pendingName = cString(data, 0, data.length);
      continue;
    }
    if (typeFlag === "x") {
      pendingName = paxPath(data) ?? pendingName;
      continue;
    }
    if (typeFlag === "g") continue; // global pax header: nothing we use
    const name = cleanName(pendingName ?? headerName, archiveLabel);
    pendingName = undefined;
    if (typeFlag === "0" || typeFlag === "7") {
      entries.push({ name, type: "file", data });
    } else if (typeFlag === "5") {
      entries.push({ name, type: "directory", data: new Uint8Array(0) });
    }
    // Links ("1", "2"), devices and FIFOs are skipped: nothing here needs them.
  }
  if (!sawEnd && offset < tar.length) {
    throw new Error(
      `${archiveLabel}: ${tar.length - offset} stray bytes after the last member ` +
        "(truncated archive: a header is cut short)",
    );
  }
  return entries;
}

/**
 * Gunzips a `.tar.gz` file's bytes and lists its regular files and directories in archive order
 * (links and devices are skipped); each header's checksum is verified.
 *
 * @param gzipped the file's bytes.
 * @param archiveLabel the file's path, used in error messages.
 * @throws Error naming the archive when it is not gzip, a header's checksum is wrong, a member is
 *   cut short, or a member's path is absolute or contains `..`.
 */
export function readTarGz(gzipped: Uint8Array, archiveLabel: string): TarEntry[] {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(gzipped);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${archiveLabel}: not a readable gzip file (${why}); truncated or corrupt?`);
  }
  return readTar(tar, archiveLabel);
}

function writeOctal(header: Uint8Array, start: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, "0");
  if (text.length > length - 1) throw new Error(`writeTar: ${value} does not fit ${length} bytes`);
  header.set(new TextEncoder().encode(text), start);
}

/**
 * Writes regular files into an uncompressed ustar archive (for test fixtures). Names longer than
 * 100 bytes get a GNU long-name (`L`) entry first, as GNU tar does.
 *
 * @param files members in order; `name` uses `/` separators.
 */
export function writeTar(files: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const encoder = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const header = (name: Uint8Array, size: number, typeFlag: string): Uint8Array => {
    const block = new Uint8Array(BLOCK);
    block.set(name.subarray(0, 100), 0);
    writeOctal(block, 100, 8, 0o644);
    writeOctal(block, 108, 8, 0);
    writeOctal(block, 116, 8, 0);
    writeOctal(block, 124, 12, size);
    writeOctal(block, 136, 12, 0);
    block[156] = typeFlag.charCodeAt(0);
    block.set(encoder.encode("ustar\u000000"), 257);
    block.fill(32, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    writeOctal(block, 148, 7, sum);
    block[155] = 32;
    return block;
  };
  const padded = (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
    out.set(data);
    return out;
  };
  for (const file of files) {
    const name = encoder.encode(file.name);
    if (name.length > 100) {
      const longName = new Uint8Array(name.length + 1);
      longName.set(name);
      blocks.push(header(encoder.encode("././@LongLink"), longName.length, "L"), padded(longName));
    }
    blocks.push(header(name, file.data.length, "0"), padded(file.data));
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  const total = blocks.reduce((n, block) => n + block.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}
