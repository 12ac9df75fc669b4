/**
 * Expected calibration error and reliability diagrams (Guo et al., "On Calibration of Modern
 * Neural Networks", ICML 2017), as in the paper's calibration comparison.
 *
 * Confidence = the top-1 softmax probability; correct = the top-1 class (ties to the lower index)
 * equals the label. Confidences fall into M equal-width bins B_m = ((m − 1)/M, m/M], m = 1..M
 * (upper edge included, as in Guo et al.'s Eq. and the reference `_ECELoss` of
 * gpleiss/temperature_scaling); a confidence of exactly 0 goes to the first bin. Then
 *
 *     ECE = Σ_m (|B_m| / n) · |acc(B_m) − conf(B_m)|      (L1, M = 15 by default)
 *     MCE = max over non-empty m of |acc(B_m) − conf(B_m)|
 *
 * @example
 * ```ts
 * import { calibration } from "./calibration.ts";
 * const result = calibration([0.9, 0.6], [true, false], 15);
 * console.log(result.ece); // ½·|1 − 0.9| + ½·|0 − 0.6| = 0.35
 * console.log(result.bins[13]); // { lower: 13/15, upper: 14/15, count: 1, accuracy: 1, meanConfidence: 0.9 }
 * ```
 * @module
 */
import type { Tensor2D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { topKCorrect } from "./classification.ts";
import type { BatchSource, LabeledBatch, Labels, PredictLogits } from "./types.ts";
import { checkInteger, checkRank } from "../_validate.ts";

/** The paper's (and Guo et al.'s) number of bins. */
export const DEFAULT_CALIBRATION_BINS = 15;

/** One bar of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower edge (excluded, except 0 for the first bin). */
  readonly lower: number;
  /** Upper edge (included). */
  readonly upper: number;
  /** Number of samples in the bin. */
  readonly count: number;
  /** Fraction correct in the bin; null when empty. */
  readonly accuracy: number | null;
  /** Mean confidence in the bin; null when empty. */
  readonly meanConfidence: number | null;
}

/** Calibration of a set of predictions. */
export interface CalibrationResult {
  /** Number of samples. */
  readonly count: number;
  /** Expected calibration error ∈ [0, 1]. */
  readonly ece: number;
  /** Maximum calibration error over non-empty bins ∈ [0, 1]. */
  readonly mce: number;
  /** Overall accuracy. */
  readonly accuracy: number;
  /** Overall mean confidence. */
  readonly meanConfidence: number;
  /** The M bins, lowest first. */
  readonly bins: readonly ReliabilityBin[];
}

/**
 * ECE, MCE and reliability bins from confidences ∈ [0, 1] and correctness flags.
 *
 * @param numBins M ≥ 1; default 15.
 */
export function calibration(
  confidences: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  numBins: number = DEFAULT_CALIBRATION_BINS,
): CalibrationResult {
  checkInteger(numBins, "numBins", 1);
  const n = confidences.length;
  if (correct.length !== n) {
    throw new Error(`correct must have length ${n} (as confidences), got ${correct.length}`);
  }
  if (n === 0) throw new Error("confidences must not be empty, got 0 values");
  const edges = Array.from({ length: numBins + 1 }, (_, k) => k / numBins);
  const counts = new Float64Array(numBins);
  const confidenceSums = new Float64Array(numBins);
  const correctSums = new Float64Array(numBins);
  for (let i = 0; i < n; i++) {
    const c = confidences[i];
    if (!(c >= 0 && c <= 1)) throw new Error(`confidences[${i}] must be in [0, 1], got ${c}`);
    // The smallest bin m with c ≤ edges[m + 1], exact against the edges as stored.
    let m = Math.min(Math.max(Math.ceil(c * numBins) - 1, 0), numBins - 1);
    while (m > 0 && c <= edges[m]) m--;
    while (m < numBins - 1 && c > edges[m + 1]) m++;
    counts[m]++;
    confidenceSums[m] += c;
    correctSums[m] += correct[i] ? 1 : 0;
  }
  let ece = 0, mce = 0, totalConfidence = 0, totalCorrect = 0;
  const bins: ReliabilityBin[] = [];
  for (let m = 0; m < numBins; m++) {
    totalConfidence += confidenceSums[m];
    totalCorrect += correctSums[m];
    if (counts[m] === 0) {
      bins.push({
        lower: edges[m],
        upper: edges[m + 1],
        count: 0,
        accuracy: null,
        meanConfidence: null,
      });
      continue;
    }
    const accuracy = correctSums[m] / counts[m];
    const meanConfidence = confidenceSums[m] / counts[m];
    const gap = Math.abs(accuracy - meanConfidence);
    ece += (counts[m] / n) * gap;
    mce = Math.max(mce, gap);
    bins.push({ lower: edges[m], upper: edges[m + 1], count: counts[m], accuracy, meanConfidence });
  }
  return {
    count: n,
    ece,
    mce,
    accuracy: totalCorrect / n,
    meanConfidence: totalConfidence / n,
    bins,
  };
}

/** Top-1 confidences (max softmax) and correctness of one batch of logits. */
export function confidencesAndCorrectness(
  logits: Tensor2D,
  labels: Labels,
): { confidences: Float32Array; correct: Uint8Array } {
  checkRank(logits.shape, "logits", 2);
  const [confidence, correct] = tf.tidy(() => [
    tf.max(tf.softmax(logits), 1),
    tf.cast(topKCorrect(logits, labels, 1), "int32"),
  ]);
  const result = {
    confidences: confidence.dataSync() as Float32Array,
    correct: Uint8Array.from(correct.dataSync()),
  };
  tf.dispose([confidence, correct]);
  return result;
}

/** Every image's top-1 confidence and correctness, in order. */
export interface Predictions {
  /** max_k softmax(logits)_k per image (also the OOD score of ood.ts). */
  readonly confidences: Float32Array;
  /** 1 where the top-1 class is the label, else 0. */
  readonly correct: Uint8Array;
}

/**
 * The top-1 confidence and correctness of every image of a set, from one forward pass each:
 * what {@link calibration} takes, and (the confidences) the in-distribution scores of OOD
 * detection (`oodMetrics` in ood.ts), so one pass over a test set serves both.
 *
 * @example
 * ```ts
 * import { calibration, collectPredictions } from "./calibration.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { confidences, correct } = await collectPredictions(model, testBatches);
 * const { ece } = calibration(confidences, correct);
 * ```
 */
export async function collectPredictions(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
): Promise<Predictions> {
  const confidenceParts: Float32Array[] = [];
  const correctParts: Uint8Array[] = [];
  for await (const batch of batches) {
    const logits = tf.tidy(() => predictLogits(batch.imagesNHWC));
    try {
      const part = confidencesAndCorrectness(logits, batch.labels);
      confidenceParts.push(part.confidences);
      correctParts.push(part.correct);
    } finally {
      logits.dispose();
    }
  }
  const total = confidenceParts.reduce((sum, p) => sum + p.length, 0);
  const confidences = new Float32Array(total);
  const correct = new Uint8Array(total);
  let offset = 0;
  confidenceParts.forEach((part, i) => {
    confidences.set(part, offset);
    correct.set(correctParts[i], offset);
    offset += part.length;
  });
  return { confidences, correct };
}

/** Options of {@link evaluateCalibration}. */
export interface CalibrationOptions {
  /** Number of equal-width bins. Default 15. */
  readonly numBins?: number;
}

/**
 * ECE and reliability bins of a model over batches.
 *
 * @example
 * ```ts
 * import { evaluateCalibration } from "./calibration.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { ece, bins } = await evaluateCalibration(model, testBatches); // 15 bins
 * ```
 */
export async function evaluateCalibration(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: CalibrationOptions = {},
): Promise<CalibrationResult> {
  const numBins = options.numBins ?? DEFAULT_CALIBRATION_BINS;
  checkInteger(numBins, "options.numBins", 1);
  const { confidences, correct } = await collectPredictions(predictLogits, batches);
  if (confidences.length === 0) throw new Error("batches must hold at least one image, got none");
  return calibration(confidences, correct, numBins);
}
