/**
 * Mixup (Zhang et al., ICLR 2018): λ ~ Beta(α, α), x̃ = λ·x_A + (1 − λ)·x_B,
 * ỹ = λ·y_A + (1 − λ)·y_B, partners by a random permutation of the batch, λ shared per
 * {@link Granularity} group (timm's `batch` / `pair` / `elem`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { mixUp } from "./mixup.ts";
 * const images = tf.randomUniform([4, 32, 32, 3]) as Tensor4D;
 * const labels = tf.tensor1d([0, 1, 2, 3], "int32");
 * const { imagesNHWC, targets, draw } = mixUp(images, labels, { numClasses: 10, seed: 7 });
 * console.log(draw.lambdas[0]); // the blend weight of sample 0's own image
 * tf.dispose([images, labels, imagesNHWC, targets]);
 * ```
 * @module
 */
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import type { Random } from "../random.ts";
import type { GroupDraw, MixOptions, MixResult } from "./mixing.ts";
import { drawPlan, finishMix, prepareBatch } from "./_engine.ts";
import { checkPositive } from "../_validate.ts";

/** Defaults of Mixup's own options: α = 1, λ uniform on [0, 1]. */
export const MIXUP_DEFAULTS: Readonly<{ alpha: number }> = Object.freeze({ alpha: 1 });

/** Options of {@link mixUp}. */
export interface MixUpOptions extends MixOptions {
  /**
   * α of λ ~ Beta(α, α); finite and > 0. Default `MIXUP_DEFAULTS.alpha`. (The Mixup paper uses
   * 0.2–1; timm 0.8.)
   */
  readonly alpha?: number;
}

/** Returns a function that draws one Mixup group: λ ~ Beta(α, α). */
export function mixUpGroupDrawer(alpha: number, rng: Random): () => GroupDraw {
  return () => {
    const lambda = rng.beta(alpha, alpha);
    return { mode: "mixup", drawnLambda: lambda, lambda, targetWeight: lambda, box: null };
  };
}

/**
 * Mixup over a batch. Inputs are not mutated; the returned tensors are new.
 *
 * @param imagesNHWC float32 [N, H, W, C]
 * @param labels int32 class indices [N] (then `numClasses` is required) or float32 rows [N, K]
 * @param options see {@link MixUpOptions}; `rng` or `seed` is required
 */
export function mixUp(imagesNHWC: Tensor4D, labels: Tensor, options: MixUpOptions): MixResult {
  const prepared = prepareBatch(imagesNHWC, labels, options);
  const alpha = checkPositive(options.alpha ?? MIXUP_DEFAULTS.alpha, "alpha");
  const draw = drawPlan(
    prepared.shape.n,
    prepared.granularity,
    prepared.prob,
    prepared.rng,
    mixUpGroupDrawer(alpha, prepared.rng),
  );
  return finishMix(imagesNHWC, prepared, draw);
}
