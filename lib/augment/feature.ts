/**
 * Feature-level CutMix (Sec. 4.1.3, Fig. 3 right): the CutMix box and partners are drawn once
 * per batch at the image's resolution, then applied to an intermediate feature map of the model
 * (layer 0 = the input image, 1 = after the stem, 2..4 = after stage 1..3), with the box
 * rescaled to that map's grid (each edge to the nearest grid line, see `scaleBox`).
 *
 * λ on a coarser map: a rescaled box rarely covers exactly the image box's fraction (a 5×5 box
 * on 32×32 is 2.4% of the image but becomes 1×1 = 1.6% of an 8×8 map). The targets here use
 * the exact pasted fraction *on the map*, λ = 1 − |box on map| / (h·w), because that is what the
 * model actually mixes: everything downstream of the layer sees exactly that fraction of the
 * partner. The image-resolution box and λ stay in `draw.imageBoxes` / `draw.imageLambdas`.
 * The map's size must therefore be known when the targets are made: give `featureSize`, or
 * accept the default for the paper's CIFAR networks (ResNet/PyramidNet: the stem and stage 1
 * keep H×W, stages 2 and 3 halve it with "same" padding). `mix` throws if the map it receives has
 * another size, so a wrong guess can never mix silently with mismatched targets.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Tensor4D } from "@tensorflow/tfjs";
 * import { featureCutMix } from "./feature.ts";
 * const images = tf.randomUniform([4, 32, 32, 3]) as Tensor4D;
 * const labels = tf.tensor1d([0, 1, 2, 3], "int32");
 * const { imagesNHWC, targets, featureMix } = featureCutMix(images, labels, {
 *   numClasses: 10,
 *   seed: 5,
 *   layer: 3, // after stage 2: a 16×16 map on CIFAR
 * });
 * const features = tf.randomNormal([4, 16, 16, 32]) as Tensor4D; // the model's map
 * const mixed = featureMix.mix(features); // same box, scaled to 16×16, partner's features inside
 * tf.dispose([images, labels, imagesNHWC, targets, features, mixed]);
 * ```
 * @module
 */
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { type Box, scaleBox } from "./box.ts";
import { CUTMIX_DEFAULTS, type CutMixOptions, cutMixTargetWeight, planCutMix } from "./cutmix.ts";
import type { MixDraw } from "./mixing.ts";
import { keptFraction, renderMix } from "./_engine.ts";
import { targetsFromLabels } from "./targets.ts";
import type { FeatureMix, FeatureMixGraphInputs, MixLayer } from "./types.ts";
import { checkInteger } from "../_validate.ts";

/** The mixing points, in order. */
export const MIX_LAYERS: readonly MixLayer[] = [0, 1, 2, 3, 4];

/** Options of {@link featureCutMix}: CutMix's, plus where to mix and that map's size. */
export interface FeatureCutMixOptions extends CutMixOptions {
  /** 0 = image, 1 = after the stem, 2..4 = after stage 1..3. */
  readonly layer: MixLayer;
  /** Height × width of the feature map at `layer`. Default: {@link cifarFeatureSize}. */
  readonly featureSize?: { readonly height: number; readonly width: number };
}

/** The draw, with boxes and λ at the feature map's resolution (what the targets follow). */
export interface FeatureMixDraw extends MixDraw {
  /** The mixing point the draw is for (`options.layer`). */
  readonly layer: MixLayer;
  /** The feature map's height at `layer`, in map cells: the grid of `boxes` and `lambdas`. */
  readonly featureHeight: number;
  /** The feature map's width at `layer`, in map cells. */
  readonly featureWidth: number;
  /** The boxes as drawn on the image (null where nothing was cut). */
  readonly imageBoxes: readonly (Box | null)[];
  /** λ of the image-resolution boxes, 1 − |image box| / (H·W). */
  readonly imageLambdas: Float64Array;
}

/** The result of {@link featureCutMix}. Tensors are new and owned by the caller. */
export interface FeatureCutMixResult {
  /** The input images, unmixed (a new handle: the model mixes at `featureMix.layer`). */
  readonly imagesNHWC: Tensor4D;
  /** Soft targets [N, K] following λ at the map's resolution. */
  readonly targets: Tensor2D;
  /** The op the model applies at its layer. */
  readonly featureMix: FeatureMix;
  /** What was drawn: partners, and boxes and λ on the feature map and on the image. */
  readonly draw: FeatureMixDraw;
}

/**
 * The map size at `layer` in the paper's CIFAR ResNet/PyramidNet: H×W for layers 0–2, then
 * halved (rounded up, "same" padding) after stages 2 and 3.
 */
export function cifarFeatureSize(
  layer: MixLayer,
  height: number,
  width: number,
): { height: number; width: number } {
  const halvings = Math.max(0, layer - 2);
  let h = height;
  let w = width;
  for (let k = 0; k < halvings; k++) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  return { height: h, width: w };
}

/** Throws unless `layer` is a mixing point 0..4. */
export function checkMixLayer(layer: number): MixLayer {
  if (!MIX_LAYERS.includes(layer as MixLayer)) {
    throw new Error(`layer must be one of ${MIX_LAYERS.join(", ")}, got ${layer}`);
  }
  return layer as MixLayer;
}

/**
 * Draws CutMix for a batch and returns the targets plus the {@link FeatureMix} that applies the
 * same partners and box (rescaled) to the feature map at `options.layer`. Draw order as
 * {@link cutMix}.
 */
export function featureCutMix(
  imagesNHWC: Tensor4D,
  labels: Tensor,
  options: FeatureCutMixOptions,
): FeatureCutMixResult {
  const layer = checkMixLayer(options.layer);
  const { prepared, draw: imageDraw } = planCutMix(imagesNHWC, labels, options);
  const { n, height, width } = prepared.shape;
  const size = options.featureSize ?? cifarFeatureSize(layer, height, width);
  const featureHeight = checkInteger(size.height, "featureSize.height", 1);
  const featureWidth = checkInteger(size.width, "featureSize.width", 1);
  const rule = options.target ?? CUTMIX_DEFAULTS.target;
  const lambdaSizesBox = options.fixedSize === undefined && options.minMax === undefined;
  const correct = (options.correctLambda ?? CUTMIX_DEFAULTS.correctLambda) || !lambdaSizesBox;
  const boxes = imageDraw.boxes.map((box) =>
    box === null ? null : scaleBox(box, height, width, featureHeight, featureWidth)
  );
  const lambdas = new Float64Array(n).fill(1);
  const targetWeights = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const box = boxes[i];
    if (box === null) continue;
    lambdas[i] = keptFraction(box, featureHeight, featureWidth);
    targetWeights[i] = cutMixTargetWeight(rule, correct ? lambdas[i] : imageDraw.drawnLambdas[i]);
  }
  const draw: FeatureMixDraw = {
    ...imageDraw,
    lambdas,
    targetWeights,
    boxes,
    layer,
    featureHeight,
    featureWidth,
    imageBoxes: imageDraw.boxes,
    imageLambdas: imageDraw.lambdas,
  };
  const checkSize = (shape: readonly number[]) => {
    if (shape[0] !== n || shape[1] !== featureHeight || shape[2] !== featureWidth) {
      throw new Error(
        `featuresNHWC at layer ${layer} has shape [${shape}] but this FeatureMix ` +
          `was drawn for [${n}, ${featureHeight}, ${featureWidth}, C]: pass featureSize`,
      );
    }
  };
  const featureMix: FeatureMix = {
    layer,
    mix(featuresNHWC: Tensor4D): Tensor4D {
      if (featuresNHWC === null || typeof featuresNHWC !== "object" || featuresNHWC.rank !== 4) {
        throw new Error(
          `featuresNHWC must be a 4-D tensor [N, H, W, C], got shape [${featuresNHWC?.shape}]`,
        );
      }
      checkSize(featuresNHWC.shape);
      return renderMix(featuresNHWC, draw.partners, draw.modes, draw.lambdas, draw.boxes);
    },
    graphInputs(height: number, width: number): FeatureMixGraphInputs {
      checkSize([n, height, width, 0]);
      // renderMix's where(mask, partner, x): the boxes at this map's resolution, as 0/1.
      const mask = new Uint8Array(n * height * width);
      draw.boxes.forEach((box, i) => {
        if (box === null) return;
        for (let y = box.y0; y < box.y1; y++) {
          mask.fill(1, (i * height + y) * width + box.x0, (i * height + y) * width + box.x1);
        }
      });
      return { partners: Int32Array.from(draw.partners), mask };
    },
  };
  const targets = targetsFromLabels(
    prepared.labels,
    prepared.labelSmoothing,
    draw.partners,
    draw.targetWeights,
  );
  return { imagesNHWC: imagesNHWC.clone(), targets, featureMix, draw };
}
