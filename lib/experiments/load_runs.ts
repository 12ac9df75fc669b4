/**
 * A notebook's trained models: each {@link PlannedRun} loaded from the runs cache, where
 * `deno task sweep run` put it. A run missing from the cache is restored from its committed
 * record when `recordsDir` has one (lib/training/run_record.ts), else trained here, in this
 * process, with a message saying so (and printing a line per epoch), so a notebook still works on
 * its own.
 *
 * @example
 * ```ts
 * import { loadRuns } from "./load_runs.ts";
 * import { notebookRuns } from "./run_list.ts";
 * const runs = await loadRuns(notebookRuns("02", "smoke"), {
 *   runsDir: "runs",
 *   recordsDir: "pretrained/smoke", // restore from records, when there are some
 * });
 * for (const run of runs) console.log(run.label, run.seed, run.bestTop1Error);
 * for (const run of runs) run.model.dispose();
 * ```
 * @module
 */
import type { CifarLocation } from "../data/cifar.ts";
import type { ImageClassifier } from "../models/model.ts";
import { formatEpoch, formatProgress } from "../training/progress.ts";
import { type EpochMetrics, type FinalSummary, inspectRunDirectory } from "../training/run_dir.ts";
import { hasRunRecord } from "../training/run_record.ts";
import { runDirectory, trainOrLoad, type TrainOrLoadOptions } from "../training/runs.ts";
import type { PlannedRun } from "./run_list.ts";

/** One trained (or cached) model of a notebook. */
export interface TrainedRun {
  /** The group's label for it (e.g. "cutmix"). */
  readonly label: string;
  /** The notebook's run group it belongs to (e.g. "methods"): {@link PlannedRun.group}. */
  readonly group: string;
  /** The run's seed ({@link PlannedRun.seed}). */
  readonly seed: number;
  /** The run's config hash: its directory in the runs cache ({@link PlannedRun.hash}). */
  readonly hash: string;
  /** The trained model, after the last epoch; the caller disposes it. */
  readonly model: ImageClassifier;
  /** The run's `final.json`: test and training-set metrics after the last epoch. */
  readonly final: FinalSummary;
  /** The run's `metrics.jsonl`: one line per epoch, in order. */
  readonly metrics: readonly EpochMetrics[];
  /** True when it came from the runs cache (or was restored into it from its record). */
  readonly cached: boolean;
  /** Lowest test top-1 error over the evaluated epochs (the paper reports the best). */
  readonly bestTop1Error: number;
}

/** Options of {@link loadRuns}. */
export interface LoadRunsOptions {
  /** The runs cache. */
  readonly runsDir: string;
  /** Committed run records: a run missing from the cache is restored from here, not trained. */
  readonly recordsDir?: string;
  /** Where CIFAR is, for a run that must be trained (default: the project's `data/`). */
  readonly cifar?: CifarLocation;
  /** Where messages go (default `console.log`, which a notebook shows as they come). */
  readonly log?: (line: string) => void;
  /** Seconds between progress lines inside an epoch while training (default 30). */
  readonly progressEverySeconds?: number;
  /** The train-step engine for runs that must be trained (default: lib/training's). */
  readonly engine?: TrainOrLoadOptions["engine"];
  /** The compiled engine's thread pools. */
  readonly threads?: TrainOrLoadOptions["threads"];
}

/**
 * Loads every run of `runs` from the cache, training those that are missing (with a message).
 * The caller disposes the returned models.
 */
export async function loadRuns(
  runs: readonly PlannedRun[],
  options: LoadRunsOptions,
): Promise<TrainedRun[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const every = options.progressEverySeconds ?? 30;
  if (!(every > 0)) throw new Error(`options.progressEverySeconds must be > 0, got ${every}`);
  const out: TrainedRun[] = [];
  let restoredCount = 0;
  for (const run of runs) {
    const name = `[${run.label} seed ${run.seed}]`;
    const dir = runDirectory(run.config, options.runsDir);
    const { state } = await inspectRunDirectory(dir);
    const recorded = options.recordsDir !== undefined &&
      await hasRunRecord(options.recordsDir, run.hash);
    if (state !== "done" && !recorded) {
      log(
        `${name} not in the runs cache (${dir}: ${state}); training it here, in this process. ` +
          "`deno task sweep run` trains every run up front, in parallel.",
      );
    }
    const started = performance.now();
    let lastLine = started;
    const result = await trainOrLoad(run.config, {
      runsDir: options.runsDir,
      recordsDir: options.recordsDir,
      log: (line) => log(`${name} ${line}`),
      cifar: options.cifar,
      engine: options.engine,
      threads: options.threads,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastLine >= every * 1000 && p.step < p.stepsPerEpoch) {
          lastLine = now;
          log(`${name} ${formatProgress(p)}`);
        }
      },
      onEpoch: (m) => {
        lastLine = performance.now();
        log(`${name} ${formatEpoch(m)}`);
      },
    });
    const errors = result.metrics.map((m) => m.testTop1Error).filter((e): e is number =>
      e !== null
    );
    const bestTop1Error = errors.length ? Math.min(...errors) : result.final.test.top1Error;
    if (!result.cached) {
      log(
        `${name} trained: test top-1 error ${(100 * result.final.test.top1Error).toFixed(2)}% ` +
          `(best ${(100 * bestTop1Error).toFixed(2)}%) in ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    if (result.restored) restoredCount++;
    out.push({
      label: run.label,
      group: run.group,
      seed: run.seed,
      hash: run.hash,
      model: result.model,
      final: result.final,
      metrics: result.metrics,
      cached: result.cached,
      bestTop1Error,
    });
  }
  const cached = out.filter((r) => r.cached).length;
  const restored = restoredCount > 0 ? ` (${restoredCount} restored from records)` : "";
  log(
    `${out.length} run(s): ${cached} from the runs cache${restored}, ${
      out.length - cached
    } trained here`,
  );
  return out;
}
