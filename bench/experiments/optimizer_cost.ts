/**
 * How much of a training step the SGD update costs: PyTorch's SGD (momentum 0.9, weight decay
 * 1e-4) over ResNet-20's variables, with tfjs ops (6 kernels per variable), against a forward +
 * backward pass of the same model, in one process.
 *
 *   deno run -A bench/experiments/optimizer_cost.ts      # lib with its fused kernels
 *   CUTMIX_FUSED_KERNELS=0 deno run -A bench/experiments/optimizer_cost.ts   # plain compositions
 * @module
 */
import type { Scalar, Tensor, Tensor4D, Variable } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import { median } from "../stats.ts";

const model = createModel(parseModelName("resnet20"), 0);
const variables = [...model.parameters.trainable.values()];
const buffers = variables.map((v) => tf.variable(tf.zerosLike(v), false));
const grads = variables.map((v) => tf.randomNormal(v.shape, 0, 1e-3));
const wd = tf.scalar(1e-4);
const m = tf.scalar(0.9);
const lr = tf.scalar(0.01);

/** d = g + wd·w; b ← m·b + d; w ← w − lr·b: 6 kernels per variable. */
function sgdPerVariable(): void {
  tf.tidy(() => {
    variables.forEach((v: Variable, i) => {
      const d = tf.add(grads[i], tf.mul(v, wd));
      const b = tf.add(tf.mul(buffers[i], m), d);
      buffers[i].assign(b);
      v.assign(tf.sub(v, tf.mul(b, lr)));
    });
  });
}

const images = tf.randomUniform([64, 32, 32, 3]) as Tensor4D;
function forwardBackward(): void {
  const { value, grads: g } = tf.variableGrads(() => {
    const { logits, featuresNHWC } = model.forward(images, { training: true });
    featuresNHWC.dispose();
    return tf.mean(logits) as Scalar;
  }, variables);
  value.dataSync();
  tf.dispose([value, ...Object.values(g) as Tensor[]]);
}

function time(f: () => void, reps: number): number {
  for (let i = 0; i < 2; i++) f();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) f();
    variables[0].dataSync();
    runs.push((performance.now() - start) / reps);
  }
  return median(runs);
}

const sgdMs = time(sgdPerVariable, 10);
const fbMs = time(forwardBackward, 3);
console.log(
  JSON.stringify({
    variables: variables.length,
    kernelsPerUpdate: variables.length * 6,
    sgdMsPerStep: Number(sgdMs.toFixed(2)),
    forwardBackwardMsBatch64: Number(fbMs.toFixed(1)),
    sgdShareOfStep: Number((sgdMs / (sgdMs + fbMs)).toFixed(3)),
  }),
);
tf.dispose([...buffers, ...grads, wd, m, lr, images]);
model.dispose();
