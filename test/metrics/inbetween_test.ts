import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { Random } from "../../lib/random.ts";
import {
  centeredCutMixImages,
  centeredCutMixLambda,
  evaluateInBetween,
  mixupImages,
} from "../../lib/metrics/inbetween.ts";

Deno.test("mixupImages / centeredCutMixImages: pixel values and λ of the centred square", () => {
  const before = tf.memory().numTensors;
  const a = tf.fill([1, 4, 4, 1], 1) as Tensor4D;
  const b = tf.fill([1, 4, 4, 1], 3) as Tensor4D;
  const mixed = mixupImages(a, b, 0.25);
  assert.deepEqual(Array.from(mixed.dataSync()), new Array(16).fill(2.5));
  const cut = centeredCutMixImages(a, b, 2);
  assert.deepEqual(
    Array.from(cut.dataSync()),
    [1, 1, 1, 1, 1, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 1],
  );
  assert.equal(centeredCutMixLambda(4, 4, 2), 0.75);
  assert.equal(centeredCutMixLambda(4, 4, 0), 1);
  assert.equal(centeredCutMixLambda(4, 4, 9), 0);
  assert.equal(centeredCutMixLambda(1, 2, 2), 0); // clipped to the one row
  assert.throws(() => mixupImages(a, b, 1.5), /lambda must be a number in \[0, 1\], got 1.5/);
  const small = tf.zeros([1, 2, 2, 1]) as Tensor4D;
  assert.throws(() => mixupImages(a, small, 0.5), /imagesB must have the shape.*\[1, 2, 2, 1\]/);
  tf.dispose([a, b, mixed, cut, small]);
  assert.equal(tf.memory().numTensors, before);
});

// 1×2 images with 3 channels, one per class; the model averages each channel over the image and
// adds a fourth class with the constant score 0.55. A mixed pair falls to class 3 ("neither")
// when both classes' scores drop below 0.55.
const model = (x: Tensor4D) =>
  tf.tidy(() => {
    const pooled = tf.mean(x, [1, 2]) as Tensor2D;
    return tf.concat([pooled, tf.fill([x.shape[0], 1], 0.55)], 1) as Tensor2D;
  });

function makeImages(): Tensor4D {
  // Labels 0, 1, 1, 2; image 0 is a weak class 0 (0.7 instead of 1).
  const pixel = (c: number, v = 1) => [0, 1, 2].map((k) => (k === c ? v : 0));
  return tf.tensor4d([
    [[pixel(0, 0.7), pixel(0, 0.7)]],
    [[pixel(1), pixel(1)]],
    [[pixel(1), pixel(1)]],
    [[pixel(2), pixel(2)]],
  ]);
}

Deno.test("evaluateInBetween: neither-class rates on hand-made pairs", async () => {
  const before = tf.memory().numTensors;
  const images = makeImages();
  const batches = [{ imagesNHWC: images, labels: new Int32Array([0, 1, 1, 2]) }];
  // Partners (a + 1) mod 4: (0, 1), (1, 1) skipped as same-class, (1, 2), (2, 0) → 3 pairs.
  const result = await evaluateInBetween(model, batches, {
    lambdas: [0, 0.3, 0.5, 1],
    sides: [0, 1, 2],
  });
  assert.deepEqual(result, {
    pairs: 3,
    mixup: [
      { lambda: 0, neitherRate: 0 },
      // only (2, 0): 0.3 for class 2 and 0.7·0.7 = 0.49 for class 0, both below 0.55
      { lambda: 0.3, neitherRate: 1 / 3 },
      { lambda: 0.5, neitherRate: 1 },
      { lambda: 1, neitherRate: 0 },
    ],
    cutmix: [
      { side: 0, lambda: 1, neitherRate: 0 },
      { side: 1, lambda: 0.5, neitherRate: 1 }, // left pixel from b: half and half
      { side: 2, lambda: 0, neitherRate: 0 },
    ],
  });
  images.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluateInBetween: random partners are reproducible from the seed", async () => {
  const before = tf.memory().numTensors;
  const images = makeImages();
  const labels = new Int32Array([0, 1, 1, 2]);
  const batches = [{ imagesNHWC: images, labels }];
  const options = { lambdas: [0.5], sides: [1] };
  const first = await evaluateInBetween(model, batches, { ...options, rng: new Random(3) });
  const again = await evaluateInBetween(model, batches, { ...options, rng: new Random(3) });
  assert.deepEqual(first, again);
  const partner = new Random(3).permutation(4);
  const expectedPairs = Array.from(labels).filter((y, i) => y !== labels[partner[i]]).length;
  assert.equal(first.pairs, expectedPairs);
  // At λ = 0.5 every different-class pair here scores ≤ 0.5 < 0.55 for both classes.
  assert.equal(first.mixup[0].neitherRate, 1);
  await assert.rejects(
    () => evaluateInBetween(model, [{ imagesNHWC: images, labels: new Int32Array(4) }]),
    /at least one pair of images of different classes/,
  );
  images.dispose();
  assert.equal(tf.memory().numTensors, before);
});
