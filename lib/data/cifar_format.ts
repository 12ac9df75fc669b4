/**
 * The CIFAR-10 and CIFAR-100 (Krizhevsky, 2009) official *binary* layouts, and decoding their
 * records into NHWC pixels and labels. Pure functions over bytes: no files are read here.
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
 * Decoding converts the pixels to NHWC (RGB interleaved) once, in one pass over the bytes.
 *
 * @example
 * ```ts
 * import { CIFAR_IMAGE_BYTES, cifarFormat, decodeCifarRecords } from "./cifar_format.ts";
 * const format = cifarFormat("cifar10");
 * const record = new Uint8Array(1 + CIFAR_IMAGE_BYTES); // label byte, then R, G and B planes
 * record[0] = 7;
 * const { labels, pixelsNHWC } = decodeCifarRecords([{ label: "one.bin", bytes: record }], format);
 * console.log(labels[0], pixelsNHWC.length); // 7 3072
 * ```
 * @module
 */

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

/** Bytes per record of `format`. */
export function cifarRecordBytes(format: CifarFormat): number {
  return format.labelBytes + CIFAR_IMAGE_BYTES;
}

/** Names of the member files (inside `format.directory`) that must exist. */
export function cifarMembers(format: CifarFormat): string[] {
  const names = [...format.trainFiles, format.testFile, format.classNamesFile];
  if (format.coarseNamesFile) names.push(format.coarseNamesFile);
  return names;
}

/**
 * The official record count of `file`, one of `format`'s binary members: `testRecords` for the
 * test file, `recordsPerTrainFile` for any other.
 */
export function cifarFileRecords(format: CifarFormat, file: string): number {
  return file === format.testFile ? format.testRecords : format.recordsPerTrainFile;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
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
