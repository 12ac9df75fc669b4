import assert from "node:assert/strict";
import * as tfjs from "@tensorflow/tfjs";
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  cutMix,
  cutMixTransform,
  type MixDraw,
  mixUp,
  mixUpTransform,
  Random,
} from "../../lib/augment/mod.ts";
import { codedImages, cyclicLabels } from "./helpers.ts";

/** A tf.data pipeline of `n` coded 4×4×2 images with labels i % 3, in batches of `batch`. */
function dataset(n: number, batch: number) {
  const images = codedImages(n, 4, 4, 2);
  const labels = cyclicLabels(n, 3);
  const xs = tf.unstack(images);
  const ys = tf.unstack(labels);
  tf.dispose([images, labels]);
  const data = tfjs.data.zip({ xs: tfjs.data.array(xs), ys: tfjs.data.array(ys) }).batch(batch);
  return { data, dispose: () => tf.dispose([...xs, ...ys]) };
}

async function collect(
  data: tfjs.data.Dataset<tfjs.TensorContainer>,
): Promise<{ xs: number[][]; ys: number[][] }> {
  const out = { xs: [] as number[][], ys: [] as number[][] };
  await data.forEachAsync((element) => {
    const { xs, ys } = element as { xs: Tensor; ys: Tensor };
    out.xs.push(Array.from(xs.dataSync()));
    out.ys.push(Array.from(ys.dataSync()));
  });
  return out;
}

Deno.test("cutMixTransform in tf.data: batch after batch, the same mix as cutMix with one stream", async () => {
  const before = tf.memory().numTensors;
  const { data, dispose } = dataset(8, 4);
  const draws: MixDraw[] = [];
  const mixed = await collect(
    data.map(cutMixTransform({ numClasses: 3, prob: 1, seed: 5, onDraw: (d) => draws.push(d) })),
  );
  // By hand: the same two batches through cutMix, drawing from one Random(5) in order.
  const rng = new Random(5);
  const all = codedImages(8, 4, 4, 2);
  const labels = cyclicLabels(8, 3);
  for (let b = 0; b < 2; b++) {
    const images = tf.slice(all, [4 * b, 0, 0, 0], [4, 4, 4, 2]) as Tensor4D;
    const ys = tf.slice(labels, [4 * b], [4]);
    const expected = cutMix(images, ys, { numClasses: 3, prob: 1, rng });
    assert.deepEqual(mixed.xs[b], Array.from(expected.imagesNHWC.dataSync()), `batch ${b} images`);
    assert.deepEqual(mixed.ys[b], Array.from(expected.targets.dataSync()), `batch ${b} targets`);
    assert.deepEqual(draws[b].partners, expected.draw.partners);
    tf.dispose([images, ys, expected.imagesNHWC, expected.targets]);
  }
  assert.equal(draws.length, 2);
  assert.notDeepEqual(Array.from(draws[0].lambdas), Array.from(draws[1].lambdas));
  tf.dispose([all, labels]);
  dispose();
  assert.equal(tf.memory().numTensors, before, "the pipeline leaked tensors");
});

Deno.test("mixUpTransform: custom keys, other keys passed through", async () => {
  const images = codedImages(4, 2, 2, 1);
  const labels = cyclicLabels(4, 2);
  const data = tfjs.data.array([{ img: images, lab: labels, id: tf.tensor1d([7, 8, 9, 10]) }]);
  const out = await data.map(
    mixUpTransform({ numClasses: 2, prob: 1, seed: 3, imagesKey: "img", labelsKey: "lab" }),
  ).toArray();
  const element = out[0] as { img: Tensor4D; lab: Tensor2D; id: Tensor };
  const expected = mixUp(images, labels, { numClasses: 2, prob: 1, rng: new Random(3) });
  assert.deepEqual(Array.from(element.img.dataSync()), Array.from(expected.imagesNHWC.dataSync()));
  assert.deepEqual(element.lab.shape, [4, 2]);
  assert.deepEqual(Array.from(element.id.dataSync()), [7, 8, 9, 10]);
  tf.dispose([images, labels, element.img, element.lab, element.id]);
  tf.dispose([expected.imagesNHWC, expected.targets]);
});

Deno.test("cutMixTransform: says which keys it needs, and needs a seed or an rng", () => {
  const transform = cutMixTransform({ numClasses: 3, seed: 1 });
  const images = codedImages(2, 2, 2, 1);
  assert.throws(
    () => transform({ images }),
    /cutMixTransform: each batch must be an object with "xs" \(images\) and "ys" \(labels\)/,
  );
  images.dispose();
  assert.throws(
    () => cutMixTransform({ numClasses: 3 }),
    /an rng \(Random\) or a seed is required/,
  );
});
