import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  DEFAULT_FGSM_EPSILON,
  DEFAULT_FGSM_EPSILONS,
  evaluateFgsm,
  evaluateFgsmCurve,
  fgsmAttack,
  fgsmGradientSign,
  fgsmStep,
} from "../../lib/metrics/fgsm.ts";
import { Random } from "../../lib/random.ts";

const EPS32 = Math.fround(8 / 255);

/** A linear model on flattened pixels: logits = x · W + b. */
function linearModel(weights: number[][], bias: number[]) {
  const w = tf.tensor2d(weights);
  const b = tf.tensor1d(bias);
  const predict = (x: Tensor4D) =>
    tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], -1]), w), b) as Tensor2D);
  return { predict, dispose: () => tf.dispose([w, b]) };
}

Deno.test("fgsmAttack: steps by ε along the known sign of a linear model's gradient", () => {
  const before = tf.memory().numTensors;
  // For CE with label y, ∂/∂x_i = Σ_k W[i, k] (p_k − [k = y]). With two classes and y = 0 this is
  // (1 − p_0)(W[i, 1] − W[i, 0]): pixel 0 → sign(−2) = −1, pixel 1 → +1, pixel 2 → 0 (zero row).
  const model = linearModel([[1, -1], [-2, 2], [0, 0]], [0, 0]);
  const images = tf.tensor4d([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 1, 0.25], [3, 1, 3, 1]);
  const adversarial = fgsmAttack(model.predict, images, new Int32Array([0, 1, 0]));
  assert.deepEqual(adversarial.shape, [3, 1, 3, 1]);
  const expected = [
    0.5 - EPS32,
    0.5 + EPS32,
    0.5, // y = 0
    0.5 + EPS32,
    0.5 - EPS32,
    0.5, // y = 1: signs flip
    0,
    1,
    0.25, // clipped to [0, 1]
  ];
  const actual = adversarial.dataSync();
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) < 1e-7, `pixel ${i}: ${actual[i]}`);
  }
  assert.deepEqual(Array.from(images.dataSync()), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 1, 0.25]);
  assert.throws(
    () => fgsmAttack(model.predict, images, new Int32Array([0, 1, 0]), -0.1),
    /epsilon must be a number in \[0, 1\], got -0.1/,
  );
  tf.dispose([images, adversarial]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluateFgsm: the attack flips exactly the images within ε of the boundary", async () => {
  const before = tf.memory().numTensors;
  // One pixel: z = (x, 0.01 − x); class 0 iff x > 0.005.
  const model = linearModel([[1, -1]], [0, 0.01]);
  const images = tf.tensor4d([0.02, 0.5, 0.001, 0.9], [4, 1, 1, 1]);
  const labels = new Int32Array([0, 0, 1, 1]); // the last one is wrong even before the attack
  const batches = [
    { imagesNHWC: tf.slice(images, [0], [2]) as Tensor4D, labels: labels.subarray(0, 2) },
    { imagesNHWC: tf.slice(images, [2], [2]) as Tensor4D, labels: labels.subarray(2, 4) },
  ];
  const result = await evaluateFgsm(model.predict, batches);
  assert.deepEqual(result, {
    count: 4,
    epsilon: DEFAULT_FGSM_EPSILON,
    cleanAccuracy: 3 / 4,
    adversarialAccuracy: 1 / 4, // 0.02 → 0 and 0.001 → 0.032 cross the boundary at 0.005
    adversarialError: 3 / 4,
  });
  const none = await evaluateFgsm(model.predict, batches, { epsilon: 0 });
  assert.equal(none.adversarialAccuracy, none.cleanAccuracy);
  await assert.rejects(
    () => evaluateFgsm(model.predict, batches, { epsilon: 2 }),
    /options.epsilon must be a number in \[0, 1\], got 2/,
  );
  tf.dispose([images, ...batches.map((b) => b.imagesNHWC)]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("fgsmAttack: random linear model, analytic gradient signs and the convexity bound", () => {
  const before = tf.memory().numTensors;
  const rng = new Random(5);
  const pixels = 12, classes = 5, n = 16;
  const weights = Array.from(
    { length: pixels },
    () => Array.from({ length: classes }, () => rng.normal()),
  );
  const bias = Array.from({ length: classes }, () => rng.normal());
  const model = linearModel(weights, bias);
  // Pixels in [0.1, 0.9]: no clipping at ε = 8/255.
  const x = Array.from({ length: n * pixels }, () => rng.uniform(0.1, 0.9));
  const labels = Int32Array.from({ length: n }, () => rng.int(classes));
  const images = tf.tensor4d(x, [n, 1, pixels, 1]);
  const adversarial = fgsmAttack(model.predict, images, labels);
  const xAdv = adversarial.dataSync();
  const xIn = images.dataSync();
  const ce = (row: ArrayLike<number>, y: number) => {
    const z = bias.map((b, k) => b + weights.reduce((s, w, j) => s + row[j] * w[k], 0));
    const top = Math.max(...z);
    const logSum = Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0)) + top;
    return { loss: logSum - z[y], p: z.map((v) => Math.exp(v - logSum)) };
  };
  let checkedSigns = 0;
  for (let i = 0; i < n; i++) {
    const clean = xIn.subarray(i * pixels, (i + 1) * pixels);
    const attacked = xAdv.subarray(i * pixels, (i + 1) * pixels);
    const { loss, p } = ce(clean, labels[i]);
    const gradient = weights.map((w) =>
      w.reduce((s, wk, k) => s + wk * (p[k] - (k === labels[i] ? 1 : 0)), 0)
    );
    for (let j = 0; j < pixels; j++) {
      if (Math.abs(gradient[j]) < 1e-4) continue; // float32 round-off could flip a tiny one
      assert.ok(Math.abs(attacked[j] - clean[j] - Math.sign(gradient[j]) * EPS32) < 1e-6);
      checkedSigns++;
    }
    // CE is convex in x for a linear model: CE(x + δ) ≥ CE(x) + ∇·δ = CE(x) + ε‖∇‖₁.
    const bound = loss + EPS32 * gradient.reduce((s, g) => s + Math.abs(g), 0);
    assert.ok(ce(attacked, labels[i]).loss >= bound - 1e-4, `image ${i}`);
  }
  assert.ok(checkedSigns > n * pixels * 0.9, `only ${checkedSigns} signs checked`);
  tf.dispose([images, adversarial]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluateFgsmCurve: exact accuracies over the default ε grid, one gradient per batch", async () => {
  const before = tf.memory().numTensors;
  // The one-pixel model above: class 0 iff x > 0.005 (a tie at 0.005 goes to class 0). The
  // attack lowers x for label 0 and raises it for label 1, so image 0.02 (label 0) flips once
  // ε ≥ 0.015 (3.8/255), image 0.001 (label 1) once ε ≥ 0.004 (1.02/255); 0.5 never flips and
  // 0.9 (label 1) is wrong throughout.
  const model = linearModel([[1, -1]], [0, 0.01]);
  const images = tf.tensor4d([0.02, 0.5, 0.001, 0.9], [4, 1, 1, 1]);
  const labels = new Int32Array([0, 0, 1, 1]);
  const batches = [
    { imagesNHWC: tf.slice(images, [0], [2]) as Tensor4D, labels: labels.subarray(0, 2) },
    { imagesNHWC: tf.slice(images, [2], [2]) as Tensor4D, labels: labels.subarray(2, 4) },
  ];
  let gradientCalls = 0;
  const inputGradient = (x: Tensor4D, y: Tensor) => {
    gradientCalls++;
    return tf.grad((v: Tensor) =>
      tf.neg(
        tf.sum(tf.mul(tf.oneHot(y as Tensor1D, 2), tf.logSoftmax(model.predict(v as Tensor4D)))),
      )
    )(x);
  };
  const curve = await evaluateFgsmCurve(model.predict, batches, { inputGradient });
  assert.equal(gradientCalls, 2, "one input gradient per batch, shared by all 7 ε");
  assert.deepEqual(DEFAULT_FGSM_EPSILONS, [0, 0.25, 0.5, 1, 2, 4, 8].map((k) => k / 255));
  assert.equal(curve.count, 4);
  assert.equal(curve.cleanAccuracy, 3 / 4);
  assert.deepEqual(curve.points.map((p) => p.epsilon), DEFAULT_FGSM_EPSILONS);
  assert.deepEqual(curve.points.map((p) => 4 * p.accuracy), [3, 3, 3, 3, 2, 1, 1]);
  assert.deepEqual(curve.points.map((p) => 4 * p.error), [1, 1, 1, 1, 2, 3, 3]);
  // The default gradient (tf.grad of the model) gives the same curve.
  const eager = await evaluateFgsmCurve(model.predict, batches);
  assert.deepEqual(eager, curve);
  // Each point is evaluateFgsm at that ε; an unsorted grid keeps its order.
  const asked = [4 / 255, 0, 1 / 255];
  const some = await evaluateFgsmCurve(model.predict, batches, { epsilons: asked });
  for (const [i, epsilon] of asked.entries()) {
    const single = await evaluateFgsm(model.predict, batches, { epsilon });
    assert.equal(some.points[i].epsilon, epsilon);
    assert.equal(some.points[i].accuracy, single.adversarialAccuracy);
  }
  await assert.rejects(
    () => evaluateFgsmCurve(model.predict, batches, { epsilons: [] }),
    /options.epsilons must not be empty, got \[\]/,
  );
  await assert.rejects(
    () => evaluateFgsmCurve(model.predict, batches, { epsilons: [0, 1.5] }),
    /options.epsilons\[\] must be a number in \[0, 1\], got 1.5/,
  );
  await assert.rejects(() => evaluateFgsmCurve(model.predict, []), /at least one image/);
  tf.dispose([images, ...batches.map((b) => b.imagesNHWC)]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("fgsmGradientSign and fgsmStep: fgsmAttack is the step along the sign", () => {
  const before = tf.memory().numTensors;
  const rng = new Random(11);
  const weights = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => rng.normal()));
  const model = linearModel(weights, [0.1, -0.2, 0.3]);
  const images = tf.tensor4d(Array.from({ length: 24 }, () => rng.uniform(0, 1)), [4, 2, 3, 1]);
  const labels = new Int32Array([0, 1, 2, 1]);
  const sign = fgsmGradientSign(model.predict, images, labels);
  const values = Array.from(sign.dataSync());
  assert.ok(values.every((v) => v === -1 || v === 0 || v === 1), `signs: ${values}`);
  for (const epsilon of [0, 2 / 255, 8 / 255, 1]) {
    const stepped = fgsmStep(images, sign, epsilon);
    const attacked = fgsmAttack(model.predict, images, labels, epsilon);
    assert.deepEqual(stepped.dataSync(), attacked.dataSync(), `ε = ${epsilon}`);
    tf.dispose([stepped, attacked]);
  }
  const other = tf.zeros([4, 3, 2, 1]) as Tensor4D;
  assert.throws(
    () => fgsmStep(images, other, 0.1),
    /gradientSign must have the shape of imagesNHWC \[4, 2, 3, 1\], got \[4, 3, 2, 1\]/,
  );
  assert.throws(() => fgsmStep(images, sign, -1), /epsilon must be a number in \[0, 1\], got -1/);
  tf.dispose([images, sign, other]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});
