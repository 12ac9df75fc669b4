/**
 * The standard CIFAR augmentation the paper trains every model with (random crop of a 4-pixel
 * zero-padded image, random horizontal flip), and per-channel normalisation, as batched tensor
 * ops. Random offsets and flips are drawn JS-side from a {@link Random}, one per image.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { Random } from "../random.ts";
 * import {
 *   CIFAR10_MEAN,
 *   CIFAR10_STD,
 *   normalizePerChannel,
 *   randomCropWithPadding,
 *   randomHorizontalFlip,
 * } from "./baseline.ts";
 * const rng = new Random(0);
 * const images = tf.randomUniform([8, 32, 32, 3]) as Tensor4D;
 * const out = tf.tidy(() => {
 *   const cropped = randomCropWithPadding(images, rng, 4);
 *   const flipped = randomHorizontalFlip(cropped, rng, 0.5);
 *   return normalizePerChannel(flipped, CIFAR10_MEAN, CIFAR10_STD);
 * });
 * tf.dispose([images, out]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../random.ts";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { checkImages, checkInteger, checkProbability } from "../_validate.ts";

/**
 * CIFAR-10 per-channel mean (RGB) of [0, 1] pixels, exactly as the official CutMix code
 * (clovaai/CutMix-PyTorch `train.py`: [125.3, 123.0, 113.9] / 255, used for both CIFARs). The
 * original archive measures [0.4914, 0.4822, 0.4465]; the JPEG-derived copy in this project's
 * shared data [0.4913, 0.4821, 0.4465].
 */
export const CIFAR10_MEAN: readonly number[] = Object.freeze([
  125.3 / 255,
  123.0 / 255,
  113.9 / 255,
]);
/**
 * CIFAR-10 per-channel standard deviation (RGB) of [0, 1] pixels, exactly as the official CutMix
 * code: [63.0, 62.1, 66.7] / 255. (The JPEG-derived shared copy measures [0.2452, 0.2428, 0.2606]:
 * JPEG smooths.)
 */
export const CIFAR10_STD: readonly number[] = Object.freeze([63.0 / 255, 62.1 / 255, 66.7 / 255]);
/** CIFAR-100 training-set per-channel mean (RGB) of [0, 1] pixels. */
export const CIFAR100_MEAN: readonly number[] = Object.freeze([0.5071, 0.4865, 0.4409]);
/** CIFAR-100 training-set per-channel standard deviation (RGB) of [0, 1] pixels. */
export const CIFAR100_STD: readonly number[] = Object.freeze([0.2673, 0.2564, 0.2762]);

/** Defaults of the baseline CIFAR augmentation: 4 pixels of padding, flip half the images. */
export const BASELINE_DEFAULTS: Readonly<{ padding: number; flipProbability: number }> = Object
  .freeze({ padding: 4, flipProbability: 0.5 });

/**
 * Pads each image with `padding` zero pixels on every side and crops a random H×W window from
 * it (offsets uniform in [0, 2·padding] per axis, per image): torchvision's
 * `RandomCrop(32, padding=4)`. Exact pixel copies (two batched gathers of row and column
 * indices), no interpolation.
 */
export function randomCropWithPadding(
  imagesNHWC: Tensor4D,
  rng: Random,
  padding: number = BASELINE_DEFAULTS.padding,
): Tensor4D {
  const { n, height, width } = checkImages(imagesNHWC);
  checkInteger(padding, "padding", 0);
  if (padding === 0) return imagesNHWC.clone();
  const rows = new Int32Array(n * height);
  const cols = new Int32Array(n * width);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * padding + 1);
    const dx = rng.int(2 * padding + 1);
    for (let y = 0; y < height; y++) rows[i * height + y] = dy + y;
    for (let x = 0; x < width; x++) cols[i * width + x] = dx + x;
  }
  return tf.tidy(() => {
    const padded = tf.pad(imagesNHWC, [[0, 0], [padding, padding], [padding, padding], [0, 0]]);
    const rowIdx = tf.tensor2d(rows, [n, height], "int32");
    const colIdx = tf.tensor2d(cols, [n, width], "int32");
    const cropRows = tf.gather(padded, rowIdx, 1, 1);
    return tf.gather(cropRows, colIdx, 2, 1) as Tensor4D;
  });
}

/** Mirrors each image left–right with chance `probability`, drawn per image. */
export function randomHorizontalFlip(
  imagesNHWC: Tensor4D,
  rng: Random,
  probability: number = BASELINE_DEFAULTS.flipProbability,
): Tensor4D {
  const { n, width } = checkImages(imagesNHWC);
  checkProbability(probability, "probability");
  const cols = new Int32Array(n * width);
  let any = false;
  for (let i = 0; i < n; i++) {
    const flip = rng.float() < probability;
    if (flip) any = true;
    for (let x = 0; x < width; x++) cols[i * width + x] = flip ? width - 1 - x : x;
  }
  if (!any) return imagesNHWC.clone();
  // One batched gather of per-image column orders: exact copies, no broadcasting select.
  return tf.tidy(() =>
    tf.gather(imagesNHWC, tf.tensor2d(cols, [n, width], "int32"), 2, 1) as Tensor4D
  );
}

/** (x − mean[c]) / std[c] per channel c; `mean` and `std` have one entry per channel. */
export function normalizePerChannel(
  imagesNHWC: Tensor4D,
  mean: readonly number[],
  std: readonly number[],
): Tensor4D {
  const { channels } = checkImages(imagesNHWC);
  if (!Array.isArray(mean) || mean.length !== channels || mean.some((m) => !Number.isFinite(m))) {
    throw new Error(`mean must be ${channels} finite numbers, got ${JSON.stringify(mean)}`);
  }
  if (!Array.isArray(std) || std.length !== channels || std.some((s) => !(s > 0 && isFinite(s)))) {
    throw new Error(`std must be ${channels} finite numbers > 0, got ${JSON.stringify(std)}`);
  }
  return tf.tidy(() =>
    tf.div(
      tf.sub(imagesNHWC, tf.tensor1d(Float32Array.from(mean))),
      tf.tensor1d(Float32Array.from(std)),
    ) as Tensor4D
  );
}
