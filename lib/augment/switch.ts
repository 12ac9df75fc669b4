/**
 * timm's `Mixup` with both modes on: each group (see {@link Granularity}) is mixed with chance
 * `prob`, and a mixed group uses CutMix with chance `switchProb`, Mixup otherwise, each with its
 * own α. With `granularity: "elem"` one batch can hold CutMix, Mixup and unmixed samples side by
 * side.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { mixUpOrCutMix } from "./switch.ts";
 * const images = tf.randomUniform([4, 32, 32, 3]) as Tensor4D;
 * const labels = tf.tensor1d([0, 1, 2, 3], "int32");
 * const { imagesNHWC, targets, draw } = mixUpOrCutMix(images, labels, {
 *   numClasses: 10,
 *   seed: 1,
 *   mixupAlpha: 0.8,
 *   cutmixAlpha: 1,
 *   switchProb: 0.5,
 *   granularity: "elem",
 * });
 * console.log(draw.modes); // e.g. ["cutmix", "mixup", "mixup", "cutmix"]
 * tf.dispose([images, labels, imagesNHWC, targets]);
 * ```
 * @module
 */
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { checkCutMixBoxOptions, type CutMixBoxOptions, cutMixGroupDrawer } from "./cutmix.ts";
import type { MixOptions, MixResult } from "./mixing.ts";
import { drawPlan, finishMix, prepareBatch } from "./_engine.ts";
import { mixUpGroupDrawer } from "./mixup.ts";
import { checkPositive, checkProbability } from "../_validate.ts";

/**
 * Defaults of the switch's own options: timm's ImageNet recipes' Mixup α = 0.8, CutMix's α = 1
 * (the paper's), and an even choice between the two.
 */
export const SWITCH_DEFAULTS: Readonly<{
  mixupAlpha: number;
  cutmixAlpha: number;
  switchProb: number;
}> = Object.freeze({ mixupAlpha: 0.8, cutmixAlpha: 1, switchProb: 0.5 });

/** Options of {@link mixUpOrCutMix}: timm's `Mixup(mixup_alpha, cutmix_alpha, switch_prob, …)`. */
export interface MixUpOrCutMixOptions extends MixOptions, Omit<CutMixBoxOptions, "alpha"> {
  /** α of Mixup's Beta(α, α), > 0. Default `SWITCH_DEFAULTS.mixupAlpha`. */
  readonly mixupAlpha?: number;
  /** α of CutMix's Beta(α, α), > 0. Default `SWITCH_DEFAULTS.cutmixAlpha`. */
  readonly cutmixAlpha?: number;
  /**
   * Chance ∈ [0, 1] that a mixed group uses CutMix rather than Mixup. Default
   * `SWITCH_DEFAULTS.switchProb`.
   */
  readonly switchProb?: number;
}

/**
 * Mixup or CutMix per group, as timm's `Mixup`. Draw order per group: the apply coin, the
 * switch coin, then that mode's λ (and box). Inputs are not mutated; the returned tensors are
 * new.
 */
export function mixUpOrCutMix(
  imagesNHWC: Tensor4D,
  labels: Tensor,
  options: MixUpOrCutMixOptions,
): MixResult {
  const prepared = prepareBatch(imagesNHWC, labels, options);
  const { n, height, width } = prepared.shape;
  const mixupAlpha = checkPositive(options.mixupAlpha ?? SWITCH_DEFAULTS.mixupAlpha, "mixupAlpha");
  const cutmixAlpha = checkPositive(
    options.cutmixAlpha ?? SWITCH_DEFAULTS.cutmixAlpha,
    "cutmixAlpha",
  );
  const switchProb = checkProbability(
    options.switchProb ?? SWITCH_DEFAULTS.switchProb,
    "switchProb",
  );
  const boxOptions: CutMixBoxOptions = { ...options, alpha: cutmixAlpha };
  checkCutMixBoxOptions(boxOptions, height, width);
  const rng = prepared.rng;
  const drawCut = cutMixGroupDrawer(height, width, boxOptions, rng);
  const drawBlend = mixUpGroupDrawer(mixupAlpha, rng);
  const draw = drawPlan(
    n,
    prepared.granularity,
    prepared.prob,
    rng,
    () => rng.float() < switchProb ? drawCut() : drawBlend(),
  );
  return finishMix(imagesNHWC, prepared, draw);
}
