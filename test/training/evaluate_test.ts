import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import type { ImageDataset } from "../../lib/data/dataset.ts";
import type { ImageClassifier } from "../../lib/models/model.ts";
import { evaluateClassifier } from "../../lib/training/evaluate.ts";

/** A "model" whose logits for an image are its first 6 pixel values (channel 0 of a 1×6 row). */
const stub = {
  numClasses: 6,
  forward(imagesNHWC: Tensor4D, { training }: { training: boolean }) {
    assert.equal(training, false);
    return tf.tidy(() => ({
      logits: tf.reshape(tf.mul(imagesNHWC, 255), [imagesNHWC.shape[0], 6]) as Tensor2D,
      featuresNHWC: tf.zeros([imagesNHWC.shape[0], 1, 1, 1]) as Tensor4D,
    }));
  },
} as unknown as ImageClassifier;

Deno.test("evaluateClassifier: top-1 / top-5 error and mean cross-entropy on hand-made logits", () => {
  // Three images; logits = pixel bytes.
  const rows = [
    [9, 1, 1, 1, 1, 1], // label 0: top-1 right
    [1, 9, 5, 4, 3, 2], // label 0: 5 logits above it → wrong for top-1 and top-5
    [1, 2, 9, 3, 4, 5], // label 1: 4 logits above it → wrong for top-1, right for top-5
  ];
  const dataset: ImageDataset = {
    name: "hand",
    height: 1,
    width: 6,
    channels: 1,
    numClasses: 6,
    classNames: ["a", "b", "c", "d", "e", "f"],
    pixelsNHWC: new Uint8Array(rows.flat()),
    labels: new Int32Array([0, 0, 1]),
  };
  const before = tf.memory().numTensors;
  for (const batchSize of [1, 2, 3]) {
    const result = evaluateClassifier(stub, dataset, batchSize);
    assert.equal(result.count, 3);
    assert.equal(result.top1Error, 2 / 3);
    assert.equal(result.top5Error, 1 / 3);
    const ce = (row: number[], y: number) =>
      Math.log(row.reduce((s, z) => s + Math.exp(z), 0)) - row[y];
    const expected = (ce(rows[0], 0) + ce(rows[1], 0) + ce(rows[2], 1)) / 3;
    assert.ok(Math.abs(result.loss - expected) < 1e-5, `${result.loss} vs ${expected}`);
  }
  assert.equal(tf.memory().numTensors, before);
});
