import assert from "node:assert/strict";
import { tf } from "../../lib/backend.ts";
import type { Tensor, Tensor1D } from "@tensorflow/tfjs-node";
import {
  batchNormTrain,
  checkAgainstPlain,
  registerFusedKernels,
  relu,
} from "../../bench/experiments/fused_ops.ts";

Deno.test("fused batch norm, ReLU and CE match the plain tfjs versions within 1e-4", () => {
  for (const seed of [1, 2, 3]) {
    const results = checkAgainstPlain(seed); // throws if it leaks tensors
    for (const [name, diff] of Object.entries(results)) {
      assert.ok(diff <= 1e-4, `seed ${seed}: ${name} differs by ${diff}`);
    }
  }
});

Deno.test("fused batch norm on a hand-made case: exact normalisation and running averages", () => {
  registerFusedKernels();
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    // One channel, values 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3).
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const out = batchNormTrain(
      x,
      tf.tensor1d([2]) as Tensor1D,
      tf.tensor1d([1]) as Tensor1D,
      tf.tensor1d([0]) as Tensor1D,
      tf.tensor1d([1]) as Tensor1D,
      { epsilon: 0, momentum: 0.5, relu: true },
    );
    const s = Math.sqrt(1.25);
    const expected = [1, 2, 3, 4].map((v) => Math.max(0, (2 * (v - 2.5)) / s + 1));
    const y = out.y.dataSync();
    expected.forEach((e, i) => assert.ok(Math.abs(y[i] - e) < 1e-5, `y[${i}] ${y[i]} vs ${e}`));
    assert.ok(Math.abs(out.runningMean.dataSync()[0] - 1.25) < 1e-6);
    assert.ok(Math.abs(out.runningVar.dataSync()[0] - (0.5 + 0.5 * (5 / 3))) < 1e-5);
  });
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("fused ReLU's gradient is 1 where the output is positive, else 0", () => {
  registerFusedKernels();
  const before = tf.memory().numTensors;
  const g = tf.tidy(() =>
    tf.grad((x: Tensor) => tf.sum(relu(x)))(tf.tensor1d([-1, 0.5, 2, -3])).arraySync()
  );
  assert.deepEqual(g, [0, 1, 1, 0]);
  assert.equal(tf.memory().numTensors, before);
});
