/**
 * The one entry point the training loop uses: a typed, validated configuration
 * ({@link AugmentationConfig}) turned into a {@link BatchAugmentation}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { Random } from "../random.ts";
 * import { createBatchAugmentation } from "./config.ts";
 * const augment = createBatchAugmentation({ kind: "cutmix", numClasses: 10, alpha: 1, prob: 0.5 });
 * console.log(augment.name); // "cutmix(α=1, p=0.5)"
 * const images = tf.randomUniform([8, 32, 32, 3]) as Tensor4D;
 * const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32");
 * const batch = augment.apply(images, labels, { rng: new Random(0), trainingProgress: 0.1 });
 * tf.dispose([images, labels, batch.imagesNHWC, batch.targets]);
 * ```
 * @module
 */
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { Random } from "../random.ts";
import { BOX_DEFAULTS, checkBoxSampling } from "./box.ts";
import {
  cutMix,
  CUTMIX_DEFAULTS,
  CUTMIX_TARGETS,
  type CutMixBoxOptions,
  PROBABILITY_SCHEDULES,
  type ProbabilitySchedule,
} from "./cutmix.ts";
import { cutout, CUTOUT_DEFAULTS } from "./cutout.ts";
import { checkMixLayer, featureCutMix } from "./feature.ts";
import { GRANULARITIES, type Granularity, MIX_DEFAULTS } from "./mixing.ts";
import { mixUp, MIXUP_DEFAULTS } from "./mixup.ts";
import { mixUpOrCutMix, SWITCH_DEFAULTS } from "./switch.ts";
import { targetsFromLabels } from "./targets.ts";
import type { AugmentContext, AugmentedBatch, BatchAugmentation, MixLayer } from "./types.ts";
import {
  checkBoolean,
  checkImages,
  checkInteger,
  checkKnownKeys,
  checkLabels,
  checkLabelSmoothing,
  checkOneOf,
  checkPositive,
  checkProbability,
} from "../_validate.ts";

/** Fields every configuration has. */
export interface BaseAugmentationConfig {
  /** K, the number of classes of the integer labels (an integer ≥ 1). */
  readonly numClasses: number;
  /** Label smoothing ε ∈ [0, 1), applied before mixing. Default `MIX_DEFAULTS.labelSmoothing`. */
  readonly labelSmoothing?: number;
}

/** No batch augmentation: targets are the (smoothed) one-hot labels. */
export interface NoAugmentationConfig extends BaseAugmentationConfig {
  /** Selects no batch augmentation: the images pass through (as a copy). */
  readonly kind: "none";
}

/** Mixup: the options of {@link mixUp} (see {@link MixUpOptions}). */
export interface MixUpConfig extends BaseAugmentationConfig {
  /** Selects {@link mixUp}. */
  readonly kind: "mixup";
  /** α of λ ~ Beta(α, α), > 0. Default `MIXUP_DEFAULTS.alpha`. */
  readonly alpha?: number;
  /** Chance ∈ [0, 1] to mix a group. Default `MIX_DEFAULTS.prob`. */
  readonly prob?: number;
  /** Which samples share a λ (see {@link Granularity}). Default `MIX_DEFAULTS.granularity`. */
  readonly granularity?: Granularity;
}

/** Cutout: the options of {@link cutout} (see {@link CutoutOptions}). */
export interface CutoutConfig extends BaseAugmentationConfig {
  /** Selects {@link cutout}; labels are not mixed. */
  readonly kind: "cutout";
  /** Hole side in whole pixels, or `{ height, width }`. Default `CUTOUT_DEFAULTS.size`. */
  readonly size?: number | { readonly height: number; readonly width: number };
  /** Holes per image, an integer ≥ 0. Default `CUTOUT_DEFAULTS.holes`. */
  readonly holes?: number;
  /** Chance ∈ [0, 1] that an image gets its holes. Default `CUTOUT_DEFAULTS.prob`. */
  readonly prob?: number;
  /** Fill value: one number, or one per channel. Default `CUTOUT_DEFAULTS.fill`. */
  readonly fill?: number | readonly number[];
}

/** CutMix and its Table 8 variants: the options of {@link cutMix} (see {@link CutMixOptions}). */
export interface CutMixConfig extends BaseAugmentationConfig, CutMixBoxOptions {
  /** Selects {@link cutMix}. */
  readonly kind: "cutmix";
  /**
   * Chance ∈ [0, 1] to mix a group. Default `MIX_DEFAULTS.prob`; the paper uses 0.5 on CIFAR and
   * 1 on ImageNet.
   */
  readonly prob?: number;
  /** Which samples share λ and box ({@link Granularity}). Default `MIX_DEFAULTS.granularity`. */
  readonly granularity?: Granularity;
  /**
   * `constant`, or `linear`: chance = prob × trainingProgress (Scheduled CutMix), the progress
   * coming from the training loop's {@link AugmentContext}. Default `CUTMIX_DEFAULTS.probSchedule`.
   */
  readonly probSchedule?: ProbabilitySchedule;
}

/** Feature-level CutMix at a model layer: the options of {@link featureCutMix}. */
export interface FeatureCutMixConfig extends Omit<CutMixConfig, "kind"> {
  /**
   * Selects {@link featureCutMix}: the images pass through and the model mixes its feature map
   * at `layer` (the {@link AugmentedBatch}'s `featureMix`).
   */
  readonly kind: "feature-cutmix";
  /** Where the model mixes: 0 = image, 1 = after the stem, 2..4 = after stage 1..3. */
  readonly layer: MixLayer;
  /** The map's height × width at `layer`. Default: {@link cifarFeatureSize} (the paper's nets). */
  readonly featureSize?: { readonly height: number; readonly width: number };
}

/**
 * timm-style switch between Mixup and CutMix: the options of {@link mixUpOrCutMix} (see
 * {@link MixUpOrCutMixOptions}).
 */
export interface MixConfig extends BaseAugmentationConfig, Omit<CutMixBoxOptions, "alpha"> {
  /** Selects {@link mixUpOrCutMix}. */
  readonly kind: "mix";
  /** α of Mixup's Beta(α, α), > 0. Default `SWITCH_DEFAULTS.mixupAlpha`. */
  readonly mixupAlpha?: number;
  /** α of CutMix's Beta(α, α), > 0. Default `SWITCH_DEFAULTS.cutmixAlpha`. */
  readonly cutmixAlpha?: number;
  /** Chance ∈ [0, 1] that a mixed group uses CutMix. Default `SWITCH_DEFAULTS.switchProb`. */
  readonly switchProb?: number;
  /** Chance ∈ [0, 1] to mix a group. Default `MIX_DEFAULTS.prob`. */
  readonly prob?: number;
  /** Which samples share a draw (see {@link Granularity}). Default `MIX_DEFAULTS.granularity`. */
  readonly granularity?: Granularity;
}

/** Every batch augmentation the training loop can be configured with. */
export type AugmentationConfig =
  | NoAugmentationConfig
  | MixUpConfig
  | CutoutConfig
  | CutMixConfig
  | FeatureCutMixConfig
  | MixConfig;

/** The kinds, in the order of {@link AugmentationConfig}. */
export const AUGMENTATION_KINDS: readonly AugmentationConfig["kind"][] = [
  "none",
  "mixup",
  "cutout",
  "cutmix",
  "feature-cutmix",
  "mix",
];

/**
 * The paper's Table 8 CutMix variants as option sets to spread into a `cutmix` config, e.g.
 * `{ kind: "cutmix", numClasses: 100, prob: 0.5, ...TABLE8_VARIANTS["Fixed-size CutMix"] }`.
 */
export const TABLE8_VARIANTS: Readonly<
  Record<string, Partial<Omit<CutMixConfig, "kind" | "numClasses">>>
> = Object.freeze({
  "CutMix": {},
  "Center Gaussian CutMix": { center: "gaussian" },
  "Fixed-size CutMix": { fixedSize: { height: 16, width: 16 } },
  "Scheduled CutMix": { probSchedule: "linear" },
  "One-hot CutMix": { target: "one-hot" },
  "Complete-label CutMix": { target: "complete" },
});

const BASE_KEYS = ["kind", "numClasses", "labelSmoothing"];
const BOX_KEYS = ["correctLambda", "target", "center", "centerStd", "fixedSize", "minMax"];
const KEYS: Record<AugmentationConfig["kind"], readonly string[]> = {
  "none": BASE_KEYS,
  "mixup": [...BASE_KEYS, "alpha", "prob", "granularity"],
  "cutout": [...BASE_KEYS, "size", "holes", "prob", "fill"],
  "cutmix": [...BASE_KEYS, ...BOX_KEYS, "alpha", "prob", "granularity", "probSchedule"],
  "feature-cutmix": [
    ...BASE_KEYS,
    ...BOX_KEYS,
    "alpha",
    "prob",
    "granularity",
    "probSchedule",
    "layer",
    "featureSize",
  ],
  "mix": [
    ...BASE_KEYS,
    ...BOX_KEYS,
    "mixupAlpha",
    "cutmixAlpha",
    "switchProb",
    "prob",
    "granularity",
  ],
};

/**
 * Validates `config` (throws an Error naming the bad field and value). Checks that depend on the
 * image size (a fixed box that must fit) are repeated per batch.
 */
export function validateAugmentationConfig(config: AugmentationConfig): AugmentationConfig {
  if (config === null || typeof config !== "object") {
    throw new Error(`augmentation config must be an object, got ${config}`);
  }
  checkOneOf(config.kind, AUGMENTATION_KINDS, "config.kind");
  checkKnownKeys(config, KEYS[config.kind], `config of kind "${config.kind}"`);
  checkInteger(config.numClasses, "config.numClasses", 1);
  checkLabelSmoothing(
    config.labelSmoothing ?? MIX_DEFAULTS.labelSmoothing,
    "config.labelSmoothing",
  );
  switch (config.kind) {
    case "none":
      break;
    case "mixup":
      checkPositive(config.alpha ?? MIXUP_DEFAULTS.alpha, "config.alpha");
      checkProbability(config.prob ?? MIX_DEFAULTS.prob, "config.prob");
      checkOneOf(
        config.granularity ?? MIX_DEFAULTS.granularity,
        GRANULARITIES,
        "config.granularity",
      );
      break;
    case "cutout": {
      const size = config.size ?? CUTOUT_DEFAULTS.size;
      const fixedSize = typeof size === "number" ? { height: size, width: size } : size;
      checkBoxSampling({ fixedSize }, undefined, undefined, "config.size");
      checkInteger(config.holes ?? CUTOUT_DEFAULTS.holes, "config.holes", 0);
      checkProbability(config.prob ?? CUTOUT_DEFAULTS.prob, "config.prob");
      const fill = config.fill ?? CUTOUT_DEFAULTS.fill;
      const values = typeof fill === "number" ? [fill] : fill;
      if (!Array.isArray(values) || values.some((v) => typeof v !== "number" || !isFinite(v))) {
        throw new Error(
          `config.fill must be a finite number or numbers, got ${JSON.stringify(fill)}`,
        );
      }
      break;
    }
    case "cutmix":
    case "feature-cutmix":
      checkPositive(config.alpha ?? CUTMIX_DEFAULTS.alpha, "config.alpha");
      checkProbability(config.prob ?? MIX_DEFAULTS.prob, "config.prob");
      checkOneOf(
        config.granularity ?? MIX_DEFAULTS.granularity,
        GRANULARITIES,
        "config.granularity",
      );
      checkOneOf(
        config.probSchedule ?? CUTMIX_DEFAULTS.probSchedule,
        PROBABILITY_SCHEDULES,
        "config.probSchedule",
      );
      checkBoolean(config.correctLambda ?? CUTMIX_DEFAULTS.correctLambda, "config.correctLambda");
      checkOneOf(config.target ?? CUTMIX_DEFAULTS.target, CUTMIX_TARGETS, "config.target");
      checkBoxSampling(config, undefined, undefined, "config");
      if (config.kind === "feature-cutmix") {
        checkMixLayer(config.layer);
        if (config.featureSize !== undefined) {
          checkInteger(config.featureSize.height, "config.featureSize.height", 1);
          checkInteger(config.featureSize.width, "config.featureSize.width", 1);
        }
      }
      break;
    case "mix":
      checkPositive(config.mixupAlpha ?? SWITCH_DEFAULTS.mixupAlpha, "config.mixupAlpha");
      checkPositive(config.cutmixAlpha ?? SWITCH_DEFAULTS.cutmixAlpha, "config.cutmixAlpha");
      checkProbability(config.switchProb ?? SWITCH_DEFAULTS.switchProb, "config.switchProb");
      checkProbability(config.prob ?? MIX_DEFAULTS.prob, "config.prob");
      checkOneOf(
        config.granularity ?? MIX_DEFAULTS.granularity,
        GRANULARITIES,
        "config.granularity",
      );
      checkBoolean(config.correctLambda ?? CUTMIX_DEFAULTS.correctLambda, "config.correctLambda");
      checkOneOf(config.target ?? CUTMIX_DEFAULTS.target, CUTMIX_TARGETS, "config.target");
      checkBoxSampling(config, undefined, undefined, "config");
      break;
  }
  return config;
}

/** A short human name for logs and reports, e.g. "cutmix(α=1, p=0.5)". */
export function describeAugmentation(config: AugmentationConfig): string {
  const extras: string[] = [];
  const add = (cond: boolean, text: string) => cond && extras.push(text);
  add((config.labelSmoothing ?? MIX_DEFAULTS.labelSmoothing) > 0, `ε=${config.labelSmoothing}`);
  if ("granularity" in config) {
    add(
      (config.granularity ?? MIX_DEFAULTS.granularity) !== MIX_DEFAULTS.granularity,
      `per ${config.granularity}`,
    );
  }
  if (config.kind === "cutmix" || config.kind === "feature-cutmix" || config.kind === "mix") {
    add(
      config.center === "gaussian",
      `gaussian centre σ=${config.centerStd ?? BOX_DEFAULTS.centerStd}`,
    );
    add(
      config.fixedSize !== undefined,
      `box=${config.fixedSize?.height}×${config.fixedSize?.width}`,
    );
    add(config.minMax !== undefined, `minMax=[${config.minMax}]`);
    add(
      (config.target ?? CUTMIX_DEFAULTS.target) !== CUTMIX_DEFAULTS.target,
      `target=${config.target}`,
    );
    add(config.correctLambda === false, "uncorrected λ");
  }
  const tail = extras.length > 0 ? `, ${extras.join(", ")}` : "";
  switch (config.kind) {
    case "none":
      return extras.length > 0 ? `none(${extras.join(", ")})` : "none";
    case "mixup":
      return `mixup(α=${config.alpha ?? MIXUP_DEFAULTS.alpha}, p=${
        config.prob ?? MIX_DEFAULTS.prob
      }${tail})`;
    case "cutout": {
      const size = config.size ?? CUTOUT_DEFAULTS.size;
      const dims = typeof size === "number" ? `${size}×${size}` : `${size.height}×${size.width}`;
      const holes = (config.holes ?? CUTOUT_DEFAULTS.holes) === 1 ? "" : `, holes=${config.holes}`;
      return `cutout(${dims}${holes}, p=${config.prob ?? CUTOUT_DEFAULTS.prob}${tail})`;
    }
    case "cutmix":
    case "feature-cutmix": {
      const p = (config.probSchedule ?? CUTMIX_DEFAULTS.probSchedule) === "linear"
        ? `p=${config.prob ?? MIX_DEFAULTS.prob}·progress`
        : `p=${config.prob ?? MIX_DEFAULTS.prob}`;
      const layer = config.kind === "feature-cutmix" ? `layer=${config.layer}, ` : "";
      return `${config.kind}(${layer}α=${config.alpha ?? CUTMIX_DEFAULTS.alpha}, ${p}${tail})`;
    }
    case "mix":
      return `mixup|cutmix(α=${config.mixupAlpha ?? SWITCH_DEFAULTS.mixupAlpha}|${
        config.cutmixAlpha ?? SWITCH_DEFAULTS.cutmixAlpha
      }, switch=${config.switchProb ?? SWITCH_DEFAULTS.switchProb}, p=${
        config.prob ?? MIX_DEFAULTS.prob
      }${tail})`;
  }
}

/**
 * Builds the batch augmentation a configuration describes, validating it once here.
 * `apply` draws from `context.rng` and never mutates or disposes its inputs; the returned
 * tensors belong to the caller.
 */
export function createBatchAugmentation(config: AugmentationConfig): BatchAugmentation {
  validateAugmentationConfig(config);
  const frozen = structuredClone(config) as AugmentationConfig;
  const name = describeAugmentation(frozen);
  const apply = (
    imagesNHWC: Tensor4D,
    labels: Tensor1D,
    context: AugmentContext,
  ): AugmentedBatch => {
    if (context === null || typeof context !== "object") {
      throw new Error(`context must be { rng, trainingProgress }, got ${context}`);
    }
    const rng = context.rng;
    if (!(rng instanceof Random)) throw new Error(`context.rng must be a Random, got ${rng}`);
    const trainingProgress = checkProbability(context.trainingProgress, "context.trainingProgress");
    const { kind: _kind, ...options } = frozen;
    switch (frozen.kind) {
      case "none": {
        const { n } = checkImages(imagesNHWC);
        const info = checkLabels(labels, n, frozen.numClasses);
        return {
          imagesNHWC: imagesNHWC.clone(),
          targets: targetsFromLabels(info, frozen.labelSmoothing ?? MIX_DEFAULTS.labelSmoothing),
        };
      }
      case "mixup":
        return strip(mixUp(imagesNHWC, labels, { ...options, rng }));
      case "cutout":
        return strip(cutout(imagesNHWC, labels, { ...options, rng }));
      case "cutmix":
        return strip(cutMix(imagesNHWC, labels, { ...options, rng, trainingProgress }));
      case "feature-cutmix": {
        const result = featureCutMix(imagesNHWC, labels, {
          ...(options as Omit<FeatureCutMixConfig, "kind">),
          rng,
          trainingProgress,
        });
        return {
          imagesNHWC: result.imagesNHWC,
          targets: result.targets,
          featureMix: result.featureMix,
        };
      }
      case "mix":
        return strip(mixUpOrCutMix(imagesNHWC, labels, { ...options, rng }));
    }
  };
  return { name, apply };
}

function strip(result: AugmentedBatch): AugmentedBatch {
  return { imagesNHWC: result.imagesNHWC, targets: result.targets };
}
