/**
 * Losses for training against soft targets (CutMix, Mixup, label smoothing).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { softTargetCrossEntropy } from "./loss.ts";
 * const logits = tf.tensor2d([[2, 0, -1], [0, 1, 0]]);
 * const targets = tf.tensor2d([[0.7, 0.3, 0], [0, 0.5, 0.5]]); // CutMix targets, λ = 0.7 / 0.5
 * const loss = softTargetCrossEntropy(logits, targets); // mean over the batch
 * console.log(loss.dataSync()[0]);
 * tf.dispose([logits, targets, loss]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { fusedKernelsActive, softmaxCrossEntropy } from "../native_kernels.ts";
import type { Scalar, Tensor2D } from "@tensorflow/tfjs-core";

/**
 * Cross-entropy against soft targets, averaged over the batch:
 * L = −(1/N) Σ_i Σ_k t_ik · log softmax(z_i)_k, via `logSoftmax` (stable for any logit
 * magnitude). For CutMix targets t = λ·y_A + (1−λ)·y_B this is exactly
 * λ·CE(z, y_A) + (1−λ)·CE(z, y_B), the official code's loss. Differentiable in `logits`.
 *
 * @param logits float32 [N, K]
 * @param targets float32 [N, K], rows summing to 1 (not checked: that needs a read)
 */
export function softTargetCrossEntropy(logits: Tensor2D, targets: Tensor2D): Scalar {
  for (const [name, t] of [["logits", logits], ["targets", targets]] as const) {
    if (t === null || typeof t !== "object" || t.rank !== 2) {
      throw new Error(`${name} must be a 2-D tensor [N, K], got shape [${t?.shape}]`);
    }
    if (t.dtype !== "float32") throw new Error(`${name} must be float32, got ${t.dtype}`);
  }
  if (logits.shape[0] !== targets.shape[0] || logits.shape[1] !== targets.shape[1]) {
    throw new Error(
      `logits [${logits.shape}] and targets [${targets.shape}] must have the same shape`,
    );
  }
  if (logits.shape[0] < 1) {
    throw new Error(`logits must hold at least one row, got [${logits.shape}]`);
  }
  // On native TensorFlow: one SoftmaxCrossEntropyWithLogits kernel, whose gradient comes with it.
  if (fusedKernelsActive()) return softmaxCrossEntropy(logits, targets);
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))));
}
