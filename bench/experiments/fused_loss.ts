/**
 * A drop-in replacement for lib/training/loss.ts whose `softTargetCrossEntropy` is TensorFlow's
 * `SoftmaxCrossEntropyWithLogits` (one kernel forward; its gradient softmax(z) − t comes with it)
 * on the native backend, and lib's composition elsewhere. The bench's fused variant resolves
 * lib/training/loss.ts to this file through bench/out/fused_import_map.json.
 *
 * @example
 * ```ts
 * import { softTargetCrossEntropy } from "./fused_loss.ts";
 * ```
 * @module
 */
import type { Scalar, Tensor2D } from "@tensorflow/tfjs-node";
import { tf } from "../../lib/backend.ts";
import * as base from "../../lib/training/loss.ts";
import { registerFusedKernels, softmaxCrossEntropy } from "./fused_ops.ts";

export * from "../../lib/training/loss.ts";

const native = tf.getBackend() === "tensorflow";
if (native) registerFusedKernels();

/** Same contract as lib/training/loss.ts: −(1/N) Σᵢ Σₖ tᵢₖ · log softmax(zᵢ)ₖ. */
export function softTargetCrossEntropy(logits: Tensor2D, targets: Tensor2D): Scalar {
  if (!native) return base.softTargetCrossEntropy(logits, targets);
  const valid =
    [logits, targets].every((t) =>
      t !== null && typeof t === "object" && t.rank === 2 && t.dtype === "float32"
    ) && logits.shape[0] === targets.shape[0] && logits.shape[1] === targets.shape[1] &&
    logits.shape[0] >= 1;
  // Bad input: lib's version throws its own validation error.
  if (!valid) return base.softTargetCrossEntropy(logits, targets);
  return softmaxCrossEntropy(logits, targets) as Scalar;
}
