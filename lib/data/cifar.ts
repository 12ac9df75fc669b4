/**
 * Loads CIFAR-10 and CIFAR-100 (Krizhevsky, 2009) as an {@link ImageDataset}, from the extracted
 * binary files in `data/` ({@link loadCifar}, extracting a local archive first when needed) or
 * straight from an archive ({@link loadCifarFromArchive}).
 *
 * This is also the data set's public entry point: it re-exports the pieces it is built from, so
 * `import { … } from "./cifar.ts"` reaches all of them —
 * - `./cifar_format.ts`: the official binary layouts, record decoding, class-name files;
 * - `./cifar_archive.ts`: validation of an archive's members;
 * - `./cifar_prepare.ts`: locating, downloading and atomically extracting into `data/`;
 * - `./paths.ts`, `./md5.ts`, `./tar.ts`: the project's folders, MD5, reading `.tar.gz`.
 *
 * @example
 * ```ts
 * import { loadCifar } from "./cifar.ts";
 * const test = await loadCifar("cifar10", "test", { archives: { cifar10: "cifar-10-binary.tar.gz" } });
 * console.log(test.labels.length, test.classNames[test.labels[0]]);
 * ```
 * @module
 */
import { validateCifarArchive } from "./cifar_archive.ts";
import {
  cifarFileRecords,
  type CifarFormat,
  cifarFormat,
  type CifarName,
  type CifarRecords,
  type CifarSplit,
  decodeCifarRecords,
  parseClassNames,
} from "./cifar_format.ts";
import {
  hasLocalCifarArchive,
  isCifarPresent,
  missingCifarMessage,
  prepareCifar,
} from "./cifar_prepare.ts";
import type { ImageDataset } from "./dataset.ts";
import { defaultDataDir } from "./paths.ts";
import { readTarGz } from "./tar.ts";

export {
  CIFAR100_FORMAT,
  CIFAR10_FORMAT,
  CIFAR_IMAGE_BYTES,
  type CifarFormat,
  cifarFormat,
  cifarMembers,
  type CifarName,
  cifarRecordBytes,
  type CifarRecords,
  type CifarSplit,
  decodeCifarRecords,
  parseClassNames,
} from "./cifar_format.ts";
export { type CifarArchiveSummary, validateCifarArchive } from "./cifar_archive.ts";
export {
  type CifarVerification,
  isCifarPresent,
  localArchiveCandidates,
  missingCifarMessage,
  prepareCifar,
  type PrepareOptions,
  type PrepareResult,
  SOURCE_MARKER,
} from "./cifar_prepare.ts";
export { md5Hex } from "./md5.ts";
export { defaultDataDir, projectRoot } from "./paths.ts";
export { readTarGz } from "./tar.ts";

/** A loaded CIFAR split; CIFAR-100 also carries its superclass labels. */
export interface CifarDataset extends ImageDataset {
  /** CIFAR-100 only: superclass index of each image, in [0, 20). */
  readonly coarseLabels?: Int32Array;
  /** CIFAR-100 only: the 20 superclass names. */
  readonly coarseClassNames?: readonly string[];
}

/**
 * Assembles the dataset of one decoded split: 32×32×3 images, `format`'s classes, and for
 * CIFAR-100 the superclass labels plus whatever `coarse` adds (the superclass names).
 */
function cifarDataset(
  format: CifarFormat,
  split: CifarSplit,
  classNames: readonly string[],
  records: CifarRecords,
  coarse?: { readonly coarseClassNames?: readonly string[] },
): CifarDataset {
  return {
    name: `${format.name}/${split}`,
    height: 32,
    width: 32,
    channels: 3,
    numClasses: format.numClasses,
    classNames,
    pixelsNHWC: records.pixelsNHWC,
    labels: records.labels,
    ...(records.coarseLabels ? { coarseLabels: records.coarseLabels, ...coarse } : {}),
  };
}

/**
 * Where CIFAR lives on disk: the folder of extracted sets and, per set, a local copy of the
 * official archive to extract from when that folder lacks it. The tools and notebooks fill it
 * from `CUTMIX_DATA_DIR` and `CUTMIX_CIFAR10_ARCHIVE` / `CUTMIX_CIFAR100_ARCHIVE`.
 */
export interface CifarLocation {
  /** Where the extracted folders are (and go); default {@link defaultDataDir}. */
  readonly dataDir?: string;
  /** A local archive per set; default `<dataDir>/<archive name>` when it exists. */
  readonly archives?: Readonly<Partial<Record<CifarName, string>>>;
}

/** Options of {@link loadCifar}. */
export interface LoadCifarOptions extends CifarLocation {
  /**
   * When the folder is missing but a local archive is available (see {@link CifarLocation}),
   * extract it first (default true). Never downloads.
   */
  readonly extractIfMissing?: boolean;
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
    const archive = options.archives?.[name];
    const hasArchive = hasLocalCifarArchive(format, { dataDir, archive });
    if ((options.extractIfMissing ?? true) && hasArchive) {
      await prepareCifar(format.name, {
        dataDir,
        archive,
        format,
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
    files.map((file) => cifarFileRecords(format, file)),
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
  return cifarDataset(format, split, classNames, records, { coarseClassNames });
}

/**
 * Reads one split straight from a `.tar.gz` archive, validating the whole archive first
 * (nothing is written). Slower than {@link loadCifar} (it gunzips ~170 MB), for checks and tests.
 *
 * @example
 * ```ts
 * import { loadCifarFromArchive } from "./cifar.ts";
 * const test = await loadCifarFromArchive("cifar-10-binary.tar.gz", "cifar10", "test");
 * console.log(test.labels.length, test.classNames); // 10000 ["airplane", "automobile", …]
 * ```
 * @throws Error naming the archive, the member and the fault when the archive is not a valid
 *   copy of `format` ({@link validateCifarArchive}).
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
  return cifarDataset(format, split, summary.classNames, records, {
    coarseClassNames: summary.coarseClassNames,
  });
}
