/**
 * Are TensorFlow's convolutions slower than PyTorch's here, and does the layout matter?
 * Times Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (one forward + the two backward
 * kernels of a 3×3 stride-1 convolution) for ResNet-20's three stage shapes at batch 64, in NHWC
 * (what tfjs uses) and NCHW (PyTorch's layout; TensorFlow runs it on CPU only through oneDNN),
 * calling the TensorFlow ops by name through tfjs-node's backend.
 *
 *   deno run -A bench/experiments/conv_layout.ts
 *   .cache/venv-bench/bin/python bench/experiments/conv_layout.py   # the same in PyTorch
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { median } from "../stats.ts";

interface Backend {
  binding: Record<string, number>;
  executeSingleOutput(name: string, attrs: unknown[], inputs: Tensor[]): Tensor;
}
const b = tf.backend() as unknown as Backend;
const T = { name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };

function attrs(format: "NHWC" | "NCHW") {
  const ones = [1, 1, 1, 1];
  return [
    T,
    { name: "strides", type: b.binding.TF_ATTR_INT, value: ones },
    { name: "padding", type: b.binding.TF_ATTR_STRING, value: "SAME" },
    { name: "data_format", type: b.binding.TF_ATTR_STRING, value: format },
    { name: "use_cudnn_on_gpu", type: b.binding.TF_ATTR_BOOL, value: false },
    { name: "dilations", type: b.binding.TF_ATTR_INT, value: ones },
    { name: "explicit_paddings", type: b.binding.TF_ATTR_INT, value: [] },
  ];
}

function timeIt(f: () => Tensor, reps = 10): number {
  for (let i = 0; i < 3; i++) f().dispose();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) {
      const t = f();
      if (i === reps - 1) t.dataSync();
      t.dispose();
    }
    runs.push((performance.now() - start) / reps);
  }
  return median(runs);
}

const results: Record<string, number> = {};
const n = 64;
for (const [hw, c] of [[32, 16], [16, 32], [8, 64]]) {
  for (const format of ["NHWC", "NCHW"] as const) {
    const xShape = format === "NHWC" ? [n, hw, hw, c] : [n, c, hw, hw];
    const x = tf.randomNormal(xShape);
    const w = tf.randomNormal([3, 3, c, c]);
    const dy = tf.randomNormal(xShape);
    const a = attrs(format);
    const xs = tf.tensor1d(xShape, "int32");
    const ws = tf.tensor1d([3, 3, c, c], "int32");
    const fwd = timeIt(() => b.executeSingleOutput("Conv2D", a, [x, w]));
    const bwdIn = timeIt(() => b.executeSingleOutput("Conv2DBackpropInput", a, [xs, w, dy]));
    const bwdW = timeIt(() => b.executeSingleOutput("Conv2DBackpropFilter", a, [x, ws, dy]));
    const key = `${hw}x${hw}x${c} ${format}`;
    results[`${key} fwd`] = fwd;
    results[`${key} bwd-input`] = bwdIn;
    results[`${key} bwd-filter`] = bwdW;
    console.log(
      `${key}: Conv2D ${fwd.toFixed(2)} ms, BackpropInput ${bwdIn.toFixed(2)} ms, ` +
        `BackpropFilter ${bwdW.toFixed(2)} ms, total ${(fwd + bwdIn + bwdW).toFixed(2)} ms`,
    );
    tf.dispose([x, w, dy, xs, ws]);
  }
}
