/**
 * The run directory: one {@link RunConfig}'s files, and the only code that reads or writes them.
 *
 * - `config.json` — the resolved config (a directory never trains a different config);
 * - `checkpoint.bin` — model variables, SGD momentum buffers and `{ configHash, epochsDone }`,
 *   written atomically (lib/training/checkpoint.ts); its recorded hash is checked on every load;
 * - `metrics.jsonl` — one {@link EpochMetrics} JSON object per line, per epoch;
 * - `final.json` — the {@link FinalSummary}, written last, when the last epoch is done;
 * - `lock` — held while a process trains it (lib/io/lock.ts: works across hosts on a shared
 *   filesystem, recovers from crashes). Every write first checks the lock is still held.
 *
 * A damaged checkpoint (truncated, overwritten, another run's) stops with a
 * {@link RunDamagedError} naming the file and what to do; with `retrainCorrupt` the damaged files
 * are moved aside (`*.damaged-<time>`) and the run starts again from scratch.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./config.ts";
 * import { RunDirectory } from "./run_dir.ts";
 * const config = resolveRunConfig({ model: { arch: "resnet", depth: 20 }, epochs: 1 });
 * const dir = await RunDirectory.open(await Deno.makeTempDir(), config);
 * try {
 *   const { epochsDone } = await dir.restore();
 *   console.log(epochsDone); // 0: nothing trained yet
 * } finally {
 *   await dir.close();
 * }
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { acquireLock, type HeldLock, inspectLock, type LockInspection } from "../io/lock.ts";
import type { LockOptions } from "../io/lock.ts";
import {
  CheckpointDamagedError,
  readCheckpoint,
  type StoredTensor,
  writeCheckpoint,
} from "./checkpoint.ts";
import { canonicalJson, configHash, type RunConfig } from "./config.ts";
import type { Evaluation } from "./evaluate.ts";

/** File names inside a run directory. */
export const RUN_FILES: Readonly<{
  config: string;
  checkpoint: string;
  metrics: string;
  final: string;
  lock: string;
}> = Object.freeze({
  config: "config.json",
  checkpoint: "checkpoint.bin",
  metrics: "metrics.jsonl",
  final: "final.json",
  lock: "lock",
});

/** One line of `metrics.jsonl`. */
export interface EpochMetrics {
  /** Epochs completed (1 for the first). */
  readonly epoch: number;
  /** Mean training loss over the epoch's images (against the augmented soft targets). */
  readonly trainLoss: number;
  /**
   * Mean test cross-entropy against the true labels; null in epochs without evaluation (only
   * every `config.evalEvery`-th epoch and the last are evaluated).
   */
  readonly testLoss: number | null;
  /** Fraction of test images whose label is not the arg-max, ∈ [0, 1]; null as `testLoss`. */
  readonly testTop1Error: number | null;
  /**
   * Fraction of test images whose label is not among the 5 highest logits (all if fewer
   * classes), ∈ [0, 1]; null as `testLoss`.
   */
  readonly testTop5Error: number | null;
  /** The learning rate of the epoch's last step. */
  readonly lr: number;
  /** Training throughput over the epoch (excludes evaluation). */
  readonly imagesPerSecond: number;
  /** Wall-clock seconds of the epoch, evaluation included. */
  readonly seconds: number;
}

/** `final.json`. */
export interface FinalSummary {
  /** {@link configHash} of the run's config: checked against the directory's on every read. */
  readonly configHash: string;
  /** The model's name, e.g. "resnet110" or "pyramidnet200-a240-bottleneck". */
  readonly model: string;
  /** Number of trainable scalars of the model. */
  readonly parameterCount: number;
  /** Epochs trained: the config's `epochs`. */
  readonly epochs: number;
  /** Images in the training set after the config's `trainPerClass` subset (un-augmented count). */
  readonly trainImages: number;
  /** Images in the test set after the config's `testPerClass` subset: what `test` averages over. */
  readonly testImages: number;
  /** Test metrics after the last epoch. */
  readonly test: Evaluation;
  /**
   * The un-augmented training subset's metrics after the last epoch: whether the model memorised
   * it (the regime rule of lib/experiments/regime.ts). Absent in runs finished before it existed.
   */
  readonly train?: Evaluation;
  /** Sum of the epochs' wall-clock seconds (over all sessions that trained this run). */
  readonly trainSeconds: number;
  /** The TensorFlow.js backend that trained it. */
  readonly backend: string;
  /** ISO time the run finished. */
  readonly finishedAt: string;
}

/** What a checkpoint's JSON header records. */
export interface CheckpointMeta {
  /** {@link configHash} of the run that wrote it: a checkpoint of another run is refused. */
  readonly configHash: string;
  /** Epochs completed when it was written (≥ 1); training resumes at the next one. */
  readonly epochsDone: number;
}

/** A run directory's files are damaged; `file` names the one, the message what to do. */
export class RunDamagedError extends Error {
  /** The run directory, the one to delete to train from scratch. */
  readonly runDir: string;
  /** Path of the damaged file inside `runDir` (checkpoint, `metrics.jsonl` or `final.json`). */
  readonly file: string;
  /**
   * `problem` says what is wrong with `file` (one sentence, no final period); the message adds
   * how to recover.
   */
  constructor(runDir: string, file: string, problem: string) {
    super(
      `${problem}. The run cannot resume from it: delete ${runDir} to train it from scratch, ` +
        "or let the library do that (option retrainCorrupt; --retrain-corrupt on " +
        "`deno task train` and `deno task sweep run`)",
    );
    this.name = "RunDamagedError";
    this.runDir = runDir;
    this.file = file;
  }
}

/** Options of {@link RunDirectory.open}. */
export interface RunDirectoryOptions {
  /** Move damaged files aside and train from scratch instead of throwing {@link RunDamagedError}. */
  readonly retrainCorrupt?: boolean;
  /** Heartbeat and staleness of the lock (lib/io/lock.ts defaults). */
  readonly lock?: Omit<LockOptions, "purpose">;
  /** Where a notice goes when damaged files are moved aside (default `console.warn`). */
  readonly warn?: (line: string) => void;
}

/** What {@link RunDirectory.restore} found: where training resumes. */
export interface RestoredRun {
  /** Epochs the checkpoint holds (0 when there is none). */
  readonly epochsDone: number;
  /** The metrics of those epochs. */
  readonly metrics: EpochMetrics[];
  /** The checkpoint's tensors (`model/…`, `sgd/…`), when there is one. */
  readonly tensors?: Map<string, StoredTensor>;
  /** `final.json`, when the run is complete. */
  readonly final?: FinalSummary;
}

async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The lines of a `metrics.jsonl` text (none when undefined); throws on a line that is not JSON. */
export function parseMetrics(text: string | undefined): EpochMetrics[] {
  if (text === undefined) return [];
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/**
 * Reads and verifies the checkpoint, metrics and final summary of the run `hash` in `runDir`:
 * the checkpoint must decode and record `hash`. Throws {@link RunDamagedError} otherwise. Takes
 * no lock (files are replaced atomically, so a reader sees whole files).
 */
export async function readRunFiles(runDir: string, hash: string): Promise<RestoredRun> {
  const path = join(runDir, RUN_FILES.checkpoint);
  let checkpoint;
  try {
    checkpoint = await readCheckpoint<CheckpointMeta>(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { epochsDone: 0, metrics: [] };
    if (error instanceof CheckpointDamagedError) {
      throw new RunDamagedError(runDir, path, error.message);
    }
    throw error;
  }
  const { meta, tensors } = checkpoint;
  if (meta?.configHash !== hash) {
    throw new RunDamagedError(
      runDir,
      path,
      `${path} belongs to run ${
        JSON.stringify(meta?.configHash)
      }, not to ${hash} (this directory's config)`,
    );
  }
  let metrics: EpochMetrics[];
  let final: FinalSummary | undefined;
  const metricsPath = join(runDir, RUN_FILES.metrics);
  const finalPath = join(runDir, RUN_FILES.final);
  try {
    // Lines written after the checkpoint belong to epochs that will be trained again.
    metrics = parseMetrics(await readOptionalText(metricsPath)).filter((m) =>
      m.epoch <= meta.epochsDone
    );
  } catch (error) {
    throw new RunDamagedError(runDir, metricsPath, `${metricsPath}: ${(error as Error).message}`);
  }
  try {
    const text = await readOptionalText(finalPath);
    final = text === undefined ? undefined : JSON.parse(text) as FinalSummary;
  } catch (error) {
    throw new RunDamagedError(runDir, finalPath, `${finalPath}: ${(error as Error).message}`);
  }
  if (final !== undefined && final.configHash !== hash) {
    throw new RunDamagedError(runDir, finalPath, `${finalPath} belongs to run ${final.configHash}`);
  }
  return { epochsDone: meta.epochsDone, metrics, tensors, final };
}

/** A run directory opened for training: its lock is held until {@link RunDirectory.close}. */
export class RunDirectory {
  /** The directory. */
  readonly path: string;
  /** The run's config, the one `config.json` holds. */
  readonly config: RunConfig;
  /** {@link configHash} of `config`. */
  readonly hash: string;
  readonly #lock: HeldLock;
  readonly #options: RunDirectoryOptions;

  private constructor(
    path: string,
    config: RunConfig,
    lock: HeldLock,
    options: RunDirectoryOptions,
  ) {
    this.path = path;
    this.config = config;
    this.hash = configHash(config);
    this.#lock = lock;
    this.#options = options;
  }

  /**
   * Creates `path` if needed, takes its lock (a `LockBusyError` names a live holder) and checks
   * or writes `config.json`: a directory holding another config is refused.
   */
  static async open(
    path: string,
    config: RunConfig,
    options: RunDirectoryOptions = {},
  ): Promise<RunDirectory> {
    await Deno.mkdir(path, { recursive: true });
    const lock = await acquireLock(join(path, RUN_FILES.lock), {
      ...options.lock,
      purpose: `training run ${configHash(config)}`,
    });
    try {
      const configPath = join(path, RUN_FILES.config);
      const stored = await readOptionalText(configPath);
      if (stored === undefined) {
        await writeFileAtomic(configPath, JSON.stringify(config, null, 2) + "\n");
      } else if (canonicalJson(JSON.parse(stored)) !== canonicalJson(config)) {
        throw new Error(`${path} holds a different run's config.json; use another runDir`);
      }
      return new RunDirectory(path, config, lock, options);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * Where training resumes: the verified checkpoint, its epochs' metrics (later lines dropped
   * from the file) and `final.json` if complete. Damage throws {@link RunDamagedError}, or with
   * `retrainCorrupt` moves the run's files aside and returns a fresh start.
   */
  async restore(): Promise<RestoredRun> {
    let restored: RestoredRun;
    try {
      restored = await readRunFiles(this.path, this.hash);
    } catch (error) {
      if (!(error instanceof RunDamagedError) || !this.#options.retrainCorrupt) throw error;
      const suffix = `.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      for (const name of [RUN_FILES.checkpoint, RUN_FILES.metrics, RUN_FILES.final]) {
        this.#lock.assertHeld();
        await Deno.rename(join(this.path, name), join(this.path, name + suffix)).catch(() => {});
      }
      (this.#options.warn ?? console.warn)(
        `${error.message.split(". ")[0]}; retraining from scratch (old files kept as *${suffix})`,
      );
      return { epochsDone: 0, metrics: [] };
    }
    if (restored.tensors !== undefined) await this.writeMetrics(restored.metrics);
    return restored;
  }

  /** Rewrites `metrics.jsonl` with `metrics`, atomically. */
  async writeMetrics(metrics: readonly EpochMetrics[]): Promise<void> {
    this.#lock.assertHeld();
    await writeFileAtomic(
      join(this.path, RUN_FILES.metrics),
      metrics.map((m) => JSON.stringify(m) + "\n").join(""),
    );
  }

  /** Writes the checkpoint after `epochsDone` epochs (model and optimizer tensors). */
  async writeCheckpoint(epochsDone: number, tensors: Map<string, StoredTensor>): Promise<void> {
    this.#lock.assertHeld();
    const meta: CheckpointMeta = { configHash: this.hash, epochsDone };
    await writeCheckpoint(join(this.path, RUN_FILES.checkpoint), meta, tensors);
  }

  /** Writes `final.json`: the run is complete. */
  async writeFinal(final: FinalSummary): Promise<void> {
    this.#lock.assertHeld();
    await writeFileAtomic(join(this.path, RUN_FILES.final), JSON.stringify(final, null, 2) + "\n");
  }

  /** Releases the lock. */
  async close(): Promise<void> {
    await this.#lock.release();
  }
}

/** A run directory's state as seen from outside (for `sweep status`). */
export interface RunDirectoryState {
  /** "done": final.json; "training": a live lock; "stale": a dead holder's lock; "partial": a
   * checkpoint, no lock; "empty": nothing trained (or no directory). */
  readonly state: "done" | "training" | "stale" | "partial" | "empty";
  /** Epochs in metrics.jsonl (may run ahead of the checkpoint by one). */
  readonly epochsLogged: number;
  /** `final.json`, when `state` is "done". */
  readonly final?: FinalSummary;
  /** The lock's holder and whether it is stale, when `state` is "training" or "stale". */
  readonly lock?: LockInspection;
}

/** Reads `runDir`'s state without taking its lock or loading tensors. */
export async function inspectRunDirectory(
  runDir: string,
  lockOptions: Omit<LockOptions, "purpose"> = {},
): Promise<RunDirectoryState> {
  const finalText = await readOptionalText(join(runDir, RUN_FILES.final));
  let metrics: EpochMetrics[] = [];
  try {
    metrics = parseMetrics(await readOptionalText(join(runDir, RUN_FILES.metrics)));
  } catch {
    // A half-readable log says nothing reliable about progress.
  }
  const epochsLogged = metrics.length;
  if (finalText !== undefined) {
    try {
      return { state: "done", epochsLogged, final: JSON.parse(finalText) as FinalSummary };
    } catch {
      // Unreadable: report what the rest of the directory says.
    }
  }
  const lock = await inspectLock(join(runDir, RUN_FILES.lock), lockOptions) ?? undefined;
  if (lock) return { state: lock.stale ? "stale" : "training", epochsLogged, lock };
  const hasCheckpoint = await Deno.stat(join(runDir, RUN_FILES.checkpoint)).then(
    () => true,
    () => false,
  );
  return { state: hasCheckpoint ? "partial" : "empty", epochsLogged };
}
