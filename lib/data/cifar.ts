/**
 * CIFAR-10 and CIFAR-100 (Krizhevsky, 2009) in their official *binary* layouts: parse, validate,
 * extract into `data/`, and load as an {@link ImageDataset}.
 *
 * Layouts (one record per image, 32×32×3 pixels stored channel-major: 1024 red bytes, then 1024
 * green, then 1024 blue, rows top to bottom):
 * - `cifar-10-binary.tar.gz` → `cifar-10-batches-bin/data_batch_1.bin … data_batch_5.bin`
 *   (10,000 records each), `test_batch.bin` (10,000), `batches.meta.txt` (class names); a record
 *   is 1 label byte + 3072 pixel bytes = 3073 bytes.
 * - `cifar-100-binary.tar.gz` → `cifar-100-binary/train.bin` (50,000), `test.bin` (10,000),
 *   `fine_label_names.txt`, `coarse_label_names.txt`; a record is 1 coarse label byte, 1 fine
 *   label byte, then 3072 pixel bytes = 3074 bytes. The fine label is the class.
 *
 * Loading converts the pixels to NHWC (RGB interleaved) once, in one pass over the bytes.
 *
 * @example
 * ```ts
 * import { loadCifar } from "./cifar.ts";
 * const test = await loadCifar("cifar10", "test"); // extracts ../shared/data's copy if needed
 * console.log(test.labels.length, test.classNames[test.labels[0]]);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import type { ImageDataset } from "./dataset.ts";
import { readTar, type TarEntry } from "./tar.ts";

/** The two datasets. */
export type CifarName = "cifar10" | "cifar100";
/** The official splits. */
export type CifarSplit = "train" | "test";

/** Everything that describes one official binary archive and its members. */
export interface CifarFormat {
  /** Which dataset. */
  readonly name: CifarName;
  /** The archive's file name, as published. */
  readonly archiveName: string;
  /** The official download address. */
  readonly url: string;
  /** The official archive's md5 (from the CIFAR page's table). */
  readonly md5: string;
  /** The folder the archive's members live in (and that is extracted into `data/`). */
  readonly directory: string;
  /** Training-set member files, in order. */
  readonly trainFiles: readonly string[];
  /** Test-set member file. */
  readonly testFile: string;
  /** Label bytes before each record's pixels: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
  readonly labelBytes: 1 | 2;
  /** Number of (fine) classes. */
  readonly numClasses: number;
  /** Member with one class name per line. */
  readonly classNamesFile: string;
  /** CIFAR-100 only: member with the 20 superclass names. */
  readonly coarseNamesFile?: string;
  /** CIFAR-100 only: number of superclasses (20). */
  readonly numCoarseClasses?: number;
  /** Records in each training file. */
  readonly recordsPerTrainFile: number;
  /** Records in the test file. */
  readonly testRecords: number;
  /** Environment variable that may name a local copy of the archive. */
  readonly archiveEnv: string;
}

/** Pixel bytes per 32×32×3 image. */
export const CIFAR_IMAGE_BYTES = 3072;

/** CIFAR-10 binary version; md5 as on the CIFAR page (and checked against public loaders). */
export const CIFAR10_FORMAT: CifarFormat = Object.freeze({
  name: "cifar10",
  archiveName: "cifar-10-binary.tar.gz",
  url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  md5: "c32a1d4ab5d03f1284b67883e8d87530",
  directory: "cifar-10-batches-bin",
  trainFiles: Object.freeze([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)),
  testFile: "test_batch.bin",
  labelBytes: 1,
  numClasses: 10,
  classNamesFile: "batches.meta.txt",
  recordsPerTrainFile: 10_000,
  testRecords: 10_000,
  archiveEnv: "CUTMIX_CIFAR10_ARCHIVE",
});

/** CIFAR-100 binary version; md5 as on the CIFAR page (and checked against public loaders). */
export const CIFAR100_FORMAT: CifarFormat = Object.freeze({
  name: "cifar100",
  archiveName: "cifar-100-binary.tar.gz",
  url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
  md5: "03b5dce01913d631647c71ecec9e9cb8",
  directory: "cifar-100-binary",
  trainFiles: Object.freeze(["train.bin"]),
  testFile: "test.bin",
  labelBytes: 2,
  numClasses: 100,
  classNamesFile: "fine_label_names.txt",
  coarseNamesFile: "coarse_label_names.txt",
  numCoarseClasses: 20,
  recordsPerTrainFile: 50_000,
  testRecords: 10_000,
  archiveEnv: "CUTMIX_CIFAR100_ARCHIVE",
});

/** The format of `name`; throws on anything but "cifar10" / "cifar100". */
export function cifarFormat(name: string): CifarFormat {
  if (name === "cifar10") return CIFAR10_FORMAT;
  if (name === "cifar100") return CIFAR100_FORMAT;
  throw new Error(`name must be "cifar10" or "cifar100", got ${JSON.stringify(name)}`);
}

/** A loaded CIFAR split; CIFAR-100 also carries its superclass labels. */
export interface CifarDataset extends ImageDataset {
  /** CIFAR-100 only: superclass index of each image, in [0, 20). */
  readonly coarseLabels?: Int32Array;
  /** CIFAR-100 only: the 20 superclass names. */
  readonly coarseClassNames?: readonly string[];
}

/** Bytes per record of `format`. */
export function cifarRecordBytes(format: CifarFormat): number {
  return format.labelBytes + CIFAR_IMAGE_BYTES;
}

/** The project root (two folders above this file). */
export function projectRoot(): string {
  return resolve(new URL("../../", import.meta.url).pathname);
}

/** `data/` under the project root, or `CUTMIX_DATA_DIR` when set. */
export function defaultDataDir(): string {
  return Deno.env.get("CUTMIX_DATA_DIR") || `${projectRoot()}/data`;
}

/** Where this project's machines keep a copy of CIFAR-10: `../shared/data/` beside the project. */
export function sharedArchivePath(format: CifarFormat): string {
  return resolve(projectRoot(), "..", "shared", "data", format.archiveName);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

/** How to provide `format`'s data: the text every entry point shows when it is missing. */
export function missingCifarMessage(format: CifarFormat, dataDir = defaultDataDir()): string {
  return [
    `${format.name} is not in ${dataDir}/${format.directory}/ and no local archive was found.`,
    "Provide it in one of these ways:",
    `  - with internet: deno task data ${format.name}   (downloads ${format.url}, checks md5)`,
    `  - from a local copy of ${format.archiveName}: deno task data ${format.name} --archive PATH`,
    `    or export ${format.archiveEnv}=PATH (then loading extracts it on first use)`,
    `  - or place the archive at ${dataDir}/${format.archiveName}`,
    `    or the extracted ${format.directory}/ folder in ${dataDir}/`,
  ].join("\n");
}

/** Names of the member files (inside `format.directory`) that must exist. */
export function cifarMembers(format: CifarFormat): string[] {
  const names = [...format.trainFiles, format.testFile, format.classNamesFile];
  if (format.coarseNamesFile) names.push(format.coarseNamesFile);
  return names;
}

function expectedRecords(format: CifarFormat, file: string): number {
  return file === format.testFile ? format.testRecords : format.recordsPerTrainFile;
}

/** Splits a names file into its non-empty, trimmed lines and checks there are `count`. */
export function parseClassNames(text: string, count: number, fileLabel: string): string[] {
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (names.length !== count) {
    throw new Error(`${fileLabel}: expected ${count} class names, found ${names.length}`);
  }
  return names;
}

/** Records decoded from one or more binary files. */
export interface CifarRecords {
  /** uint8 NHWC pixels, N × 32 × 32 × 3. */
  readonly pixelsNHWC: Uint8Array;
  /** Class (fine) labels. */
  readonly labels: Int32Array;
  /** CIFAR-100 superclass labels. */
  readonly coarseLabels?: Int32Array;
}

/**
 * Decodes binary records into NHWC pixels and labels, validating the size and every label.
 *
 * @param files each file's bytes with a label for errors (its path); decoded in order.
 * @param format which layout the records have.
 * @param expected the record count each file must have (same order as `files`), or undefined to
 *   accept any whole number of records.
 * @throws Error naming the file and the fault: a size that is not `expected` records (or not a
 *   multiple of the record size), or a label outside [0, numClasses).
 */
export function decodeCifarRecords(
  files: readonly { label: string; bytes: Uint8Array }[],
  format: CifarFormat,
  expected?: readonly number[],
): CifarRecords {
  const recordBytes = cifarRecordBytes(format);
  const counts = files.map(({ label, bytes }, i) => {
    if (expected !== undefined && bytes.length !== expected[i] * recordBytes) {
      throw new Error(
        `${label}: ${fmt(bytes.length)} bytes, expected ${fmt(expected[i])} records of ` +
          `${recordBytes} bytes = ${fmt(expected[i] * recordBytes)} (wrong record size, ` +
          "truncated, or not a CIFAR binary file)",
      );
    }
    if (bytes.length % recordBytes !== 0) {
      throw new Error(
        `${label}: ${fmt(bytes.length)} bytes is not a whole number of ${recordBytes}-byte records`,
      );
    }
    return bytes.length / recordBytes;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(total * CIFAR_IMAGE_BYTES);
  const labels = new Int32Array(total);
  const coarse = format.labelBytes === 2 ? new Int32Array(total) : undefined;
  const plane = CIFAR_IMAGE_BYTES / 3;
  let n = 0;
  files.forEach(({ label, bytes }, fileIndex) => {
    for (let r = 0; r < counts[fileIndex]; r++, n++) {
      const base = r * recordBytes;
      const fine = bytes[base + format.labelBytes - 1];
      if (fine >= format.numClasses) {
        throw new Error(
          `${label}: record ${r} has label ${fine}, outside [0, ${format.numClasses})`,
        );
      }
      labels[n] = fine;
      if (coarse) {
        const c = bytes[base];
        if (c >= format.numCoarseClasses!) {
          throw new Error(
            `${label}: record ${r} has coarse label ${c}, outside [0, ${format.numCoarseClasses})`,
          );
        }
        coarse[n] = c;
      }
      const src = base + format.labelBytes;
      const red = bytes.subarray(src, src + plane);
      const green = bytes.subarray(src + plane, src + 2 * plane);
      const blue = bytes.subarray(src + 2 * plane, src + 3 * plane);
      let dst = n * CIFAR_IMAGE_BYTES;
      for (let p = 0; p < plane; p++) {
        pixels[dst++] = red[p];
        pixels[dst++] = green[p];
        pixels[dst++] = blue[p];
      }
    }
  });
  return { pixelsNHWC: pixels, labels, coarseLabels: coarse };
}

/** What {@link validateCifarArchive} found. */
export interface CifarArchiveSummary {
  /** Member path (inside the archive) → its bytes, for every required member. */
  readonly members: ReadonlyMap<string, Uint8Array>;
  /** Training record count. */
  readonly trainRecords: number;
  /** Test record count. */
  readonly testRecords: number;
  /** Images per class in the training set. */
  readonly trainPerClass: readonly number[];
  /** Images per class in the test set. */
  readonly testPerClass: readonly number[];
  /** Class names from the names file. */
  readonly classNames: readonly string[];
}

function perClass(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

/**
 * Checks an archive's members against `format`: every member present, every binary file has
 * exactly the official number of records, every label is in range, every class has the same
 * number of images in each split (true of both official archives), the names files have one
 * line per class, and in CIFAR-100 each fine class sits in a single superclass.
 *
 * @param entries the archive's members ({@link readTar}).
 * @param archiveLabel the archive's path, for errors.
 * @throws Error naming the archive, the member and the fault.
 */
export function validateCifarArchive(
  entries: readonly TarEntry[],
  format: CifarFormat,
  archiveLabel: string,
): CifarArchiveSummary {
  const byName = new Map(entries.filter((e) => e.type === "file").map((e) => [e.name, e.data]));
  const members = new Map<string, Uint8Array>();
  const missing: string[] = [];
  for (const member of cifarMembers(format)) {
    const path = `${format.directory}/${member}`;
    const data = byName.get(path);
    if (data === undefined) missing.push(path);
    else members.set(path, data);
  }
  if (missing.length > 0) {
    const found = [...byName.keys()].slice(0, 8).join(", ") || "no files";
    throw new Error(
      `${archiveLabel}: missing member(s) ${missing.join(", ")} — is this ${format.archiveName}? ` +
        `(found: ${found})`,
    );
  }
  const decode = (files: readonly string[]) =>
    decodeCifarRecords(
      files.map((file) => ({
        label: `${archiveLabel}: ${format.directory}/${file}`,
        bytes: members.get(`${format.directory}/${file}`)!,
      })),
      format,
      files.map((file) => expectedRecords(format, file)),
    );
  const train = decode(format.trainFiles);
  const test = decode([format.testFile]);
  const checkBalanced = (records: CifarRecords, split: string): number[] => {
    const counts = perClass(records.labels, format.numClasses);
    const want = records.labels.length / format.numClasses;
    const bad = counts.findIndex((count) => count !== want);
    if (bad !== -1) {
      throw new Error(
        `${archiveLabel}: ${split} set has ${counts[bad]} images of class ${bad}, expected ` +
          `${want} for every class as in the official archive`,
      );
    }
    return counts;
  };
  const trainPerClass = checkBalanced(train, "training");
  const testPerClass = checkBalanced(test, "test");
  const decoder = new TextDecoder();
  const classNames = parseClassNames(
    decoder.decode(members.get(`${format.directory}/${format.classNamesFile}`)!),
    format.numClasses,
    `${archiveLabel}: ${format.directory}/${format.classNamesFile}`,
  );
  if (format.coarseNamesFile) {
    parseClassNames(
      decoder.decode(members.get(`${format.directory}/${format.coarseNamesFile}`)!),
      format.numCoarseClasses!,
      `${archiveLabel}: ${format.directory}/${format.coarseNamesFile}`,
    );
    const superclass = new Int32Array(format.numClasses).fill(-1);
    for (const records of [train, test]) {
      for (let i = 0; i < records.labels.length; i++) {
        const fine = records.labels[i];
        const coarse = records.coarseLabels![i];
        if (superclass[fine] === -1) superclass[fine] = coarse;
        else if (superclass[fine] !== coarse) {
          throw new Error(
            `${archiveLabel}: fine class ${fine} appears under superclasses ` +
              `${superclass[fine]} and ${coarse}; each belongs to one in CIFAR-100`,
          );
        }
      }
    }
  }
  return {
    members,
    trainRecords: train.labels.length,
    testRecords: test.labels.length,
    trainPerClass,
    testPerClass,
    classNames,
  };
}

/** Decompresses and lists a `.tar.gz`, with errors naming the file. */
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

/** Hex md5 of `bytes` (Deno's WebCrypto has no md5). */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** How a prepared copy was checked. */
export type CifarVerification = "md5" | "structure";

/** What {@link prepareCifar} did. */
export interface PrepareResult {
  /** The extracted folder, e.g. `data/cifar-10-batches-bin`. */
  readonly directory: string;
  /** `present`: nothing to do; `extracted`: from a local or downloaded archive. */
  readonly action: "present" | "extracted";
  /** The archive that was used (absent when already present). */
  readonly archive?: string;
  /** Whether the archive matched the official md5, or only passed the structure checks. */
  readonly verification?: CifarVerification;
  /** The archive's md5. */
  readonly md5?: string;
  /** Human-readable account of what happened, one line per step. */
  readonly log: readonly string[];
}

/** Options of {@link prepareCifar}. */
export interface PrepareOptions {
  /** A local archive to use; default `$CUTMIX_CIFAR10_ARCHIVE` / `$CUTMIX_CIFAR100_ARCHIVE`. */
  readonly archive?: string;
  /** Where extracted folders and downloaded archives go; default {@link defaultDataDir}. */
  readonly dataDir?: string;
  /** Try the official URL when no local archive is given (default true). */
  readonly download?: boolean;
  /** Give up on the download if no response arrives within this many ms (default 20,000). */
  readonly downloadTimeoutMs?: number;
  /** Also look at `../shared/data/` beside the project (default true). */
  readonly useShared?: boolean;
  /** Re-extract even if the folder is present (default false). */
  readonly force?: boolean;
  /** Override the layout (tests use tiny record counts); default the official one. */
  readonly format?: CifarFormat;
  /** Called with each step's message as it happens (default: nothing). */
  readonly onLog?: (line: string) => void;
}

/** The marker written inside an extracted folder, recording where it came from. */
export const SOURCE_MARKER = "cutmix-source.json";

/** True when every member of `format` is in `dataDir/format.directory` with the right size. */
export function isCifarPresent(format: CifarFormat, dataDir = defaultDataDir()): boolean {
  const dir = `${dataDir}/${format.directory}`;
  const recordBytes = cifarRecordBytes(format);
  for (const member of cifarMembers(format)) {
    try {
      const info = Deno.statSync(`${dir}/${member}`);
      if (!info.isFile) return false;
      if (member.endsWith(".bin") && info.size !== expectedRecords(format, member) * recordBytes) {
        return false;
      }
    } catch {
      return false;
    }
  }
  return true;
}

/** The local archives that would be used, in order of preference, with why each is a candidate. */
export function localArchiveCandidates(
  format: CifarFormat,
  options: Pick<PrepareOptions, "archive" | "dataDir" | "useShared"> = {},
): { path: string; why: string }[] {
  const dataDir = options.dataDir ?? defaultDataDir();
  const out: { path: string; why: string }[] = [];
  if (options.archive) return [{ path: options.archive, why: "given with --archive" }];
  const fromEnv = Deno.env.get(format.archiveEnv);
  if (fromEnv) return [{ path: fromEnv, why: `named by ${format.archiveEnv}` }];
  out.push({ path: `${dataDir}/${format.archiveName}`, why: `found in ${dataDir}` });
  if (options.useShared ?? true) {
    out.push({
      path: sharedArchivePath(format),
      why: "this project's shared copy, ../shared/data beside the project",
    });
  }
  return out;
}

async function download(
  format: CifarFormat,
  target: string,
  timeoutMs: number,
): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(format.url, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`);
  }
  const partial = `${target}.part`;
  const file = await Deno.open(partial, { write: true, create: true, truncate: true });
  try {
    await response.body.pipeTo(file.writable);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
  const md5 = md5Hex(await Deno.readFile(partial));
  if (md5 !== format.md5) {
    await Deno.remove(partial);
    throw new Error(
      `downloaded ${format.archiveName} has md5 ${md5}, not the official ${format.md5}`,
    );
  }
  await Deno.rename(partial, target);
}

/**
 * Makes `format`'s extracted folder exist in `dataDir`: idempotent (does nothing when it is
 * already complete), from a local archive when one is given or found, else by downloading the
 * official archive, else from the project's shared copy. Verifies the official md5 when the
 * archive has it, and otherwise validates the structure ({@link validateCifarArchive}) — the
 * result says which. Extracts into a temporary folder inside `dataDir` and renames it into
 * place, so a failure leaves nothing half-extracted.
 *
 * @example
 * ```ts
 * import { prepareCifar } from "./cifar.ts";
 * const result = await prepareCifar("cifar10", { onLog: console.log });
 * console.log(result.verification); // "md5" for the official archive, "structure" otherwise
 * ```
 * @throws Error with {@link missingCifarMessage} when there is no archive to use, or naming the
 *   archive and the fault when it is corrupt.
 */
export async function prepareCifar(
  name: CifarName,
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  const format = options.format ?? cifarFormat(name);
  const dataDir = options.dataDir ?? defaultDataDir();
  const directory = `${dataDir}/${format.directory}`;
  const log: string[] = [];
  const say = (line: string) => {
    log.push(line);
    options.onLog?.(line);
  };
  if (!options.force && isCifarPresent(format, dataDir)) {
    say(`${format.name}: already present in ${directory} (use --force to re-extract)`);
    return { directory, action: "present", log };
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const candidates = localArchiveCandidates(format, { ...options, dataDir });
  const explicit = options.archive !== undefined || Deno.env.get(format.archiveEnv) !== undefined;
  let archive: string | undefined;
  let why = "";
  if (explicit) {
    archive = candidates[0].path;
    why = candidates[0].why;
    if (!exists(archive)) throw new Error(`${format.name}: archive ${archive} (${why}) not found`);
  } else if (exists(candidates[0].path)) {
    ({ path: archive, why } = candidates[0]);
  } else {
    if (options.download ?? true) {
      const target = `${dataDir}/${format.archiveName}`;
      say(`${format.name}: downloading ${format.url} …`);
      try {
        await download(format, target, options.downloadTimeoutMs ?? 20_000);
        archive = target;
        why = "downloaded from the official URL";
      } catch (error) {
        say(`${format.name}: download failed (${error instanceof Error ? error.message : error})`);
      }
    }
    if (archive === undefined) {
      const fallback = candidates.slice(1).find((c) => exists(c.path));
      if (fallback === undefined) throw new Error(missingCifarMessage(format, dataDir));
      ({ path: archive, why } = fallback);
    }
  }
  say(`${format.name}: using ${archive} (${why})`);
  const gzipped = await Deno.readFile(archive);
  const md5 = md5Hex(gzipped);
  const summary = validateCifarArchive(readTarGz(gzipped, archive), format, archive);
  const verification: CifarVerification = md5 === format.md5 ? "md5" : "structure";
  const counts = `${fmt(summary.trainRecords)} training + ${fmt(summary.testRecords)} test ` +
    `records, labels in [0, ${format.numClasses}), ${fmt(summary.trainPerClass[0])} / ` +
    `${fmt(summary.testPerClass[0])} per class`;
  if (verification === "md5") {
    say(
      `${format.name}: md5 ${md5} matches the official archive; structure checked too (${counts})`,
    );
  } else {
    say(
      `${format.name}: md5 ${md5} is NOT the official ${format.md5}, so the copy was validated ` +
        `by structure instead: all ${cifarMembers(format).length} members present, ${counts}`,
    );
  }
  const staging = await Deno.makeTempDir({ dir: dataDir, prefix: `.extract-${format.name}-` });
  try {
    await Deno.mkdir(`${staging}/${format.directory}`);
    for (const [path, bytes] of summary.members) await Deno.writeFile(`${staging}/${path}`, bytes);
    const marker = {
      dataset: format.name,
      archive,
      source: why,
      md5,
      verification,
      officialMd5: format.md5,
      extractedAt: new Date().toISOString(),
    };
    await Deno.writeTextFile(
      `${staging}/${format.directory}/${SOURCE_MARKER}`,
      JSON.stringify(marker, null, 2) + "\n",
    );
    if (exists(directory)) {
      const old = `${staging}/previous`;
      await Deno.rename(directory, old);
    }
    await Deno.rename(`${staging}/${format.directory}`, directory);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  say(`${format.name}: extracted into ${directory}`);
  return { directory, action: "extracted", archive, verification, md5, log };
}

/** Options of {@link loadCifar}. */
export interface LoadCifarOptions {
  /** Where the extracted folder is; default {@link defaultDataDir}. */
  readonly dataDir?: string;
  /**
   * When the folder is missing but a local archive is available (`$CUTMIX_CIFAR10_ARCHIVE`,
   * `data/<archive>`, `../shared/data/<archive>`), extract it first (default true). Never
   * downloads.
   */
  readonly extractIfMissing?: boolean;
  /** Count `../shared/data/<archive>` as a local archive (default true). */
  readonly useShared?: boolean;
  /** Override the layout (tests use tiny record counts); default the official one. */
  readonly format?: CifarFormat;
  /** Where extraction messages go (default stderr). */
  readonly onLog?: (line: string) => void;
}

/**
 * Loads one split of CIFAR-10 or CIFAR-100 from its extracted binary files as NHWC bytes.
 * Every record is validated (file size = the official record count × record size; labels in
 * range). Takes about a second for the 50,000 training images.
 *
 * @example
 * ```ts
 * import { loadCifar } from "./cifar.ts";
 * const train = await loadCifar("cifar10", "train");
 * console.log(train.name, train.labels.length, train.pixelsNHWC.length); // cifar10/train 50000 153600000
 * ```
 * @throws Error saying exactly how to provide the data when it is missing, or naming the file
 *   and the fault when a file is damaged.
 */
export async function loadCifar(
  name: CifarName,
  split: CifarSplit,
  options: LoadCifarOptions = {},
): Promise<CifarDataset> {
  const format = options.format ?? cifarFormat(name);
  if (split !== "train" && split !== "test") {
    throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
  }
  const dataDir = options.dataDir ?? defaultDataDir();
  const dir = `${dataDir}/${format.directory}`;
  if (!isCifarPresent(format, dataDir)) {
    const useShared = options.useShared ?? true;
    const hasArchive = localArchiveCandidates(format, { dataDir, useShared })
      .some((c) => exists(c.path));
    if ((options.extractIfMissing ?? true) && hasArchive) {
      await prepareCifar(format.name, {
        dataDir,
        format,
        useShared,
        download: false,
        onLog: options.onLog ?? ((line) => console.error(line)),
      });
    } else {
      throw new Error(missingCifarMessage(format, dataDir));
    }
  }
  const files = split === "train" ? format.trainFiles : [format.testFile];
  const loaded = await Promise.all(
    files.map(async (file) => ({
      label: `${dir}/${file}`,
      bytes: await Deno.readFile(`${dir}/${file}`),
    })),
  );
  const records = decodeCifarRecords(
    loaded,
    format,
    files.map((file) => expectedRecords(format, file)),
  );
  const decoder = new TextDecoder();
  const classNames = parseClassNames(
    decoder.decode(await Deno.readFile(`${dir}/${format.classNamesFile}`)),
    format.numClasses,
    `${dir}/${format.classNamesFile}`,
  );
  const coarseClassNames = format.coarseNamesFile
    ? parseClassNames(
      decoder.decode(await Deno.readFile(`${dir}/${format.coarseNamesFile}`)),
      format.numCoarseClasses!,
      `${dir}/${format.coarseNamesFile}`,
    )
    : undefined;
  return {
    name: `${format.name}/${split}`,
    height: 32,
    width: 32,
    channels: 3,
    numClasses: format.numClasses,
    classNames,
    pixelsNHWC: records.pixelsNHWC,
    labels: records.labels,
    ...(records.coarseLabels ? { coarseLabels: records.coarseLabels, coarseClassNames } : {}),
  };
}

/**
 * Reads one split straight from a `.tar.gz` archive, validating the whole archive first
 * (nothing is written). Slower than {@link loadCifar} (it gunzips ~170 MB), for checks and tests.
 */
export async function loadCifarFromArchive(
  archive: string,
  name: CifarName,
  split: CifarSplit,
  format: CifarFormat = cifarFormat(name),
): Promise<CifarDataset> {
  const summary = validateCifarArchive(
    readTarGz(await Deno.readFile(archive), archive),
    format,
    archive,
  );
  const files = split === "train" ? format.trainFiles : [format.testFile];
  const records = decodeCifarRecords(
    files.map((file) => ({
      label: `${archive}: ${file}`,
      bytes: summary.members.get(`${format.directory}/${file}`)!,
    })),
    format,
  );
  return {
    name: `${format.name}/${split}`,
    height: 32,
    width: 32,
    channels: 3,
    numClasses: format.numClasses,
    classNames: summary.classNames,
    pixelsNHWC: records.pixelsNHWC,
    labels: records.labels,
    ...(records.coarseLabels ? { coarseLabels: records.coarseLabels } : {}),
  };
}
