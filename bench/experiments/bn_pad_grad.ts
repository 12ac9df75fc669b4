/**
 * Follow-up to bn_channels.ts: TensorFlow's CPU FusedBatchNormGradV3 is 2–4× slower when the
 * channel count is not a multiple of 8 (PyramidNet's widths 17, 18, 19, …). This swaps lib's
 * batch-norm backward kernel (`CutmixFusedBatchNormTrainGrad`, lib/native_kernels.ts) for one that
 * pads the channels to a multiple of 8 around the same TensorFlow kernel and slices the results
 * back, checks the gradients agree, and times a PyramidNet training step with each, alternating
 * in one process (paired cycles). The padding is now part of lib/native_kernels.ts, so on the
 * current lib both arms pad; the experiment stays as the record of the measurement.
 *
 *   deno run -A bench/experiments/bn_pad_grad.ts [model] [batch]   # default pyramidnet38-a64 64
 * @module
 */
import type { KernelConfig, Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import { batchNormTrain, KERNELS, registerFusedKernels } from "../../lib/native_kernels.ts";
import { Random } from "../../lib/random.ts";
import { createTrainStep } from "../../lib/training/loop.ts";
import { SGD } from "../../lib/training/optimizer.ts";
import { median } from "../stats.ts";

interface NativeBackend {
  binding: Record<string, number>;
  executeSingleOutput(n: string, a: unknown[], i: Tensor[]): Tensor;
  executeMultipleOutputs(n: string, a: unknown[], i: Tensor[], k: number): Tensor[];
}

registerFusedKernels();
const original = tf.getKernel(KERNELS.batchNormTrainGrad, "tensorflow") as KernelConfig;

/** lib's backward kernel, with the channels padded to a multiple of 8 when they are not. */
const padded: KernelConfig = {
  kernelName: KERNELS.batchNormTrainGrad,
  backendName: "tensorflow",
  kernelFunc: ({ inputs, attrs }) => {
    const b = tf.backend() as unknown as NativeBackend;
    const { dy, x, scale, savedMean, savedVar, reserve3, y } = inputs as unknown as Record<
      string,
      Tensor
    >;
    const { epsilon, relu } = attrs as unknown as { epsilon: number; relu: boolean };
    const T = { name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
    const U = { name: "U", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
    const gradAttrs = [
      T,
      U,
      { name: "epsilon", type: b.binding.TF_ATTR_FLOAT, value: epsilon },
      { name: "data_format", type: b.binding.TF_ATTR_STRING, value: "NHWC" },
      { name: "is_training", type: b.binding.TF_ATTR_BOOL, value: true },
    ];
    const c = x.shape[3]!;
    const extra = (8 - (c % 8)) % 8;
    return tf.tidy(() => {
      const dBn = relu ? b.executeSingleOutput("ReluGrad", [T], [dy, y]) : dy;
      const pad4 = (t: Tensor) => extra ? tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, extra]]) : t;
      const pad1 = (t: Tensor, v: number) => extra ? tf.pad(t, [[0, extra]], v) : t;
      const [dx, dScale, dOffset] = b.executeMultipleOutputs(
        "FusedBatchNormGradV3",
        gradAttrs,
        [pad4(dBn), pad4(x), pad1(scale, 1), pad1(savedMean, 0), pad1(savedVar, 1), reserve3],
        5,
      );
      if (!extra) return [dx, dScale, dOffset];
      return [
        tf.slice(dx, [0, 0, 0, 0], [-1, -1, -1, c]),
        tf.slice(dScale, [0], [c]),
        tf.slice(dOffset, [0], [c]),
      ];
    });
  },
};

function use(config: KernelConfig): void {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

// 1. Same gradients (C = 17 and 16, with and without the fused ReLU).
let worst = 0;
for (const c of [17, 16]) {
  for (const reluOn of [false, true]) {
    tf.tidy(() => {
      const x = tf.randomNormal([8, 6, 5, c], 0.3, 2, "float32", c) as Tensor4D;
      const up = tf.randomNormal(x.shape, 0, 1, "float32", c + 1);
      const gamma = tf.randomUniform([c], 0.5, 1.5, "float32", c + 2);
      const beta = tf.randomNormal([c], 0, 1, "float32", c + 3);
      const grads = () =>
        tf.grads((a: Tensor, g: Tensor, o: Tensor) =>
          tf.sum(tf.mul(
            batchNormTrain(a as Tensor4D, g as never, o as never, tf.zeros([c]), tf.ones([c]), {
              epsilon: 1e-5,
              momentum: 0.1,
              relu: reluOn,
            }).y,
            up,
          ))
        )([x, gamma, beta]);
      use(original);
      const a = grads();
      use(padded);
      const p = grads();
      a.forEach((g, i) => {
        worst = Math.max(worst, tf.max(tf.abs(tf.sub(g, p[i]))).dataSync()[0]);
      });
    });
  }
}
console.log(`gradients, padded vs lib: max |difference| ${worst.toExponential(2)}`);
if (!(worst <= 1e-4)) throw new Error(`padded gradients differ by ${worst}`);

// 2. Training steps, alternating kernels within one process.
const modelName = Deno.args[0] ?? "pyramidnet38-a64";
const batch = Number(Deno.args[1] ?? 64);
const model = createModel(parseModelName(modelName), 0);
const sgd = new SGD(model.parameters.trainable, {
  momentum: 0.9,
  nesterov: true,
  weightDecay: 1e-4,
});
const step = createTrainStep(model, sgd);
const imagesNHWC = tf.randomUniform([batch, 32, 32, 3]) as Tensor4D;
const targets = tf.softmax(tf.randomNormal([batch, 10])) as Tensor2D;
const rng = new Random(0);
const timeSteps = (config: KernelConfig, steps: number) => {
  use(config);
  const start = performance.now();
  for (let i = 0; i < steps; i++) step({ imagesNHWC, targets }, 0.01, rng);
  return (performance.now() - start) / steps;
};
timeSteps(original, 2);
timeSteps(padded, 2);
const ms = { lib: [] as number[], padded: [] as number[] };
for (let cycle = 0; cycle < 6; cycle++) {
  // Alternate which goes first, so a trend in the machine's load favours neither.
  if (cycle % 2 === 0) {
    ms.lib.push(timeSteps(original, 2));
    ms.padded.push(timeSteps(padded, 2));
  } else {
    ms.padded.push(timeSteps(padded, 2));
    ms.lib.push(timeSteps(original, 2));
  }
}
const ratio = median(ms.lib.map((l, i) => l / ms.padded[i]));
console.log(
  `${modelName} batch ${batch}: lib ${median(ms.lib).toFixed(0)} ms/step, padded ` +
    `${median(ms.padded).toFixed(0)} ms/step, speed-up ${ratio.toFixed(2)}× (median of 6 cycles)`,
);
use(original);
tf.dispose([imagesNHWC, targets]);
sgd.dispose();
model.dispose();
