/**
 * Robustness to occlusion (the paper's Fig. 5a): top-1 error as a centred square of side s is
 * zero-filled (centre occlusion), or as everything outside it is (boundary occlusion).
 *
 * The square is rows [⌊(H − s)/2⌋, ⌊(H − s)/2⌋ + s) × columns [⌊(W − s)/2⌋, ⌊(W − s)/2⌋ + s),
 * clipped to the image; s = 0 is empty and s ≥ max(H, W) covers the image. So centre occlusion at
 * s = 0 and boundary occlusion at s = size both give the clean error. Zero is the pixel value 0 in
 * [0, 1] (black), before the model's own normalisation. Masks are pure tensor ops (`where`).
 *
 * @example
 * ```ts
 * import { evaluateOcclusion } from "./occlusion.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { center, boundary } = await evaluateOcclusion(model, testBatches, {
 *   sides: [0, 8, 16, 24, 32],
 * });
 * // center: [{ side: 0, error: … }, { side: 8, error: … }, …]
 * ```
 * @module
 */
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { topKErrorCount } from "./classification.ts";
import type { BatchSource, LabeledBatch, PredictLogits } from "./types.ts";
import { checkInteger, checkRank } from "../_validate.ts";

/** Which part of the image is zero-filled. */
export type OcclusionMode = "center" | "boundary";

/**
 * A bool [1, height, width, 1] mask, true inside the centred side × side square (see the module
 * doc for the exact rows and columns). The caller disposes it.
 */
export function centeredSquareMask(height: number, width: number, side: number): Tensor4D {
  checkInteger(height, "height", 1);
  checkInteger(width, "width", 1);
  checkInteger(side, "side", 0);
  const top = Math.floor((height - side) / 2);
  const left = Math.floor((width - side) / 2);
  return tf.tidy(() => {
    const rows = tf.range(0, height, 1, "int32");
    const cols = tf.range(0, width, 1, "int32");
    const inRows = tf.logicalAnd(tf.greaterEqual(rows, top), tf.less(rows, top + side));
    const inCols = tf.logicalAnd(tf.greaterEqual(cols, left), tf.less(cols, left + side));
    const inside = tf.logicalAnd(tf.reshape(inRows, [height, 1]), tf.reshape(inCols, [1, width]));
    return tf.reshape(inside, [1, height, width, 1]) as Tensor4D;
  });
}

/**
 * Zero-fills the centred side × side square (`"center"`) or everything outside it
 * (`"boundary"`). The caller disposes the result; the input is not changed.
 */
export function occlude(imagesNHWC: Tensor4D, side: number, mode: OcclusionMode): Tensor4D {
  checkRank(imagesNHWC.shape, "imagesNHWC", 4);
  if (mode !== "center" && mode !== "boundary") {
    throw new Error(`mode must be "center" or "boundary", got ${mode}`);
  }
  const [, height, width] = imagesNHWC.shape;
  return tf.tidy(() => {
    const inside = tf.broadcastTo(centeredSquareMask(height, width, side), imagesNHWC.shape);
    const zeroed: Tensor = mode === "center" ? inside : tf.logicalNot(inside);
    return tf.where(zeroed, tf.zerosLike(imagesNHWC), imagesNHWC) as Tensor4D;
  });
}

/** One point of an occlusion curve. */
export interface OcclusionPoint {
  /** Side of the centred square, pixels. */
  readonly side: number;
  /** Top-1 error ∈ [0, 1] of the occluded images. */
  readonly error: number;
}

/** Options of {@link evaluateOcclusion}. */
export interface OcclusionOptions {
  /**
   * Square sides to evaluate, integers ≥ 0. Default: 0, 4, 8, … up to max(H, W) of the first
   * batch, always including max(H, W) itself.
   */
  readonly sides?: readonly number[];
}

/** Occlusion curves over a set. */
export interface OcclusionResult {
  /** Number of images. */
  readonly count: number;
  /** Error with the centred square zero-filled, per side. */
  readonly center: readonly OcclusionPoint[];
  /** Error with everything but the centred square zero-filled, per side. */
  readonly boundary: readonly OcclusionPoint[];
}

function defaultSides(size: number): number[] {
  const sides: number[] = [];
  for (let s = 0; s < size; s += 4) sides.push(s);
  sides.push(size);
  return sides;
}

/** Centre- and boundary-occlusion error curves of a model over batches (one data pass). */
export async function evaluateOcclusion(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: OcclusionOptions = {},
): Promise<OcclusionResult> {
  if (options.sides !== undefined) {
    if (options.sides.length === 0) throw new Error("options.sides must not be empty, got []");
    for (const side of options.sides) checkInteger(side, "options.sides[]", 0);
  }
  let sides: readonly number[] | undefined = options.sides;
  let centerWrong: number[] = [];
  let boundaryWrong: number[] = [];
  let count = 0;
  for await (const batch of batches) {
    checkRank(batch.imagesNHWC.shape, "imagesNHWC", 4);
    if (sides === undefined) {
      sides = defaultSides(Math.max(batch.imagesNHWC.shape[1], batch.imagesNHWC.shape[2]));
    }
    if (count === 0) {
      centerWrong = sides.map(() => 0);
      boundaryWrong = sides.map(() => 0);
    }
    for (let i = 0; i < sides.length; i++) {
      for (const mode of ["center", "boundary"] as const) {
        const logits = tf.tidy(() => predictLogits(occlude(batch.imagesNHWC, sides![i], mode)));
        try {
          const wrong = topKErrorCount(logits, batch.labels, 1);
          if (mode === "center") centerWrong[i] += wrong;
          else boundaryWrong[i] += wrong;
        } finally {
          logits.dispose();
        }
      }
    }
    count += batch.imagesNHWC.shape[0];
  }
  if (count === 0 || sides === undefined) {
    throw new Error("batches must hold at least one image, got none");
  }
  return {
    count,
    center: sides.map((side, i) => ({ side, error: centerWrong[i] / count })),
    boundary: sides.map((side, i) => ({ side, error: boundaryWrong[i] / count })),
  };
}
