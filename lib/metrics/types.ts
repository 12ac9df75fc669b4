/**
 * What every metric in lib/metrics consumes: a model as a plain function from images to logits,
 * and labelled batches from any (async) iterable.
 *
 * Batch ownership: a metric never disposes a batch it is given. A batch must stay valid until the
 * metric asks the source for the next one, so a generator that builds tensors lazily may dispose
 * each batch right after its `yield` returns (see {@link sliceBatches}).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { sliceBatches } from "./types.ts";
 * const images = tf.zeros([10, 4, 4, 3]) as import("@tensorflow/tfjs-core").Tensor4D;
 * const labels = new Int32Array(10);
 * for (const batch of sliceBatches(images, labels, 4)) console.log(batch.imagesNHWC.shape[0]); // 4 4 2
 * images.dispose();
 * ```
 * @module
 */
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { checkInteger, checkRank } from "../_validate.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { ImageDataset } from "../data/dataset.ts";

/**
 * A model in inference mode: float32 NHWC images in [0, 1] → logits [N, numClasses]. Models
 * normalise internally. It must be differentiable with respect to its input for FGSM and must not
 * update state (batch-norm statistics, dropout): pass `{ training: false }` to the model.
 */
export type PredictLogits = (imagesNHWC: Tensor4D) => Tensor2D;

/** Class labels: int32 [N] class indices, as a tensor or a typed array. */
export type Labels = Tensor1D | Int32Array;

/** One batch of images with their class labels. */
export interface LabeledBatch {
  /** float32 [N, H, W, C] in [0, 1]. */
  readonly imagesNHWC: Tensor4D;
  /** int32 [N] class indices. */
  readonly labels: Labels;
}

/** Where a metric reads its batches from: an array, a generator, or an async stream. */
export type BatchSource<T = LabeledBatch> = Iterable<T> | AsyncIterable<T>;

/**
 * Labels as an int32 [N] tensor owned by the caller of this function (dispose it), validated
 * against the batch size `n` (and, for typed arrays, against `numClasses` when given).
 */
export function labelTensor(labels: Labels, n: number, numClasses?: number): Tensor1D {
  if (labels instanceof Int32Array) {
    if (labels.length !== n) {
      throw new Error(`labels must have length ${n} (the batch size), got ${labels.length}`);
    }
    if (numClasses !== undefined) {
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= numClasses) {
          throw new Error(`labels[${i}] must be in [0, ${numClasses}), got ${labels[i]}`);
        }
      }
    }
    return tf.tensor1d(labels, "int32");
  }
  checkRank(labels.shape, "labels", 1);
  if (labels.shape[0] !== n) {
    throw new Error(`labels must have length ${n} (the batch size), got ${labels.shape[0]}`);
  }
  return labels.dtype === "int32" ? tf.clone(labels) : tf.cast(labels, "int32");
}

/** Labels as an Int32Array (downloads a tensor synchronously). */
export function labelArray(labels: Labels): Int32Array {
  if (labels instanceof Int32Array) return labels;
  checkRank(labels.shape, "labels", 1);
  return Int32Array.from(labels.dataSync());
}

/**
 * Slices one big batch into batches of at most `batchSize` images. Each yielded slice is disposed
 * when the consumer asks for the next one (or stops early).
 */
export function* sliceBatches(
  imagesNHWC: Tensor4D,
  labels: Labels,
  batchSize: number,
): Generator<LabeledBatch> {
  checkRank(imagesNHWC.shape, "imagesNHWC", 4);
  checkInteger(batchSize, "batchSize", 1);
  const n = imagesNHWC.shape[0];
  const labelsArray = labelArray(labels);
  if (labelsArray.length !== n) {
    throw new Error(`labels must have length ${n} (the batch size), got ${labelsArray.length}`);
  }
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const slice = tf.slice(imagesNHWC, [start, 0, 0, 0], [size, -1, -1, -1]);
    try {
      yield { imagesNHWC: slice, labels: labelsArray.subarray(start, start + size) };
    } finally {
      slice.dispose();
    }
  }
}

/**
 * Batches of an {@link ImageDataset} in order, bytes turned into float32 [0, 1] images. Each batch
 * is disposed when the consumer asks for the next one (or stops early).
 *
 * @example
 * ```ts
 * import { datasetBatches } from "./types.ts";
 * import type { ImageDataset } from "../data/dataset.ts";
 * declare const testSet: ImageDataset;
 * for (const batch of datasetBatches(testSet, 256)) {
 *   // batch.imagesNHWC: [≤256, 32, 32, 3] float32 in [0, 1]
 * }
 * ```
 */
export function* datasetBatches(
  dataset: ImageDataset,
  batchSize: number,
): Generator<LabeledBatch> {
  checkInteger(batchSize, "batchSize", 1);
  const { height, width, channels } = dataset;
  const n = dataset.labels.length;
  const imageBytes = height * width * channels;
  if (dataset.pixelsNHWC.length !== n * imageBytes) {
    throw new Error(
      `dataset.pixelsNHWC must hold ${n} × ${height} × ${width} × ${channels} = ` +
        `${n * imageBytes} bytes, got ${dataset.pixelsNHWC.length}`,
    );
  }
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const bytes = dataset.pixelsNHWC.subarray(start * imageBytes, (start + size) * imageBytes);
    const images = tf.tidy(() =>
      tf.div(tf.tensor4d(Float32Array.from(bytes), [size, height, width, channels]), 255)
    ) as Tensor4D;
    try {
      yield { imagesNHWC: images, labels: dataset.labels.subarray(start, start + size) };
    } finally {
      images.dispose();
    }
  }
}
