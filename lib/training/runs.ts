/**
 * The runs cache: a trained model is stored under `<runsDir>/<configHash>/` (a
 * {@link RunDirectory}), so every notebook or script asking for the same {@link RunConfig} reuses
 * it instead of training again, and a run that was interrupted resumes from its checkpoint.
 *
 * The cache is safe under concurrency: a run being trained holds its directory's lock (across
 * processes and hosts on a shared filesystem), so a second process asking for it gets an Error
 * naming the trainer instead of a duplicate run; finished runs are read without a lock (every
 * file is replaced atomically). Where the cache lives is the caller's choice: entry points take
 * it from `--runs-dir` or `CUTMIX_RUNS_DIR` (tools/experiment_env.ts).
 *
 * With `recordsDir` (committed run records, lib/training/run_record.ts; entry points default to
 * `<project>/pretrained/<scale>`), a run that is not complete in the cache but has a record is
 * restored from it into the cache and loaded, not trained.
 *
 * @example
 * ```ts
 * import { trainOrLoad } from "./runs.ts";
 * const { model, final, cached } = await trainOrLoad(
 *   { model: { arch: "resnet", depth: 20 }, epochs: 2, trainPerClass: 100 },
 *   { runsDir: "runs" },
 * );
 * console.log(cached, final.test.top1Error);
 * model.dispose();
 * ```
 * @module
 */
import { join } from "node:path";
import type { CifarLocation } from "../data/cifar.ts";
import type { ImageClassifier } from "../models/model.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { configHash, resolveRunConfig, type RunConfig, type RunConfigInput } from "./config.ts";
import { loadFinishedRun, type TrainProgress, trainRun, type TrainRunOptions } from "./loop.ts";
import { type EpochMetrics, type FinalSummary, RunDamagedError } from "./run_dir.ts";
import { hasRunRecord, restoreRunRecord } from "./run_record.ts";

/** Options of {@link trainOrLoad}. */
export interface TrainOrLoadOptions {
  /** The cache's root folder. */
  readonly runsDir: string;
  /** Run records to restore a run from when the cache lacks it (lib/training/run_record.ts). */
  readonly recordsDir?: string;
  /** Where the line saying a run was restored from its record goes (default `console.log`). */
  readonly log?: (line: string) => void;
  /** Progress while training (not called when the run is cached). */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Called after each trained epoch. */
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /** Data to use instead of loading `config.dataset`. */
  readonly data?: { readonly train: ImageDataset; readonly test: ImageDataset };
  /** Where CIFAR is on disk when `config.dataset` is loaded (default: the project's `data/`). */
  readonly cifar?: CifarLocation;
  /** Retrain a run whose files are damaged instead of throwing (see {@link RunDamagedError}). */
  readonly retrainCorrupt?: boolean;
  /** The train-step engine, when it trains (see {@link TrainRunOptions.engine}). */
  readonly engine?: TrainRunOptions["engine"];
  /** The compiled engine's thread pools (see {@link TrainRunOptions.threads}). */
  readonly threads?: TrainRunOptions["threads"];
}

/** A finished run; the caller disposes `model`. */
export interface RunResult {
  /** The model after its last epoch (weights float16-rounded if they came from a run record). */
  readonly model: ImageClassifier;
  /** The resolved config: the input with the paper's defaults filled in. */
  readonly config: RunConfig;
  /** {@link configHash} of `config`: the run's name in the cache and in its record. */
  readonly hash: string;
  /** `<runsDir>/<hash>`: the run's directory ({@link runDirectory}). */
  readonly runDir: string;
  /** Its `final.json`: test (and training-set) metrics after the last epoch. */
  readonly final: FinalSummary;
  /** Its `metrics.jsonl`: one line per epoch, in order. */
  readonly metrics: EpochMetrics[];
  /** True when nothing was trained (the run was complete in the cache, or restored). */
  readonly cached: boolean;
  /** True when the run was restored from its record into the cache by this call. */
  readonly restored: boolean;
}

/** The directory `config` trains in under `runsDir`. */
export function runDirectory(config: RunConfig, runsDir: string): string {
  if (typeof runsDir !== "string" || runsDir === "") {
    throw new Error(`runsDir must be a non-empty path, got ${JSON.stringify(runsDir)}`);
  }
  return join(runsDir, configHash(config));
}

/**
 * Returns the trained model of `config`: loaded from the cache when its run is complete, else
 * trained (resuming from a checkpoint if one exists). Accepts a full or a partial config (the
 * paper's defaults fill the rest; the hash is of the resolved config).
 */
export async function trainOrLoad(
  input: RunConfig | RunConfigInput,
  options: TrainOrLoadOptions,
): Promise<RunResult> {
  const config = resolveRunConfig(input);
  const hash = configHash(config);
  const runDir = runDirectory(config, options.runsDir);
  let finished;
  try {
    finished = await loadFinishedRun(config, runDir);
  } catch (error) {
    if (!(error instanceof RunDamagedError && options.retrainCorrupt)) throw error;
  }
  if (finished === undefined && options.recordsDir !== undefined) {
    if (await hasRunRecord(options.recordsDir, hash)) {
      await restoreRunRecord(options.recordsDir, hash, options.runsDir);
      (options.log ?? console.log)(
        `run ${hash} restored from its record in ${options.recordsDir} into ${runDir} ` +
          "(float16 weights; not trained)",
      );
      finished = await loadFinishedRun(config, runDir);
      if (finished === undefined) throw new Error(`${runDir}: restored, but not complete`);
      return { ...finished, config, hash, runDir, cached: true, restored: true };
    }
  }
  if (finished !== undefined) {
    return { ...finished, config, hash, runDir, cached: true, restored: false };
  }
  const result = await trainRun(config, {
    runDir,
    data: options.data,
    cifar: options.cifar,
    onProgress: options.onProgress,
    onEpoch: options.onEpoch,
    retrainCorrupt: options.retrainCorrupt,
    engine: options.engine,
    threads: options.threads,
  });
  return {
    model: result.model,
    config,
    hash,
    runDir,
    final: result.final!,
    metrics: result.metrics,
    cached: false,
    restored: false,
  };
}
