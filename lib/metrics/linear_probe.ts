/**
 * Linear evaluation of frozen features (the standard "linear probe" protocol): pool a network's
 * last feature map into one vector per image, then fit only a softmax-regression classifier on a
 * training split and score it on a held-out split. Better features ⇒ lower probe error. Notebook 07
 * uses it as the offline analogue of the paper's Table 10 (transfer of pretrained backbones).
 *
 * The math. With training features X ∈ ℝ^{N×D}, labels y ∈ {0..K−1}^N:
 *
 *     μ = mean(X, rows),  s = sqrt(var(X, rows) + ε)        (fitted on the TRAINING split only)
 *     Z = (X − μ) / s                                          (test features use the same μ, s)
 *     logits = Z W + b,   W ∈ ℝ^{D×K}, b ∈ ℝ^K, both initialised to 0
 *     loss(W, b) = mean_i CE(softmax(logits_i), onehot(y_i)) + (l2 / 2) · ‖W‖²   (b not penalised)
 *
 * minimised for a fixed number of steps with Adam (default) or plain SGD, full-batch by default.
 * The problem is convex and the start is fixed, so full-batch training is deterministic; with
 * mini-batches the batch order comes from `Random(seed)`, so a seed fixes the result too.
 * Predictions are the top-1 class with ties toward the lower index and a NaN row counting as wrong,
 * as everywhere in lib/metrics.
 *
 * @example
 * ```ts
 * import { extractFeatures, inferenceFeatures, linearProbe } from "./linear_probe.ts";
 * import { datasetBatches } from "./types.ts";
 * import type { FeatureClassifier } from "./adapters.ts";
 * import type { ImageDataset } from "../data/dataset.ts";
 * declare const model: FeatureClassifier;
 * declare const fitSet: ImageDataset, heldOutSet: ImageDataset;
 * const train = await extractFeatures(inferenceFeatures(model), datasetBatches(fitSet, 250));
 * const test = await extractFeatures(inferenceFeatures(model), datasetBatches(heldOutSet, 250));
 * const { testError } = linearProbe(train.features, train.labels, test.features, test.labels, {
 *   numClasses: 10,
 *   steps: 500,
 * });
 * train.features.dispose();
 * test.features.dispose();
 * console.log(`probe error ${(100 * testError).toFixed(2)}%`);
 * ```
 * @module
 */
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.ts";
import type { FeatureClassifier } from "./adapters.ts";
import { type BatchSource, labelArray, type LabeledBatch, type Labels } from "./types.ts";
import { checkInteger, checkNumber, checkRank } from "../_validate.ts";

/**
 * A frozen feature extractor in inference mode: float32 NHWC images in [0, 1] → either a feature
 * map [N, H, W, C] (pooled by {@link extractFeatures} as a spatial mean) or already-pooled
 * features [N, C]. The caller of the closure owns the returned tensor.
 */
export type FeatureExtractor = (imagesNHWC: Tensor4D) => Tensor4D | Tensor2D;

/** Pooled features of a whole set, with the labels of its batches in the same order. */
export interface ExtractedFeatures {
  /** float32 [N, C]; the caller disposes it. */
  readonly features: Tensor2D;
  /** int32 [N] class indices, concatenated from the batches. */
  readonly labels: Int32Array;
}

/** Options of {@link linearProbe}; every field is optional. */
export interface LinearProbeOptions {
  /** K, the number of classes (≥ 2). Default: 1 + the largest label in either split. */
  readonly numClasses?: number;
  /** Optimisation steps (parameter updates), an integer ≥ 1. Default {@link DEFAULT_PROBE_STEPS}. */
  readonly steps?: number;
  /** Step size, > 0. Default {@link DEFAULT_PROBE_LEARNING_RATE} (0.05, tuned for Adam). */
  readonly learningRate?: number;
  /** `"adam"` (β₁ 0.9, β₂ 0.999, TF.js's ε) or `"sgd"` (plain gradient descent). Default `"adam"`. */
  readonly optimizer?: "adam" | "sgd";
  /**
   * Examples per step, an integer in [1, N]. Default N (full batch). With a mini-batch, each epoch
   * visits a fresh `Random(seed)` permutation in consecutive chunks; a remainder smaller than
   * `batchSize` is skipped and a new permutation drawn.
   */
  readonly batchSize?: number;
  /** L2 penalty coefficient on W (not b), ≥ 0: adds (l2 / 2)·‖W‖² to the loss. Default 0. */
  readonly l2?: number;
  /** Standardise features with the training split's mean and standard deviation. Default true. */
  readonly standardize?: boolean;
  /** Seed of the mini-batch order (unused at full batch). Default 0. */
  readonly seed?: number;
}

/** What {@link linearProbe} measured. */
export interface LinearProbeResult {
  /** Top-1 error on the test split ∈ [0, 1]. */
  readonly testError: number;
  /** Top-1 error on the training split ∈ [0, 1]. */
  readonly trainError: number;
  /** Mean cross-entropy on the whole training split after training (without the L2 term). */
  readonly trainLoss: number;
  /** Predicted class of each test example (−1 for a row with a NaN logit). */
  readonly testPredictions: Int32Array;
  /** The fitted weights W, row-major [D, K], acting on standardised features. */
  readonly weights: Float32Array;
  /** The fitted bias b [K]. */
  readonly bias: Float32Array;
  /** K. */
  readonly numClasses: number;
}

/** Optimisation steps when {@link LinearProbeOptions.steps} is not given. */
export const DEFAULT_PROBE_STEPS = 500;
/** Learning rate when {@link LinearProbeOptions.learningRate} is not given. */
export const DEFAULT_PROBE_LEARNING_RATE = 0.05;
/** ε added to each feature's variance before the square root when standardising. */
export const PROBE_STANDARDIZE_EPSILON = 1e-6;

/**
 * `x => featuresNHWC` of a lib/models-shaped classifier in inference mode (`training: false`);
 * the logits are disposed at once.
 */
export function inferenceFeatures(model: FeatureClassifier): FeatureExtractor {
  return (imagesNHWC) => {
    const { logits, featuresNHWC } = model.forward(imagesNHWC, { training: false });
    logits.dispose();
    return featuresNHWC;
  };
}

/**
 * Runs `forwardFeatures` over every batch and returns the spatially mean-pooled features [N, C]
 * (a rank-2 output is taken as already pooled) with the batches' labels. Batches are not disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { extractFeatures } from "./linear_probe.ts";
 * import { sliceBatches } from "./types.ts";
 * const images = tf.ones([5, 4, 4, 3]) as import("@tensorflow/tfjs-core").Tensor4D;
 * const { features, labels } = await extractFeatures(
 *   (x) => tf.mul(x, 2) as import("@tensorflow/tfjs-core").Tensor4D,
 *   sliceBatches(images, new Int32Array(5), 2),
 * );
 * console.log(features.shape, labels.length); // [5, 3] 5 (every feature 2)
 * tf.dispose([images, features]);
 * ```
 */
export async function extractFeatures(
  forwardFeatures: FeatureExtractor,
  batches: BatchSource<LabeledBatch>,
): Promise<ExtractedFeatures> {
  if (typeof forwardFeatures !== "function") {
    throw new Error(`forwardFeatures must be a function, got ${typeof forwardFeatures}`);
  }
  const parts: Tensor2D[] = [];
  const labelParts: Int32Array[] = [];
  try {
    for await (const batch of batches) {
      checkRank(batch.imagesNHWC.shape, "batch.imagesNHWC", 4);
      const n = batch.imagesNHWC.shape[0];
      const labels = labelArray(batch.labels);
      if (labels.length !== n) {
        throw new Error(
          `batch.labels must have length ${n} (the batch size), got ${labels.length}`,
        );
      }
      const pooled = tf.tidy(() => {
        const out = forwardFeatures(batch.imagesNHWC);
        if (out.rank !== 2 && out.rank !== 4) {
          throw new Error(
            `forwardFeatures must return rank 4 [N, H, W, C] or rank 2 [N, C], got shape ` +
              `[${out.shape.join(", ")}]`,
          );
        }
        if (out.shape[0] !== n) {
          throw new Error(
            `forwardFeatures must return ${n} rows (the batch size), got shape [${
              out.shape.join(", ")
            }]`,
          );
        }
        const pooled = out.rank === 4 ? tf.mean(out, [1, 2]) : out;
        return tf.cast(pooled, "float32") as Tensor2D;
      });
      if (parts.length > 0 && pooled.shape[1] !== parts[0].shape[1]) {
        const width = pooled.shape[1];
        pooled.dispose();
        throw new Error(
          `forwardFeatures must return the same number of channels for every batch, got ` +
            `${parts[0].shape[1]} then ${width}`,
        );
      }
      parts.push(pooled);
      labelParts.push(Int32Array.from(labels));
    }
    if (parts.length === 0) throw new Error("batches must yield at least one batch, got none");
    const features = parts.length === 1 ? tf.clone(parts[0]) : tf.concat(parts) as Tensor2D;
    const total = labelParts.reduce((sum, part) => sum + part.length, 0);
    const labels = new Int32Array(total);
    let offset = 0;
    for (const part of labelParts) {
      labels.set(part, offset);
      offset += part.length;
    }
    return { features, labels };
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Fits a softmax-regression probe on (`trainFeatures`, `trainLabels`) and scores it on both
 * splits (see the module doc for the exact objective). Inputs are not disposed or mutated; no
 * tensor outlives the call.
 *
 * @param trainFeatures float32 [N, D], N ≥ 1, finite.
 * @param trainLabels int32 [N] class indices in [0, K).
 * @param testFeatures float32 [M, D], M ≥ 1, finite.
 * @param testLabels int32 [M] class indices in [0, K).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { linearProbe } from "./linear_probe.ts";
 * const x = tf.tensor2d([[-2], [-1], [1], [2]]);
 * const y = new Int32Array([0, 0, 1, 1]);
 * const { testError, trainError } = linearProbe(x, y, x, y, { steps: 50 });
 * console.log(trainError, testError); // 0 0
 * x.dispose();
 * ```
 */
export function linearProbe(
  trainFeatures: Tensor2D,
  trainLabels: Labels,
  testFeatures: Tensor2D,
  testLabels: Labels,
  options: LinearProbeOptions = {},
): LinearProbeResult {
  checkRank(trainFeatures.shape, "trainFeatures", 2);
  checkRank(testFeatures.shape, "testFeatures", 2);
  const [n, d] = trainFeatures.shape;
  const m = testFeatures.shape[0];
  if (n < 1) throw new Error(`trainFeatures must have at least one row, got ${n}`);
  if (m < 1) throw new Error(`testFeatures must have at least one row, got ${m}`);
  if (d < 1) throw new Error(`trainFeatures must have at least one column, got ${d}`);
  if (testFeatures.shape[1] !== d) {
    throw new Error(
      `testFeatures must have ${d} columns (as trainFeatures), got ${testFeatures.shape[1]}`,
    );
  }
  const yTrain = labelArray(trainLabels);
  const yTest = labelArray(testLabels);
  if (yTrain.length !== n) {
    throw new Error(`trainLabels must have length ${n} (trainFeatures rows), got ${yTrain.length}`);
  }
  if (yTest.length !== m) {
    throw new Error(`testLabels must have length ${m} (testFeatures rows), got ${yTest.length}`);
  }
  let maxLabel = -1;
  for (const [name, labels] of [["trainLabels", yTrain], ["testLabels", yTest]] as const) {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0) throw new Error(`${name}[${i}] must be >= 0, got ${labels[i]}`);
      maxLabel = Math.max(maxLabel, labels[i]);
    }
  }
  const numClasses = options.numClasses ?? Math.max(2, maxLabel + 1);
  checkInteger(numClasses, "options.numClasses", 2);
  for (const [name, labels] of [["trainLabels", yTrain], ["testLabels", yTest]] as const) {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] >= numClasses) {
        throw new Error(`${name}[${i}] must be in [0, ${numClasses}), got ${labels[i]}`);
      }
    }
  }
  const steps = options.steps ?? DEFAULT_PROBE_STEPS;
  checkInteger(steps, "options.steps", 1);
  const learningRate = options.learningRate ?? DEFAULT_PROBE_LEARNING_RATE;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new Error(`options.learningRate must be a finite number > 0, got ${learningRate}`);
  }
  const optimizerName = options.optimizer ?? "adam";
  if (optimizerName !== "adam" && optimizerName !== "sgd") {
    throw new Error(`options.optimizer must be "adam" or "sgd", got ${String(optimizerName)}`);
  }
  const batchSize = options.batchSize ?? n;
  checkInteger(batchSize, "options.batchSize", 1, n);
  const l2 = options.l2 ?? 0;
  checkNumber(l2, "options.l2", 0, Number.MAX_VALUE);
  const standardize = options.standardize ?? true;
  if (typeof standardize !== "boolean") {
    throw new Error(`options.standardize must be a boolean, got ${String(standardize)}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`options.seed must be a safe integer, got ${seed}`);
  }
  for (
    const [name, x] of [["trainFeatures", trainFeatures], ["testFeatures", testFeatures]] as const
  ) {
    const finite = tf.tidy(() => tf.all(tf.isFinite(x)).dataSync()[0]);
    if (!finite) throw new Error(`${name} must be finite, got a NaN or infinite entry`);
  }

  // Standardisation fitted on the training split only, applied to both.
  const [zTrain, zTest] = tf.tidy(() => {
    const xTrain = tf.cast(trainFeatures, "float32");
    const xTest = tf.cast(testFeatures, "float32");
    if (!standardize) return [tf.clone(xTrain), tf.clone(xTest)] as Tensor2D[];
    const { mean, variance } = tf.moments(xTrain, 0);
    const std = tf.sqrt(tf.add(variance, PROBE_STANDARDIZE_EPSILON));
    return [tf.div(tf.sub(xTrain, mean), std), tf.div(tf.sub(xTest, mean), std)] as Tensor2D[];
  });
  const oneHotTrain = tf.tidy(() => tf.oneHot(tf.tensor1d(yTrain, "int32"), numClasses));
  const [w, b] = [[d, numClasses], [numClasses]].map((shape) => {
    const zeros = tf.zeros(shape);
    const variable = tf.variable(zeros, true, undefined, "float32");
    zeros.dispose(); // the variable holds its own reference to the data
    return variable;
  });
  const optimizer = optimizerName === "adam"
    ? tf.train.adam(learningRate)
    : tf.train.sgd(learningRate);
  try {
    const objective = (z: Tensor2D, target: Tensor2D) => () => {
      const logits = tf.add(tf.matMul(z, w), b);
      const ce = tf.losses.softmaxCrossEntropy(target, logits);
      return (l2 > 0 ? tf.add(ce, tf.mul(l2 / 2, tf.sum(tf.square(w)))) : ce) as never;
    };
    if (batchSize === n) {
      const loss = objective(zTrain, oneHotTrain as Tensor2D);
      for (let step = 0; step < steps; step++) optimizer.minimize(loss, false, [w, b]);
    } else {
      const rng = new Random(seed);
      let order = rng.permutation(n);
      let cursor = 0;
      for (let step = 0; step < steps; step++) {
        if (cursor + batchSize > n) {
          order = rng.permutation(n);
          cursor = 0;
        }
        const indices = order.subarray(cursor, cursor + batchSize);
        cursor += batchSize;
        tf.tidy(() => {
          const index = tf.tensor1d(indices, "int32");
          const z = tf.gather(zTrain, index) as Tensor2D;
          const target = tf.gather(oneHotTrain, index) as Tensor2D;
          optimizer.minimize(objective(z, target), false, [w, b]);
        });
      }
    }
    const [trainLogits, testLogits, trainLoss] = tf.tidy(() => {
      const trainLogits = tf.add(tf.matMul(zTrain, w), b);
      const testLogits = tf.add(tf.matMul(zTest, w), b);
      const loss = tf.losses.softmaxCrossEntropy(oneHotTrain, trainLogits);
      return [trainLogits.dataSync(), testLogits.dataSync(), loss.dataSync()[0]] as const;
    });
    const trainPredictions = top1(trainLogits as Float32Array, n, numClasses);
    const testPredictions = top1(testLogits as Float32Array, m, numClasses);
    return {
      testError: errorRate(testPredictions, yTest),
      trainError: errorRate(trainPredictions, yTrain),
      trainLoss,
      testPredictions,
      weights: Float32Array.from(w.dataSync()),
      bias: Float32Array.from(b.dataSync()),
      numClasses,
    };
  } finally {
    tf.dispose([zTrain, zTest, oneHotTrain, w, b]);
    optimizer.dispose();
  }
}

/** Row-wise argmax of row-major [rows, k] logits; ties to the lower index, a NaN row → −1. */
function top1(logits: Float32Array, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestValue = logits[i * k];
    let hasNaN = Number.isNaN(bestValue);
    for (let j = 1; j < k; j++) {
      const value = logits[i * k + j];
      if (Number.isNaN(value)) hasNaN = true;
      else if (value > bestValue) {
        best = j;
        bestValue = value;
      }
    }
    out[i] = hasNaN ? -1 : best;
  }
  return out;
}

function errorRate(predictions: Int32Array, labels: Int32Array): number {
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] !== labels[i]) wrong++;
  return wrong / labels.length;
}
