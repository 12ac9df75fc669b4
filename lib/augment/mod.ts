/**
 * Batch augmentations for image classification: CutMix (Yun et al., ICCV 2019) exactly as the
 * paper and its official code define it, its Table 8 variants, feature-level CutMix, Mixup,
 * Cutout, timm's Mixup/CutMix switch, and the baseline CIFAR crop/flip/normalise, as pure
 * TensorFlow.js tensor ops with every random draw seeded and reported.
 *
 * CutMix, per batch (the paper's Algorithm A1): λ ~ Beta(α, α) (α = 1); a box with centre
 * uniform over the image and sides W·√(1−λ) × H·√(1−λ), clipped to the image; λ recomputed as
 * the exact fraction of pixels kept; x̃ = M⊙x_A + (1−M)⊙x_B; ỹ = λ·y_A + (1−λ)·y_B, with x_B
 * the image at a random permutation of the batch. Every function returns the drawn λ, boxes and
 * partners in `draw`, for inspection and plotting.
 *
 * The engine behind them (`_engine.ts`: drawing plans, rendering masks) and the argument checks
 * are private; everything public is named below.
 *
 * Main entry points:
 * - {@link cutMix}, {@link mixUp}, {@link cutout}, {@link mixUpOrCutMix}: one batch, explicit
 *   options, `rng` or `seed` required;
 * - {@link cutMixTransform}, {@link mixUpTransform}, {@link mixUpOrCutMixTransform}: the same as
 *   `tf.data` batch transforms, `dataset.batch(n).map(cutMixTransform({ … }))`, for
 *   `LayersModel.fitDataset` (examples with `fitDataset` and `fit` in `transform.ts`);
 * - {@link featureCutMix}: CutMix applied to a model's intermediate feature map;
 * - {@link createBatchAugmentation}: a validated {@link AugmentationConfig} → the
 *   {@link BatchAugmentation} the training loop calls;
 * - {@link softTargetCrossEntropy} (in `lib/training/loss.ts`) is the loss for the soft targets.
 *
 * @example CutMix inside a tfjs training step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs";
 * import { Random } from "../random.ts";
 * import { cutMix } from "./mod.ts";
 * import { softTargetCrossEntropy } from "../training/loss.ts";
 *
 * const numClasses = 10;
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, activation: "relu" }),
 *     tf.layers.globalAveragePooling2d({}),
 *     tf.layers.dense({ units: numClasses }),
 *   ],
 * });
 * const optimizer = tf.train.momentum(0.1, 0.9);
 * const rng = new Random(2019);
 *
 * function trainStep(imagesNHWC: Tensor4D, labels: Tensor1D): number {
 *   // Draw and mix outside the tape: the mix has no parameters to differentiate.
 *   const { imagesNHWC: mixed, targets } = cutMix(imagesNHWC, labels, {
 *     numClasses,
 *     alpha: 1,
 *     prob: 0.5, // the paper's CIFAR setting
 *     rng,
 *   });
 *   const loss = optimizer.minimize(
 *     () => softTargetCrossEntropy(model.predict(mixed) as Tensor2D, targets),
 *     true,
 *   )!;
 *   const value = loss.dataSync()[0];
 *   tf.dispose([mixed, targets, loss]);
 *   return value;
 * }
 *
 * const images = tf.randomUniform([16, 32, 32, 3], 0, 1, "float32", rng.tensorSeed()) as Tensor4D;
 * const labels = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % numClasses), "int32");
 * console.log(trainStep(images, labels));
 * tf.dispose([images, labels]);
 * ```
 * @module
 */
export { Random, type RandomSource, resolveRandom, type Seed } from "../random.ts";
export {
  type AugmentContext,
  type AugmentedBatch,
  type BatchAugmentation,
  type FeatureMix,
  type FeatureMixGraphInputs,
  type MixLayer,
} from "./types.ts";
export {
  type Box,
  BOX_DEFAULTS,
  boxArea,
  type BoxCenter,
  type BoxDraw,
  type BoxSampling,
  clipBox,
  EMPTY_BOX,
  type Point,
  sampleBox,
  scaleBox,
} from "./box.ts";
export {
  GRANULARITIES,
  type Granularity,
  type GroupDraw,
  MIX_DEFAULTS,
  type MixDraw,
  type MixMode,
  type MixOptions,
  type MixResult,
  NO_MIX,
} from "./mixing.ts";
export { toSoftTargets } from "./targets.ts";
export {
  cutMix,
  CUTMIX_DEFAULTS,
  CUTMIX_TARGETS,
  type CutMixBoxOptions,
  cutMixGroupDrawer,
  type CutMixOptions,
  type CutMixTarget,
  cutMixTargetWeight,
  PROBABILITY_SCHEDULES,
  type ProbabilitySchedule,
  scheduledProbability,
} from "./cutmix.ts";
export { mixUp, MIXUP_DEFAULTS, mixUpGroupDrawer, type MixUpOptions } from "./mixup.ts";
export { mixUpOrCutMix, type MixUpOrCutMixOptions, SWITCH_DEFAULTS } from "./switch.ts";
export {
  cutout,
  CUTOUT_DEFAULTS,
  type CutoutDraw,
  type CutoutOptions,
  type CutoutResult,
} from "./cutout.ts";
export {
  cifarFeatureSize,
  featureCutMix,
  type FeatureCutMixOptions,
  type FeatureCutMixResult,
  type FeatureMixDraw,
  MIX_LAYERS,
} from "./feature.ts";
export {
  BASELINE_DEFAULTS,
  CIFAR100_MEAN,
  CIFAR100_STD,
  CIFAR10_MEAN,
  CIFAR10_STD,
  normalizePerChannel,
  randomCropWithPadding,
  randomHorizontalFlip,
} from "./baseline.ts";
export {
  AUGMENTATION_KINDS,
  type AugmentationConfig,
  type BaseAugmentationConfig,
  createBatchAugmentation,
  type CutMixConfig,
  type CutoutConfig,
  describeAugmentation,
  type FeatureCutMixConfig,
  type MixConfig,
  type MixUpConfig,
  type NoAugmentationConfig,
  TABLE8_VARIANTS,
  validateAugmentationConfig,
} from "./config.ts";
export {
  BATCH_TRANSFORM_DEFAULTS,
  type BatchTransform,
  type BatchTransformOptions,
  cutMixTransform,
  mixUpOrCutMixTransform,
  mixUpTransform,
} from "./transform.ts";
