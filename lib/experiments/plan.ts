/**
 * Sweep planning: for every distinct run of a reproduction (lib/experiments/run_list.ts), its
 * config hash, its state in the runs cache, and what is left to train, in images and — from a
 * measured rate — in minutes.
 *
 * Rates are measured, never assumed: every run a sweep worker finishes appends one
 * {@link ThroughputSample} (the run's training images/s, its model, batch size, TensorFlow
 * threads and how many runs trained beside it) to `<runsDir>/throughput.jsonl`. A plan takes the
 * median of the samples closest to how it will train (same model and batch size; then the same
 * threads; then the same concurrency); with none, a run's minutes are unknown until one such
 * run has been trained on this machine.
 *
 * With `recordsDir` (committed run records, lib/training/run_record.ts), a run that is not done in
 * the runs cache but has a record is planned as `recorded`: restored from it, not trained
 * ({@link runsToRestore}, {@link runsToTrain}).
 *
 * @example
 * ```ts
 * import { planSweep } from "./plan.ts";
 * import { sweepRuns } from "./run_list.ts";
 * const plan = await planSweep(sweepRuns("smoke"), { runsDir: "runs", threads: 1, concurrent: 2 });
 * for (const e of plan.entries) console.log(e.hash, e.state, e.imagesRemaining, e.minutes);
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { canonicalJson, type RunConfig } from "../training/config.ts";
import { inspectRunDirectory, type RunDirectoryState } from "../training/run_dir.ts";
import { hasRunRecord } from "../training/run_record.ts";
import { runDirectory } from "../training/runs.ts";
import type { SweepRun } from "./run_list.ts";

/** Images per split of the datasets the loader knows (full sets). */
export const DATASET_SIZES: Readonly<Record<string, { train: number; test: number }>> = Object
  .freeze({
    cifar10: { train: 50_000, test: 10_000 },
    cifar100: { train: 50_000, test: 10_000 },
  });

/** What a run costs, in images. */
export interface RunCost {
  /** Training images per epoch. */
  readonly trainImages: number;
  /** Test images per evaluation. */
  readonly testImages: number;
  /** Evaluations over the run (every `evalEvery` epochs and after the last). */
  readonly evaluations: number;
  /** `epochs × trainImages`: the images a whole run trains on. */
  readonly imagesToTrain: number;
}

/** The cost of `config` in images (throws naming a dataset of unknown size). */
export function runCost(config: RunConfig): RunCost {
  const sizes = DATASET_SIZES[config.dataset];
  if (sizes === undefined) {
    throw new Error(
      `runCost: the size of dataset "${config.dataset}" is unknown (known: ${
        Object.keys(DATASET_SIZES).join(", ")
      })`,
    );
  }
  const trainImages = config.trainPerClass === null
    ? sizes.train
    : Math.min(sizes.train, config.trainPerClass * config.numClasses);
  const testImages = config.testPerClass === null
    ? sizes.test
    : Math.min(sizes.test, config.testPerClass * config.numClasses);
  const evaluations = Math.floor(config.epochs / config.evalEvery) +
    (config.epochs % config.evalEvery === 0 ? 0 : 1);
  return { trainImages, testImages, evaluations, imagesToTrain: config.epochs * trainImages };
}

/** A short name of a run's model, for plans and logs (e.g. "resnet20", "pyramidnet200"). */
export function modelLabel(config: RunConfig): string {
  return `${config.model.arch}${config.model.depth}`;
}

/** One measured training throughput, as `throughput.jsonl` stores it. */
export interface ThroughputSample {
  /** The model spec as canonical JSON (the grouping key). */
  readonly model: string;
  readonly batchSize: number;
  /** TensorFlow threads of the process (TF_NUM_INTRAOP_THREADS). */
  readonly threads: number;
  /** Runs training at the same time on the machine, this one included. */
  readonly concurrent: number;
  /** Training images per second over the run (evaluation excluded). */
  readonly imagesPerSecond: number;
  readonly host: string;
  /** ISO time. */
  readonly at: string;
  /** Resident memory of the process at the end of the run, MiB (Slurm's --mem comes from it). */
  readonly rssMiB?: number;
}

/** The throughput log of a runs cache. */
export function throughputPath(runsDir: string): string {
  return join(runsDir, "throughput.jsonl");
}

/** Every sample in `<runsDir>/throughput.jsonl` (none when there is no file). */
export async function readThroughput(runsDir: string): Promise<ThroughputSample[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(throughputPath(runsDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const samples: ThroughputSample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      samples.push(JSON.parse(line));
    } catch {
      // A line cut short by a crash: the others still count.
    }
  }
  return samples;
}

/**
 * Appends `sample` to the runs cache's throughput log. The whole line goes in one `write` with
 * O_APPEND, so concurrent workers on one host do not interleave.
 */
export async function recordThroughput(runsDir: string, sample: ThroughputSample): Promise<void> {
  await Deno.writeTextFile(throughputPath(runsDir), JSON.stringify(sample) + "\n", {
    append: true,
    create: true,
  });
}

/** A rate to plan with, and where it came from. */
export interface RateEstimate {
  readonly imagesPerSecond: number;
  /** e.g. "median of 4 runs at 1 thread, 2 concurrent". */
  readonly source: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The per-run rate of `config` trained with `threads` threads beside `concurrent - 1` others:
 * the median of the closest samples (same model and batch size required; then preferring the
 * same threads and concurrency), or undefined when no sample has the model and batch size.
 */
export function estimateRate(
  samples: readonly ThroughputSample[],
  config: RunConfig,
  how: { readonly threads: number; readonly concurrent: number },
): RateEstimate | undefined {
  const model = canonicalJson(config.model);
  const same = samples.filter((s) => s.model === model && s.batchSize === config.batchSize);
  const tiers: [ThroughputSample[], string][] = [
    [same.filter((s) => s.threads === how.threads && s.concurrent === how.concurrent), ""],
    [same.filter((s) => s.threads === how.threads), " (other concurrency)"],
    [same, " (other threads)"],
  ];
  for (const [tier, note] of tiers) {
    if (tier.length === 0) continue;
    const t = tier[0];
    return {
      imagesPerSecond: median(tier.map((s) => s.imagesPerSecond)),
      source: `median of ${tier.length} run(s), ${t.threads} thread(s), ${t.concurrent} ` +
        `concurrent${note}`,
    };
  }
  return undefined;
}

/** A pool's training throughput against one process using every core ({@link poolSpeedup}). */
export interface PoolSpeedup {
  /** Training images/s of one pool worker: the median over runs trained at the pool's width. */
  readonly perWorker: number;
  /** `workers × perWorker`: the pool's aggregate training images/s. */
  readonly pool: number;
  /** Training images/s of one process with every core, training alone (median over runs). */
  readonly single: number;
  /** `pool / single`. */
  readonly speedup: number;
  /** Runs behind `perWorker` and `single`. */
  readonly poolRuns: number;
  readonly singleRuns: number;
}

/**
 * How much faster a pool of `workers` processes with `threads` each trains `config` than one
 * process with all `cores` threads, from training rates measured exactly in those two setups
 * (evaluation and start-up excluded on both sides, so the factor is the engines', not the
 * schedule's); undefined unless both have samples, or when the pool is itself one process with
 * every core.
 */
export function poolSpeedup(
  samples: readonly ThroughputSample[],
  config: RunConfig,
  how: { readonly workers: number; readonly threads: number; readonly cores: number },
): PoolSpeedup | undefined {
  if (how.workers === 1 && how.threads === how.cores) return undefined;
  const model = canonicalJson(config.model);
  const rates = (threads: number, concurrent: number) =>
    samples.filter((s) =>
      s.model === model && s.batchSize === config.batchSize && s.threads === threads &&
      s.concurrent === concurrent
    ).map((s) => s.imagesPerSecond);
  const pooled = rates(how.threads, how.workers);
  const alone = rates(how.cores, 1);
  if (pooled.length === 0 || alone.length === 0) return undefined;
  const perWorker = median(pooled);
  const single = median(alone);
  const pool = how.workers * perWorker;
  return {
    perWorker,
    pool,
    single,
    speedup: pool / single,
    poolRuns: pooled.length,
    singleRuns: alone.length,
  };
}

/** One run of a plan. */
export interface PlanEntry extends SweepRun {
  readonly runDir: string;
  readonly state: RunDirectoryState["state"];
  readonly epochsLogged: number;
  /** The records folder has this run's record (a run not done is restored from it). */
  readonly recorded: boolean;
  readonly cost: RunCost;
  /**
   * Training images left (0 when done or recorded; partial runs count their logged epochs as
   * done).
   */
  readonly imagesRemaining: number;
  readonly rate?: RateEstimate;
  /** Minutes left at `rate` (training plus evaluations left at the same rate); undefined without one. */
  readonly minutes?: number;
}

/** A sweep's plan: every run with its state and cost. */
export interface SweepPlan {
  readonly runsDir: string;
  /** The records folder looked in, if any. */
  readonly recordsDir?: string;
  readonly entries: readonly PlanEntry[];
}

/** Options of {@link planSweep}. */
export interface PlanOptions {
  readonly runsDir: string;
  /** Committed run records (lib/training/run_record.ts): recorded runs need no training. */
  readonly recordsDir?: string;
  /** TensorFlow threads each run will get. */
  readonly threads: number;
  /** Runs that will train at once. */
  readonly concurrent: number;
}

/** Plans `runs`: looks each one up in the runs cache and estimates what is left. */
export async function planSweep(
  runs: readonly SweepRun[],
  options: PlanOptions,
): Promise<SweepPlan> {
  const samples = await readThroughput(options.runsDir);
  const entries: PlanEntry[] = [];
  for (const run of runs) {
    const runDir = runDirectory(run.config, options.runsDir);
    const { state, epochsLogged } = await inspectRunDirectory(runDir);
    const recorded = options.recordsDir !== undefined &&
      await hasRunRecord(options.recordsDir, run.hash);
    const cost = runCost(run.config);
    const nothingLeft = state === "done" || recorded;
    const epochsLeft = nothingLeft ? 0 : Math.max(0, run.config.epochs - epochsLogged);
    const imagesRemaining = epochsLeft * cost.trainImages;
    const evalsLeft = nothingLeft
      ? 0
      : Math.max(0, cost.evaluations - Math.floor(epochsLogged / run.config.evalEvery));
    const rate = estimateRate(samples, run.config, options);
    // Evaluation is a forward pass only: about a third of a training step's work per image.
    const workImages = imagesRemaining + evalsLeft * cost.testImages / 3;
    const minutes = rate ? workImages / rate.imagesPerSecond / 60 : undefined;
    entries.push({
      ...run,
      runDir,
      state,
      epochsLogged,
      recorded,
      cost,
      imagesRemaining,
      rate,
      minutes,
    });
  }
  return { runsDir: options.runsDir, recordsDir: options.recordsDir, entries };
}

/** The runs of `plan` to train: neither done in the runs cache nor recorded. */
export function runsToTrain(plan: SweepPlan): PlanEntry[] {
  return plan.entries.filter((e) => e.state !== "done" && !e.recorded);
}

/** The runs of `plan` to restore from their records: recorded, not done in the runs cache. */
export function runsToRestore(plan: SweepPlan): PlanEntry[] {
  return plan.entries.filter((e) => e.state !== "done" && e.recorded);
}

/**
 * The file a sweep's workers read their runs from: `{ runsDir, recordsDir?, runs: [{ hash,
 * config }] }`; with `recordsDir`, a worker exports the record of the run it finished there.
 */
export interface PlanFile {
  readonly runsDir: string;
  readonly recordsDir?: string;
  readonly runs: readonly { readonly hash: string; readonly config: RunConfig }[];
}

/**
 * Writes the runs of `entries` to `path` atomically, for workers and array tasks; `recordsDir`:
 * where they export each finished run's record (none when absent).
 */
export async function writePlanFile(
  path: string,
  runsDir: string,
  entries: readonly Pick<PlanEntry, "hash" | "config">[],
  recordsDir?: string,
): Promise<void> {
  const file: PlanFile = {
    runsDir,
    ...(recordsDir === undefined ? {} : { recordsDir }),
    runs: entries.map(({ hash, config }) => ({ hash, config })),
  };
  await writeFileAtomic(path, JSON.stringify(file, null, 1) + "\n");
}

/** Reads a {@link PlanFile}. */
export async function readPlanFile(path: string): Promise<PlanFile> {
  const file = JSON.parse(await Deno.readTextFile(path)) as PlanFile;
  if (typeof file?.runsDir !== "string" || !Array.isArray(file.runs)) {
    throw new Error(`${path} is not a sweep plan file (needs runsDir and runs)`);
  }
  if (file.recordsDir !== undefined && typeof file.recordsDir !== "string") {
    throw new Error(`${path}: recordsDir must be a path, got ${JSON.stringify(file.recordsDir)}`);
  }
  return file;
}
