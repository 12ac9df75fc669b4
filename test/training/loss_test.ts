import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { softTargetCrossEntropy } from "../../lib/training/loss.ts";
import { cutMix } from "../../lib/augment/mod.ts";
import type { Tensor2D } from "@tensorflow/tfjs-core";

function ce(logits: number[], label: number): number {
  const max = Math.max(...logits);
  const logSum = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
  return logSum - logits[label];
}

Deno.test("softTargetCrossEntropy equals the λ-weighted cross-entropies of the two labels", () => {
  const before = tf.memory().numTensors;
  const n = 6;
  const k = 5;
  const images = tf.randomUniform([n, 8, 8, 3], 0, 1, "float32", 4);
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 0], "int32");
  const r = cutMix(images as never, labels, { numClasses: k, seed: 2, granularity: "elem" });
  const logitValues = Array.from(
    { length: n },
    (_, i) => Array.from({ length: k }, (_, j) => Math.sin(i * 7 + j) * 3),
  );
  const logits = tf.tensor2d(logitValues);
  const loss = softTargetCrossEntropy(logits, r.targets);
  const labelValues = labels.dataSync();
  let expected = 0;
  for (let i = 0; i < n; i++) {
    const l = r.draw.targetWeights[i];
    expected += l * ce(logitValues[i], labelValues[i]) +
      (1 - l) * ce(logitValues[i], labelValues[r.draw.partners[i]]);
  }
  expected /= n;
  assert.ok(Math.abs(loss.dataSync()[0] - expected) < 1e-5, `${loss.dataSync()[0]} vs ${expected}`);
  tf.dispose([images, labels, r.imagesNHWC, r.targets, logits, loss]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("softTargetCrossEntropy: stable for huge logits, gradient softmax − target", () => {
  const before = tf.memory().numTensors;
  const logits = tf.tensor2d([[1000, -1000, 0], [0, 0, 0]]);
  const targets = tf.tensor2d([[0.5, 0.5, 0], [0, 0, 1]]);
  const loss = softTargetCrossEntropy(logits, targets);
  // Row 0: 0.5·0 + 0.5·2000; row 1: log 3.
  assert.ok(Math.abs(loss.dataSync()[0] - (1000 + Math.log(3)) / 2) < 1e-2);
  const grad = tf.grad((z) => softTargetCrossEntropy(z as Tensor2D, targets))(logits);
  const g = grad.arraySync() as number[][];
  assert.ok(Math.abs(g[0][0] - (1 - 0.5) / 2) < 1e-6);
  assert.ok(Math.abs(g[1][2] - (1 / 3 - 1) / 2) < 1e-6);
  tf.dispose([logits, targets, loss, grad]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("softTargetCrossEntropy: mismatched shapes are named", () => {
  const a = tf.zeros([2, 3]) as Tensor2D;
  const b = tf.zeros([2, 4]) as Tensor2D;
  const c = tf.zeros([2]) as unknown as Tensor2D;
  assert.throws(() => softTargetCrossEntropy(a, b), /logits \[2,3\] and targets \[2,4\]/);
  assert.throws(() => softTargetCrossEntropy(c, a), /logits must be a 2-D/);
  tf.dispose([a, b, c]);
});
