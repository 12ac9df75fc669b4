/**
 * Which batch-norm kernels are fastest for a channel count (lib/native_kernels.ts,
 * `batchNormPlan`)? For [64, H, H, C] at PyramidNet's widths, times TensorFlow's training-mode
 * FusedBatchNormV3 and FusedBatchNormGradV3 three ways: oneDNN's (4-D NHWC, which the eager
 * runtime hands to oneDNN), oneDNN's on channels padded to a multiple of 8 (Pad, then Slice
 * back), and TensorFlow's own Eigen kernels (the same data as 5-D NDHWC, which the eager
 * runtime leaves alone). Needs oneDNN on (lib's default).
 *
 *   deno run -A bench/experiments/bn_plan.ts
 *
 * On the AVX2 machine (AMD EPYC Zen 1, 2 cores), ms forward | backward:
 * - C a multiple of 4 (20, 28, 36, 44, 60, 68): oneDNN 2.2 | 2.3 at 32×32×20, 0.4 | 0.5 at
 *   8×8×60, and the others 2–4× slower;
 * - otherwise (17, 21, 43, 61, 79): oneDNN 5.8 | 10.9 at 32×32×17, padded 5.7 | 7.8,
 *   Eigen 4.0 | 8.7; at 16×16×43 3.2 | 5.3, 3.0 | 4.2, 2.0 | 3.4; at 8×8×61 1.2 | 1.9,
 *   1.4 | 2.1, 0.8 | 1.1.
 *
 * On the AVX-512 machine (Intel Xeon with AMX, 2 cores, 2026-12-02), the same rule:
 * - multiples of 4: oneDNN 0.87 | 1.17 at 32×32×20 against padded 3.16 | 3.11 and Eigen
 *   2.08 | 3.57; 0.29 | 0.35 at 8×8×60 (padded 0.90 | 1.06, Eigen 0.41 | 0.71);
 * - otherwise: at 32×32×17 oneDNN 3.45 | 8.88, padded 3.41 | 3.51, Eigen 1.57 | 3.47; at
 *   16×16×43 1.59 | 3.04, 1.48 | 1.94, 1.04 | 1.80; at 8×8×61 0.75 | 1.51, 0.81 | 1.09,
 *   0.42 | 0.73.
 *
 * On machine C (AMD EPYC Zen 4 with AVX-512, 2 cores, 2026-12-02), the rule again, with one
 * exception:
 * - multiples of 4: oneDNN 0.64 | 1.08 at 32×32×20 against padded 3.24 | 2.67 and Eigen
 *   1.76 | 4.02; 0.32 | 0.41 at 8×8×60 (padded 0.94 | 1.23, Eigen 0.46 | 0.75);
 * - otherwise: at 32×32×17 oneDNN 4.84 | 9.66, padded 3.53 | 4.19, Eigen 1.83 | 5.36; at
 *   16×16×43 2.20 | 3.78, 1.50 | 1.98, 0.94 | 1.77; at 8×8×61 1.04 | 1.59, 0.79 | 1.58,
 *   0.51 | 0.80. The exception is 32×32×21, where padding wins: 5.01 | 8.80, 3.22 | 4.17,
 *   2.64 | 7.69.
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { median } from "../stats.ts";

interface Attr {
  name: string;
  type: number;
  value: number | string | boolean | number[];
}
interface Backend {
  binding: Record<string, number>;
  executeMultipleOutputs(name: string, attrs: Attr[], inputs: Tensor[], outputs: number): Tensor[];
}
const b = tf.backend() as unknown as Backend;
const float = (name: string): Attr => ({
  name,
  type: b.binding.TF_ATTR_TYPE,
  value: b.binding.TF_FLOAT,
});

function attrs(format: "NHWC" | "NDHWC", forward: boolean): Attr[] {
  return [
    float("T"),
    float("U"),
    { name: "epsilon", type: b.binding.TF_ATTR_FLOAT, value: 1e-5 },
    ...(forward
      ? [{ name: "exponential_avg_factor", type: b.binding.TF_ATTR_FLOAT, value: 0.1 }]
      : []),
    { name: "data_format", type: b.binding.TF_ATTR_STRING, value: format },
    { name: "is_training", type: b.binding.TF_ATTR_BOOL, value: true },
  ];
}

/** Median ms of `f` (which returns what it made, to be disposed). */
function time(f: () => Tensor[]): number {
  for (let i = 0; i < 3; i++) tf.dispose(f());
  const runs: number[] = [];
  for (let r = 0; r < 15; r++) {
    const start = performance.now();
    tf.dispose(f());
    runs.push(performance.now() - start);
  }
  return median(runs);
}

const shapes = [
  [32, 16],
  [32, 17],
  [32, 20],
  [32, 21],
  [32, 28],
  [16, 36],
  [16, 43],
  [16, 44],
  [
    8,
    60,
  ],
  [8, 61],
  [8, 68],
  [8, 79],
];
console.log("[N, H, W, C]: ms forward | backward — oneDNN, oneDNN padded to 8, Eigen (5-D)");
for (const [h, c] of shapes) {
  const x = tf.randomNormal([64, h, h, c]);
  const dy = tf.randomNormal([64, h, h, c]);
  const x5 = x.reshape([64, h, h, 1, c]);
  const dy5 = dy.reshape([64, h, h, 1, c]);
  const ones = tf.ones([c]);
  const zeros = tf.zeros([c]);
  const extra = (8 - (c % 8)) % 8;
  const pad4 = (t: Tensor) => tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, extra]]);
  const pad1 = (t: Tensor, value: number) => tf.pad(t, [[0, extra]], value);
  const forward4 = () =>
    b.executeMultipleOutputs(
      "FusedBatchNormV3",
      attrs("NHWC", true),
      [x, ones, zeros, zeros, ones],
      6,
    );
  const forward5 = () =>
    b.executeMultipleOutputs("FusedBatchNormV3", attrs("NDHWC", true), [
      x5,
      ones,
      zeros,
      zeros,
      ones,
    ], 6);
  const forwardPadded = () =>
    tf.tidy(() => {
      const [y] = b.executeMultipleOutputs("FusedBatchNormV3", attrs("NHWC", true), [
        pad4(x),
        pad1(ones, 1),
        pad1(zeros, 0),
        pad1(zeros, 0),
        pad1(ones, 1),
      ], 6);
      return [tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, c])];
    });
  const [, , , mean4, var4, reserve4] = forward4();
  const [, , , mean5, var5, reserve5] = forward5();
  const backward4 = () =>
    b.executeMultipleOutputs("FusedBatchNormGradV3", attrs("NHWC", false), [
      dy,
      x,
      ones,
      mean4,
      var4,
      reserve4,
    ], 5);
  const backward5 = () =>
    b.executeMultipleOutputs("FusedBatchNormGradV3", attrs("NDHWC", false), [
      dy5,
      x5,
      ones,
      mean5,
      var5,
      reserve5,
    ], 5);
  const backwardPadded = () =>
    tf.tidy(() => {
      const [dx, dScale, dOffset] = b.executeMultipleOutputs(
        "FusedBatchNormGradV3",
        attrs("NHWC", false),
        [pad4(dy), pad4(x), pad1(ones, 1), pad1(mean4, 0), pad1(var4, 1), reserve4],
        5,
      );
      return [
        tf.slice(dx, [0, 0, 0, 0], [-1, -1, -1, c]),
        tf.slice(dScale, [0], [c]),
        tf.slice(dOffset, [0], [c]),
      ];
    });
  const padded = extra
    ? `${time(forwardPadded).toFixed(2)} | ${time(backwardPadded).toFixed(2)}`
    : "–";
  console.log(
    `[64, ${h}, ${h}, ${c}]: ${time(forward4).toFixed(2)} | ${
      time(backward4).toFixed(2)
    }, ${padded}, ` +
      `${time(forward5).toFixed(2)} | ${time(backward5).toFixed(2)}`,
  );
  tf.dispose([x, dy, x5, dy5, ones, zeros, mean4, var4, reserve4, mean5, var5, reserve5]);
}
