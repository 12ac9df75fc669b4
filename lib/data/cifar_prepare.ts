/**
 * Provides a CIFAR data set in `data/` — the logic behind `deno task data`: finds a local copy
 * of the official archive (or downloads it, md5-checked), validates it, and extracts its members
 * atomically (into a temporary folder inside `data/`, then one rename), leaving a
 * {@link SOURCE_MARKER} that records where the copy came from and how it was checked.
 *
 * Archives are looked for in this order: the `archive` option (then only that one; the tools
 * pass `--archive PATH` or `$CUTMIX_CIFAR10_ARCHIVE`), `<dataDir>/<archive>`, the official URL.
 *
 * @example
 * ```ts
 * import { isCifarPresent, prepareCifar } from "./cifar_prepare.ts";
 * import { CIFAR10_FORMAT } from "./cifar_format.ts";
 * if (!isCifarPresent(CIFAR10_FORMAT)) await prepareCifar("cifar10", { onLog: console.log });
 * ```
 * @module
 */
import { validateCifarArchive } from "./cifar_archive.ts";
import {
  cifarFileRecords,
  type CifarFormat,
  cifarFormat,
  cifarMembers,
  type CifarName,
  cifarRecordBytes,
} from "./cifar_format.ts";
import { md5Hex } from "./md5.ts";
import { defaultDataDir } from "./paths.ts";
import { readTarGz } from "./tar.ts";

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
export function missingCifarMessage(
  format: CifarFormat,
  dataDir: string = defaultDataDir(),
): string {
  return [
    `${format.name} is not in ${dataDir}/${format.directory}/ and no local archive was found.`,
    "Provide it in one of these ways:",
    `  - with internet: deno task data ${format.name}   (downloads ${format.url}, checks md5)`,
    `  - from a local copy of ${format.archiveName}: deno task data ${format.name} --archive PATH`,
    `    or, for the tools and notebooks, export ${format.archiveEnv}=PATH (extracted on first use)`,
    `  - or place the archive at ${dataDir}/${format.archiveName}`,
    `    or the extracted ${format.directory}/ folder in ${dataDir}/`,
  ].join("\n");
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
  /** A local archive to use (then only that one); default `<dataDir>/<archive name>`. */
  readonly archive?: string;
  /** Where extracted folders and downloaded archives go; default {@link defaultDataDir}. */
  readonly dataDir?: string;
  /** Try the official URL when no local archive is given (default true). */
  readonly download?: boolean;
  /** Give up on the download if no response arrives within this many ms (default 20,000). */
  readonly downloadTimeoutMs?: number;
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
export function isCifarPresent(
  format: CifarFormat,
  dataDir: string = defaultDataDir(),
): boolean {
  const dir = `${dataDir}/${format.directory}`;
  const recordBytes = cifarRecordBytes(format);
  for (const member of cifarMembers(format)) {
    try {
      const info = Deno.statSync(`${dir}/${member}`);
      if (!info.isFile) return false;
      if (member.endsWith(".bin") && info.size !== cifarFileRecords(format, member) * recordBytes) {
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
  options: Pick<PrepareOptions, "archive" | "dataDir"> = {},
): { path: string; why: string }[] {
  const dataDir = options.dataDir ?? defaultDataDir();
  if (options.archive) return [{ path: options.archive, why: "given as the archive to use" }];
  return [{ path: `${dataDir}/${format.archiveName}`, why: `found in ${dataDir}` }];
}

/**
 * True when one of {@link localArchiveCandidates} exists, i.e. {@link prepareCifar} could run
 * without downloading.
 */
export function hasLocalCifarArchive(
  format: CifarFormat,
  options: Pick<PrepareOptions, "archive" | "dataDir"> = {},
): boolean {
  return localArchiveCandidates(format, options).some((candidate) => exists(candidate.path));
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
 * official archive. Verifies the official md5 when the
 * archive has it, and otherwise validates the structure ({@link validateCifarArchive}) — the
 * result says which. Extracts into a temporary folder inside `dataDir` and renames it into
 * place, so a failure leaves nothing half-extracted.
 *
 * @example
 * ```ts
 * import { prepareCifar } from "./cifar_prepare.ts";
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
  const explicit = options.archive !== undefined;
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
    if (archive === undefined) throw new Error(missingCifarMessage(format, dataDir));
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
    // A forced re-extraction, or an incomplete folder from an interrupted attempt, is replaced
    // whole; a complete one that another process finished meanwhile is kept (below).
    if (exists(directory) && (options.force || !isCifarPresent(format, dataDir))) {
      await Deno.rename(directory, `${staging}/previous`);
    }
    try {
      // rename(2) onto an existing non-empty directory fails: a process that extracted the same
      // archive meanwhile (sweep workers starting together) wins, and its readers keep their files.
      await Deno.rename(`${staging}/${format.directory}`, directory);
    } catch (error) {
      if (options.force || !isCifarPresent(format, dataDir)) throw error;
      say(`${format.name}: extracted by another process meanwhile; using ${directory}`);
      return { directory, action: "present", log };
    }
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  say(`${format.name}: extracted into ${directory}`);
  return { directory, action: "extracted", archive, verification, md5, log };
}
