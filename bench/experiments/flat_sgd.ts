/**
 * Would a flat SGD update pay? Times lib's per-variable update (8 kernels per variable, 520 for
 * ResNet-20) against one over all 65 variables at once (concatenate the gradients and parameters,
 * update, split back), both Nesterov + weight decay, alternating in one process.
 * Measured (busy machine): 6.0 vs 4.0 ms per step, ~1 % of a batch-64 step: the reshapes and the
 * split cost most of what the single update saves (bench/README.md).
 *
 *   deno run -A bench/experiments/flat_sgd.ts
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import { SGD } from "../../lib/training/optimizer.ts";
import { median } from "../stats.ts";

const model = createModel(parseModelName("resnet20"), 0);
const vars = model.parameters.trainable;
const keys = [...vars.keys()];
const list = [...vars.values()];
const grads = new Map(
  [...vars].map(([k, v]) => [k, tf.randomNormal(v.shape, 0, 1e-3)] as [string, Tensor]),
);
const sgd = new SGD(vars, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
const vel = tf.variable(tf.zeros([list.reduce((s, v) => s + v.size, 0)]), false);
const sizes = list.map((v) => v.size);
function flat(lr: number) {
  tf.tidy(() => {
    const g = tf.concat(list.map((v) => tf.reshape(grads.get(keys[list.indexOf(v)])!, [-1])));
    const p = tf.concat(list.map((v) => tf.reshape(v, [-1])));
    const d = tf.add(g, tf.mul(p, 1e-4));
    const next = tf.add(tf.mul(vel, 0.9), d);
    vel.assign(next);
    const np = tf.sub(p, tf.mul(tf.add(d, tf.mul(next, 0.9)), lr));
    tf.split(np, sizes).forEach((piece, i) => list[i].assign(tf.reshape(piece, list[i].shape)));
  });
}
function time(f: () => void) {
  for (let i = 0; i < 5; i++) f();
  const r: number[] = [];
  for (let k = 0; k < 15; k++) {
    const s = performance.now();
    for (let i = 0; i < 10; i++) f();
    list[0].dataSync();
    r.push((performance.now() - s) / 10);
  }
  return median(r);
}
for (let round = 0; round < 3; round++) {
  console.log(
    `per-variable ${time(() => sgd.step(grads, 0.01)).toFixed(2)} ms, flat ${
      time(() => flat(0.01)).toFixed(2)
    } ms`,
  );
}
