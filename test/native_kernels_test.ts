import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-node";
import { backendInfo, tf } from "../lib/backend.ts";
import { batchNormTrain, fusedKernelsActive, relu } from "../lib/native_kernels.ts";
import { batchNorm, ParameterStore } from "../lib/models/layers.ts";
import { softTargetCrossEntropy } from "../lib/training/loss.ts";
import { Random } from "../lib/random.ts";

const native = backendInfo.native;

/** Runs `body` with lib/'s fused kernels off (the plain tfjs compositions), then restores. */
function withPlainKernels<T>(body: () => T): T {
  Deno.env.set("CUTMIX_FUSED_KERNELS", "0");
  try {
    return body();
  } finally {
    Deno.env.delete("CUTMIX_FUSED_KERNELS");
  }
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test({
  name: "native kernels: active on native TensorFlow, off with CUTMIX_FUSED_KERNELS=0",
  ignore: !native,
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
    Deno.env.set("CUTMIX_FUSED_KERNELS", "0");
    try {
      assert.ok(!(await kernelsOf()).includes("CutmixFusedBatchNormTrain"));
    } finally {
      Deno.env.delete("CUTMIX_FUSED_KERNELS");
    }
    x.dispose();
    store.dispose();
  },
});

Deno.test({
  name: "layers.batchNorm: fused and plain agree on outputs, running stats and gradients",
  ignore: !native,
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

Deno.test({
  name: "batchNormTrain on a hand-made case: exact normalisation, ReLU and running averages",
  ignore: !native,
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

Deno.test({
  name: "fused ReLU: gradient 1 where the output is positive, else 0",
  ignore: !native,
  fn() {
    const before = tf.memory().numTensors;
    const g = tf.tidy(() =>
      tf.grad((x: Tensor) => tf.sum(relu(x)))(tf.tensor1d([-1, 0.5, 2, -3])).arraySync()
    );
    assert.deepEqual(g, [0, 1, 1, 0]);
    assert.equal(tf.memory().numTensors, before);
  },
});

Deno.test({
  name: "softTargetCrossEntropy: fused and plain agree on value and gradient",
  ignore: !native,
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
