/**
 * Robustness to the fast gradient sign method (Goodfellow et al., ICLR 2015), white box, as in the
 * paper's Table 11: ε = 8/255 on images in [0, 1].
 *
 *     x_adv = clip(x + ε · sign(∇_x CE(f(x), y)), 0, 1)
 *
 * The gradient is that of the summed (not averaged) cross-entropy of the batch, so each image's
 * gradient is its own loss's gradient; `sign(0) = 0` leaves a pixel with zero gradient unchanged.
 * The model must run in inference mode (batch-norm running statistics), see {@link PredictLogits}.
 * Accuracy is top-1 with ties to the lower class index (see `classification.ts`).
 *
 * @example
 * ```ts
 * import { evaluateFgsm } from "./fgsm.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { adversarialError } = await evaluateFgsm(model, testBatches); // ε = 8/255
 * ```
 * @module
 */
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
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
 * FGSM adversarial images for one batch: clip(x + ε·sign(∇_x Σ_n CE(f(x_n), y_n)), 0, 1).
 * The caller disposes the result; `imagesNHWC` is not changed.
 *
 * @param epsilon ε ∈ [0, 1]; default 8/255.
 * @param inputGradient computes ∇_x Σ_n CE(f(x_n), y_n) itself (a compiled model,
 *   lib/models/compiled.ts, which tfjs cannot differentiate through); default: `tf.grad` of
 *   `predictLogits`.
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
    return tf.clipByValue(tf.add(imagesNHWC, tf.mul(tf.sign(gradient), epsilon)), 0, 1) as Tensor4D;
  });
}

/** Options of {@link evaluateFgsm}. */
export interface FgsmOptions {
  /** ε ∈ [0, 1] on [0, 1] pixels. Default 8/255. */
  readonly epsilon?: number;
  /** The input gradient, when the model computes it itself (see {@link fgsmAttack}). */
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

/** Clean and FGSM top-1 accuracy of a model over batches. */
export async function evaluateFgsm(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: FgsmOptions = {},
): Promise<FgsmResult> {
  const epsilon = options.epsilon ?? DEFAULT_FGSM_EPSILON;
  checkNumber(epsilon, "options.epsilon", 0, 1);
  let count = 0, cleanWrong = 0, adversarialWrong = 0;
  for await (const batch of batches) {
    const [clean, adversarial] = tf.tidy(() => {
      const adversarialImages = fgsmAttack(
        predictLogits,
        batch.imagesNHWC,
        batch.labels,
        epsilon,
        options.inputGradient,
      );
      return [predictLogits(batch.imagesNHWC), predictLogits(adversarialImages)];
    });
    try {
      cleanWrong += topKErrorCount(clean, batch.labels, 1);
      adversarialWrong += topKErrorCount(adversarial, batch.labels, 1);
    } finally {
      tf.dispose([clean, adversarial]);
    }
    count += batch.imagesNHWC.shape[0];
  }
  if (count === 0) throw new Error("batches must hold at least one image, got none");
  return {
    count,
    epsilon,
    cleanAccuracy: 1 - cleanWrong / count,
    adversarialAccuracy: 1 - adversarialWrong / count,
    adversarialError: adversarialWrong / count,
  };
}
