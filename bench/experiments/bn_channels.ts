/**
 * Does TensorFlow's CPU FusedBatchNormV3 / FusedBatchNormGradV3 (training) slow down for channel
 * counts that are not multiples of 8 (PyramidNet's widths: 17, 18, 19, …)? Times forward and
 * backward of the fused batch norm at [64, 32, 32, C], per element.
 *
 *   deno run -A bench/experiments/bn_channels.ts
 * @module
 */
import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { median } from "../stats.ts";
import { batchNormTrain, registerFusedKernels } from "../../lib/native_kernels.ts";

registerFusedKernels();
for (const c of [16, 17, 18, 20, 24, 32, 33]) {
  const x = tf.randomNormal([64, 32, 32, c]) as Tensor4D;
  const up = tf.randomNormal([64, 32, 32, c]) as Tensor4D;
  const params = [tf.ones([c]), tf.zeros([c]), tf.zeros([c]), tf.ones([c])] as Tensor1D[];
  const options = { epsilon: 1e-5, momentum: 0.1, relu: false };
  const fwd = () => {
    const out = batchNormTrain(x, params[0], params[1], params[2], params[3], options);
    out.y.dataSync();
    tf.dispose([out.y, out.runningMean, out.runningVar]);
  };
  const both = () => {
    const g = tf.grad((a: Tensor) =>
      tf.sum(
        tf.mul(
          batchNormTrain(a as Tensor4D, params[0], params[1], params[2], params[3], options).y,
          up,
        ),
      )
    )(x);
    g.dataSync();
    g.dispose();
  };
  const time = (f: () => void) => {
    for (let i = 0; i < 2; i++) f();
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      for (let i = 0; i < 5; i++) f();
      runs.push((performance.now() - t) / 5);
    }
    return median(runs);
  };
  const f = time(fwd);
  const fb = time(both);
  const elements = 64 * 32 * 32 * c;
  console.log(
    `C=${c}: forward ${f.toFixed(2)} ms, forward+backward ${fb.toFixed(2)} ms ` +
      `(${((1e6 * fb) / elements).toFixed(2)} ns/element)`,
  );
  tf.dispose([x, up, ...params]);
}

// Batch-norm backward alone: TensorFlow's FusedBatchNormGradV3 against the same formula from
// elementwise kernels with the per-channel sums as (a) Sum reductions, (b) MatMuls with a ones
// row (oneDNN's GEMM handles any channel count), and (c) the fused kernel on channels padded to a
// multiple of 8.
//   dβ = Σ dy;  dγ = Σ dy·x̂;  dx = γ·σ⁻¹/R · (R·dy − dβ − x̂·dγ)
console.log("\nbackward only, [64, 32, 32, C]:");
interface NativeBackend {
  binding: Record<string, number>;
  executeMultipleOutputs(n: string, a: unknown[], i: Tensor[], k: number): Tensor[];
}
const nb = tf.backend() as unknown as NativeBackend;
const floatAttr = (name: string) => ({
  name,
  type: nb.binding.TF_ATTR_TYPE,
  value: nb.binding.TF_FLOAT,
});
const gradAttrs = [
  floatAttr("T"),
  floatAttr("U"),
  { name: "epsilon", type: nb.binding.TF_ATTR_FLOAT, value: 1e-5 },
  { name: "data_format", type: nb.binding.TF_ATTR_STRING, value: "NHWC" },
  { name: "is_training", type: nb.binding.TF_ATTR_BOOL, value: true },
];
for (const c of [16, 17, 19, 32, 33]) {
  const r = 64 * 32 * 32;
  const x = tf.randomNormal([64, 32, 32, c]) as Tensor4D;
  const dy = tf.randomNormal([64, 32, 32, c]) as Tensor4D;
  const gamma = tf.ones([c]);
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const invStd = tf.rsqrt(tf.add(variance, 1e-5));
  const ones = tf.ones([1, r]);
  const fused = () => {
    const outs = nb.executeMultipleOutputs(
      "FusedBatchNormGradV3",
      gradAttrs,
      [dy, x, gamma, mean, variance, tf.zeros([0])],
      5,
    );
    outs[0].dataSync();
    tf.dispose(outs);
  };
  const composed = (useMatMul: boolean) => () => {
    tf.tidy(() => {
      const xHat = tf.mul(tf.sub(x, mean), invStd);
      const sum = (t: Tensor) =>
        useMatMul ? tf.reshape(tf.matMul(ones, tf.reshape(t, [r, c])), [c]) : tf.sum(t, [0, 1, 2]);
      const dBeta = sum(dy);
      const dGamma = sum(tf.mul(dy, xHat));
      const dx = tf.mul(
        tf.mul(tf.mul(gamma, invStd), 1 / r),
        tf.sub(tf.sub(tf.mul(dy, r), dBeta), tf.mul(xHat, dGamma)),
      );
      dx.dataSync();
    });
  };
  const time = (f: () => void) => {
    for (let i = 0; i < 2; i++) f();
    const runs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      for (let i = 0; i < 5; i++) f();
      runs.push((performance.now() - t) / 5);
    }
    return median(runs);
  };
  // (c) pad the channels to a multiple of 8, run the fused kernel, slice dx back.
  const padded = Math.ceil(c / 8) * 8;
  const padFused = () => {
    tf.tidy(() => {
      const extra = padded - c;
      const pad4 = (t: Tensor) => tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, extra]]);
      const pad1 = (t: Tensor, value: number) => tf.pad(t, [[0, extra]], value);
      const outs = nb.executeMultipleOutputs(
        "FusedBatchNormGradV3",
        gradAttrs,
        [pad4(dy), pad4(x), pad1(gamma, 1), pad1(mean, 0), pad1(variance, 1), tf.zeros([0])],
        5,
      );
      tf.slice(outs[0], [0, 0, 0, 0], [-1, -1, -1, c]).dataSync();
    });
  };
  console.log(
    `C=${c}: padded to ${padded} around FusedBatchNormGradV3 ${time(padFused).toFixed(2)} ms`,
  );
  console.log(
    `C=${c}: FusedBatchNormGradV3 ${time(fused).toFixed(2)} ms, composed with Sum ${
      time(composed(false)).toFixed(2)
    } ms, composed with MatMul ${time(composed(true)).toFixed(2)} ms`,
  );
  tf.dispose([x, dy, gamma, mean, variance, invStd, ones]);
}
