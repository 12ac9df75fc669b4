/**
 * Cutout (DeVries & Taylor, 2017), the paper's regional-dropout baseline: each image gets
 * `holes` square(ish) boxes of `size` pixels, centred uniformly over the image and clipped to
 * it (so a hole may be partly outside), filled with a constant. Labels are not mixed.
 *
 * DeVries' code masks *normalised* images with 0, i.e. with the dataset mean; our images are
 * [0, 1] pixels before normalisation, so pass `fill: CIFAR10_MEAN` to reproduce that exactly
 * (the default, `CUTOUT_DEFAULTS.fill`, fills black).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { cutout } from "./cutout.ts";
 * import { CIFAR10_MEAN } from "./baseline.ts";
 * const images = tf.randomUniform([4, 32, 32, 3]) as Tensor4D;
 * const labels = tf.tensor1d([0, 1, 2, 3], "int32");
 * const { imagesNHWC, targets, draw } = cutout(images, labels, {
 *   numClasses: 10,
 *   seed: 3,
 *   size: 16,
 *   fill: CIFAR10_MEAN,
 * });
 * console.log(draw.holes[0]); // [{ y0, x0, y1, x1 }]
 * tf.dispose([images, labels, imagesNHWC, targets]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { boxesUnionMask } from "./_box_mask.ts";
import { type Box, checkBoxSampling, type Point, sampleBox } from "./box.ts";
import { MIX_DEFAULTS } from "./mixing.ts";
import { targetsFromLabels } from "./targets.ts";
import {
  checkImages,
  checkInteger,
  checkLabels,
  checkLabelSmoothing,
  checkProbability,
} from "../_validate.ts";
import { type RandomSource, resolveRandom } from "../random.ts";

/**
 * Defaults of Cutout's options: one 16×16 hole (DeVries' CIFAR-10 setting, the one the CutMix
 * paper compares with) in every image, filled with 0 (black).
 */
export const CUTOUT_DEFAULTS: Readonly<{
  size: number;
  holes: number;
  prob: number;
  fill: number;
}> = Object.freeze({ size: 16, holes: 1, prob: 1, fill: 0 });

/** Options of {@link cutout}. */
export interface CutoutOptions extends RandomSource {
  /** K; required when labels are class indices, checked against rows [N, K] otherwise. */
  readonly numClasses?: number;
  /** Label smoothing ε ∈ [0, 1). Default `MIX_DEFAULTS.labelSmoothing`. */
  readonly labelSmoothing?: number;
  /**
   * Hole side in whole pixels, or `{ height, width }`; must fit in the image. Default
   * `CUTOUT_DEFAULTS.size`.
   */
  readonly size?: number | { readonly height: number; readonly width: number };
  /** Holes per image (DeVries' `n_holes`), ≥ 0; may overlap. Default `CUTOUT_DEFAULTS.holes`. */
  readonly holes?: number;
  /** Chance ∈ [0, 1] that an image gets its holes, per image. Default `CUTOUT_DEFAULTS.prob`. */
  readonly prob?: number;
  /**
   * Fill value in the images' units: one number, or one per channel (e.g. `CIFAR10_MEAN`).
   * Default `CUTOUT_DEFAULTS.fill`.
   */
  readonly fill?: number | readonly number[];
}

/** What Cutout drew, per image. */
export interface CutoutDraw {
  /** Whether each image was cut. */
  readonly applied: readonly boolean[];
  /** Each image's holes (clipped, pixels, half-open); empty when not applied. */
  readonly holes: readonly (readonly Box[])[];
  /** Each image's hole centres (continuous pixel coordinates). */
  readonly centers: readonly (readonly Point[])[];
  /** Fraction of each image's pixels left unmasked. */
  readonly keptFractions: Float64Array;
}

/** The result of {@link cutout}. Tensors are new and owned by the caller. */
export interface CutoutResult {
  /** The images with their holes filled, float32, the input's shape [N, H, W, C]. */
  readonly imagesNHWC: Tensor4D;
  /** The labels as rows [N, K] (smoothed if asked), unmixed. */
  readonly targets: Tensor2D;
  /** What was drawn per image: whether it was cut, its holes and their centres. */
  readonly draw: CutoutDraw;
}

/**
 * Cutout over a batch. Draw order per image: the apply coin, then each hole's centre (y, x).
 * Inputs are not mutated.
 */
export function cutout(imagesNHWC: Tensor4D, labels: Tensor, options: CutoutOptions): CutoutResult {
  if (options === null || typeof options !== "object") {
    throw new Error(`options must be an object, got ${options}`);
  }
  const { n, height, width, channels } = checkImages(imagesNHWC);
  const labelInfo = checkLabels(labels, n, options.numClasses);
  const smoothing = checkLabelSmoothing(options.labelSmoothing ?? MIX_DEFAULTS.labelSmoothing);
  const prob = checkProbability(options.prob ?? CUTOUT_DEFAULTS.prob, "prob");
  const holes = checkInteger(options.holes ?? CUTOUT_DEFAULTS.holes, "holes", 0);
  const size = options.size ?? CUTOUT_DEFAULTS.size;
  const fixedSize = typeof size === "number" ? { height: size, width: size } : size;
  if (fixedSize === null || typeof fixedSize !== "object") {
    throw new Error(`size must be a number or { height, width }, got ${size}`);
  }
  checkBoxSampling({ fixedSize }, height, width, "cutout");
  const fill = options.fill ?? CUTOUT_DEFAULTS.fill;
  const fillValues = typeof fill === "number" ? [fill] : fill;
  if (
    !Array.isArray(fillValues) || fillValues.some((v) => typeof v !== "number" || !isFinite(v)) ||
    (typeof fill !== "number" && fillValues.length !== channels)
  ) {
    throw new Error(
      `fill must be a finite number or ${channels} numbers (one per channel), got ${
        JSON.stringify(fill)
      }`,
    );
  }
  const rng = resolveRandom(options);

  const applied: boolean[] = [];
  const boxes: Box[][] = [];
  const centers: Point[][] = [];
  const keptFractions = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cut = rng.float() < prob;
    const mine: Box[] = [];
    const mineCenters: Point[] = [];
    for (let h = 0; cut && h < holes; h++) {
      const draw = sampleBox(height, width, Number.NaN, { fixedSize }, rng);
      mine.push(draw.box);
      mineCenters.push(draw.center);
    }
    applied.push(cut);
    boxes.push(mine);
    centers.push(mineCenters);
    keptFractions[i] = (height * width - unionArea(mine)) / (height * width);
  }

  const images = tf.tidy(() => {
    if (boxes.every((list) => list.length === 0)) return imagesNHWC.clone();
    const mask = boxesUnionMask(boxes, height, width, channels);
    const fillTensor = typeof fill === "number"
      ? tf.fill(imagesNHWC.shape, fill)
      : tf.tile(tf.tensor4d(Float32Array.from(fillValues), [1, 1, 1, channels]), [
        n,
        height,
        width,
        1,
      ]);
    return tf.where(mask, fillTensor, imagesNHWC) as Tensor4D;
  });
  const targets = targetsFromLabels(labelInfo, smoothing);
  return { imagesNHWC: images, targets, draw: { applied, holes: boxes, centers, keptFractions } };
}

/**
 * Pixels covered by the union of `boxes`: the plane is cut along every box edge into cells, and
 * each cell inside some box counts with its area (O(k³) for k boxes, independent of H × W).
 */
function unionArea(boxes: readonly Box[]): number {
  const ys = [...new Set(boxes.flatMap((b) => [b.y0, b.y1]))].sort((a, b) => a - b);
  const xs = [...new Set(boxes.flatMap((b) => [b.x0, b.x1]))].sort((a, b) => a - b);
  let area = 0;
  for (let r = 0; r + 1 < ys.length; r++) {
    for (let c = 0; c + 1 < xs.length; c++) {
      const covered = boxes.some((b) =>
        b.y0 <= ys[r] && ys[r + 1] <= b.y1 && b.x0 <= xs[c] && xs[c + 1] <= b.x1
      );
      if (covered) area += (ys[r + 1] - ys[r]) * (xs[c + 1] - xs[c]);
    }
  }
  return area;
}
