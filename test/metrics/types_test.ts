import assert from "node:assert/strict";
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import type { ImageDataset } from "../../lib/data/dataset.ts";
import { datasetBatches, labelTensor, sliceBatches } from "../../lib/metrics/types.ts";
import * as metrics from "../../lib/metrics/mod.ts";

Deno.test("sliceBatches: sizes, contents, and every slice disposed (also on early exit)", () => {
  const before = tf.memory().numTensors;
  const images = tf.tidy(() => tf.range(0, 5).reshape([5, 1, 1, 1])) as Tensor4D;
  const labels = new Int32Array([4, 3, 2, 1, 0]);
  const seen: number[][] = [];
  for (const batch of sliceBatches(images, labels, 2)) {
    seen.push([...batch.imagesNHWC.dataSync(), ...batch.labels as Int32Array]);
  }
  assert.deepEqual(seen, [[0, 1, 4, 3], [2, 3, 2, 1], [4, 0]]);
  for (const _ of sliceBatches(images, labels, 2)) break;
  assert.throws(
    () => [...sliceBatches(images, labels, 0)],
    /batchSize must be an integer >= 1, got 0/,
  );
  images.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("datasetBatches: bytes become float32 in [0, 1]; batches disposed", () => {
  const before = tf.memory().numTensors;
  const dataset: ImageDataset = {
    name: "tiny",
    height: 1,
    width: 2,
    channels: 1,
    numClasses: 2,
    classNames: ["a", "b"],
    pixelsNHWC: new Uint8Array([0, 255, 51, 102, 204, 1]),
    labels: new Int32Array([0, 1, 1]),
  };
  const batches = [...datasetBatches(dataset, 2)].map((b) => (b.labels as Int32Array).length);
  assert.deepEqual(batches, [2, 1]);
  for (const batch of datasetBatches(dataset, 3)) {
    assert.deepEqual(batch.imagesNHWC.shape, [3, 1, 2, 1]);
    const values = batch.imagesNHWC.dataSync();
    [0, 255, 51, 102, 204, 1].forEach((b, i) => assert.equal(values[i], Math.fround(b / 255)));
  }
  assert.throws(
    () => [...datasetBatches({ ...dataset, pixelsNHWC: new Uint8Array(5) }, 2)],
    /pixelsNHWC must hold 3 × 1 × 2 × 1 = 6 bytes, got 5/,
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("labelTensor: validates length, class range and casts to int32", () => {
  const before = tf.memory().numTensors;
  const floats = tf.tensor1d([1, 0]) as Tensor1D;
  const asInt = labelTensor(floats, 2);
  assert.equal(asInt.dtype, "int32");
  assert.throws(() => labelTensor(floats, 3), /labels must have length 3.*got 2/);
  assert.throws(
    () => labelTensor(new Int32Array([-1]), 1, 4),
    /labels\[0\] must be in \[0, 4\), got -1/,
  );
  tf.dispose([floats, asInt]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("mod.ts exports every evaluator", () => {
  for (
    const name of [
      "evaluateTopKErrors",
      "evaluateLocalization",
      "evaluateFgsm",
      "evaluateOcclusion",
      "evaluateInBetween",
      "evaluateOod",
      "evaluateCalibration",
      "classActivationMaps",
      "boxFromMap",
      "oodMetrics",
      "calibration",
    ]
  ) {
    assert.equal(typeof (metrics as Record<string, unknown>)[name], "function", name);
  }
});
