import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { centeredSquareMask, evaluateOcclusion, occlude } from "../../lib/metrics/occlusion.ts";

function maskRows(height: number, width: number, side: number): string[] {
  const mask = centeredSquareMask(height, width, side);
  const data = mask.dataSync();
  mask.dispose();
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(Array.from(data.subarray(y * width, (y + 1) * width)).join(""));
  }
  return rows;
}

Deno.test("centeredSquareMask: centred, top-left offset rounded down, clipped", () => {
  const before = tf.memory().numTensors;
  assert.deepEqual(maskRows(4, 4, 2), ["0000", "0110", "0110", "0000"]);
  assert.deepEqual(maskRows(4, 4, 3), ["1110", "1110", "1110", "0000"]); // ⌊(4 − 3)/2⌋ = 0
  assert.deepEqual(maskRows(5, 4, 3), ["0000", "1110", "1110", "1110", "0000"]);
  assert.deepEqual(maskRows(3, 3, 0), ["000", "000", "000"]);
  assert.deepEqual(maskRows(3, 3, 7), ["111", "111", "111"]);
  assert.throws(() => centeredSquareMask(3, 3, 1.5), /side must be an integer >= 0, got 1.5/);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("occlude: centre zero-fills the square, boundary everything else", () => {
  const before = tf.memory().numTensors;
  const images = tf.tidy(() => tf.add(tf.range(0, 16).reshape([1, 4, 4, 1]), 1)) as Tensor4D;
  const center = occlude(images, 2, "center");
  const boundary = occlude(images, 2, "boundary");
  assert.deepEqual(
    Array.from(center.dataSync()),
    [1, 2, 3, 4, 5, 0, 0, 8, 9, 0, 0, 12, 13, 14, 15, 16],
  );
  assert.deepEqual(
    Array.from(boundary.dataSync()),
    [0, 0, 0, 0, 0, 6, 7, 0, 0, 10, 11, 0, 0, 0, 0, 0],
  );
  assert.throws(() => occlude(images, 2, "middle" as never), /mode must be.*got middle/);
  tf.dispose([images, center, boundary]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluateOcclusion: curves of a model reading one corner and one centre pixel", async () => {
  const before = tf.memory().numTensors;
  // z0 = x(0, 0) (a corner pixel), z1 = 0.5·x(1, 1) + 0.25 (a centre pixel). On all-ones images
  // the model predicts class 0 unless the corner is zero-filled.
  const model = (x: Tensor4D) =>
    tf.tidy(() => {
      const corner = tf.slice(x, [0, 0, 0, 0], [-1, 1, 1, 1]).reshape([-1, 1]);
      const centre = tf.slice(x, [0, 1, 1, 0], [-1, 1, 1, 1]).reshape([-1, 1]);
      return tf.concat([corner, tf.add(tf.mul(centre, 0.5), 0.25)], 1) as Tensor2D;
    });
  const images = tf.ones([3, 4, 4, 1]) as Tensor4D;
  const batches = [{ imagesNHWC: images, labels: new Int32Array([0, 0, 1]) }];
  const result = await evaluateOcclusion(model, batches, { sides: [0, 2, 3, 4] });
  assert.deepEqual(result, {
    count: 3,
    center: [
      { side: 0, error: 1 / 3 },
      { side: 2, error: 1 / 3 }, // the centre pixel alone: still class 0
      { side: 3, error: 2 / 3 }, // rows/cols 0..2 include the corner → class 1
      { side: 4, error: 2 / 3 },
    ],
    boundary: [
      { side: 0, error: 2 / 3 },
      { side: 2, error: 2 / 3 },
      { side: 3, error: 1 / 3 },
      { side: 4, error: 1 / 3 },
    ],
  });
  const byDefault = await evaluateOcclusion(model, batches);
  assert.deepEqual(byDefault.center.map((p) => p.side), [0, 4]);
  await assert.rejects(
    () => evaluateOcclusion(model, batches, { sides: [-1] }),
    /options.sides\[\] must be an integer >= 0, got -1/,
  );
  images.dispose();
  assert.equal(tf.memory().numTensors, before);
});
