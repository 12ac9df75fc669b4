/**
 * Validation of a CIFAR archive's members against its official layout: every member present,
 * every binary file exactly the official size, labels in range, classes balanced, names files
 * complete, and (CIFAR-100) each fine class under one superclass. Works on already-read tar
 * entries (`readTarGz` in `./tar.ts`); nothing is written.
 *
 * @example
 * ```ts
 * import { validateCifarArchive } from "./cifar_archive.ts";
 * import { CIFAR10_FORMAT } from "./cifar_format.ts";
 * import { readTarGz } from "./tar.ts";
 * const path = "cifar-10-binary.tar.gz"; // a local copy of the official archive
 * const entries = readTarGz(await Deno.readFile(path), path);
 * const summary = validateCifarArchive(entries, CIFAR10_FORMAT, path);
 * console.log(summary.trainRecords, summary.testPerClass[0]); // 50000 1000
 * ```
 * @module
 */
import {
  cifarFileRecords,
  type CifarFormat,
  cifarMembers,
  type CifarRecords,
  decodeCifarRecords,
  parseClassNames,
} from "./cifar_format.ts";
import type { TarEntry } from "./tar.ts";

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
  /** CIFAR-100 only: superclass names from the coarse names file. */
  readonly coarseClassNames?: readonly string[];
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
 * @param entries the archive's members (`readTar` / `readTarGz` in `./tar.ts`).
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
      files.map((file) => cifarFileRecords(format, file)),
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
  let coarseClassNames: string[] | undefined;
  if (format.coarseNamesFile) {
    coarseClassNames = parseClassNames(
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
    ...(coarseClassNames ? { coarseClassNames } : {}),
  };
}
