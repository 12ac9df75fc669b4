/**
 * The one description of a training run: {@link RunConfig}. Built from a partial input with the
 * paper's CIFAR defaults filled in ({@link resolveRunConfig}), validated once, and hashed
 * ({@link configHash}) to name the run's directory in the runs cache.
 *
 * Paper defaults (CutMix §4.1.2, CIFAR): 300 epochs, batch 64, lr 0.25 decayed ×0.1 at epochs 150
 * and 225, SGD momentum 0.9 (Nesterov, as the official code), weight decay 1e-4.
 *
 * @example
 * ```ts
 * import { configHash, resolveRunConfig } from "./config.ts";
 * const config = resolveRunConfig({
 *   model: { arch: "resnet", depth: 20 },
 *   epochs: 2,
 *   augmentation: { kind: "cutmix", numClasses: 10, alpha: 1, prob: 0.5 },
 * });
 * console.log(config.batchSize, config.lr, configHash(config)); // 64 0.25 "…16 hex digits…"
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import type { AugmentationConfig } from "../augment/config.ts";
import { validateAugmentationConfig } from "../augment/config.ts";
import { type ModelSpec, normalizeModelSpec } from "../models/mod.ts";
import { type Schedule, validateSchedule } from "./schedule.ts";

/** Bump when a change to the training code makes old cached runs incomparable. */
export const RUN_FORMAT_VERSION = 1;

/** Everything that determines a run's result. */
export interface RunConfig {
  /**
   * The architecture, every default written out ({@link normalizeModelSpec}) so equal
   * architectures hash equally; its `numClasses` equals {@link RunConfig.numClasses}.
   */
  readonly model: ModelSpec;
  /** "cifar10" or "cifar100" (loaded from data/), or a label for data passed in directly. */
  readonly dataset: string;
  /** Classes of the dataset. */
  readonly numClasses: number;
  /** Train on a class-balanced subset of this many images per class; null = the full set. */
  readonly trainPerClass: number | null;
  /** Evaluate on a class-balanced subset of this many test images per class; null = all. */
  readonly testPerClass: number | null;
  /** Epochs, a positive integer. */
  readonly epochs: number;
  /** Training batch size, a positive integer (the last, smaller batch of an epoch is kept). */
  readonly batchSize: number;
  /** Base learning rate. */
  readonly lr: number;
  /** SGD momentum μ ∈ [0, 1). */
  readonly momentum: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** L2 weight decay added to every parameter's gradient (batch norm included, as official). */
  readonly weightDecay: number;
  /** Learning-rate schedule. */
  readonly schedule: Schedule;
  /** The batch augmentation (CutMix, Mixup, …) after the baseline crop/flip. */
  readonly augmentation: AugmentationConfig;
  /** "baseline" random crop (pad 4) + horizontal flip, or "none". */
  readonly baselineAugment: "baseline" | "none";
  /** Seed of every random stream of the run (init, order, crops, mixing, ShakeDrop). */
  readonly seed: number;
  /** Evaluate on the test set every this many epochs (and always after the last). */
  readonly evalEvery: number;
  /** Checkpoint every this many epochs (and always after the last). */
  readonly checkpointEvery: number;
  /** Batch size for evaluation (does not change results). */
  readonly evalBatchSize: number;
}

/** A {@link RunConfig} with only `model` required; the rest defaults to the paper's recipe. */
export type RunConfigInput = Partial<RunConfig> & Pick<RunConfig, "model">;

const KNOWN_DATASETS: Record<string, number> = { cifar10: 10, cifar100: 100 };
const KEYS = [
  "model",
  "dataset",
  "numClasses",
  "trainPerClass",
  "testPerClass",
  "epochs",
  "batchSize",
  "lr",
  "momentum",
  "nesterov",
  "weightDecay",
  "schedule",
  "augmentation",
  "baselineAugment",
  "seed",
  "evalEvery",
  "checkpointEvery",
  "evalBatchSize",
];

function positiveInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`config.${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

/** The normalised model spec, or an Error prefixed with `config.model: `. */
function configModel(spec: ModelSpec): ModelSpec {
  try {
    return normalizeModelSpec(spec);
  } catch (error) {
    throw new Error(`config.model: ${(error as Error).message}`);
  }
}

/** Fills the defaults into `input` and validates the result (see {@link validateRunConfig}). */
export function resolveRunConfig(input: RunConfigInput): RunConfig {
  if (input === null || typeof input !== "object") {
    throw new Error(`config must be an object, got ${JSON.stringify(input)}`);
  }
  const dataset = input.dataset ?? "cifar10";
  const numClasses = input.numClasses ?? KNOWN_DATASETS[dataset] ?? input.model?.numClasses;
  if (numClasses === undefined) {
    throw new Error(`config.numClasses is required for dataset "${dataset}"`);
  }
  const config: RunConfig = {
    model: configModel(
      { ...input.model, numClasses: input.model?.numClasses ?? numClasses } as ModelSpec,
    ),
    dataset,
    numClasses,
    trainPerClass: input.trainPerClass ?? null,
    testPerClass: input.testPerClass ?? null,
    epochs: input.epochs ?? 300,
    batchSize: input.batchSize ?? 64,
    lr: input.lr ?? 0.25,
    momentum: input.momentum ?? 0.9,
    nesterov: input.nesterov ?? true,
    weightDecay: input.weightDecay ?? 1e-4,
    schedule: input.schedule ?? { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 },
    augmentation: input.augmentation ?? { kind: "none", numClasses },
    baselineAugment: input.baselineAugment ?? "baseline",
    seed: input.seed ?? 0,
    evalEvery: input.evalEvery ?? 1,
    checkpointEvery: input.checkpointEvery ?? 1,
    evalBatchSize: input.evalBatchSize ?? 500,
  };
  for (const key of Object.keys(input)) {
    if (!KEYS.includes(key)) {
      throw new Error(`config.${key} is not a run option (known: ${KEYS.join(", ")})`);
    }
  }
  return validateRunConfig(config);
}

/** Throws an Error naming the field and value unless `config` is a valid {@link RunConfig}. */
export function validateRunConfig(config: RunConfig): RunConfig {
  const { model } = config;
  if (
    model === null || typeof model !== "object" || !["resnet", "pyramidnet"].includes(model.arch)
  ) {
    throw new Error(
      `config.model.arch must be "resnet" or "pyramidnet", got ${JSON.stringify(model)}`,
    );
  }
  configModel(model);
  if (typeof config.dataset !== "string" || config.dataset === "") {
    throw new Error(
      `config.dataset must be a non-empty string, got ${JSON.stringify(config.dataset)}`,
    );
  }
  positiveInteger("numClasses", config.numClasses);
  if (
    KNOWN_DATASETS[config.dataset] !== undefined &&
    KNOWN_DATASETS[config.dataset] !== config.numClasses
  ) {
    throw new Error(
      `config.numClasses is ${config.numClasses} but ${config.dataset} has ${
        KNOWN_DATASETS[config.dataset]
      }`,
    );
  }
  if (model.numClasses !== config.numClasses) {
    throw new Error(
      `config.model.numClasses (${model.numClasses}) must equal config.numClasses (${config.numClasses})`,
    );
  }
  if (config.augmentation?.numClasses !== config.numClasses) {
    throw new Error(
      `config.augmentation.numClasses (${config.augmentation?.numClasses}) must equal config.numClasses (${config.numClasses})`,
    );
  }
  validateAugmentationConfig(config.augmentation);
  for (const key of ["trainPerClass", "testPerClass"] as const) {
    if (config[key] !== null) positiveInteger(key, config[key]);
  }
  for (
    const key of ["epochs", "batchSize", "evalEvery", "checkpointEvery", "evalBatchSize"] as const
  ) {
    positiveInteger(key, config[key]);
  }
  if (!(config.lr > 0) || !Number.isFinite(config.lr)) {
    throw new Error(`config.lr must be a finite number > 0, got ${config.lr}`);
  }
  if (!(config.momentum >= 0 && config.momentum < 1)) {
    throw new Error(`config.momentum must be in [0, 1), got ${config.momentum}`);
  }
  if (typeof config.nesterov !== "boolean" || (config.nesterov && config.momentum === 0)) {
    throw new Error(
      `config.nesterov must be a boolean (and needs momentum > 0), got ${config.nesterov}`,
    );
  }
  if (!(config.weightDecay >= 0) || !Number.isFinite(config.weightDecay)) {
    throw new Error(`config.weightDecay must be a finite number >= 0, got ${config.weightDecay}`);
  }
  validateSchedule(config.schedule);
  if (config.baselineAugment !== "baseline" && config.baselineAugment !== "none") {
    throw new Error(
      `config.baselineAugment must be "baseline" or "none", got ${
        JSON.stringify(config.baselineAugment)
      }`,
    );
  }
  if (!Number.isSafeInteger(config.seed)) {
    throw new Error(`config.seed must be a safe integer, got ${config.seed}`);
  }
  return config;
}

/** JSON with object keys sorted at every level, so equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * A stable 16-hex-digit name for `config`: SHA-256 of its canonical JSON and
 * {@link RUN_FORMAT_VERSION}. Key order and omitted-vs-undefined fields do not change it.
 */
export function configHash(config: RunConfig): string {
  const text = canonicalJson({ version: RUN_FORMAT_VERSION, config });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
