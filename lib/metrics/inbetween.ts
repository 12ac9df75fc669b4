/**
 * In-between class samples (the paper's Fig. 5b): how often a model predicts *neither* class of a
 * mixed pair of test images.
 *
 * Each image x_a of a batch is paired with a partner x_b from the same batch (by default the next
 * image, `b = (a + 1) mod N`; with `rng`, a random permutation drawn per batch). Pairs whose two
 * labels are equal are skipped (counted in neither numerator nor denominator), since "neither of
 * the two classes" needs two classes.
 * - Mixup sample: λ·x_a + (1 − λ)·x_b, for each λ ∈ [0, 1] asked for.
 * - CutMix sample: x_a with the centred side × side square (see `occlusion.ts` for its exact
 *   pixels) pasted from x_b; its λ (the share of x_a) is 1 − (pixels of the square)/(H·W).
 * A pair counts as "neither" when the top-1 prediction (ties to the lower class index) is neither
 * y_a nor y_b.
 *
 * @example
 * ```ts
 * import { evaluateInBetween } from "./inbetween.ts";
 * import type { LabeledBatch, PredictLogits } from "./types.ts";
 * declare const model: PredictLogits;
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { mixup, cutmix } = await evaluateInBetween(model, testBatches, {
 *   lambdas: [0, 0.25, 0.5, 0.75, 1],
 *   sides: [0, 8, 16, 24, 32],
 * });
 * // mixup: [{ lambda: 0, neitherRate: … }, …]; cutmix: [{ side: 0, lambda: 1, neitherRate: … }, …]
 * ```
 * @module
 */
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../random.ts";
import { topKCorrect } from "./classification.ts";
import { centeredSquareMask } from "./occlusion.ts";
import { type BatchSource, labelArray, type LabeledBatch, type PredictLogits } from "./types.ts";
import { checkInteger, checkNumber, checkRank } from "../_validate.ts";

/** λ·a + (1 − λ)·b for two batches of the same shape. The caller disposes the result. */
export function mixupImages(imagesA: Tensor4D, imagesB: Tensor4D, lambda: number): Tensor4D {
  checkNumber(lambda, "lambda", 0, 1);
  checkSameShape(imagesA, imagesB);
  return tf.tidy(() => tf.add(tf.mul(imagesA, lambda), tf.mul(imagesB, 1 - lambda)) as Tensor4D);
}

/**
 * `imagesA` with the centred side × side square taken from `imagesB`. The caller disposes the
 * result.
 */
export function centeredCutMixImages(
  imagesA: Tensor4D,
  imagesB: Tensor4D,
  side: number,
): Tensor4D {
  checkSameShape(imagesA, imagesB);
  const [, height, width] = imagesA.shape;
  return tf.tidy(() => {
    const inside = tf.broadcastTo(centeredSquareMask(height, width, side), imagesA.shape);
    return tf.where(inside, imagesB, imagesA) as Tensor4D;
  });
}

/** The share of image a in a centred-CutMix sample: 1 − |square ∩ image| / (H·W). */
export function centeredCutMixLambda(height: number, width: number, side: number): number {
  checkInteger(side, "side", 0);
  const top = Math.floor((height - side) / 2);
  const left = Math.floor((width - side) / 2);
  const rows = Math.min(top + side, height) - Math.max(top, 0);
  const cols = Math.min(left + side, width) - Math.max(left, 0);
  return 1 - (Math.max(rows, 0) * Math.max(cols, 0)) / (height * width);
}

function checkSameShape(a: Tensor4D, b: Tensor4D): void {
  checkRank(a.shape, "imagesA", 4);
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(
      `imagesB must have the shape of imagesA [${a.shape.join(", ")}], got [${b.shape.join(", ")}]`,
    );
  }
}

/** One point of the Mixup curve. */
export interface MixupPoint {
  /** Weight of image a. */
  readonly lambda: number;
  /** Fraction ∈ [0, 1] of different-class pairs predicted as neither class. */
  readonly neitherRate: number;
}

/** One point of the CutMix curve. */
export interface CutMixPoint {
  /** Side of the centred square pasted from image b, pixels. */
  readonly side: number;
  /** Share of image a's pixels (see {@link centeredCutMixLambda}), from the first batch's size. */
  readonly lambda: number;
  /** Fraction ∈ [0, 1] of different-class pairs predicted as neither class. */
  readonly neitherRate: number;
}

/** Options of {@link evaluateInBetween}. */
export interface InBetweenOptions {
  /** Mixup weights λ ∈ [0, 1]. Default 0, 0.1, …, 1. */
  readonly lambdas?: readonly number[];
  /** CutMix square sides, integers ≥ 0. Default 0, 4, 8, … up to max(H, W), which is included. */
  readonly sides?: readonly number[];
  /** Pair each image with a random partner (a permutation per batch) instead of the next one. */
  readonly rng?: Random;
}

/** In-between curves over a set. */
export interface InBetweenResult {
  /** Number of different-class pairs evaluated (the denominator of every rate). */
  readonly pairs: number;
  /** The Mixup curve: one point per `options.lambdas` entry, in that order. */
  readonly mixup: readonly MixupPoint[];
  /** The CutMix curve: one point per square side (`options.sides` or its default), in order. */
  readonly cutmix: readonly CutMixPoint[];
}

/** Mixup and CutMix in-between curves of a model over batches (one data pass). */
export async function evaluateInBetween(
  predictLogits: PredictLogits,
  batches: BatchSource<LabeledBatch>,
  options: InBetweenOptions = {},
): Promise<InBetweenResult> {
  const lambdas = options.lambdas ?? Array.from({ length: 11 }, (_, i) => i / 10);
  if (lambdas.length === 0) throw new Error("options.lambdas must not be empty, got []");
  for (const lambda of lambdas) checkNumber(lambda, "options.lambdas[]", 0, 1);
  if (options.sides !== undefined) {
    if (options.sides.length === 0) throw new Error("options.sides must not be empty, got []");
    for (const side of options.sides) checkInteger(side, "options.sides[]", 0);
  }
  let sides = options.sides;
  let size: [number, number] | undefined;
  const mixupNeither = lambdas.map(() => 0);
  let cutmixNeither: number[] = [];
  let pairs = 0;
  for await (const batch of batches) {
    checkRank(batch.imagesNHWC.shape, "imagesNHWC", 4);
    const [n, height, width] = batch.imagesNHWC.shape;
    if (size === undefined) {
      size = [height, width];
      if (sides === undefined) {
        const largest = Math.max(height, width);
        const defaults: number[] = [];
        for (let s = 0; s < largest; s += 4) defaults.push(s);
        sides = [...defaults, largest];
      }
      cutmixNeither = sides.map(() => 0);
    }
    const labelsA = labelArray(batch.labels);
    if (labelsA.length !== n) {
      throw new Error(`labels must have length ${n} (the batch size), got ${labelsA.length}`);
    }
    const partner = options.rng ? options.rng.permutation(n) : Int32Array.from(
      { length: n },
      (_, i) => (i + 1) % n,
    );
    const labelsB = labelsA.map((_, i) => labelsA[partner[i]]);
    const differentArray = Uint8Array.from(labelsA, (y, i) => (y !== labelsB[i] ? 1 : 0));
    const batchPairs = differentArray.reduce((sum, d) => sum + d, 0);
    if (batchPairs === 0) continue;
    const countNeither = (mixed: (a: Tensor4D, b: Tensor4D) => Tensor4D): number => {
      const neither = tf.tidy(() => {
        const imagesB = tf.gather(batch.imagesNHWC, tf.tensor1d(partner, "int32")) as Tensor4D;
        const logits = predictLogits(mixed(batch.imagesNHWC, imagesB));
        const either = tf.logicalOr(
          topKCorrect(logits, labelsA, 1),
          topKCorrect(logits, labelsB, 1),
        );
        const different = tf.tensor1d(differentArray, "bool") as Tensor1D;
        return tf.sum(tf.cast(tf.logicalAnd(tf.logicalNot(either), different), "int32"));
      });
      const value = neither.dataSync()[0];
      neither.dispose();
      return value;
    };
    lambdas.forEach((lambda, i) => {
      mixupNeither[i] += countNeither((a, b) => mixupImages(a, b, lambda));
    });
    sides!.forEach((side, i) => {
      cutmixNeither[i] += countNeither((a, b) => centeredCutMixImages(a, b, side));
    });
    pairs += batchPairs;
  }
  if (pairs === 0 || size === undefined) {
    throw new Error("batches must hold at least one pair of images of different classes, got none");
  }
  const [height, width] = size;
  return {
    pairs,
    mixup: lambdas.map((lambda, i) => ({ lambda, neitherRate: mixupNeither[i] / pairs })),
    cutmix: sides!.map((side, i) => ({
      side,
      lambda: centeredCutMixLambda(height, width, side),
      neitherRate: cutmixNeither[i] / pairs,
    })),
  };
}
