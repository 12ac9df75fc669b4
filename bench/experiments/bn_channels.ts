/**
 * Does TensorFlow's CPU FusedBatchNormV3 / FusedBatchNormGradV3 (training) slow down for channel
 * counts that are not multiples of 8 (PyramidNet's widths: 17, 18, 19, …)? Times forward and
 * backward of the fused batch norm at [64, 32, 32, C], per element.
 *
 *   deno run -A bench/experiments/bn_channels.ts
 * @module
 */
import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-node";
import { tf } from "../../lib/backend.ts";
import { median } from "../stats.ts";
import { batchNormTrain, registerFusedKernels } from "./fused_ops.ts";

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
