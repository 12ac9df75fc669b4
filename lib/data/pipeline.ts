/**
 * The input pipeline: seeded, resumable shuffling; batching; the baseline augmentations (random
 * crop with zero padding 4, horizontal flip) on the fly; evaluation batches in order.
 *
 * A batch is `{ imagesNHWC, labels, indices }`: float32 [B, H, W, C] pixels in [0, 1] (the
 * models normalise internally), int32 [B] class indices, and the dataset indices they came from.
 * The caller owns the tensors and disposes them.
 *
 * Epoch `k`'s order is `Random.derive(seed, "shuffle", k).permutation(N)` and batch `b`'s
 * augmentation draws come from `Random.derive(seed, "augment", k, b)`: both are pure functions
 * of their arguments, so a run resumed at epoch k (or at batch b of it, `startBatch`) sees
 * exactly the batches an uninterrupted run would.
 *
 * Bytes become floats through a 256-entry lookup table (`byte / 255` as float32) into one
 * Float32Array and a single `tf.tensor4d`: no intermediate tensors.
 *
 * @example
 * ```ts
 * import { trainBatches, evalBatches } from "./pipeline.ts";
 * import { loadCifar } from "./cifar.ts";
 * const train = await loadCifar("cifar10", "train");
 * for (const batch of trainBatches(train, { batchSize: 128, seed: 0, epoch: 0 })) {
 *   // … train on batch.imagesNHWC, batch.labels …
 *   batch.imagesNHWC.dispose();
 *   batch.labels.dispose();
 * }
 * ```
 * @module
 */
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { Random, type Seed } from "../random.ts";
import {
  BASELINE_DEFAULTS,
  randomCropWithPadding,
  randomHorizontalFlip,
} from "../augment/baseline.ts";
import { datasetSize, type ImageDataset } from "./dataset.ts";
import { imageBytes } from "./subset.ts";
import { checkInteger, checkPositiveInteger, checkProbability } from "../_validate.ts";

/** One batch. Tensors are owned by the caller. */
export interface Batch {
  /** float32 [B, H, W, C] in [0, 1]. */
  readonly imagesNHWC: Tensor4D;
  /** int32 [B] class indices. */
  readonly labels: Tensor1D;
  /** Index in the dataset of each image of the batch. */
  readonly indices: Int32Array;
}

/**
 * A per-batch image augmentation: takes [0, 1] NHWC images and a random stream, returns new
 * images of the same shape (must not dispose its input).
 */
export type ImageAugment = (imagesNHWC: Tensor4D, rng: Random) => Tensor4D;

/** Options of {@link trainBatches}. */
export interface TrainBatchOptions {
  /** Images per batch, a positive integer. */
  readonly batchSize: number;
  /** The run's seed; with `epoch` it fixes the order and the augmentation draws. */
  readonly seed: Seed;
  /** Which epoch (integer ≥ 0): epoch k's order does not depend on earlier epochs running. */
  readonly epoch: number;
  /** Shuffle (default true); false keeps the dataset's order. */
  readonly shuffle?: boolean;
  /** Drop the last batch when it has fewer than `batchSize` images (default false: keep it). */
  readonly dropRemainder?: boolean;
  /**
   * `"baseline"` (default): random crop with `padding` zero pixels then horizontal flip with
   * probability `flipProbability`, as in the CIFAR baselines the paper builds on;
   * `"none"`; or a custom {@link ImageAugment}.
   */
  readonly augment?: "baseline" | "none" | ImageAugment;
  /** Zero padding of the baseline random crop, in pixels (default 4). */
  readonly padding?: number;
  /** Probability of the baseline horizontal flip, ∈ [0, 1] (default 0.5). */
  readonly flipProbability?: number;
  /** Start at this batch of the epoch (resume mid-epoch; default 0). */
  readonly startBatch?: number;
}

const BYTE_TO_UNIT = new Float32Array(256).map((_, byte) => byte / 255);

function checkDataset(dataset: ImageDataset): void {
  const n = datasetSize(dataset);
  if (dataset.pixelsNHWC.length !== n * imageBytes(dataset)) {
    throw new Error(
      `dataset ${dataset.name}: pixelsNHWC has ${dataset.pixelsNHWC.length} bytes, expected ` +
        `${n} × ${dataset.height} × ${dataset.width} × ${dataset.channels}`,
    );
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new Error(`epoch must be an integer >= 0, got ${epoch}`);
  }
}

/** Number of batches in an epoch of `size` images. */
export function numBatches(size: number, batchSize: number, dropRemainder = false): number {
  checkPositiveInteger(batchSize, "batchSize");
  return dropRemainder ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/**
 * The order of epoch `epoch`: a permutation of 0..size-1 that depends only on (seed, epoch).
 *
 * @example
 * ```ts
 * import { epochOrder } from "./pipeline.ts";
 * epochOrder(5, 0, 3); // the same Int32Array whether or not epochs 0–2 ran
 * ```
 */
export function epochOrder(size: number, seed: Seed, epoch: number): Int32Array {
  checkEpoch(epoch);
  return Random.derive(seed, "shuffle", epoch).permutation(size);
}

/**
 * The images at `indices` as one float32 [B, H, W, C] tensor in [0, 1] (byte / 255).
 *
 * @throws Error when an index is outside the dataset.
 */
export function imagesToTensor(dataset: ImageDataset, indices: ArrayLike<number>): Tensor4D {
  const size = imageBytes(dataset);
  const n = datasetSize(dataset);
  const out = new Float32Array(indices.length * size);
  const pixels = dataset.pixelsNHWC;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!(index >= 0 && index < n) || !Number.isInteger(index)) {
      throw new Error(`indices[${i}] must be an integer in [0, ${n}), got ${index}`);
    }
    let src = index * size;
    const end = src + size;
    let dst = i * size;
    while (src < end) out[dst++] = BYTE_TO_UNIT[pixels[src++]];
  }
  return tf.tensor4d(out, [indices.length, dataset.height, dataset.width, dataset.channels]);
}

/** The un-augmented batch of the images at `indices`. */
export function gatherBatch(dataset: ImageDataset, indices: ArrayLike<number>): Batch {
  const own = Int32Array.from(indices);
  const labels = new Int32Array(own.length);
  for (let i = 0; i < own.length; i++) labels[i] = dataset.labels[own[i]];
  const imagesNHWC = imagesToTensor(dataset, own);
  return { imagesNHWC, labels: tf.tensor1d(labels, "int32"), indices: own };
}

/** The baseline augmentation: random crop with zero padding, then horizontal flip. */
export function baselineAugment(
  padding: number = BASELINE_DEFAULTS.padding,
  flipProbability: number = BASELINE_DEFAULTS.flipProbability,
): ImageAugment {
  checkInteger(padding, "padding", 0);
  checkProbability(flipProbability, "flipProbability");
  return (imagesNHWC, rng) => {
    const cropped = randomCropWithPadding(imagesNHWC, rng, padding);
    try {
      return randomHorizontalFlip(cropped, rng, flipProbability);
    } finally {
      cropped.dispose();
    }
  };
}

function resolveAugment(options: TrainBatchOptions): ImageAugment | undefined {
  const augment = options.augment ?? "baseline";
  if (augment === "none") return undefined;
  if (augment === "baseline") {
    return baselineAugment(options.padding, options.flipProbability);
  }
  if (typeof augment !== "function") {
    throw new Error(`augment must be "baseline", "none" or a function, got ${String(augment)}`);
  }
  return augment;
}

/**
 * The training batches of one epoch: shuffled by (seed, epoch), augmented on the fly.
 * Options are validated when called, before the first batch.
 *
 * @example
 * ```ts
 * import { trainBatches } from "./pipeline.ts";
 * import { loadCifar } from "./cifar.ts";
 * const train = await loadCifar("cifar10", "train");
 * const batches = trainBatches(train, { batchSize: 128, seed: 1, epoch: 7, startBatch: 100 });
 * const first = batches.next().value!; // batch 100 of epoch 7, as in an uninterrupted run
 * first.imagesNHWC.dispose();
 * first.labels.dispose();
 * ```
 */
export function trainBatches(
  dataset: ImageDataset,
  options: TrainBatchOptions,
): Generator<Batch, void, undefined> {
  checkDataset(dataset);
  const { batchSize, seed, epoch } = options;
  const n = datasetSize(dataset);
  const count = numBatches(n, batchSize, options.dropRemainder ?? false);
  const startBatch = options.startBatch ?? 0;
  if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > count) {
    throw new Error(`startBatch must be an integer in [0, ${count}], got ${startBatch}`);
  }
  checkEpoch(epoch);
  const order = (options.shuffle ?? true)
    ? epochOrder(n, seed, epoch)
    : Int32Array.from({ length: n }, (_, i) => i);
  const augment = resolveAugment(options);
  return (function* () {
    for (let b = startBatch; b < count; b++) {
      const indices = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const batch = gatherBatch(dataset, indices);
      if (augment === undefined) {
        yield batch;
        continue;
      }
      let augmented: Tensor4D;
      try {
        augmented = augment(batch.imagesNHWC, Random.derive(seed, "augment", epoch, b));
      } catch (error) {
        batch.labels.dispose();
        throw error;
      } finally {
        batch.imagesNHWC.dispose();
      }
      yield { imagesNHWC: augmented, labels: batch.labels, indices: batch.indices };
    }
  })();
}

/**
 * Evaluation batches: every image once, in the dataset's order, no augmentation; the last batch
 * may be smaller.
 */
export function* evalBatches(
  dataset: ImageDataset,
  batchSize: number,
): Generator<Batch, void, undefined> {
  checkDataset(dataset);
  const n = datasetSize(dataset);
  const count = numBatches(n, batchSize);
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    const end = Math.min(n, start + batchSize);
    yield gatherBatch(dataset, Int32Array.from({ length: end - start }, (_, i) => start + i));
  }
}

/** What {@link measurePipeline} measured. */
export interface PipelineThroughput {
  /** Batches built. */
  readonly batches: number;
  /** Images in them. */
  readonly images: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** images / seconds. */
  readonly imagesPerSecond: number;
}

/**
 * Times `batches` training batches (built, augmented, values read back to force execution, then
 * disposed) for `deno task bench`.
 *
 * @example
 * ```ts
 * import { measurePipeline } from "./pipeline.ts";
 * import { loadCifar } from "./cifar.ts";
 * const train = await loadCifar("cifar10", "train");
 * console.log(measurePipeline(train, { batchSize: 128, seed: 0, epoch: 0 }, 50).imagesPerSecond);
 * ```
 */
export function measurePipeline(
  dataset: ImageDataset,
  options: TrainBatchOptions,
  batches: number,
): PipelineThroughput {
  checkPositiveInteger(batches, "batches");
  let images = 0;
  let done = 0;
  const started = performance.now();
  for (const batch of trainBatches(dataset, options)) {
    batch.imagesNHWC.dataSync(); // make sure the augmentation actually ran
    images += batch.indices.length;
    batch.imagesNHWC.dispose();
    batch.labels.dispose();
    if (++done === batches) break;
  }
  const seconds = (performance.now() - started) / 1000;
  return { batches: done, images, seconds, imagesPerSecond: images / seconds };
}
