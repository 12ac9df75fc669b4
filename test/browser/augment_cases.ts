/**
 * The calls the browser test makes on both sides: `cutMix`, `mixUp` and `cutout` on one small
 * seeded batch, with the tensor namespace and the augment module passed in, so that the same
 * code runs in Deno (lib/ on the test backend) and in Chromium (the bundled augment entry on
 * `@tensorflow/tfjs`). It imports nothing at run time.
 * @module
 */
import type * as TfCore from "@tensorflow/tfjs-core";
import type * as Augment from "../../lib/augment/mod.ts";

/** What one side computed, as plain JSON. */
export interface AugmentCaseResults {
  backend: string;
  /** `tf.memory().numTensors` after minus before: 0 when nothing leaked. */
  leakedTensors: number;
  cutMix: { pixels: number[]; targets: number[]; draw: unknown };
  mixUp: { pixels: number[]; targets: number[]; draw: unknown };
  cutout: { pixels: number[]; targets: number[]; draw: unknown };
}

/** A batch of N = 4 images 6×6×3 whose values are all distinct (in [0, 1)), labels 0..3. */
function batch(tf: typeof TfCore): { images: TfCore.Tensor4D; labels: TfCore.Tensor1D } {
  const size = 4 * 6 * 6 * 3;
  const images = tf.tidy(() =>
    tf.reshape(tf.div(tf.range(0, size, 1, "float32"), size), [4, 6, 6, 3]) as TfCore.Tensor4D
  );
  return { images, labels: tf.tensor1d([0, 1, 2, 3], "int32") };
}

/** Plain JSON of a draw: typed arrays become arrays. */
function plain(draw: object): unknown {
  return JSON.parse(
    JSON.stringify(draw, (_, v) => ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v),
  );
}

/** Runs the three augmentations on the batch with fixed seeds. */
export function augmentCases(tf: typeof TfCore, augment: typeof Augment): AugmentCaseResults {
  const before = tf.memory().numTensors;
  const { images, labels } = batch(tf);
  const read = (r: { imagesNHWC: TfCore.Tensor; targets: TfCore.Tensor; draw: object }) => {
    const out = {
      pixels: Array.from(r.imagesNHWC.dataSync()),
      targets: Array.from(r.targets.dataSync()),
      draw: plain(r.draw),
    };
    tf.dispose([r.imagesNHWC, r.targets]);
    return out;
  };
  const results = {
    backend: tf.getBackend(),
    cutMix: read(augment.cutMix(images, labels, { numClasses: 4, prob: 1, seed: 2019 })),
    mixUp: read(
      augment.mixUp(images, labels, { numClasses: 4, prob: 1, granularity: "elem", seed: 7 }),
    ),
    cutout: read(
      augment.cutout(images, labels, { numClasses: 4, size: 3, holes: 2, prob: 1, seed: 11 }),
    ),
  };
  tf.dispose([images, labels]);
  return { ...results, leakedTensors: tf.memory().numTensors - before };
}
