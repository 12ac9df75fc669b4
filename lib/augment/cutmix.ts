/**
 * CutMix (Yun et al., ICCV 2019, Sec. 3.1 and Appendix A), with the options of its Python peers
 * and the variants of the paper's Table 8.
 *
 * Per group (see {@link Granularity}): λ ~ Beta(α, α); a box with centre uniform over the image
 * and sides H·√(1−λ) × W·√(1−λ) (whole pixels), clipped to the image; λ recomputed as the exact
 * fraction of pixels kept; x̃ = M⊙x_A + (1 − M)⊙x_B (M = 0 inside the box);
 * ỹ = λ·y_A + (1 − λ)·y_B; x_B = x_{π(i)} for a random permutation π of the batch.
 *
 * Table 8 variants, as options:
 * - Center Gaussian CutMix: `center: "gaussian"` (σ = `centerStd` × side, default
 *   `BOX_DEFAULTS.centerStd`);
 * - Fixed-size CutMix: `fixedSize: { height: 16, width: 16 }`;
 * - Scheduled CutMix: `probSchedule: "linear"` with `trainingProgress` ∈ [0, 1]: the chance to
 *   apply is `prob × trainingProgress`, rising linearly from 0 to `prob` (1 by default);
 * - One-hot CutMix: `target: "one-hot"`: the label of the larger area (own label when λ ≥ 1/2);
 * - Complete-label CutMix: `target: "complete"`: ỹ = 0.5·y_A + 0.5·y_B whatever λ.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { Random } from "../random.ts";
 * import { cutMix } from "./cutmix.ts";
 * const images = tf.randomUniform([8, 32, 32, 3]) as Tensor4D;
 * const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32");
 * const { imagesNHWC, targets, draw } = cutMix(images, labels, {
 *   numClasses: 10,
 *   rng: new Random(0),
 * });
 * console.log(draw.lambdas[0], draw.boxes[0]); // λ, { y0, x0, y1, x1 }
 * tf.dispose([images, labels, imagesNHWC, targets]);
 * ```
 * @module
 */
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import type { Random } from "../random.ts";
import { type BoxSampling, checkBoxSampling, sampleBox } from "./box.ts";
import type { GroupDraw, MixDraw, MixOptions, MixResult } from "./mixing.ts";
import { drawPlan, finishMix, keptFraction, prepareBatch, type PreparedBatch } from "./_engine.ts";
import { checkBoolean, checkOneOf, checkPositive, checkProbability } from "../_validate.ts";

/** Which label a CutMix sample is trained against (Table 8's target variants). */
export type CutMixTarget = "mixed" | "one-hot" | "complete";

/** The target rules, in the order documented. */
export const CUTMIX_TARGETS: readonly CutMixTarget[] = ["mixed", "one-hot", "complete"];

/** How the chance to apply evolves over training. */
export type ProbabilitySchedule = "constant" | "linear";

/** The schedules, in the order documented. */
export const PROBABILITY_SCHEDULES: readonly ProbabilitySchedule[] = ["constant", "linear"];

/**
 * Defaults of CutMix's own options, the paper's: α = 1 (λ uniform on [0, 1]), λ corrected to the
 * clipped box, the mixed target, a constant chance to apply.
 */
export const CUTMIX_DEFAULTS: Readonly<{
  alpha: number;
  correctLambda: boolean;
  target: CutMixTarget;
  probSchedule: ProbabilitySchedule;
}> = Object.freeze({ alpha: 1, correctLambda: true, target: "mixed", probSchedule: "constant" });

/** The box and λ options of CutMix, shared with feature-level CutMix and the Mixup switch. */
export interface CutMixBoxOptions extends BoxSampling {
  /** α of λ ~ Beta(α, α); finite and > 0. Default `CUTMIX_DEFAULTS.alpha`. */
  readonly alpha?: number;
  /**
   * Recompute λ from the exact pasted area after clipping (the paper and official code; timm's
   * `correct_lam`). When false, targets use the drawn λ although the pixels do not. Ignored
   * (always corrected) with `fixedSize` or `minMax`, where λ does not size the box. Default
   * `CUTMIX_DEFAULTS.correctLambda`.
   */
  readonly correctLambda?: boolean;
  /**
   * `mixed`: ỹ = λ·y_A + (1−λ)·y_B; `one-hot` and `complete`: Table 8's variants (see the module
   * doc). Default `CUTMIX_DEFAULTS.target`.
   */
  readonly target?: CutMixTarget;
}

/** Options of {@link cutMix}. */
export interface CutMixOptions extends MixOptions, CutMixBoxOptions {
  /**
   * `constant`: apply with `prob`; `linear`: with `prob × trainingProgress`. Default
   * `CUTMIX_DEFAULTS.probSchedule`.
   */
  readonly probSchedule?: ProbabilitySchedule;
  /** Progress through training ∈ [0, 1]; required by `probSchedule: "linear"`. */
  readonly trainingProgress?: number;
}

/** Validates the box/λ options; throws naming the bad one. */
export function checkCutMixBoxOptions(
  options: CutMixBoxOptions,
  height?: number,
  width?: number,
): void {
  checkPositive(options.alpha ?? CUTMIX_DEFAULTS.alpha, "alpha");
  checkBoolean(options.correctLambda ?? CUTMIX_DEFAULTS.correctLambda, "correctLambda");
  checkOneOf(options.target ?? CUTMIX_DEFAULTS.target, CUTMIX_TARGETS, "target");
  checkBoxSampling(options, height, width, "cutmix");
}

/**
 * The chance to apply in force: `prob`, or `prob × trainingProgress` under the linear schedule.
 */
export function scheduledProbability(
  prob: number,
  schedule: ProbabilitySchedule,
  trainingProgress: number | undefined,
): number {
  checkOneOf(schedule, PROBABILITY_SCHEDULES, "probSchedule");
  if (schedule === "constant") return prob;
  if (trainingProgress === undefined) {
    throw new Error('probSchedule "linear" needs trainingProgress in [0, 1], got undefined');
  }
  checkProbability(trainingProgress, "trainingProgress");
  return prob * trainingProgress;
}

/**
 * The weight of a sample's own label under a target rule, given the λ the targets follow:
 * λ (`mixed`), 1 if λ ≥ 1/2 else 0 (`one-hot`), 1/2 (`complete`).
 */
export function cutMixTargetWeight(rule: CutMixTarget, lambda: number): number {
  if (rule === "one-hot") return lambda >= 0.5 ? 1 : 0;
  if (rule === "complete") return 0.5;
  return lambda;
}

/**
 * Returns a function that draws one CutMix group for an image of `height` × `width`: λ ~ Beta
 * (unless the box size is fixed or drawn from `minMax`), then the box. Options must be valid.
 */
export function cutMixGroupDrawer(
  height: number,
  width: number,
  options: CutMixBoxOptions,
  rng: Random,
): () => GroupDraw {
  const alpha = options.alpha ?? CUTMIX_DEFAULTS.alpha;
  const rule = options.target ?? CUTMIX_DEFAULTS.target;
  const lambdaSizesBox = options.fixedSize === undefined && options.minMax === undefined;
  const correct = (options.correctLambda ?? CUTMIX_DEFAULTS.correctLambda) || !lambdaSizesBox;
  return () => {
    const drawnLambda = lambdaSizesBox ? rng.beta(alpha, alpha) : Number.NaN;
    const box = sampleBox(height, width, drawnLambda, options, rng);
    const lambda = keptFraction(box.box, height, width);
    return {
      mode: "cutmix",
      drawnLambda,
      lambda,
      targetWeight: cutMixTargetWeight(rule, correct ? lambda : drawnLambda),
      box,
    };
  };
}

/**
 * CutMix over a batch: pastes a box of each sample's partner into it and mixes the labels by
 * the pasted area. Inputs are not mutated; the returned tensors are new.
 *
 * @param imagesNHWC float32 [N, H, W, C]
 * @param labels int32 class indices [N] (then `numClasses` is required) or float32 one-hot/soft
 *   rows [N, K]
 * @param options see {@link CutMixOptions}; `rng` or `seed` is required
 * @returns the mixed images, soft targets [N, K] and what was drawn
 */
export function cutMix(
  imagesNHWC: Tensor4D,
  labels: Tensor,
  options: CutMixOptions,
): MixResult {
  const { prepared, draw } = planCutMix(imagesNHWC, labels, options);
  return finishMix(imagesNHWC, prepared, draw);
}

/**
 * Validates CutMix's options against the batch and draws its plan (partners, the per-group coin,
 * λ and the boxes) without touching pixels: {@link cutMix} renders it on the images,
 * feature-level CutMix rescales its boxes to a feature map.
 */
export function planCutMix(
  imagesNHWC: Tensor4D,
  labels: Tensor,
  options: CutMixOptions,
): { prepared: PreparedBatch; draw: MixDraw } {
  const prepared = prepareBatch(imagesNHWC, labels, options);
  const { height, width, n } = prepared.shape;
  checkCutMixBoxOptions(options, height, width);
  const probability = scheduledProbability(
    prepared.prob,
    options.probSchedule ?? CUTMIX_DEFAULTS.probSchedule,
    options.trainingProgress,
  );
  const draw = drawPlan(
    n,
    prepared.granularity,
    probability,
    prepared.rng,
    cutMixGroupDrawer(height, width, options, prepared.rng),
  );
  return { prepared, draw };
}
