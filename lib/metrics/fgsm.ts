/**
 * Robustness to the fast gradient sign method (Goodfellow et al., ICLR 2015), white box, as in the
 * paper's Table 11 (ε = 8/255 on images in [0, 1]) and as a curve over ε.
 *
 *     x_adv(ε) = clip(x + ε · sign(∇_x CE(f(x), y)), 0, 1)
 *
 * The gradient is that of the summed (not averaged) cross-entropy of the batch, so each image's
 * gradient is its own loss's gradient; `sign(0) = 0` leaves a pixel with zero gradient unchanged.
 * The sign does not depend on ε (it is FGSM's definition: one gradient at the clean image), so
 * {@link evaluateFgsmCurve} computes it once per image and steps every ε of the curve along it.
 * The model must run in inference mode (batch-norm running statistics), see {@link PredictLogits}.
 * Accuracy is top-1 with ties to the lower class index (see `classification.ts`).
 *
 * @example
 * ```ts
 * import { evaluateFgsm, evaluateFgsmCurve } from "./fgsm.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { adversarialError } = await evaluateFgsm(model, testBatches); // ε = 8/255
 * const { points } = await evaluateFgsmCurve(model, testBatches); // ε ∈ {0, ¼, ½, 1, 2, 4, 8}/255
 * // points: [{ epsilon: 0, accuracy: …, error: … }, { epsilon: 0.25 / 255, … }, …]
 * ```
 * @module
 */
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { topKErrorCount } from "./classification.ts";
import {
  type BatchSource,
  type LabeledBatch,
  type Labels,
  labelTensor,
  type PredictLogits,
} from "./types.ts";
import { checkNumber, checkRank } from "../_validate.ts";

/** ∇_x Σ_n CE(f(x_n), y_n) for images `[N, H, W, C]` and int32 labels `[N]`; a new tensor. */
export type InputGradient = (imagesNHWC: Tensor4D, labels: Tensor) => Tensor;

/** The paper's perturbation size: 8/255 on [0, 1] pixels. */
export const DEFAULT_FGSM_EPSILON = 8 / 255;

/**
 * The default ε grid of {@link evaluateFgsmCurve}: {0, ¼, ½, 1, 2, 4, 8}/255. It reaches down to
 * where an undefended CIFAR model is still well above zero (at 8/255, Table 11's ε, small CIFAR
 * models are all near 0 %), doubling each step, and keeps the paper's 8/255.
 */
export const DEFAULT_FGSM_EPSILONS: readonly number[] = Object.freeze(
  [0, 0.25, 0.5, 1, 2, 4, 8].map((k) => k / 255),
);

/**
 * sign(∇_x Σ_n CE(f(x_n), y_n)) for one batch: the direction every FGSM ε steps along, in
 * {−1, 0, 1}. The caller disposes the result.
 *
 * @param inputGradient computes ∇_x Σ_n CE(f(x_n), y_n) itself (a compiled model,
 *   lib/models/compiled.ts, which tfjs cannot differentiate through); default: `tf.grad` of
 *   `predictLogits`.
 */
export function fgsmGradientSign(
  predictLogits: PredictLogits,
  imagesNHWC: Tensor4D,
  labels: Labels,
  inputGradient?: InputGradient,
): Tensor4D {
  checkRank(imagesNHWC.shape, "imagesNHWC", 4);
  const n = imagesNHWC.shape[0];
  return tf.tidy(() => {
    const y = labelTensor(labels, n);
    const loss = (x: Tensor) => {
      const logits = predictLogits(x as Tensor4D);
      const oneHot = tf.oneHot(y, logits.shape[1]);
      return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits))));
    };
    const gradient = inputGradient !== undefined
      ? inputGradient(imagesNHWC, y)
      : tf.grad(loss)(imagesNHWC);
    return tf.sign(gradient) as Tensor4D;
  });
}

/** clip(x + ε · s, 0, 1) for a sign tensor `s` of the images' shape. The caller disposes it. */
export function fgsmStep(imagesNHWC: Tensor4D, gradientSign: Tensor4D, epsilon: number): Tensor4D {
  checkNumber(epsilon, "epsilon", 0, 1);
  if (imagesNHWC.shape.join() !== gradientSign.shape.join()) {
    throw new Error(
      `gradientSign must have the shape of imagesNHWC [${imagesNHWC.shape.join(", ")}], got [${
        gradientSign.shape.join(", ")
      }]`,
    );
  }
  return tf.tidy(() =>
    tf.clipByValue(tf.add(imagesNHWC, tf.mul(gradientSign, epsilon)), 0, 1) as Tensor4D
  );
}

/**
 * FGSM adversarial images for one batch: clip(x + ε·sign(∇_x Σ_n CE(f(x_n), y_n)), 0, 1).
 * The caller disposes the result; `imagesNHWC` is not changed.
 *
 * @param epsilon ε ∈ [0, 1]; default 8/255.
 * @param inputGradient see {@link fgsmGradientSign}.
 */
export function fgsmAttack(
  predictLogits: PredictLogits,
  imagesNHWC: Tensor4D,
  labels: Labels,
  epsilon: number = DEFAULT_FGSM_EPSILON,
  inputGradient?: InputGradient,
): Tensor4D {
  checkRank(imagesNHWC.shape, "imagesNHWC", 4);
  checkNumber(epsilon, "epsilon", 0, 1);
  return tf.tidy(() =>
    fgsmStep(
      imagesNHWC,
      fgsmGradientSign(predictLogits, imagesNHWC, labels, inputGradient),
      epsilon,
    )
  );
}

/** Options of {@link evaluateFgsm}. */
export interface FgsmOptions {
  /** ε ∈ [0, 1] on [0, 1] pixels. Default 8/255. */
  readonly epsilon?: number;
  /** The input gradient, when the model computes it itself (see {@link fgsmGradientSign}). */
  readonly inputGradient?: InputGradient;
}

/** Top-1 accuracy before and under the attack. */
export interface FgsmResult {
  /** Number of images. */
  readonly count: number;
  /** The ε used. */
  readonly epsilon: number;
  /** Top-1 accuracy on clean images. */
  readonly cleanAccuracy: number;
  /** Top-1 accuracy on FGSM images. */
  readonly adversarialAccuracy: number;
  /** 1 − adversarialAccuracy: the top-1 error under attack (what Table 11 reports). */
  readonly adversarialError: number;
}

/** Clean and FGSM top-1 accuracy of a model over batches, at one ε. */
export async function evaluateFgsm(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: FgsmOptions = {},
): Promise<FgsmResult> {
  const epsilon = options.epsilon ?? DEFAULT_FGSM_EPSILON;
  checkNumber(epsilon, "options.epsilon", 0, 1);
  const curve = await evaluateFgsmCurve(predictLogits, batches, {
    epsilons: [epsilon],
    inputGradient: options.inputGradient,
  });
  const [point] = curve.points;
  return {
    count: curve.count,
    epsilon,
    cleanAccuracy: curve.cleanAccuracy,
    adversarialAccuracy: point.accuracy,
    adversarialError: point.error,
  };
}

/** Options of {@link evaluateFgsmCurve}. */
export interface FgsmCurveOptions {
  /** The ε values, each in [0, 1] on [0, 1] pixels. Default {@link DEFAULT_FGSM_EPSILONS}. */
  readonly epsilons?: readonly number[];
  /** The input gradient, when the model computes it itself (see {@link fgsmGradientSign}). */
  readonly inputGradient?: InputGradient;
}

/** One point of an FGSM curve. */
export interface FgsmPoint {
  /** ε on [0, 1] pixels (multiply by 255 for grey levels). */
  readonly epsilon: number;
  /** Top-1 accuracy ∈ [0, 1] of the FGSM images at this ε. */
  readonly accuracy: number;
  /** 1 − accuracy. */
  readonly error: number;
}

/** Top-1 accuracy under FGSM at each ε of a grid. */
export interface FgsmCurve {
  /** Number of images. */
  readonly count: number;
  /** Top-1 accuracy on the clean images (equal to the point at ε = 0, if the grid has one). */
  readonly cleanAccuracy: number;
  /** One point per ε, in the order asked for. */
  readonly points: readonly FgsmPoint[];
}

/**
 * FGSM top-1 accuracy at every ε of a grid, one data pass: per batch one input gradient (its
 * sign is shared by every ε, see the module doc), one clean forward pass (which also serves
 * ε = 0) and one forward pass per ε > 0.
 */
export async function evaluateFgsmCurve(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: FgsmCurveOptions = {},
): Promise<FgsmCurve> {
  const epsilons = options.epsilons ?? DEFAULT_FGSM_EPSILONS;
  if (epsilons.length === 0) throw new Error("options.epsilons must not be empty, got []");
  for (const epsilon of epsilons) checkNumber(epsilon, "options.epsilons[]", 0, 1);
  let count = 0, cleanWrong = 0;
  const wrong = epsilons.map(() => 0);
  const countWrong = (logits: Tensor2D, labels: Labels) => {
    try {
      return topKErrorCount(logits, labels, 1);
    } finally {
      logits.dispose();
    }
  };
  for await (const batch of batches) {
    const sign = fgsmGradientSign(
      predictLogits,
      batch.imagesNHWC,
      batch.labels,
      options.inputGradient,
    );
    try {
      const clean = countWrong(tf.tidy(() => predictLogits(batch.imagesNHWC)), batch.labels);
      cleanWrong += clean;
      epsilons.forEach((epsilon, i) => {
        wrong[i] += epsilon === 0 ? clean : countWrong(
          tf.tidy(() => predictLogits(fgsmStep(batch.imagesNHWC, sign, epsilon))),
          batch.labels,
        );
      });
    } finally {
      sign.dispose();
    }
    count += batch.imagesNHWC.shape[0];
  }
  if (count === 0) throw new Error("batches must hold at least one image, got none");
  return {
    count,
    cleanAccuracy: 1 - cleanWrong / count,
    points: epsilons.map((epsilon, i) => ({
      epsilon,
      accuracy: 1 - wrong[i] / count,
      error: wrong[i] / count,
    })),
  };
}
