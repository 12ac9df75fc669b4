/**
 * Out-of-distribution detection with the maximum-softmax-probability baseline (Hendrycks & Gimpel,
 * ICLR 2017), as in the paper's Table 12 (after ODIN, Liang et al., ICLR 2018).
 *
 * Score s(x) = max_k softmax(f(x))_k. In-distribution is the positive class, and x is called
 * in-distribution when s(x) ≥ t. For a threshold t:
 * TPR(t) = |{in : s ≥ t}| / |in|, TNR(t) = |{out : s < t}| / |out|. Every metric below is exact
 * over all distinct thresholds (no grid of 10⁵ steps as in ODIN's `calMetric.py`):
 * - `tnrAtTpr95`: TNR at the largest threshold whose TPR ≥ 0.95 (i.e. t = the ⌈0.95·|in|⌉-th
 *   largest in-distribution score).
 * - `auroc`: the Mann–Whitney statistic P(s_in > s_out) + ½·P(s_in = s_out), equal to the
 *   trapezoidal area under the ROC curve with tied scores joined by a straight segment.
 * - `detectionAccuracy`: max over t (including t = +∞) of ½·(TPR(t) + TNR(t)). This is
 *   1 − ODIN's "detection error" min_δ ½·(P_in(s < δ) + P_out(s > δ)) (facebookresearch/odin,
 *   `code/calMetric.py`, `detection`), which assumes equal priors of in- and out-of-distribution
 *   samples; the same quantity is Lee et al.'s (NeurIPS 2018) "detection accuracy".
 * - `auprIn` / `auprOut`: average precision Σ_k (R_k − R_{k−1})·P_k over distinct thresholds
 *   (scikit-learn's `average_precision_score`), with in-distribution (score s) or
 *   out-of-distribution (score −s) as the positive class.
 *
 * @example
 * ```ts
 * import { oodMetrics } from "./ood.ts";
 * const m = oodMetrics([0.9, 0.8, 0.7, 0.6], [0.75, 0.5, 0.6]);
 * console.log(m.auroc); // 9.5 / 12
 * console.log(m.detectionAccuracy); // 0.75 (t = 0.8: TPR 0.5, TNR 1)
 * ```
 * @module
 */
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { BatchSource, PredictLogits } from "./types.ts";
import { checkNumber, checkRank } from "../_validate.ts";

/** max_k softmax(logits)_k per row: float32 [N]. The caller disposes the result. */
export function maxSoftmaxProbability(logits: Tensor2D): Tensor1D {
  checkRank(logits.shape, "logits", 2);
  return tf.tidy(() => tf.max(tf.softmax(logits), 1) as Tensor1D);
}

/** OOD detection metrics, in-distribution = positive. */
export interface OodMetrics {
  /** Number of in-distribution scores. */
  readonly inCount: number;
  /** Number of out-of-distribution scores. */
  readonly outCount: number;
  /** TNR at the largest threshold with TPR ≥ `tpr` (0.95 unless asked otherwise). */
  readonly tnrAtTpr95: number;
  /** Area under the ROC curve, ties counted ½. */
  readonly auroc: number;
  /** max_t ½·(TPR + TNR). */
  readonly detectionAccuracy: number;
  /** Average precision with in-distribution positive. */
  readonly auprIn: number;
  /** Average precision with out-of-distribution positive (score −s). */
  readonly auprOut: number;
}

/** Options of {@link oodMetrics}. */
export interface OodMetricOptions {
  /** The TPR level of `tnrAtTpr95`. Default 0.95. */
  readonly tpr?: number;
}

/**
 * Counts after each distinct score, highest first: `tp[k]`, `fp[k]` = positives / negatives with
 * score ≥ the k-th distinct value.
 */
function sweep(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
): { tp: number[]; fp: number[] } {
  const n = positive.length + negative.length;
  const scores = new Float64Array(n);
  const isPositive = new Uint8Array(n);
  for (let i = 0; i < positive.length; i++) {
    scores[i] = positive[i];
    isPositive[i] = 1;
  }
  for (let i = 0; i < negative.length; i++) scores[positive.length + i] = negative[i];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) {
      const which = i < positive.length ? `positive[${i}]` : `negative[${i - positive.length}]`;
      throw new Error(`scores must not be NaN, got NaN at ${which}`);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    scores[b] > scores[a] ? 1 : scores[b] < scores[a] ? -1 : 0
  );
  const tp: number[] = [];
  const fp: number[] = [];
  let truePositives = 0, falsePositives = 0;
  for (let i = 0; i < n;) {
    const value = scores[order[i]];
    while (i < n && scores[order[i]] === value) {
      if (isPositive[order[i]]) truePositives++;
      else falsePositives++;
      i++;
    }
    tp.push(truePositives);
    fp.push(falsePositives);
  }
  return { tp, fp };
}

/** Average precision Σ (R_k − R_{k−1})·P_k of `positive` against `negative` (higher = positive). */
function averagePrecision(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  const { tp, fp } = sweep(positive, negative);
  let ap = 0, previousTp = 0;
  for (let k = 0; k < tp.length; k++) {
    if (tp[k] > previousTp) {
      ap += ((tp[k] - previousTp) / positive.length) * (tp[k] / (tp[k] + fp[k]));
    }
    previousTp = tp[k];
  }
  return ap;
}

/**
 * OOD detection metrics from scores (higher = more in-distribution), exact over all thresholds.
 *
 * @param inScores scores of in-distribution samples (positives), e.g. max softmax probabilities.
 * @param outScores scores of out-of-distribution samples.
 */
export function oodMetrics(
  inScores: ArrayLike<number>,
  outScores: ArrayLike<number>,
  options: OodMetricOptions = {},
): OodMetrics {
  const tprLevel = options.tpr ?? 0.95;
  checkNumber(tprLevel, "options.tpr", 0, 1);
  const nIn = inScores.length, nOut = outScores.length;
  if (nIn === 0) throw new Error("inScores must not be empty, got 0 scores");
  if (nOut === 0) throw new Error("outScores must not be empty, got 0 scores");
  const { tp, fp } = sweep(inScores, outScores);
  let tnrAtTpr = NaN;
  let detection = 0.5; // t = +∞: TPR 0, TNR 1
  let area = 0; // Σ over in-scores of #{out below} + ½ #{out equal}
  let previousTp = 0, previousFp = 0;
  for (let k = 0; k < tp.length; k++) {
    const tpr = tp[k] / nIn;
    const tnr = 1 - fp[k] / nOut;
    if (Number.isNaN(tnrAtTpr) && tpr >= tprLevel) tnrAtTpr = tnr;
    detection = Math.max(detection, 0.5 * (tpr + tnr));
    const inHere = tp[k] - previousTp, outHere = fp[k] - previousFp;
    area += inHere * (nOut - fp[k]) + 0.5 * inHere * outHere;
    previousTp = tp[k];
    previousFp = fp[k];
  }
  const negated = (scores: ArrayLike<number>) => Float64Array.from(scores, (s) => -s);
  return {
    inCount: nIn,
    outCount: nOut,
    tnrAtTpr95: tnrAtTpr,
    auroc: area / (nIn * nOut),
    detectionAccuracy: detection,
    auprIn: averagePrecision(inScores, outScores),
    auprOut: averagePrecision(negated(outScores), negated(inScores)),
  };
}

/** A batch of images without labels (a {@link LabeledBatch} also fits). */
export interface ImageBatch {
  /** float32 [N, H, W, C] in [0, 1]. */
  readonly imagesNHWC: Tensor4D;
}

/** The maximum softmax probability of every image of a set, in order. */
export async function collectMaxSoftmax(
  predictLogits: PredictLogits,
  batches: BatchSource<ImageBatch>,
): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const batch of batches) {
    const scores = tf.tidy(() => maxSoftmaxProbability(predictLogits(batch.imagesNHWC)));
    parts.push(scores.dataSync() as Float32Array);
    scores.dispose();
  }
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Baseline (max softmax probability) OOD detection of a model: in-distribution test batches
 * against one out-of-distribution set.
 *
 * @example
 * ```ts
 * import { evaluateOod, type ImageBatch } from "./ood.ts";
 * import type { PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const cifarTest: Iterable<ImageBatch>, uniformNoise: Iterable<ImageBatch>;
 * const { tnrAtTpr95, auroc, detectionAccuracy } = await evaluateOod(model, cifarTest, uniformNoise);
 * ```
 */
export async function evaluateOod(
  predictLogits: PredictLogits,
  inBatches: BatchSource<ImageBatch>,
  outBatches: BatchSource<ImageBatch>,
  options: OodMetricOptions = {},
): Promise<OodMetrics> {
  const inScores = await collectMaxSoftmax(predictLogits, inBatches);
  const outScores = await collectMaxSoftmax(predictLogits, outBatches);
  return oodMetrics(inScores, outScores, options);
}
