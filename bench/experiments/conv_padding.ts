/**
 * Which TensorFlow kernel runs a convolution depends on its padding mode. With oneDNN on, the
 * eager runtime hands Conv2D and its two gradient ops to oneDNN for SAME and VALID padding, and
 * for EXPLICIT padding it hands over the forward pass only; the EXPLICIT gradients run on
 * Eigen. ResNet's stride-2 3×3 convolutions need explicit padding, because PyTorch pads one
 * pixel on every side and TensorFlow's SAME pads only at the bottom/right. This experiment
 * times each op in both forms for ResNet-20's shapes at batch 64: the oneDNN form (SAME for
 * stride 1, or a padded input and VALID for stride 2) and the EXPLICIT form. lib's conv kernel
 * (lib/native_kernels.ts) picks from what it measures.
 *
 *   deno run -A bench/experiments/conv_padding.ts [batch]
 *
 * Its output on the AVX2 machine (AMD EPYC Zen 1, 2 cores), in ms, oneDNN form / EXPLICIT:
 * - stride 1: the forward passes are level; the input gradient is 4.8 / 16.5 (32×32×16) and
 *   the filter gradient 5.7 / 11.3;
 * - stride 2 (32×32×16→32): forward 3.0 / 3.0, input gradient 4.0 / 4.2, filter gradient
 *   3.8 / 6.9. The oneDNN form of the input gradient also needs a Slice (≈1.4 ms in a training
 *   step) and its forward a Pad, so lib uses EXPLICIT for both. For the filter gradient it pads
 *   x first and keeps oneDNN.
 *
 * On machine C (AMD EPYC Zen 4 with AVX-512, 2 cores, 2026-12-02): stride 1 as on AVX2 (input
 * gradient 1.91 / 9.87, filter gradient 1.99 / 9.28 at 32×32×16); stride 2 at 32×32×16→32:
 * forward 1.64 / 0.85, input gradient 1.41 / 1.96, filter gradient 1.07 / 2.57; at 16×16×32→64
 * the input gradients are level (1.04 / 1.06). The input gradient's 0.55 ms would go to the
 * Slice, so lib's choice stands there too.
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
  binding: Record<string, number> & {
    executeOp(name: string, attrs: Attr[], ids: number[], outputs: number): { id: number }[];
    deleteTensor(id: number): void;
  };
  getInputTensorIds(tensors: Tensor[]): number[];
}
const b = tf.backend() as unknown as Backend;
const batch = Number(Deno.args[0] ?? 64);

function convAttrs(stride: number, padding: "SAME" | "VALID" | "EXPLICIT"): Attr[] {
  const attrs: Attr[] = [
    { name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
    { name: "strides", type: b.binding.TF_ATTR_INT, value: [1, stride, stride, 1] },
    { name: "padding", type: b.binding.TF_ATTR_STRING, value: padding },
    { name: "data_format", type: b.binding.TF_ATTR_STRING, value: "NHWC" },
    { name: "dilations", type: b.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: "use_cudnn_on_gpu", type: b.binding.TF_ATTR_BOOL, value: false },
  ];
  if (padding === "EXPLICIT") {
    attrs.push({
      name: "explicit_paddings",
      type: b.binding.TF_ATTR_INT,
      value: [0, 0, 1, 1, 1, 1, 0, 0],
    });
  }
  return attrs;
}

/** Median ms of one call, after warm-up. */
function time(op: string, attrs: Attr[], inputs: Tensor[]): number {
  const ids = b.getInputTensorIds(inputs);
  const call = () => {
    for (const out of b.binding.executeOp(op, attrs, ids, 1)) b.binding.deleteTensor(out.id);
  };
  for (let i = 0; i < 3; i++) call();
  const runs: number[] = [];
  for (let r = 0; r < 9; r++) {
    const start = performance.now();
    call();
    runs.push(performance.now() - start);
  }
  return median(runs);
}

// [H = W, in channels, out channels, stride]: ResNet-20's 3×3 convolutions.
const shapes = [
  [32, 3, 16, 1],
  [32, 16, 16, 1],
  [32, 16, 32, 2],
  [16, 32, 32, 1],
  [16, 32, 64, 2],
  [
    8,
    64,
    64,
    1,
  ],
];
console.log(`batch ${batch}; ms per call: oneDNN form / EXPLICIT`);
for (const [h, cin, cout, stride] of shapes) {
  const x = tf.randomNormal([batch, h, h, cin]);
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const filter = tf.randomNormal([3, 3, cin, cout]);
  const dy = tf.randomNormal([batch, h / stride, h / stride, cout]);
  const inSizes = tf.tensor1d([batch, h, h, cin], "int32");
  const paddedSizes = tf.tensor1d([batch, h + 2, h + 2, cin], "int32");
  const filterSizes = tf.tensor1d([3, 3, cin, cout], "int32");
  const s1 = stride === 1;
  const dnn = convAttrs(stride, s1 ? "SAME" : "VALID");
  const explicit = convAttrs(stride, "EXPLICIT");
  const dnnX = s1 ? x : padded;
  const rows: [string, number, number][] = [
    ["forward", time("Conv2D", dnn, [dnnX, filter]), time("Conv2D", explicit, [x, filter])],
    [
      "input gradient",
      time("Conv2DBackpropInput", dnn, [s1 ? inSizes : paddedSizes, filter, dy]),
      time("Conv2DBackpropInput", explicit, [inSizes, filter, dy]),
    ],
    [
      "filter gradient",
      time("Conv2DBackpropFilter", dnn, [dnnX, filterSizes, dy]),
      time("Conv2DBackpropFilter", explicit, [x, filterSizes, dy]),
    ],
  ];
  for (const [what, a, e] of rows) {
    console.log(
      `${h}×${h}×${cin}→${cout} stride ${stride}  ${what.padEnd(16)} ${a.toFixed(2)} / ${
        e.toFixed(2)
      }`,
    );
  }
  tf.dispose([x, padded, filter, dy, inSizes, paddedSizes, filterSizes]);
}
