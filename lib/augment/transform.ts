/**
 * The mixing augmentations as `tf.data` batch transforms, the tfjs way to put them in an input
 * pipeline: `dataset.batch(n).map(cutMixTransform({ numClasses, seed }))`. Each batch element
 * `{ xs: imagesNHWC, ys: labels }` becomes `{ xs: mixedImagesNHWC, ys: softTargets }` (keys
 * configurable), ready for `LayersModel.fitDataset` with a categorical cross-entropy loss.
 *
 * One `Random` (from `rng`, or built once from `seed`) is advanced batch after batch, so a
 * pipeline iterated in the same order draws the same boxes and λ every time it is run; each
 * iteration of the dataset (each epoch) continues the stream. `onDraw` sees what was drawn.
 *
 * @example CutMix in a tf.data pipeline into `LayersModel.fitDataset`
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cutMixTransform } from "./transform.ts";
 *
 * const numClasses = 3;
 * const images = tf.randomUniform([24, 8, 8, 3], 0, 1, "float32", 1);
 * const labels = tf.tensor1d(Array.from({ length: 24 }, (_, i) => i % numClasses), "int32");
 * const dataset = tf.data
 *   .zip({ xs: tf.data.array(tf.unstack(images)), ys: tf.data.array(tf.unstack(labels)) })
 *   .batch(8)
 *   .map(cutMixTransform({ numClasses, prob: 0.5, seed: 2019 }));
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.flatten({ inputShape: [8, 8, 3] }),
 *     tf.layers.dense({ units: numClasses, activation: "softmax" }),
 *   ],
 * });
 * model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
 * const history = await model.fitDataset(dataset, { epochs: 2, verbose: 0 });
 * console.log(history.history.loss);
 * ```
 *
 * @example CutMix with `LayersModel.fit` on one batch at a time
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cutMix, Random } from "./mod.ts";
 *
 * const numClasses = 3;
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.flatten({ inputShape: [8, 8, 3] }),
 *     tf.layers.dense({ units: numClasses, activation: "softmax" }),
 *   ],
 * });
 * model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
 * const rng = new Random(2019);
 * const images = tf.randomUniform([16, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const labels = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % numClasses), "int32");
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   const { imagesNHWC, targets } = cutMix(images, labels, { numClasses, prob: 0.5, rng });
 *   await model.fit(imagesNHWC, targets, { epochs: 1, batchSize: 16, verbose: 0 });
 *   tf.dispose([imagesNHWC, targets]);
 * }
 * ```
 * @module
 */
import type { Tensor, Tensor4D, TensorContainer } from "@tensorflow/tfjs-core";
import { resolveRandom } from "../random.ts";
import { cutMix, type CutMixOptions } from "./cutmix.ts";
import type { MixDraw, MixOptions, MixResult } from "./mixing.ts";
import { mixUp, type MixUpOptions } from "./mixup.ts";
import { mixUpOrCutMix, type MixUpOrCutMixOptions } from "./switch.ts";

/** Where the transform finds its tensors in a batch element, and who sees the draws. */
export interface BatchTransformOptions {
  /** Key of the images `[N, H, W, C]` (float32) in each batch element. Default `"xs"`. */
  readonly imagesKey?: string;
  /** Key of the labels (int32 `[N]` class indices or `[N, K]` rows). Default `"ys"`. */
  readonly labelsKey?: string;
  /** Called with each batch's draw (λ, boxes, partners), e.g. to log or plot it. */
  readonly onDraw?: (draw: MixDraw) => void;
}

/** A `tf.data` batch transform: for `dataset.batch(n).map(transform)`. */
export type BatchTransform = (batch: TensorContainer) => Record<string, TensorContainer>;

/** The defaults of {@link BatchTransformOptions}: tfjs-layers' `{ xs, ys }`. */
export const BATCH_TRANSFORM_DEFAULTS: Readonly<{ imagesKey: string; labelsKey: string }> = Object
  .freeze({ imagesKey: "xs", labelsKey: "ys" });

function batchTransform<O extends MixOptions>(
  name: string,
  mix: (imagesNHWC: Tensor4D, labels: Tensor, options: O) => MixResult,
  options: O & BatchTransformOptions,
): BatchTransform {
  if (options === null || typeof options !== "object") {
    throw new Error(`${name}: options must be an object, got ${options}`);
  }
  const {
    imagesKey = BATCH_TRANSFORM_DEFAULTS.imagesKey,
    labelsKey = BATCH_TRANSFORM_DEFAULTS.labelsKey,
    onDraw,
    ...mixOptions
  } = options;
  // One stream for the whole pipeline, so that a seed gives new draws batch after batch.
  const rng = resolveRandom(mixOptions);
  const perBatch = { ...mixOptions, seed: undefined, rng } as O;
  return (batch) => {
    const element = batch as Record<string, TensorContainer> | null;
    const images = element?.[imagesKey];
    const labels = element?.[labelsKey];
    if (images === undefined || labels === undefined) {
      throw new Error(
        `${name}: each batch must be an object with "${imagesKey}" (images) and ` +
          `"${labelsKey}" (labels); use dataset.batch(n) on { ${imagesKey}, ${labelsKey} } ` +
          "elements, or set imagesKey / labelsKey",
      );
    }
    const result = mix(images as Tensor4D, labels as Tensor, perBatch);
    onDraw?.(result.draw);
    return { ...element, [imagesKey]: result.imagesNHWC, [labelsKey]: result.targets };
  };
}

/** {@link cutMix} as a `tf.data` batch transform (see the module doc). */
export function cutMixTransform(options: CutMixOptions & BatchTransformOptions): BatchTransform {
  return batchTransform("cutMixTransform", cutMix, options);
}

/** {@link mixUp} as a `tf.data` batch transform (see the module doc). */
export function mixUpTransform(options: MixUpOptions & BatchTransformOptions): BatchTransform {
  return batchTransform("mixUpTransform", mixUp, options);
}

/** {@link mixUpOrCutMix} as a `tf.data` batch transform (see the module doc). */
export function mixUpOrCutMixTransform(
  options: MixUpOrCutMixOptions & BatchTransformOptions,
): BatchTransform {
  return batchTransform("mixUpOrCutMixTransform", mixUpOrCutMix, options);
}
