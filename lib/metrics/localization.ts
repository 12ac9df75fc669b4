/**
 * Weakly supervised object localization from class activation maps (the paper's Table 9 protocol,
 * after Zhou et al. 2016).
 *
 * From a CAM normalised to [0, 1] (see `cam.ts`):
 * 1. foreground = pixels strictly above σ · max, σ = 0.2 by default: the CAM paper's "regions
 *    of which the value is above 20 % of the max value of the CAM" (Zhou et al. 2016, Sec. 3),
 *    whose CAM-box protocol the paper's Table 9 follows; "above" is strict, as in
 *    `cv2.THRESH_BINARY`;
 * 2. keep the largest connected component of the foreground, with **8-connectivity** (diagonal
 *    neighbours connect, as the outer contours `cv2.findContours` traces in clovaai/wsolevaluation),
 *    size = pixel count, ties → the component whose first pixel comes first in raster order;
 * 3. its tightest box, half-open `{ y0, x0, y1, x1 }`.
 * A map with no foreground pixel (e.g. a constant map, normalised to zeros) gives no box, which
 * never counts as a correct localization.
 *
 * A localization is correct when IoU(box, ground truth) ≥ 0.5 (max over the image's ground-truth
 * boxes). Top-1 localization accuracy also needs the top-1 class to be right (the CAM is drawn for
 * the predicted class); GT-known accuracy draws the CAM for the true class and checks IoU only.
 *
 * @example
 * ```ts
 * import { boxFromMap, intersectionOverUnion } from "./localization.ts";
 * const map = new Float32Array([
 *   0, 0, 0, 0,
 *   0, 1, 1, 0,
 *   0, 1, 0, 0,
 *   0, 0, 0.9, 0,
 * ]);
 * const box = boxFromMap(map, 4, 4); // { y0: 1, x0: 1, y1: 4, x1: 3 }: 0.9 joins diagonally
 * console.log(intersectionOverUnion(box!, { y0: 1, x0: 1, y1: 3, x1: 3 })); // 4 / 6
 * ```
 * @module
 */
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { Box } from "../augment/box.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { LocalizationSet } from "../data/localization.ts";
import { classActivationMaps, type Interpolation } from "./cam.ts";
import { type BatchSource, datasetBatches, labelArray, type LabeledBatch } from "./types.ts";
import { checkInteger, checkNumber } from "../_validate.ts";

/** A box in pixels, half-open: rows y0 ≤ y < y1, columns x0 ≤ x < x1 (lib/augment's type). */
export type { Box };

/** Area of a half-open box (0 when empty or inverted). */
export function boxArea(box: Box): number {
  return Math.max(0, box.y1 - box.y0) * Math.max(0, box.x1 - box.x0);
}

/** Intersection over union of two half-open boxes; 0 when both are empty. */
export function intersectionOverUnion(a: Box, b: Box): number {
  const inter = boxArea({
    y0: Math.max(a.y0, b.y0),
    x0: Math.max(a.x0, b.x0),
    y1: Math.min(a.y1, b.y1),
    x1: Math.min(a.x1, b.x1),
  });
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Foreground threshold of the CAM paper's protocol (20 %), as a fraction of the map's maximum. */
export const DEFAULT_CAM_THRESHOLD = 0.2;

/**
 * The box around the largest 8-connected component of `map > threshold · max(map)` (see the
 * module doc), or `null` when no pixel is above. Linear time (one breadth-first pass).
 *
 * @param map row-major [height, width] scores, normally a normalised CAM in [0, 1].
 * @param threshold σ ∈ [0, 1]; default 0.2.
 */
export function boxFromMap(
  map: ArrayLike<number>,
  height: number,
  width: number,
  threshold: number = DEFAULT_CAM_THRESHOLD,
): Box | null {
  checkInteger(height, "height", 1);
  checkInteger(width, "width", 1);
  checkNumber(threshold, "threshold", 0, 1);
  const size = height * width;
  if (map.length !== size) {
    throw new Error(`map must have height × width = ${size} values, got ${map.length}`);
  }
  let max = -Infinity;
  for (let i = 0; i < size; i++) if (map[i] > max) max = map[i];
  if (!Number.isFinite(max)) return null;
  const cut = threshold * max;
  const seen = new Uint8Array(size);
  for (let i = 0; i < size; i++) if (!(map[i] > cut)) seen[i] = 1; // background (and NaN)
  const queue = new Int32Array(size);
  let best: Box | null = null;
  let bestCount = 0;
  for (let start = 0; start < size; start++) {
    if (seen[start]) continue;
    seen[start] = 1;
    queue[0] = start;
    let head = 0;
    let tail = 1;
    let y0 = height, x0 = width, y1 = -1, x1 = -1;
    while (head < tail) {
      const p = queue[head++];
      const y = (p / width) | 0;
      const x = p - y * width;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!seen[q]) {
            seen[q] = 1;
            queue[tail++] = q;
          }
        }
      }
    }
    if (tail > bestCount) {
      bestCount = tail;
      best = { y0, x0, y1: y1 + 1, x1: x1 + 1 };
    }
  }
  return best;
}

/** A labelled batch with ground-truth boxes (one box, or several, per image). */
export interface LocalizationBatch extends LabeledBatch {
  /** Ground truth per image, in the pixels of `imagesNHWC`. */
  readonly boxes: readonly (Box | readonly Box[])[];
}

/** A model's forward pass that also exposes its last-stage features (before pooling). */
export type ForwardWithFeatures = (
  imagesNHWC: Tensor4D,
) => { readonly logits: Tensor2D; readonly featuresNHWC: Tensor4D };

/** Options of {@link evaluateLocalization}. */
export interface LocalizationOptions {
  /** σ, the foreground threshold as a fraction of the CAM's maximum. Default 0.2 (CAM's). */
  readonly threshold?: number;
  /** IoU needed for a correct box. Default 0.5. */
  readonly iouThreshold?: number;
  /** CAM upsampling kernel. Default `"bilinear"` (see `cam.ts`). */
  readonly interpolation?: Interpolation;
}

/** Localization results over a set. */
export interface LocalizationResult {
  /** Number of images. */
  readonly count: number;
  /** Fraction with the right top-1 class AND IoU(CAM box of that class, truth) ≥ threshold. */
  readonly top1LocalizationAccuracy: number;
  /** Fraction with IoU(CAM box of the true class, truth) ≥ threshold, class ignored. */
  readonly gtKnownLocalizationAccuracy: number;
  /** Top-1 classification accuracy on the same images (`tf.argMax`: ties to the lower index). */
  readonly top1Accuracy: number;
}

function maxIoU(box: Box | null, truth: Box | readonly Box[]): number {
  if (box === null) return 0;
  const list = Array.isArray(truth) ? truth as readonly Box[] : [truth as Box];
  let best = 0;
  for (const t of list) best = Math.max(best, intersectionOverUnion(box, t));
  return best;
}

/**
 * Top-1 and GT-known localization accuracy of CAM boxes over batches.
 *
 * @param forward the model's inference pass returning logits and last-stage features.
 * @param classifierKernel the final dense layer's kernel [C, K].
 *
 * @example
 * ```ts
 * import { evaluateLocalization, type ForwardWithFeatures, type LocalizationBatch } from "./localization.ts";
 * import type { Tensor2D } from "@tensorflow/tfjs-core";
 * declare const forward: ForwardWithFeatures;
 * declare const kernel: Tensor2D;
 * declare const batches: LocalizationBatch[];
 * const { top1LocalizationAccuracy } = await evaluateLocalization(forward, kernel, batches);
 * ```
 */
export async function evaluateLocalization(
  forward: ForwardWithFeatures,
  classifierKernel: Tensor2D,
  batches: BatchSource<LocalizationBatch>,
  options: LocalizationOptions = {},
): Promise<LocalizationResult> {
  const threshold = options.threshold ?? DEFAULT_CAM_THRESHOLD;
  const iouThreshold = options.iouThreshold ?? 0.5;
  checkNumber(threshold, "options.threshold", 0, 1);
  checkNumber(iouThreshold, "options.iouThreshold", 0, 1);
  let count = 0, top1Loc = 0, gtKnownLoc = 0, top1 = 0;
  for await (const batch of batches) {
    const [n, height, width] = batch.imagesNHWC.shape;
    if (batch.boxes.length !== n) {
      throw new Error(
        `batch.boxes must have one entry per image (${n}), got ${batch.boxes.length}`,
      );
    }
    const labels = labelArray(batch.labels);
    const [predicted, predictedMaps, trueMaps] = tf.tidy(() => {
      const { logits, featuresNHWC } = forward(batch.imagesNHWC);
      const argmax = tf.argMax(logits, 1);
      const camOptions = { height, width, interpolation: options.interpolation };
      return [
        argmax,
        classActivationMaps(featuresNHWC, classifierKernel, argmax as Tensor1D, camOptions),
        classActivationMaps(featuresNHWC, classifierKernel, labels, camOptions),
      ];
    });
    const predictedArray = predicted.dataSync();
    const predictedData = predictedMaps.dataSync();
    const trueData = trueMaps.dataSync();
    tf.dispose([predicted, predictedMaps, trueMaps]);
    const pixels = height * width;
    for (let i = 0; i < n; i++) {
      const correctClass = predictedArray[i] === labels[i];
      const predictedBox = boxFromMap(
        predictedData.subarray(i * pixels, (i + 1) * pixels),
        height,
        width,
        threshold,
      );
      const trueBox = boxFromMap(
        trueData.subarray(i * pixels, (i + 1) * pixels),
        height,
        width,
        threshold,
      );
      if (correctClass) top1++;
      if (correctClass && maxIoU(predictedBox, batch.boxes[i]) >= iouThreshold) top1Loc++;
      if (maxIoU(trueBox, batch.boxes[i]) >= iouThreshold) gtKnownLoc++;
    }
    count += n;
  }
  if (count === 0) throw new Error("batches must hold at least one image, got none");
  return {
    count,
    top1LocalizationAccuracy: top1Loc / count,
    gtKnownLocalizationAccuracy: gtKnownLoc / count,
    top1Accuracy: top1 / count,
  };
}

/**
 * Batches of a lib/data {@link LocalizationSet} in order, bytes turned into float32 [0, 1] images,
 * each with its ground-truth box. Each batch is disposed when the next one is asked for.
 */
export function* localizationBatches(
  set: LocalizationSet,
  batchSize: number,
): Generator<LocalizationBatch> {
  if (set.boxes.length !== set.dataset.labels.length) {
    throw new Error(
      `set.boxes must have one box per image (${set.dataset.labels.length}), got ${set.boxes.length}`,
    );
  }
  let start = 0;
  for (const batch of datasetBatches(set.dataset, batchSize)) {
    const n = batch.imagesNHWC.shape[0];
    yield { ...batch, boxes: set.boxes.slice(start, start + n) };
    start += n;
  }
}

/** Accuracy of the two class-agnostic boxes a CAM method must beat to count (GT-known style). */
export interface TrivialLocalization {
  /** Fraction of images where the whole image, as the box, has IoU ≥ the threshold with the truth. */
  readonly wholeImage: number;
  /** The same for one box of the mean true height and width, centred on the image. */
  readonly centredMeanBox: number;
  /** That centred box, in pixels. */
  readonly meanBox: Box;
}

/**
 * The trivial predictors of a localization set with true `boxes` on `height × width` images: the
 * whole image, and a box of the set's mean true size centred on the image. Neither looks at the
 * pixels, so a method's GT-known localization accuracy means something only where it beats both.
 *
 * @example
 * ```ts
 * import { trivialLocalization } from "./localization.ts";
 * const boxes = [{ y0: 0, x0: 0, y1: 16, x1: 16 }, { y0: 8, x0: 8, y1: 24, x1: 24 }];
 * const { wholeImage, centredMeanBox } = trivialLocalization(boxes, 32, 32);
 * console.log(wholeImage, centredMeanBox); // 0 0.5
 * ```
 */
export function trivialLocalization(
  boxes: readonly (Box | readonly Box[])[],
  height: number,
  width: number,
  iouThreshold = 0.5,
): TrivialLocalization {
  checkInteger(height, "height", 1);
  checkInteger(width, "width", 1);
  checkNumber(iouThreshold, "iouThreshold", 0, 1);
  if (boxes.length === 0) throw new Error("trivialLocalization: boxes is empty");
  const flat = boxes.flatMap((b) => Array.isArray(b) ? b as readonly Box[] : [b as Box]);
  const meanH = flat.reduce((s, b) => s + (b.y1 - b.y0), 0) / flat.length;
  const meanW = flat.reduce((s, b) => s + (b.x1 - b.x0), 0) / flat.length;
  const h = Math.min(height, Math.max(1, Math.round(meanH)));
  const w = Math.min(width, Math.max(1, Math.round(meanW)));
  const y0 = Math.floor((height - h) / 2);
  const x0 = Math.floor((width - w) / 2);
  const meanBox: Box = { y0, x0, y1: y0 + h, x1: x0 + w };
  const whole: Box = { y0: 0, x0: 0, y1: height, x1: width };
  let wholeHits = 0;
  let centredHits = 0;
  for (const truth of boxes) {
    if (maxIoU(whole, truth) >= iouThreshold) wholeHits++;
    if (maxIoU(meanBox, truth) >= iouThreshold) centredHits++;
  }
  return {
    wholeImage: wholeHits / boxes.length,
    centredMeanBox: centredHits / boxes.length,
    meanBox,
  };
}
