/**
 * The runs cache: a trained model is stored under `<runsDir>/<configHash>/`, so every notebook or
 * script asking for the same {@link RunConfig} reuses it instead of training again, and a run
 * that was interrupted resumes from its checkpoint.
 *
 * A run being trained holds `<runDir>/lock`: a second process asking for the same config while
 * the first trains gets an Error naming the training process instead of a duplicate run.
 *
 * @example
 * ```ts
 * import { trainOrLoad } from "./runs.ts";
 * const { model, final, cached } = await trainOrLoad(
 *   { model: { arch: "resnet", depth: 20 }, epochs: 2, trainPerClass: 100 },
 *   {}, // runs/ under the project root
 * );
 * console.log(cached, final.test.top1Error);
 * model.dispose();
 * ```
 * @module
 */
import { join } from "node:path";
import { type CifarLocation, projectRoot } from "../data/cifar.ts";
import { createModel } from "../models/mod.ts";
import type { ImageClassifier } from "../models/model.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { configHash, resolveRunConfig, type RunConfig, type RunConfigInput } from "./config.ts";
import {
  type EpochMetrics,
  type FinalSummary,
  loadModelWeights,
  RUN_FILES,
  type TrainProgress,
  trainRun,
} from "./loop.ts";

/** Options of {@link trainOrLoad}. */
export interface TrainOrLoadOptions {
  /** The cache's root folder (default {@link defaultRunsDir}). */
  readonly runsDir?: string;
  /** Progress while training (not called when the run is cached). */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Called after each trained epoch. */
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /** Data to use instead of loading `config.dataset`. */
  readonly data?: { readonly train: ImageDataset; readonly test: ImageDataset };
  /** Where CIFAR is on disk when `config.dataset` is loaded (default: the project's `data/`). */
  readonly cifar?: CifarLocation;
}

/** A finished run; the caller disposes `model`. */
export interface RunResult {
  readonly model: ImageClassifier;
  readonly config: RunConfig;
  readonly hash: string;
  readonly runDir: string;
  readonly final: FinalSummary;
  readonly metrics: EpochMetrics[];
  /** True when nothing was trained (the run was complete in the cache). */
  readonly cached: boolean;
}

/**
 * `runs/` under the project root (whatever the working directory: notebooks run from
 * notebooks/, the CLI from the root, and both must find the same cache), or `CUTMIX_RUNS_DIR`.
 */
export function defaultRunsDir(): string {
  return Deno.env.get("CUTMIX_RUNS_DIR") || join(projectRoot(), "runs");
}

/** The directory `config` trains in under `runsDir`. */
export function runDirectory(config: RunConfig, runsDir = defaultRunsDir()): string {
  return join(runsDir, configHash(config));
}

/**
 * Returns the trained model of `config`: loaded from the cache when its run is complete, else
 * trained (resuming from a checkpoint if one exists). Accepts a full or a partial config (the
 * paper's defaults fill the rest; the hash is of the resolved config).
 */
export async function trainOrLoad(
  input: RunConfig | RunConfigInput,
  options: TrainOrLoadOptions = {},
): Promise<RunResult> {
  const config = resolveRunConfig(input);
  const hash = configHash(config);
  const runDir = runDirectory(config, options.runsDir ?? defaultRunsDir());
  const finalPath = join(runDir, RUN_FILES.final);
  let final: FinalSummary | undefined;
  try {
    final = JSON.parse(await Deno.readTextFile(finalPath)) as FinalSummary;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (final !== undefined) {
    const model = createModel(config.model, config.seed);
    try {
      await loadModelWeights(model, join(runDir, RUN_FILES.checkpoint));
    } catch (error) {
      model.dispose();
      throw error;
    }
    const text = await Deno.readTextFile(join(runDir, RUN_FILES.metrics));
    const metrics = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
    return { model, config, hash, runDir, final, metrics, cached: true };
  }
  const result = await trainRun(config, {
    runDir,
    data: options.data,
    cifar: options.cifar,
    onProgress: options.onProgress,
    onEpoch: options.onEpoch,
  });
  return {
    model: result.model,
    config,
    hash,
    runDir,
    final: result.final!,
    metrics: result.metrics,
    cached: false,
  };
}
