import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  extractFeatures,
  inferenceFeatures,
  linearProbe,
  type LinearProbeOptions,
  PROBE_STANDARDIZE_EPSILON,
} from "../../lib/metrics/linear_probe.ts";
import { sliceBatches } from "../../lib/metrics/types.ts";
import { Random } from "../../lib/random.ts";

/** n × dim standard-normal features from a seeded stream, as a tensor. */
function normalFeatures(rng: Random, n: number, dim: number, shift: number[] = []): Tensor2D {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() + (shift[i % dim] ?? 0);
  return tf.tensor2d(out, [n, dim]);
}

/** Runs `probe` and checks that no tensor outlives it. */
function probeNoLeak(...args: Parameters<typeof linearProbe>) {
  const before = tf.memory().numTensors;
  const result = linearProbe(...args);
  assert.equal(tf.memory().numTensors, before, "linearProbe leaked tensors");
  return result;
}

Deno.test("extractFeatures: mean-pools a feature map and keeps the batches' labels in order", async () => {
  // Image i is filled with the value i; the "network" maps it to channels (v, 2v + s), where s is
  // the spatial index 0..3 (mean 1.5), so pooled features are (i, 2i + 1.5).
  const images = tf.tidy(() =>
    tf.mul(tf.range(0, 5).reshape([5, 1, 1, 1]), tf.ones([5, 2, 2, 3]))
  ) as Tensor4D;
  const spatial = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
  const labels = new Int32Array([4, 3, 2, 1, 0]);
  const before = tf.memory().numTensors;
  const result = await extractFeatures(
    (x) =>
      tf.tidy(() => {
        const v = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]);
        return tf.concat([v, tf.add(tf.mul(v, 2), spatial)], 3) as Tensor4D;
      }),
    sliceBatches(images, labels, 2),
  );
  assert.equal(tf.memory().numTensors, before + 1, "only the returned features stay alive");
  assert.deepEqual(result.features.shape, [5, 2]);
  assert.deepEqual(Array.from(result.labels), [4, 3, 2, 1, 0]);
  assert.deepEqual(Array.from(result.features.dataSync()), [
    0,
    1.5,
    1,
    3.5,
    2,
    5.5,
    3,
    7.5,
    4,
    9.5,
  ]);
  tf.dispose([result.features, images, spatial]);
});

Deno.test("extractFeatures: takes rank-2 output as pooled; async sources work", async () => {
  const images = tf.tensor4d([1, 2, 3, 4], [4, 1, 1, 1]);
  async function* batches() {
    yield* sliceBatches(images, new Int32Array([0, 1, 0, 1]), 3);
  }
  const before = tf.memory().numTensors;
  const { features, labels } = await extractFeatures(
    (x) =>
      tf.tidy(() =>
        tf.concat([tf.reshape(x, [-1, 1]), tf.neg(tf.reshape(x, [-1, 1]))], 1) as Tensor2D
      ),
    batches(),
  );
  assert.equal(tf.memory().numTensors, before + 1);
  assert.deepEqual(Array.from(features.dataSync()), [1, -1, 2, -2, 3, -3, 4, -4]);
  assert.deepEqual(Array.from(labels), [0, 1, 0, 1]);
  tf.dispose([features, images]);
});

Deno.test("inferenceFeatures: returns featuresNHWC with training false and disposes the logits", () => {
  const seen: boolean[] = [];
  const model = {
    forward(x: Tensor4D, options: { readonly training: boolean }) {
      seen.push(options.training);
      return {
        logits: tf.zeros([x.shape[0], 3]) as Tensor2D,
        featuresNHWC: tf.mul(x, 3) as Tensor4D,
      };
    },
    classifier: { kernel: tf.zeros([1, 3]) },
  };
  const x = tf.ones([2, 1, 1, 1]) as Tensor4D;
  const before = tf.memory().numTensors;
  const features = inferenceFeatures(model)(x);
  assert.equal(tf.memory().numTensors, before + 1);
  assert.deepEqual(Array.from(features.dataSync()), [3, 3]);
  assert.deepEqual(seen, [false]);
  tf.dispose([features, x, model.classifier.kernel]);
});

Deno.test("extractFeatures: bad input errors name the argument, and nothing leaks", async () => {
  const images = tf.zeros([4, 2, 2, 1]) as Tensor4D;
  const labels = new Int32Array(4);
  const before = tf.memory().numTensors;
  await assert.rejects(
    extractFeatures("no" as never, sliceBatches(images, labels, 2)),
    /forwardFeatures must be a function/,
  );
  await assert.rejects(
    extractFeatures((x) => tf.reshape(x, [-1]) as never, sliceBatches(images, labels, 2)),
    /forwardFeatures must return rank 4 .* got shape \[8\]/,
  );
  await assert.rejects(
    extractFeatures((x) => tf.slice(x, 0, 1) as Tensor4D, sliceBatches(images, labels, 2)),
    /forwardFeatures must return 2 rows/,
  );
  let call = 0;
  await assert.rejects(
    extractFeatures(
      (x) => tf.tile(x, [1, 1, 1, ++call]) as Tensor4D,
      sliceBatches(images, labels, 2),
    ),
    /same number of channels for every batch, got 1 then 2/,
  );
  await assert.rejects(extractFeatures((x) => x, []), /batches must yield at least one batch/);
  await assert.rejects(
    extractFeatures((x) => x, [{ imagesNHWC: images, labels: new Int32Array(3) }]),
    /batch.labels must have length 4/,
  );
  assert.equal(tf.memory().numTensors, before);
  images.dispose();
});

Deno.test("linearProbe: one full-batch step matches the hand-computed gradient (SGD and Adam)", () => {
  // Standardised features z = ±1/√(1 + ε), labels 0, 1; at W = 0, b = 0 the softmax is (½, ½), so
  // ∂L/∂W = Zᵀ(P − Y)/N = [[½, −½]]·s and ∂L/∂b = mean(P − Y) = 0.
  const x = tf.tensor2d([[3], [5]]); // mean 4, variance 1
  const y = new Int32Array([0, 1]);
  const s = 1 / Math.sqrt(1 + PROBE_STANDARDIZE_EPSILON);
  const sgd = probeNoLeak(x, y, x, y, { steps: 1, learningRate: 0.1, optimizer: "sgd" });
  assert.ok(Math.abs(sgd.weights[0] - -0.05 * s) < 1e-7, `${sgd.weights[0]}`);
  assert.ok(Math.abs(sgd.weights[1] - 0.05 * s) < 1e-7, `${sgd.weights[1]}`);
  assert.deepEqual(Array.from(sgd.bias), [0, 0]);
  // Adam's first step is lr · g / (|g| + ε̂): −lr·sign(g) to float precision.
  const adam = probeNoLeak(x, y, x, y, { steps: 1, learningRate: 0.1 });
  assert.ok(Math.abs(adam.weights[0] - -0.1) < 1e-6, `${adam.weights[0]}`);
  assert.ok(Math.abs(adam.weights[1] - 0.1) < 1e-6, `${adam.weights[1]}`);
  assert.deepEqual(Array.from(adam.bias), [0, 0]);
  assert.equal(adam.trainError, 0);
  // Loss after the step: logits ±0.1·s·(−1, 1) → CE = log(1 + e^{−0.2 s}).
  assert.ok(Math.abs(adam.trainLoss - Math.log(1 + Math.exp(-0.2 * s))) < 1e-5);
  x.dispose();
});

Deno.test("linearProbe: linearly separable features → zero error on both splits", () => {
  // Three well-separated clusters at 6·e_k in ℝ³ plus unit noise: every point is nearest its own
  // centre by a margin the probe finds in a few hundred steps.
  const rng = new Random(1);
  const make = (n: number) => {
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = i % 3;
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 3; j++) data[i * 3 + j] = 0.3 * rng.normal() + (labels[i] === j ? 6 : 0);
    }
    return { x: tf.tensor2d(data, [n, 3]), labels };
  };
  const train = make(90);
  const test = make(60);
  const result = probeNoLeak(train.x, train.labels, test.x, test.labels, { steps: 200 });
  assert.equal(result.trainError, 0);
  assert.equal(result.testError, 0);
  assert.equal(result.numClasses, 3);
  assert.deepEqual(Array.from(result.testPredictions), Array.from(test.labels));
  assert.ok(result.trainLoss < 0.1, `trainLoss ${result.trainLoss}`);
  tf.dispose([train.x, test.x]);
});

Deno.test("linearProbe: features independent of the labels → test error at chance", () => {
  // Test labels are drawn independently of everything the probe sees, so each prediction is right
  // with probability exactly 1/4: testError ~ Binomial(4000, 3/4)/4000, SE ≈ 0.0068; ±0.05 is
  // over 7 SE. The probe overfits the small training split (train error well below chance).
  const rng = new Random(7);
  const k = 4;
  const randomLabels = (n: number) => Int32Array.from({ length: n }, () => rng.int(k));
  const trainX = normalFeatures(rng, 60, 20);
  const testX = normalFeatures(rng, 4000, 20);
  const trainY = randomLabels(60);
  const testY = randomLabels(4000);
  const result = probeNoLeak(trainX, trainY, testX, testY, { numClasses: k, steps: 300 });
  assert.ok(Math.abs(result.testError - 0.75) < 0.05, `testError ${result.testError}`);
  assert.ok(result.trainError < 0.5, `trainError ${result.trainError}`);
  tf.dispose([trainX, testX]);
});

Deno.test("linearProbe: standardisation is fitted on the training split only", () => {
  // Train: x = −1 → class 0, x = +1 → class 1. Test points at 9 and 11 are both far on the class-1
  // side of the training threshold; standardising the test split by its own statistics would
  // have mapped them to −1 and +1 and scored 0 error instead of ½.
  const train = tf.tensor2d([[-1], [1]]);
  const test = tf.tensor2d([[9], [11]]);
  const y = new Int32Array([0, 1]);
  const result = probeNoLeak(train, y, test, y, { steps: 100 });
  assert.equal(result.trainError, 0);
  assert.deepEqual(Array.from(result.testPredictions), [1, 1]);
  assert.equal(result.testError, 0.5);
  // Without standardisation the raw scale matters, but the threshold still sits between −1 and 1.
  const raw = probeNoLeak(train, y, test, y, { steps: 100, standardize: false });
  assert.deepEqual(Array.from(raw.testPredictions), [1, 1]);
  tf.dispose([train, test]);
});

Deno.test("linearProbe: deterministic given a seed; mini-batch order depends on it", () => {
  const rng = new Random(3);
  const trainX = normalFeatures(rng, 50, 4, [1, 0, 0, 0]);
  const testX = normalFeatures(rng, 30, 4);
  const trainY = Int32Array.from({ length: 50 }, (_, i) => i % 2);
  const testY = Int32Array.from({ length: 30 }, (_, i) => i % 2);
  const options: LinearProbeOptions = { steps: 40, batchSize: 8, seed: 11, l2: 1e-3 };
  const a = probeNoLeak(trainX, trainY, testX, testY, options);
  const b = probeNoLeak(trainX, trainY, testX, testY, options);
  assert.deepEqual(a, b);
  const c = probeNoLeak(trainX, trainY, testX, testY, { ...options, seed: 12 });
  assert.notDeepEqual(Array.from(c.weights), Array.from(a.weights));
  // Full batch: the seed is unused, the result is the same whatever it is.
  const full1 = probeNoLeak(trainX, trainY, testX, testY, { steps: 40, seed: 1 });
  const full2 = probeNoLeak(trainX, trainY, testX, testY, { steps: 40, seed: 2 });
  assert.deepEqual(full1, full2);
  tf.dispose([trainX, testX]);
});

Deno.test("linearProbe: l2 shrinks the weights", () => {
  const x = tf.tensor2d([[-2], [-1], [1], [2]]);
  const y = new Int32Array([0, 0, 1, 1]);
  const free = probeNoLeak(x, y, x, y, { steps: 200 });
  const shrunk = probeNoLeak(x, y, x, y, { steps: 200, l2: 1 });
  const norm = (w: Float32Array) => Math.hypot(...w);
  assert.ok(
    norm(shrunk.weights) < 0.5 * norm(free.weights),
    `${shrunk.weights} vs ${free.weights}`,
  );
  assert.equal(shrunk.trainError, 0);
  x.dispose();
});

Deno.test("linearProbe: bad input errors name the argument and the value, and nothing leaks", () => {
  const x = tf.tensor2d([[0], [1]]);
  const x2 = tf.tensor2d([[0, 1]]);
  const bad = tf.tensor2d([[0], [NaN]]);
  const vector = tf.zeros([2]);
  const y = new Int32Array([0, 1]);
  const before = tf.memory().numTensors;
  const cases: [() => unknown, RegExp][] = [
    [() => linearProbe(vector as never, y, x, y), /trainFeatures must have rank 2/],
    [() => linearProbe(x, y, x2, new Int32Array([0])), /testFeatures must have 1 columns .* got 2/],
    [() => linearProbe(x, new Int32Array([0]), x, y), /trainLabels must have length 2 .* got 1/],
    [() => linearProbe(x, y, x, new Int32Array(3)), /testLabels must have length 2 .* got 3/],
    [() => linearProbe(x, new Int32Array([0, -1]), x, y), /trainLabels\[1\] must be >= 0, got -1/],
    [
      () => linearProbe(x, y, x, new Int32Array([0, 5]), { numClasses: 3 }),
      /testLabels\[1\] must be in \[0, 3\), got 5/,
    ],
    [
      () => linearProbe(x, y, x, y, { numClasses: 1 }),
      /options.numClasses must be an integer >= 2, got 1/,
    ],
    [() => linearProbe(x, y, x, y, { steps: 0 }), /options.steps must be an integer >= 1, got 0/],
    [() => linearProbe(x, y, x, y, { steps: 1.5 }), /options.steps .* got 1.5/],
    [
      () => linearProbe(x, y, x, y, { learningRate: 0 }),
      /options.learningRate must be a finite number > 0, got 0/,
    ],
    [() => linearProbe(x, y, x, y, { learningRate: NaN }), /options.learningRate .* got NaN/],
    [
      () => linearProbe(x, y, x, y, { optimizer: "rmsprop" as never }),
      /options.optimizer must be "adam" or "sgd", got rmsprop/,
    ],
    [
      () => linearProbe(x, y, x, y, { batchSize: 3 }),
      /options.batchSize must be an integer in \[1, 2\], got 3/,
    ],
    [() => linearProbe(x, y, x, y, { l2: -1 }), /options.l2 must be a number .* got -1/],
    [
      () => linearProbe(x, y, x, y, { standardize: 1 as never }),
      /options.standardize must be a boolean, got 1/,
    ],
    [() => linearProbe(x, y, x, y, { seed: 0.5 }), /options.seed must be a safe integer, got 0.5/],
    [() => linearProbe(bad, y, x, y), /trainFeatures must be finite/],
    [() => linearProbe(x, y, bad, y), /testFeatures must be finite/],
  ];
  for (const [call, pattern] of cases) assert.throws(call, pattern);
  assert.equal(tf.memory().numTensors, before + 0, "validation leaked tensors");
  tf.dispose([x, x2, bad, vector]);
});
