/**
 * Soft targets: class indices or rows → smoothed rows, and the λ-weighted mix of two rows
 * ỹ = w·y_A + (1 − w)·y_B.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { targetsFromLabels, toSoftTargets } from "./targets.ts";
 * import { checkLabels } from "../_validate.ts";
 * const labels = tf.tensor1d([0, 2], "int32");
 * const rows = toSoftTargets(labels, 3, 0.1); // [[0.933, 0.033, 0.033], [0.033, 0.033, 0.933]]
 * // Sample 0 keeps 75% of its label and takes 25% of sample 1's, and vice versa:
 * const mixed = targetsFromLabels(
 *   checkLabels(labels, 2, 3),
 *   0,
 *   new Int32Array([1, 0]),
 *   new Float64Array([0.75, 0.75]),
 * ); // [[0.75, 0, 0.25], [0.25, 0, 0.75]]
 * tf.dispose([labels, rows, mixed]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { LabelInfo } from "../_validate.ts";

/**
 * Rows [N, K] from int32 class indices [N] (one-hot) or float32 rows [N, K] (kept), then label
 * smoothing ε: y·(1 − ε) + ε/K (timm's `off_value = ε/K`, `on_value = 1 − ε + ε/K`). Inputs are
 * assumed validated (see `checkLabels`).
 */
export function toSoftTargets(labels: Tensor, numClasses: number, smoothing = 0): Tensor2D {
  return tf.tidy(() => {
    const rows = labels.rank === 1
      ? numClasses === 1 // tf.oneHot refuses depth 1
        ? tf.ones([labels.shape[0], 1]) as Tensor2D
        : tf.cast(tf.oneHot(labels as Tensor1D, numClasses), "float32") as Tensor2D
      : labels.clone() as Tensor2D;
    if (smoothing === 0) return rows;
    return tf.add(tf.mul(rows, 1 - smoothing), smoothing / numClasses) as Tensor2D;
  });
}

/**
 * The mixed targets of a draw, computed JS-side in float64 from the labels' values (already read
 * by `checkLabels`) and rounded once to float32: row i = w_i·ŷ_i + (1 − w_i)·ŷ_{partners[i]}
 * with ŷ the smoothed label, ŷ = y·(1 − ε) + ε/K. Without `partners`, the smoothed labels
 * themselves. One small tensor is created; no kernel runs. Internal to lib/augment (mod.ts does
 * not export it): its input comes from the private `checkLabels`.
 */
export function targetsFromLabels(
  labels: LabelInfo,
  smoothing: number,
  partners?: Int32Array,
  weights?: Float64Array,
): Tensor2D {
  const k = labels.numClasses;
  const n = labels.kind === "indices" ? labels.values.length : labels.values.length / k;
  const rows = new Float64Array(n * k);
  const add = (row: number, sample: number, weight: number) => {
    if (weight === 0) return;
    if (labels.kind === "indices") {
      rows[row * k + labels.values[sample]] += weight;
    } else {
      for (let c = 0; c < k; c++) rows[row * k + c] += weight * labels.values[sample * k + c];
    }
  };
  for (let i = 0; i < n; i++) {
    const w = weights === undefined ? 1 : weights[i];
    add(i, i, w);
    if (partners !== undefined) add(i, partners[i], 1 - w);
  }
  if (smoothing > 0) {
    for (let j = 0; j < rows.length; j++) rows[j] = rows[j] * (1 - smoothing) + smoothing / k;
  }
  return tf.tensor2d(Float32Array.from(rows), [n, k]);
}
