import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  calibration,
  collectPredictions,
  confidencesAndCorrectness,
  evaluateCalibration,
} from "../../lib/metrics/calibration.ts";
import { collectMaxSoftmax } from "../../lib/metrics/ood.ts";

function close(actual: number | null, expected: number, tol = 1e-12) {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);
}

Deno.test("calibration: a hand-computed 15-bin ECE", () => {
  // Bins (of width 1/15): 0.1 → #1, 0.3 → #4, 0.35 → #5, 0.9 → #13, 0.95 and 1.0 → #14.
  const result = calibration([0.1, 0.3, 0.35, 0.9, 0.95, 1.0], [0, 1, 0, 1, 1, 0]);
  // Gaps: 0.1, 0.7, 0.35, 0.1 and |0.5 − 0.975| for the two in bin 14.
  close(result.ece, (0.1 + 0.7 + 0.35 + 0.1 + 2 * 0.475) / 6);
  close(result.mce, 0.7);
  close(result.accuracy, 0.5);
  close(result.meanConfidence, 3.6 / 6);
  assert.equal(result.bins.length, 15);
  assert.deepEqual(result.bins.map((b) => b.count), [0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual(result.bins[0], {
    lower: 0,
    upper: 1 / 15,
    count: 0,
    accuracy: null,
    meanConfidence: null,
  });
  close(result.bins[14].meanConfidence, 0.975);
  close(result.bins[14].accuracy, 0.5);
  assert.equal(result.bins[14].upper, 1);
});

Deno.test("calibration: bins include their upper edge; 0 goes to the first bin", () => {
  const edges = calibration([0, 1 / 15, 0.2, 0.2000001, 1], [1, 1, 1, 1, 1]);
  // 0 and 1/15 → bin 0; 0.2 = 3/15 → bin 2 ((2/15, 3/15]); just above → bin 3; 1 → bin 14.
  assert.deepEqual(
    edges.bins.map((b) => b.count),
    [2, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  );
  const two = calibration([0.5, 0.50001], [true, false], 2);
  assert.deepEqual(two.bins.map((b) => b.count), [1, 1]);
  assert.equal(calibration([0.8, 0.8], [1, 1], 1).ece, Math.abs(1 - 0.8));
  assert.throws(() => calibration([1.5], [1]), /confidences\[0\] must be in \[0, 1\], got 1.5/);
  assert.throws(() => calibration([0.5], [1, 0]), /correct must have length 1.*got 2/);
  assert.throws(() => calibration([0.5], [1], 0), /numBins must be an integer >= 1, got 0/);
});

Deno.test("evaluateCalibration: softmax confidences of known logits", async () => {
  const before = tf.memory().numTensors;
  // logits [ln 3, 0] → confidence 0.75 for class 0; [0, ln 9] → 0.9 for class 1.
  const table = [[Math.log(3), 0], [0, Math.log(9)], [Math.log(3), 0], [0, Math.log(9)]];
  const logitsTensor = tf.tensor2d(table);
  const labels = new Int32Array([0, 1, 1, 1]); // the third prediction is wrong
  const { confidences, correct } = confidencesAndCorrectness(logitsTensor, labels);
  close(confidences[0], 0.75, 1e-6);
  close(confidences[1], 0.9, 1e-6);
  assert.deepEqual(Array.from(correct), [1, 1, 0, 1]);
  const images = tf.tidy(() => tf.range(0, 4).reshape([4, 1, 1, 1])) as Tensor4D;
  const model = (x: Tensor4D) =>
    tf.tidy(() => tf.gather(logitsTensor, tf.cast(tf.reshape(x, [-1]), "int32")) as Tensor2D);
  const result = await evaluateCalibration(model, [{ imagesNHWC: images, labels }]);
  // Bin of 0.75: acc 1/2, conf 0.75; bin of 0.9: acc 1, conf 0.9.
  close(result.ece, 0.5 * 0.25 + 0.5 * 0.1, 1e-6);
  assert.equal(result.count, 4);
  tf.dispose([logitsTensor, images]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("collectPredictions: every image in order across batches, the OOD scores as confidences", async () => {
  const before = tf.memory().numTensors;
  // Image i gets logits row i: confidences 0.75, 0.9, 0.5 (a tie: class 0), 0.9.
  const logitsTensor = tf.tensor2d([[Math.log(3), 0], [0, Math.log(9)], [1, 1], [Math.log(9), 0]]);
  const model = (x: Tensor4D) =>
    tf.tidy(() => tf.gather(logitsTensor, tf.cast(tf.reshape(x, [-1]), "int32")) as Tensor2D);
  const images = tf.tidy(() => tf.range(0, 4).reshape([4, 1, 1, 1])) as Tensor4D;
  const labels = new Int32Array([0, 0, 1, 0]);
  const batches = [
    { imagesNHWC: tf.slice(images, [0], [3]) as Tensor4D, labels: labels.subarray(0, 3) },
    { imagesNHWC: tf.slice(images, [3], [1]) as Tensor4D, labels: labels.subarray(3) },
  ];
  const { confidences, correct } = await collectPredictions(model, batches);
  const expected = [0.75, 0.9, 0.5, 0.9];
  expected.forEach((c, i) => close(confidences[i], c, 1e-6));
  assert.deepEqual(Array.from(correct), [1, 0, 0, 1]);
  assert.deepEqual(confidences, await collectMaxSoftmax(model, batches));
  const whole = await evaluateCalibration(model, batches);
  assert.deepEqual(whole, calibration(confidences, correct));
  await assert.rejects(() => evaluateCalibration(model, []), /at least one image/);
  tf.dispose([logitsTensor, images, ...batches.map((b) => b.imagesNHWC)]);
  assert.equal(tf.memory().numTensors, before);
});
