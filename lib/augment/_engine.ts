/**
 * The engine shared by CutMix, Mixup and their switch (private to lib/augment): who is mixed
 * with whom, what was drawn for each sample, and the two tensor ops that apply a draw to a batch.
 *
 * Partners come from a random permutation π of the batch, as in the paper: sample i is mixed
 * with x_B = x_{π(i)} (a fixed point π(i) = i leaves the sample unchanged, as in the official
 * code). One draw (apply-or-not coin, λ, box, CutMix-or-Mixup switch) is shared by a *group*:
 * - `batch` (the paper, official code, timm's default): one group, the whole batch;
 * - `pair` (timm's "pair"): the permutation is cut into pairs (π(0), π(1)), (π(2), π(3)), …;
 *   the two members swap pixels inside one shared box (timm pairs i with N−1−i instead, so its
 *   pairs depend on the loader's order); timm refuses odd batches, here the one sample left
 *   over is paired with itself and so left unchanged;
 * - `elem` (timm's "elem"): one group per sample, each with its own λ and box, partners by π.
 * `prob` is the chance that a group is mixed at all; an unmixed sample keeps its image and
 * label (λ = 1).
 *
 * Images: x̃ = M⊙x_A + (1 − M)⊙x_B where M is 0 inside the sample's box and otherwise λ for a
 * Mixup sample, 1 for a CutMix or unmixed one, computed as `where(inBox, x_B, x_A·c + x_B·(1−c))`
 * (the arithmetic part only when some sample uses Mixup), so CutMix pixels are copied exactly.
 * Targets: ỹ = w·y_A + (1 − w)·y_B with w the sample's target weight (λ unless a Table 8 target
 * rule says otherwise).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { type Random, resolveRandom } from "../random.ts";
import {
  type BatchShape,
  checkImages,
  checkLabels,
  checkLabelSmoothing,
  checkOneOf,
  checkProbability,
  type LabelInfo,
} from "../_validate.ts";
import { boxMask } from "./_box_mask.ts";
import { type Box, boxArea, EMPTY_BOX, type Point } from "./box.ts";
import {
  GRANULARITIES,
  type Granularity,
  type GroupDraw,
  MIX_DEFAULTS,
  type MixDraw,
  type MixMode,
  type MixOptions,
  type MixResult,
  NO_MIX,
} from "./mixing.ts";
import { targetsFromLabels } from "./targets.ts";

/** A validated batch: its shape, what its labels are, and the stream to draw from. */
export interface PreparedBatch {
  readonly shape: BatchShape;
  readonly labels: LabelInfo;
  readonly rng: Random;
  readonly labelSmoothing: number;
  readonly prob: number;
  readonly granularity: Granularity;
}

/** Validates the arguments every mixing augmentation shares. */
export function prepareBatch(
  imagesNHWC: Tensor4D,
  labels: Tensor,
  options: MixOptions,
): PreparedBatch {
  if (options === null || typeof options !== "object") {
    throw new Error(`options must be an object, got ${options}`);
  }
  const shape = checkImages(imagesNHWC);
  const labelInfo = checkLabels(labels, shape.n, options.numClasses);
  const labelSmoothing = checkLabelSmoothing(options.labelSmoothing ?? MIX_DEFAULTS.labelSmoothing);
  const prob = checkProbability(options.prob ?? MIX_DEFAULTS.prob, "prob");
  const granularity = checkOneOf(
    options.granularity ?? MIX_DEFAULTS.granularity,
    GRANULARITIES,
    "granularity",
  );
  const rng = resolveRandom(options);
  return { shape, labels: labelInfo, rng, labelSmoothing, prob, granularity };
}

/**
 * Draws partners and, per group, the coin that decides whether it is mixed and then
 * `drawGroup()`. Draw order: the permutation, then for each group in order: the coin, then
 * whatever `drawGroup` draws.
 */
export function drawPlan(
  n: number,
  granularity: Granularity,
  probability: number,
  rng: Random,
  drawGroup: () => GroupDraw,
): MixDraw {
  const perm = rng.permutation(n);
  const partners = new Int32Array(n);
  const groups: number[][] = [];
  if (granularity === "pair") {
    for (let k = 0; k + 1 < n; k += 2) {
      const a = perm[k];
      const b = perm[k + 1];
      partners[a] = b;
      partners[b] = a;
      groups.push([a, b]);
    }
    if (n % 2 === 1) {
      const last = perm[n - 1];
      partners[last] = last;
      groups.push([last]);
    }
  } else {
    partners.set(perm);
    if (granularity === "batch") groups.push(Array.from({ length: n }, (_, i) => i));
    else for (let i = 0; i < n; i++) groups.push([i]);
  }
  const modes: MixMode[] = new Array(n).fill("none");
  const drawnLambdas = new Float64Array(n).fill(Number.NaN);
  const lambdas = new Float64Array(n).fill(1);
  const targetWeights = new Float64Array(n).fill(1);
  const boxes: (Box | null)[] = new Array(n).fill(null);
  const centers: (Point | null)[] = new Array(n).fill(null);
  for (const group of groups) {
    const applied = rng.float() < probability;
    const g = applied ? drawGroup() : NO_MIX;
    for (const i of group) {
      modes[i] = g.mode;
      drawnLambdas[i] = g.drawnLambda;
      lambdas[i] = g.lambda;
      targetWeights[i] = g.targetWeight;
      boxes[i] = g.box?.box ?? null;
      centers[i] = g.box?.center ?? null;
    }
  }
  return {
    granularity,
    probability,
    partners,
    modes,
    drawnLambdas,
    lambdas,
    targetWeights,
    boxes,
    centers,
  };
}

/** λ = 1 − |box| / (H·W): the exact fraction of the image outside the box. */
export function keptFraction(box: Box, height: number, width: number): number {
  // (HW − |box|) / HW: one rounding, so it equals kept-pixel counts divided by HW exactly.
  return (height * width - boxArea(box)) / (height * width);
}

/**
 * Applies a draw to a batch (NHWC, any H×W: images or feature maps of the same batch): inside
 * `boxes[i]` the partner's values, elsewhere `x·c + x_B·(1 − c)` with c = λ for Mixup samples
 * and c = 1 otherwise. Boxes must already be at this tensor's resolution.
 */
export function renderMix(
  batchNHWC: Tensor4D,
  partners: Int32Array,
  modes: readonly MixMode[],
  lambdas: Float64Array,
  boxes: readonly (Box | null)[],
): Tensor4D {
  return tf.tidy(() => {
    const [n, height, width, channels] = batchNHWC.shape;
    let anyCut = false;
    let anyBlend = false;
    for (let i = 0; i < n; i++) {
      if (partners[i] === i) continue; // mixing with itself changes nothing
      if (modes[i] === "mixup" && lambdas[i] !== 1) anyBlend = true;
      const box = boxes[i];
      if (box !== null && boxArea(box) > 0) anyCut = true;
    }
    if (!anyCut && !anyBlend) return batchNHWC.clone();
    const partnerBatch = tf.gather(batchNHWC, tf.tensor1d(partners, "int32"));
    let outside: Tensor4D = batchNHWC;
    if (anyBlend) {
      const c = new Float32Array(n);
      for (let i = 0; i < n; i++) c[i] = modes[i] === "mixup" ? lambdas[i] : 1;
      const cT = tf.tensor4d(c, [n, 1, 1, 1]);
      outside = tf.add(tf.mul(batchNHWC, cT), tf.mul(partnerBatch, tf.sub(1, cT)));
    }
    if (!anyCut) return outside;
    const mask = boxMask(boxes.map((b) => b ?? EMPTY_BOX), height, width, channels);
    return tf.where(mask, partnerBatch, outside) as Tensor4D;
  });
}

/** Renders a draw into images and targets: the last step of every mixing augmentation. */
export function finishMix(
  imagesNHWC: Tensor4D,
  prepared: PreparedBatch,
  draw: MixDraw,
): MixResult {
  const images = renderMix(imagesNHWC, draw.partners, draw.modes, draw.lambdas, draw.boxes);
  const targets = targetsFromLabels(
    prepared.labels,
    prepared.labelSmoothing,
    draw.partners,
    draw.targetWeights,
  );
  return { imagesNHWC: images, targets, draw };
}
