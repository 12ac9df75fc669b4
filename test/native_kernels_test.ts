import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { backendInfo, tf } from "./_backend.ts";
import { setFusedKernels } from "../lib/backend.ts";
import {
  addRelu,
  batchNormPlan,
  batchNormTrain,
  fusedKernelsActive,
  globalAveragePool,
  relu,
} from "../lib/native_kernels.ts";
import { batchNorm, batchNormRelu, conv2d, ParameterStore } from "../lib/models/layers.ts";
import { softTargetCrossEntropy } from "../lib/training/loss.ts";
import { Random } from "../lib/random.ts";
import { testWhen } from "./_skip.ts";

const native = backendInfo.native;

/** Why the native-only tests cannot run here (they need lib/backend.ts's native TensorFlow). */
const NO_NATIVE = `native TensorFlow is not active (${
  backendInfo.fallbackReason ?? `CUTMIX_BACKEND=${backendInfo.requested}`
}): run ./run setup`;

/** Runs `body` with lib/'s fused kernels off (the plain tfjs compositions), then restores. */
function withPlainKernels<T>(body: () => T): T {
  setFusedKernels(false);
  try {
    return body();
  } finally {
    setFusedKernels(backendInfo.fusedKernels);
  }
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

testWhen(native, NO_NATIVE, {
  name: "native kernels: active on native TensorFlow, off with setFusedKernels(false)",
  async fn() {
    assert.equal(fusedKernelsActive(), true);
    assert.equal(withPlainKernels(fusedKernelsActive), false);
    // And layers.batchNorm really dispatches to the fused kernel (or not).
    const store = new ParameterStore(new Random(0));
    const params = store.batchNorm("bn", 3);
    const x = tf.ones([2, 2, 2, 3]) as Tensor4D;
    const kernelsOf = async () => {
      const info = await tf.profile(() => batchNorm(x, params, true));
      tf.dispose(info.result as Tensor);
      return info.kernelNames;
    };
    assert.ok((await kernelsOf()).includes("CutmixFusedBatchNormTrain"));
    setFusedKernels(false);
    try {
      assert.ok(!(await kernelsOf()).includes("CutmixFusedBatchNormTrain"));
    } finally {
      setFusedKernels(backendInfo.fusedKernels);
    }
    x.dispose();
    store.dispose();
  },
});

testWhen(native, NO_NATIVE, {
  name: "layers.batchNorm: fused and plain agree on outputs, running stats and gradients",
  fn() {
    const before = tf.memory().numTensors;
    for (const seed of [1, 2, 3]) {
      tf.tidy(() => {
        const x = tf.randomNormal([8, 6, 5, 7], 0.5, 2, "float32", seed) as Tensor4D;
        const upstream = tf.randomNormal(x.shape, 0, 1, "float32", seed + 10);
        const run = () => {
          // Same initial parameters in both runs: a store seeded alike, then one training pass.
          const store = new ParameterStore(new Random(seed));
          const params = store.batchNorm("bn", 7);
          params.gamma.assign(tf.randomUniform([7], 0.5, 1.5, "float32", seed + 1));
          params.beta.assign(tf.randomNormal([7], 0, 1, "float32", seed + 2));
          const loss = (input: Tensor) =>
            tf.sum(tf.mul(batchNorm(input as Tensor4D, params, true), upstream));
          const { value, grads } = tf.variableGrads(() => loss(x) as never, [
            params.gamma,
            params.beta,
          ]);
          const dx = tf.grad(loss)(x);
          const result = {
            value: value.clone(),
            dGamma: grads[params.gamma.name].clone(),
            dBeta: grads[params.beta.name].clone(),
            dx,
            movingMean: params.movingMean.clone(),
            movingVariance: params.movingVariance.clone(),
          };
          store.dispose();
          return result;
        };
        const fused = run();
        const plain = withPlainKernels(run);
        for (const key of Object.keys(fused) as (keyof typeof fused)[]) {
          const diff = maxAbsDiff(fused[key], plain[key]);
          const scale = 1 + tf.tidy(() => tf.max(tf.abs(plain[key])).dataSync()[0]);
          assert.ok(diff <= 1e-4 * scale, `seed ${seed}: ${key} differs by ${diff}`);
        }
      });
    }
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "batchNormTrain on a hand-made case: exact normalisation, ReLU and running averages",
  fn() {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      // One channel, values 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
      const out = batchNormTrain(
        tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]),
        tf.tensor1d([2]) as Tensor1D,
        tf.tensor1d([1]) as Tensor1D,
        tf.tensor1d([0]) as Tensor1D,
        tf.tensor1d([1]) as Tensor1D,
        { epsilon: 0, momentum: 0.5, relu: true },
      );
      const expected = [1, 2, 3, 4].map((v) => Math.max(0, (2 * (v - 2.5)) / Math.sqrt(1.25) + 1));
      const y = out.y.dataSync();
      expected.forEach((e, i) => assert.ok(Math.abs(y[i] - e) < 1e-5, `y[${i}] ${y[i]} vs ${e}`));
      assert.ok(Math.abs(out.runningMean.dataSync()[0] - 1.25) < 1e-6);
      assert.ok(Math.abs(out.runningVar.dataSync()[0] - (0.5 + 0.5 * (5 / 3))) < 1e-5);
    });
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "fused ReLU: gradient 1 where the output is positive, else 0",
  fn() {
    const before = tf.memory().numTensors;
    const g = tf.tidy(() =>
      tf.grad((x: Tensor) => tf.sum(relu(x)))(tf.tensor1d([-1, 0.5, 2, -3])).arraySync()
    );
    assert.deepEqual(g, [0, 1, 1, 0]);
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "softTargetCrossEntropy: fused and plain agree on value and gradient",
  fn() {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const logits = tf.randomNormal([16, 10], 0, 3, "float32", 5) as Tensor2D;
      const targets = tf.softmax(tf.randomNormal([16, 10], 0, 2, "float32", 6)) as Tensor2D;
      const both = () => {
        const { value, grad } = tf.valueAndGrad((z: Tensor) =>
          softTargetCrossEntropy(z as Tensor2D, targets)
        )(logits);
        return { value, grad };
      };
      const fused = both();
      const plain = withPlainKernels(both);
      assert.ok(maxAbsDiff(fused.value, plain.value) < 1e-5);
      assert.ok(maxAbsDiff(fused.grad, plain.grad) < 1e-6);
    });
    assert.equal(tf.memory().numTensors, before);
  },
});

/** Asserts that every tensor of `fused` is within `1e-4 · (1 + max |plain|)` of `plain`'s. */
function assertAgree(label: string, fused: Record<string, Tensor>, plain: Record<string, Tensor>) {
  for (const key of Object.keys(fused)) {
    const diff = maxAbsDiff(fused[key], plain[key]);
    const scale = 1 + tf.tidy(() => tf.max(tf.abs(plain[key])).dataSync()[0]);
    assert.ok(diff <= 1e-4 * scale, `${label}: ${key} differs by ${diff}`);
  }
}

testWhen(native, NO_NATIVE, {
  name:
    "layers.batchNormRelu: fused (one kernel with oneDNN) and plain agree, stats and gradients too",
  fn() {
    const before = tf.memory().numTensors;
    // 7 channels: Eigen's kernels on an AVX2 CPU (padded oneDNN on AVX-512), 20: a multiple of
    // 4 but not 8, 16: oneDNN's, whatever the CPU.
    for (const channels of [7, 16, 20]) {
      tf.tidy(() => {
        const x = tf.randomNormal([8, 6, 5, channels], 0.5, 2, "float32", channels) as Tensor4D;
        const upstream = tf.randomNormal(x.shape, 0, 1, "float32", channels + 1);
        const run = () => {
          const store = new ParameterStore(new Random(channels));
          const params = store.batchNorm("bn", channels);
          params.gamma.assign(tf.randomUniform([channels], 0.5, 1.5, "float32", 3));
          params.beta.assign(tf.randomNormal([channels], 0, 1, "float32", 4));
          const loss = (input: Tensor) =>
            tf.sum(tf.mul(batchNormRelu(input as Tensor4D, params, true), upstream));
          const { value, grads } = tf.variableGrads(() => loss(x) as never, [
            params.gamma,
            params.beta,
          ]);
          const result = {
            value: value.clone(),
            dGamma: grads[params.gamma.name].clone(),
            dBeta: grads[params.beta.name].clone(),
            dx: tf.grad(loss)(x),
            y: batchNormRelu(x, params, false),
            movingMean: params.movingMean.clone(),
            movingVariance: params.movingVariance.clone(),
          };
          store.dispose();
          return result;
        };
        assertAgree(`${channels} channels`, run(), withPlainKernels(run));
      });
    }
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "layers.conv2d: fused conv kernel and plain agree on output and both gradients",
  fn() {
    const before = tf.memory().numTensors;
    // [kernel, stride, height, width]: 3×3 stride 1 (SAME), 3×3 stride 2 (EXPLICIT, odd and even
    // sizes), 1×1 stride 1 (VALID).
    const cases = [[3, 1, 8, 8], [3, 2, 8, 8], [3, 2, 7, 9], [1, 1, 6, 6]];
    for (const [k, stride, h, w] of cases) {
      tf.tidy(() => {
        const x = tf.randomNormal([3, h, w, 5], 0, 1, "float32", h + w) as Tensor4D;
        const run = () => {
          const store = new ParameterStore(new Random(k * 10 + stride));
          const params = store.conv("conv", k, 5, 6);
          const y = conv2d(x, params, stride);
          const upstream = tf.randomNormal(y.shape, 0, 1, "float32", 7);
          const loss = (input: Tensor, kernel: Tensor) =>
            tf.sum(
              tf.mul(conv2d(input as Tensor4D, { kernel: kernel as never }, stride), upstream),
            );
          const [dx, dKernel] = tf.grads(loss)([x, params.kernel]);
          const result = { y, dx, dKernel };
          store.dispose();
          return result;
        };
        assertAgree(`${k}×${k} stride ${stride} on ${h}×${w}`, run(), withPlainKernels(run));
      });
    }
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "addRelu: relu(a + b), one gradient for both summands, also when a summand is reused",
  fn() {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = tf.tensor1d([-1, 0.5, 2, -3]);
      const b = tf.tensor1d([0.5, 0.5, -3, 4]);
      assert.deepEqual(addRelu(a, b).arraySync(), [0, 1, 0, 1]);
      const [da, db] = tf.grads((p: Tensor, q: Tensor) => tf.sum(addRelu(p, q)))([a, b]);
      assert.deepEqual(da.arraySync(), [0, 1, 0, 1]);
      assert.deepEqual(db.arraySync(), [0, 1, 0, 1]);
      // x feeds both summands and one more op: its gradient accumulates 1 + 2 (where 3x > 0) + 1.
      const x = tf.tensor1d([-2, 1, 3]);
      const dx = tf.grad((v: Tensor) => tf.add(tf.sum(addRelu(v, tf.mul(v, 2))), tf.sum(v)))(x);
      assert.deepEqual(dx.arraySync(), [1, 4, 4]);
    });
    const [p, q] = [tf.zeros([2, 3]), tf.zeros([3, 2])];
    assert.throws(() => addRelu(p, q), /addRelu: shapes must be equal, got \[2,3\] and \[3,2\]/);
    tf.dispose([p, q]);
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "globalAveragePool: mean over H and W; gradient dy / (H·W) at every pixel",
  fn() {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      // [1, 2, 2, 2]: channel 0 holds 1..4, channel 1 holds 10, 20, 30, 40.
      const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
      assert.deepEqual(globalAveragePool(x).arraySync(), [[2.5, 25]]);
      const dx = tf.grad((v: Tensor) =>
        tf.sum(tf.mul(globalAveragePool(v as Tensor4D), tf.tensor2d([[4, 8]])))
      )(x);
      assert.deepEqual(dx.arraySync(), [[[[1, 2], [1, 2]], [[1, 2], [1, 2]]]]);
    });
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_NATIVE, {
  name: "batchNormPlan: oneDNN for multiples of 4, Eigen otherwise, only with oneDNN on",
  fn() {
    const on = backendInfo.oneDnnEnabled && backendInfo.requested !== "gpu";
    assert.equal(batchNormPlan(16), on ? "oneDnn" : "default");
    assert.equal(batchNormPlan(20), on ? "oneDnn" : "default");
    assert.equal(batchNormPlan(17), on ? "eigen" : "default");
    assert.equal(batchNormPlan(18), on ? "eigen" : "default");
  },
});
