/**
 * Top-k classification error (the paper's top-1 / top-5 error).
 *
 * A label is in the top k when its rank is below k, where
 * `rank(y) = #{j : z_j > z_y} + #{j < y : z_j = z_y}`: ties between equal logits go to the lower
 * class index. That is the order `tf.topk` returns on the native backend (the tests pin the
 * agreement), but it is written out so the answer never depends on a sort's stability; PyTorch
 * does not document its `topk` tie order, so an exactly tied logit can be counted differently
 * there. A row containing a NaN logit always counts as an error.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { topKErrorRate } from "./classification.ts";
 * const logits = tf.tensor2d([[3, 2, 1], [1, 2, 3]]);
 * console.log(topKErrorRate(logits, new Int32Array([0, 0]), 1)); // 0.5
 * console.log(topKErrorRate(logits, new Int32Array([0, 0]), 3)); // 0
 * logits.dispose();
 * ```
 * @module
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import {
  type BatchSource,
  type LabeledBatch,
  type Labels,
  labelTensor,
  type PredictLogits,
} from "./types.ts";
import { checkInteger, checkRank } from "../_validate.ts";

/**
 * Whether each label is among the k highest logits (ties to the lower index, NaN rows wrong).
 *
 * @param logits float32 [N, K].
 * @param labels int32 [N] in [0, K).
 * @param k 1 ≤ k ≤ K.
 * @returns bool [N]; the caller disposes it.
 */
export function topKCorrect(logits: Tensor2D, labels: Labels, k: number): Tensor1D {
  checkRank(logits.shape, "logits", 2);
  const [n, numClasses] = logits.shape;
  checkInteger(k, "k", 1, numClasses);
  return tf.tidy(() => {
    const y = labelTensor(labels, n, numClasses);
    // gather with batchDims 1 picks z[i, y_i]; reshaped to a column [N, 1].
    const column = tf.reshape(tf.gather(logits, y, 1, 1), [n, 1]);
    const classIndex = tf.expandDims(tf.range(0, numClasses, 1, "int32"), 0);
    const above = tf.greater(logits, column);
    const tiedBefore = tf.logicalAnd(
      tf.equal(logits, column),
      tf.less(classIndex, tf.expandDims(y, 1)),
    );
    const rank = tf.sum(tf.cast(tf.logicalOr(above, tiedBefore), "int32"), 1);
    const hasNaN = tf.any(tf.isNaN(logits), 1);
    return tf.logicalAnd(tf.less(rank, k), tf.logicalNot(hasNaN)) as Tensor1D;
  });
}

/** Number of rows whose label is not in the top k (see {@link topKCorrect}). */
export function topKErrorCount(logits: Tensor2D, labels: Labels, k: number): number {
  const wrong = tf.tidy(() =>
    tf.sum(tf.cast(tf.logicalNot(topKCorrect(logits, labels, k)), "int32"))
  );
  const count = wrong.dataSync()[0];
  wrong.dispose();
  return count;
}

/** Fraction ∈ [0, 1] of rows whose label is not in the top k (NaN for an empty batch). */
export function topKErrorRate(logits: Tensor2D, labels: Labels, k: number): number {
  return topKErrorCount(logits, labels, k) / logits.shape[0];
}

/** Options of {@link evaluateTopKErrors}. */
export interface TopKErrorOptions {
  /** The k values to report, each in [1, numClasses]. Default `[1, 5]`. */
  readonly ks?: readonly number[];
}

/** Top-k errors over a whole set. */
export interface TopKErrors {
  /** Number of images seen. */
  readonly count: number;
  /** `errors[k]` = fraction of images whose label is not in the top k, for each requested k. */
  readonly errors: Readonly<Record<number, number>>;
}

/**
 * Top-k errors of a model over batches (one forward pass per batch, tidied).
 *
 * @example
 * ```ts
 * import { evaluateTopKErrors } from "./classification.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { errors } = await evaluateTopKErrors(model, testBatches);
 * console.log(`top-1 ${errors[1]}, top-5 ${errors[5]}`);
 * ```
 */
export async function evaluateTopKErrors(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: TopKErrorOptions = {},
): Promise<TopKErrors> {
  const ks = options.ks ?? [1, 5];
  if (ks.length === 0) throw new Error("options.ks must list at least one k, got []");
  for (const k of ks) checkInteger(k, "options.ks[]", 1);
  const wrong = new Map<number, number>(ks.map((k) => [k, 0]));
  let count = 0;
  for await (const batch of batches) {
    const logits = tf.tidy(() => predictLogits(batch.imagesNHWC));
    try {
      for (const k of ks) wrong.set(k, wrong.get(k)! + topKErrorCount(logits, batch.labels, k));
    } finally {
      logits.dispose();
    }
    count += batch.imagesNHWC.shape[0];
  }
  if (count === 0) throw new Error("batches must hold at least one image, got none");
  const errors: Record<number, number> = {};
  for (const k of ks) errors[k] = wrong.get(k)! / count;
  return { count, errors };
}
