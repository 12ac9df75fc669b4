/**
 * A finished run's record: the compact, committable copy of a run directory, from which the runs
 * cache is rebuilt on another machine or in a clean clone (`<project>/pretrained/<scale>/`).
 *
 * A record is the directory `<recordsDir>/<configHash>/` holding
 * - `config.json`, `metrics.jsonl`, `final.json` — the run directory's own files, verbatim
 *   (lib/training/run_dir.ts);
 * - `weights.f16` — the model's variables (batch-norm statistics included, no SGD state) as
 *   little-endian IEEE float16 (lib/io/float16.ts), one tensor after another;
 * - `record.json` — the {@link RunRecordHeader}: format, the tensor list with offsets, byte
 *   length and SHA-256 of `weights.f16`, and the {@link Float16Check}.
 *
 * The float16 check: at export the float16-rounded model is evaluated on the run's test set, and
 * the export is refused when its top-1 error differs from `final.json`'s (float32) by more than
 * {@link FLOAT16_TOLERANCE}`.top1Points` percentage points or its loss by more than
 * `.lossRelative`. Both evaluations are stored. A restored run's `final.json` and metrics are
 * the float32 run's; its model is the float16-rounded one, in float32 tensors.
 *
 * A record is written to a temporary directory beside it and renamed into place, so a record
 * directory is either whole or absent; restoring goes through {@link RunDirectory} (its lock,
 * atomic files, `final.json` last). Problems throw a {@link RunRecordError} naming the record and
 * what is wrong (an unfinished run, another run's files, a truncated or altered weights file).
 *
 * @example
 * ```ts
 * import { exportRunRecord, listRunRecords, restoreRunRecord } from "./run_record.ts";
 * import { loadRunData } from "./loop.ts";
 * import { trainOrLoad } from "./runs.ts";
 * const { model, config, runDir, hash } = await trainOrLoad(
 *   { model: { arch: "resnet", depth: 20 }, epochs: 1, trainPerClass: 10, testPerClass: 10 },
 *   { runsDir: "runs" },
 * );
 * model.dispose();
 * const recordsDir = await Deno.makeTempDir();
 * const { test } = await loadRunData(config); // the run's own test set, for the float16 check
 * const header = await exportRunRecord(runDir, { recordsDir, test });
 * console.log(header.float16Check.top1DeltaPoints, (await listRunRecords(recordsDir)).length);
 * // Elsewhere (a clean clone): the run directory rebuilt from the record, as trainOrLoad does.
 * await restoreRunRecord(recordsDir, hash, await Deno.makeTempDir());
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { datasetSize, type ImageDataset } from "../data/dataset.ts";
import { decodeFloat16, encodeFloat16 } from "../io/float16.ts";
import type { LockOptions } from "../io/lock.ts";
import { createModel } from "../models/mod.ts";
import type { StoredTensor } from "./checkpoint.ts";
import { configHash, type RunConfig } from "./config.ts";
import { evaluateClassifier, type Evaluation } from "./evaluate.ts";
import { assignModelWeights } from "./loop.ts";
import {
  type EpochMetrics,
  type FinalSummary,
  parseMetrics,
  readRunFiles,
  RUN_FILES,
  RunDirectory,
} from "./run_dir.ts";

/** File names inside a record directory. */
export const RECORD_FILES: Readonly<{
  header: string;
  weights: string;
  config: string;
  metrics: string;
  final: string;
}> = Object.freeze({
  header: "record.json",
  weights: "weights.f16",
  config: RUN_FILES.config,
  metrics: RUN_FILES.metrics,
  final: RUN_FILES.final,
});

/** `record.json`'s `format`; `version` changes when the layout does. */
export const RUN_RECORD_FORMAT = "cutmix-run-record";
const RUN_RECORD_VERSION = 1;

/**
 * How far the float16 model may move from the float32 one for a record to be written: top-1 error
 * by `top1Points` percentage points or `top1Images` test images, whichever is more (a small test
 * set cannot resolve 0.1 points: at `smoke` scale's 200 images one image is 0.5), and the loss by
 * `lossRelative` of itself.
 */
export const FLOAT16_TOLERANCE: Readonly<
  { top1Points: number; top1Images: number; lossRelative: number }
> = Object.freeze({ top1Points: 0.1, top1Images: 1, lossRelative: 0.01 });

/** What the float16 check measured at export. */
export interface Float16Check {
  /** The run's own test metrics (float32 weights): `final.json`'s `test`. */
  readonly float32: Evaluation;
  /** The same test set with the float16-rounded weights. */
  readonly float16: Evaluation;
  /** `100 × (float16 − float32)` top-1 error, in percentage points. */
  readonly top1DeltaPoints: number;
  /** `(float16 − float32) / float32` test loss. */
  readonly lossRelativeChange: number;
  /**
   * The limits it was held to ({@link FLOAT16_TOLERANCE}; records written before `top1Images`
   * existed lack it).
   */
  readonly tolerance: {
    readonly top1Points: number;
    readonly top1Images?: number;
    readonly lossRelative: number;
  };
  /** Both changes within the tolerance, on as many images: the record may be written. */
  readonly passed: boolean;
}

/** One tensor of `weights.f16`: `offset` and the size are in float16 values. */
export interface RecordTensor {
  /** The checkpoint's name of the variable, e.g. `model/stem.conv.kernel`. */
  readonly name: string;
  /** Its shape; its size is their product. */
  readonly shape: readonly number[];
  /** Where its first value is, counted in float16 values from the start of the file. */
  readonly offset: number;
}

/** `record.json`. */
export interface RunRecordHeader {
  /** Always {@link RUN_RECORD_FORMAT}. */
  readonly format: typeof RUN_RECORD_FORMAT;
  /** The layout's version (1). */
  readonly version: number;
  /** The run's config hash (the record's directory name). */
  readonly hash: string;
  /** `final.json`'s model name, e.g. "resnet20". */
  readonly model: string;
  /** The run's epochs (all done). */
  readonly epochs: number;
  /** The weights file: name, value type, size in bytes, SHA-256 (hex) and its tensors in order. */
  readonly weights: {
    readonly file: string;
    readonly dtype: "float16";
    readonly byteLength: number;
    readonly sha256: string;
    readonly tensors: readonly RecordTensor[];
  };
  /** What the float16 model measured against the float32 run at export. */
  readonly float16Check: Float16Check;
  /** ISO time of the export. */
  readonly exportedAt: string;
}

/** A record read back and verified by {@link readRunRecord}. */
export interface RunRecord {
  /** `record.json`. */
  readonly header: RunRecordHeader;
  /** `config.json`: the run's resolved config (its hash is the record's). */
  readonly config: RunConfig;
  /** `metrics.jsonl`: one line per epoch, as the float32 run logged them. */
  readonly metrics: EpochMetrics[];
  /** `final.json`: the float32 run's summary. */
  readonly final: FinalSummary;
  /** The model's variables (`model/…`), float16 values in float32 arrays. */
  readonly tensors: Map<string, StoredTensor>;
}

/** A record or run cannot be exported, read or restored; `path` names the directory. */
export class RunRecordError extends Error {
  /** The record or run directory at fault. */
  readonly path: string;
  /** `problem` says what is wrong with `path`. */
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "RunRecordError";
    this.path = path;
  }
}

/** The record directory of run `hash` under `recordsDir`. */
export function recordDirectory(recordsDir: string, hash: string): string {
  if (typeof recordsDir !== "string" || recordsDir === "") {
    throw new Error(`recordsDir must be a non-empty path, got ${JSON.stringify(recordsDir)}`);
  }
  if (!/^[0-9a-f]{16}$/.test(hash)) {
    throw new Error(`a run hash is 16 hex digits, got ${JSON.stringify(hash)}`);
  }
  return join(recordsDir, hash);
}

/**
 * Compares the float16 model's test metrics with the float32 run's: passed when the top-1 error
 * moved by at most {@link FLOAT16_TOLERANCE}`.top1Points` points or `.top1Images` images,
 * whichever is more, and the loss by at most `.lossRelative` (relative), on the same number of
 * images.
 */
export function checkFloat16(float32: Evaluation, float16: Evaluation): Float16Check {
  const top1DeltaPoints = 100 * (float16.top1Error - float32.top1Error);
  const lossRelativeChange = (float16.loss - float32.loss) / float32.loss;
  const top1Limit = top1LimitPoints(float32.count);
  // The slack absorbs binary rounding at the limits (10 of 10,000 images are "0.1 points").
  const passed = float16.count === float32.count &&
    Math.abs(top1DeltaPoints) <= top1Limit + 1e-9 &&
    Math.abs(lossRelativeChange) <= FLOAT16_TOLERANCE.lossRelative + 1e-12;
  return {
    float32,
    float16,
    top1DeltaPoints,
    lossRelativeChange,
    tolerance: { ...FLOAT16_TOLERANCE },
    passed,
  };
}

/** The top-1 limit in points on a test set of `count` images ({@link FLOAT16_TOLERANCE}). */
function top1LimitPoints(count: number): number {
  return Math.max(FLOAT16_TOLERANCE.top1Points, (100 * FLOAT16_TOLERANCE.top1Images) / count);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Options of {@link exportRunRecord}. */
export interface ExportRunRecordOptions {
  /** Where records go; the record is `<recordsDir>/<hash>/`. */
  readonly recordsDir: string;
  /** The run's test set, subset as the run had it (`loadRunData(config).test`). */
  readonly test: ImageDataset;
}

/**
 * Writes the record of the finished run in `runDir` (its checkpoint verified against its
 * config) after the float16 check on `options.test`; returns the record's header. Throws a
 * {@link RunRecordError} for an unfinished run, a run that already has a record, a test set of
 * another size than the run's, or a float16 model whose metrics moved beyond the tolerance.
 */
export async function exportRunRecord(
  runDir: string,
  options: ExportRunRecordOptions,
): Promise<RunRecordHeader> {
  const configText = await readText(join(runDir, RUN_FILES.config));
  if (configText === undefined) {
    throw new RunRecordError(runDir, `no ${RUN_FILES.config}: not a run directory`);
  }
  const config = JSON.parse(configText) as RunConfig;
  const hash = configHash(config);
  const files = await readRunFiles(runDir, hash);
  const { final } = files;
  if (final === undefined || files.tensors === undefined || files.epochsDone < config.epochs) {
    throw new RunRecordError(
      runDir,
      `the run is not finished (${files.epochsDone} of ${config.epochs} epochs in its ` +
        `checkpoint, ${final ? "" : "no "}${RUN_FILES.final}): only a finished run has a record`,
    );
  }
  const target = recordDirectory(options.recordsDir, hash);
  if (await readText(join(target, RECORD_FILES.header)) !== undefined) {
    throw new RunRecordError(target, `run ${hash} already has a record`);
  }
  const testImages = datasetSize(options.test);
  if (testImages !== final.testImages) {
    throw new RunRecordError(
      runDir,
      `the run was tested on ${final.testImages} images, options.test (${options.test.name}) has ` +
        `${testImages}: pass the run's own test set (loadRunData(config).test)`,
    );
  }

  // The model's variables only (the checkpoint's `sgd/…` momentum is for resuming training).
  const tensors: RecordTensor[] = [];
  const halves: Uint16Array[] = [];
  const rounded = new Map<string, StoredTensor>();
  let offset = 0;
  for (const [name, t] of files.tensors) {
    if (!name.startsWith("model/")) continue;
    const bits = encodeFloat16(t.values);
    tensors.push({ name, shape: [...t.shape], offset });
    halves.push(bits);
    rounded.set(name, { shape: t.shape, values: decodeFloat16(bits) });
    offset += bits.length;
  }
  const model = createModel(config.model, config.seed);
  let float16: Evaluation;
  try {
    assignModelWeights(model, rounded, `${runDir} (float16-rounded)`);
    float16 = evaluateClassifier(model, options.test, config.evalBatchSize);
  } finally {
    model.dispose();
  }
  const check = checkFloat16(final.test, float16);
  if (!check.passed) {
    const pct = (e: Evaluation) => `${(100 * e.top1Error).toFixed(2)}%`;
    throw new RunRecordError(
      runDir,
      `float16 weights change the test metrics beyond the tolerance (top-1 error ` +
        `${pct(final.test)} → ${pct(float16)}, ${check.top1DeltaPoints.toFixed(3)} points, ` +
        `limit ${+top1LimitPoints(float16.count).toFixed(3)}; loss ${
          final.test.loss.toFixed(5)
        } → ` +
        `${float16.loss.toFixed(5)}, ${(100 * check.lossRelativeChange).toFixed(3)} %, limit ` +
        `${100 * FLOAT16_TOLERANCE.lossRelative} %): no record written`,
    );
  }
  const weights = new Uint8Array(2 * offset);
  const view = new DataView(weights.buffer);
  let at = 0;
  for (const bits of halves) {
    for (const b of bits) view.setUint16(2 * at++, b, true);
  }
  const header: RunRecordHeader = {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    hash,
    model: final.model,
    epochs: config.epochs,
    weights: {
      file: RECORD_FILES.weights,
      dtype: "float16",
      byteLength: weights.length,
      sha256: sha256(weights),
      tensors,
    },
    float16Check: check,
    exportedAt: new Date().toISOString(),
  };

  // Built whole in a temporary directory, then renamed into place.
  await Deno.mkdir(options.recordsDir, { recursive: true });
  const tmp = join(
    options.recordsDir,
    `.${hash}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
  );
  try {
    await Deno.mkdir(tmp);
    await Deno.writeTextFile(join(tmp, RECORD_FILES.config), configText);
    await Deno.copyFile(join(runDir, RUN_FILES.metrics), join(tmp, RECORD_FILES.metrics));
    await Deno.copyFile(join(runDir, RUN_FILES.final), join(tmp, RECORD_FILES.final));
    await Deno.writeFile(join(tmp, RECORD_FILES.weights), weights);
    await Deno.writeTextFile(
      join(tmp, RECORD_FILES.header),
      JSON.stringify(header, null, 2) + "\n",
    );
    try {
      await Deno.rename(tmp, target);
    } catch (error) {
      // Another exporter won the race (the rename onto a non-empty directory fails).
      if (await readText(join(target, RECORD_FILES.header)) !== undefined) {
        throw new RunRecordError(target, `run ${hash} already has a record`);
      }
      throw error;
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  return header;
}

/** Parses `text` as JSON, or throws a {@link RunRecordError} naming `file`. */
function parseJson<T>(dir: string, file: string, text: string | undefined): T {
  if (text === undefined) throw new RunRecordError(dir, `the record has no ${file}`);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new RunRecordError(dir, `${file} is damaged (${(error as Error).message})`);
  }
}

/** Reads and checks `record.json` of the record directory `dir`, which must be run `hash`'s. */
async function readHeader(dir: string, hash: string): Promise<RunRecordHeader> {
  const text = await readText(join(dir, RECORD_FILES.header));
  if (text === undefined) throw new RunRecordError(dir, `no run record (${RECORD_FILES.header})`);
  const header = parseJson<RunRecordHeader>(dir, RECORD_FILES.header, text);
  if (header?.format !== RUN_RECORD_FORMAT || header.version !== RUN_RECORD_VERSION) {
    throw new RunRecordError(
      dir,
      `${RECORD_FILES.header} is not a ${RUN_RECORD_FORMAT} version ${RUN_RECORD_VERSION} ` +
        `header (format ${JSON.stringify(header?.format)}, version ${header?.version})`,
    );
  }
  if (header.hash !== hash) {
    throw new RunRecordError(dir, `holds the record of run ${header.hash}, not of ${hash}`);
  }
  return header;
}

/**
 * Reads run `hash`'s record from `recordsDir` and verifies it whole: every file present and of
 * this run (config hash, `final.json`, header), one metrics line per epoch, and `weights.f16`
 * of the recorded length and SHA-256. Throws a {@link RunRecordError} naming what is wrong.
 */
export async function readRunRecord(recordsDir: string, hash: string): Promise<RunRecord> {
  const dir = recordDirectory(recordsDir, hash);
  const header = await readHeader(dir, hash);
  const config = parseJson<RunConfig>(
    dir,
    RECORD_FILES.config,
    await readText(join(dir, RECORD_FILES.config)),
  );
  const configOf = configHash(config);
  if (configOf !== hash) {
    throw new RunRecordError(dir, `${RECORD_FILES.config} is run ${configOf}'s, not ${hash}'s`);
  }
  const final = parseJson<FinalSummary>(
    dir,
    RECORD_FILES.final,
    await readText(join(dir, RECORD_FILES.final)),
  );
  if (final.configHash !== hash) {
    throw new RunRecordError(dir, `${RECORD_FILES.final} is run ${final.configHash}'s`);
  }
  let metrics: EpochMetrics[];
  try {
    metrics = parseMetrics(await readText(join(dir, RECORD_FILES.metrics)));
  } catch (error) {
    throw new RunRecordError(
      dir,
      `${RECORD_FILES.metrics} is damaged (${(error as Error).message})`,
    );
  }
  if (metrics.length !== config.epochs || metrics.some((m, i) => m?.epoch !== i + 1)) {
    throw new RunRecordError(
      dir,
      `${RECORD_FILES.metrics} has ${metrics.length} line(s) where the run has ${config.epochs} ` +
        "epochs (missing or damaged)",
    );
  }
  const path = join(dir, RECORD_FILES.weights);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RunRecordError(dir, `the record has no ${RECORD_FILES.weights}`);
    }
    throw error;
  }
  const { byteLength, tensors: entries } = header.weights;
  if (bytes.length !== byteLength) {
    throw new RunRecordError(
      dir,
      `${RECORD_FILES.weights} has ${bytes.length} bytes, ${RECORD_FILES.header} says ` +
        `${byteLength} (truncated, or written by something else)`,
    );
  }
  if (sha256(bytes) !== header.weights.sha256) {
    throw new RunRecordError(
      dir,
      `${RECORD_FILES.weights} is damaged: its SHA-256 is not the one ${RECORD_FILES.header} ` +
        "records",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, StoredTensor>();
  for (const { name, shape, offset } of entries) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (offset < 0 || 2 * (offset + size) > bytes.length) {
      throw new RunRecordError(dir, `tensor "${name}" lies outside ${RECORD_FILES.weights}`);
    }
    const bits = new Uint16Array(size);
    for (let i = 0; i < size; i++) bits[i] = view.getUint16(2 * (offset + i), true);
    tensors.set(name, { shape, values: decodeFloat16(bits) });
  }
  return { header, config, metrics, final, tensors };
}

/** True when `recordsDir` holds a record of run `hash` (its header exists; not verified). */
export async function hasRunRecord(recordsDir: string, hash: string): Promise<boolean> {
  return await readText(join(recordDirectory(recordsDir, hash), RECORD_FILES.header)) !==
    undefined;
}

/** One entry of {@link listRunRecords}: the header, or why it could not be read. */
export interface RunRecordListing {
  /** The directory's name: the run's config hash. */
  readonly hash: string;
  /** The record directory. */
  readonly path: string;
  /** `record.json`, when it reads as one of this run. */
  readonly header?: RunRecordHeader;
  /** Otherwise, what is wrong with it. */
  readonly problem?: string;
}

/**
 * The records in `recordsDir` (none when it does not exist), by hash, each with its header or
 * the reason it is unreadable. Reads only the headers (see {@link readRunRecord} to verify).
 */
export async function listRunRecords(recordsDir: string): Promise<RunRecordListing[]> {
  const hashes: string[] = [];
  try {
    for await (const entry of Deno.readDir(recordsDir)) {
      if (entry.isDirectory && /^[0-9a-f]{16}$/.test(entry.name)) hashes.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const out: RunRecordListing[] = [];
  for (const hash of hashes.sort()) {
    const path = join(recordsDir, hash);
    try {
      out.push({ hash, path, header: await readHeader(path, hash) });
    } catch (error) {
      out.push({ hash, path, problem: (error as Error).message });
    }
  }
  return out;
}

/** Options of {@link restoreRunRecord}. */
export interface RestoreRunRecordOptions {
  /** Heartbeat and staleness of the run directory's lock (lib/io/lock.ts defaults). */
  readonly lock?: Omit<LockOptions, "purpose">;
}

/**
 * Restores run `hash`'s record (verified by {@link readRunRecord}) into `runsDir` as a complete
 * run directory `<runsDir>/<hash>/`: its config, metrics and `final.json`, and a checkpoint of
 * the float16 weights as float32 with meta `{ configHash, epochsDone: epochs }`, which
 * `trainOrLoad` loads as a finished run. Files a partial run left there are replaced; a run
 * another process is training is refused (its lock). Returns the run directory.
 */
export async function restoreRunRecord(
  recordsDir: string,
  hash: string,
  runsDir: string,
  options: RestoreRunRecordOptions = {},
): Promise<string> {
  const record = await readRunRecord(recordsDir, hash);
  const runDir = join(runsDir, hash);
  const dir = await RunDirectory.open(runDir, record.config, { lock: options.lock });
  try {
    await dir.writeMetrics(record.metrics);
    await dir.writeCheckpoint(record.config.epochs, record.tensors);
    await dir.writeFinal(record.final);
  } finally {
    await dir.close();
  }
  return runDir;
}
