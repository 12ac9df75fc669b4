/**
 * The layer operations every model's forward pass is written against, once, so the same
 * definition runs eagerly on tfjs tensors ({@link eagerLayerOps}) or emits the nodes of one
 * TensorFlow graph (./graph_ops.ts, which the compiled training engine runs).
 *
 * Why an interface of layers and not tracing tfjs: a trace would record what tfjs happens to
 * call (its gradient tape, its kernel choices, JS-side draws baked in as constants), while the
 * graph needs other things at the same places — the batch dimension left unknown, the running
 * statistics assigned in the graph, ShakeDrop's gates and feature-level CutMix's box mask as
 * inputs fed each step. A model states *what* it computes in these terms; each implementation
 * decides *how*, keeping what the eager path does for correctness (1×1 convolutions as a sample
 * and a matmul, PyTorch's symmetric padding) in both.
 *
 * `T4` is the implementation's feature map (`[N, H, W, C]`), `T2` its matrix (`[N, K]`).
 *
 * @example
 * ```ts
 * import type { Tensor4D } from "@tensorflow/tfjs-core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel } from "./mod.ts";
 * import { eagerLayerOps } from "./ops.ts";
 * const model = createModel({ arch: "resnet", depth: 8, widths: [4, 8, 8] }, 0);
 * const images = tf.zeros([1, 8, 8, 3]) as Tensor4D;
 * const logits = tf.tidy(() => model.apply(eagerLayerOps({ training: false }), images).logits);
 * console.log(logits.shape); // [1, 10]
 * tf.dispose([logits, images]);
 * model.dispose();
 * ```
 * @module
 */
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { MixLayer } from "../augment/types.ts";
import {
  addRelu,
  averagePool2x2,
  batchNorm,
  type BatchNormParams,
  batchNormRelu,
  conv2d,
  type ConvParams,
  dense,
  type DenseParams,
  globalAveragePool,
  normalizeChannels,
  optionAShortcut,
  padChannels,
  relu,
  shakeDrop,
} from "./layers.ts";
import { type ForwardOptions, mixAt } from "./model.ts";

/** The operations a model's forward pass is made of (see the module doc). */
export interface LayerOps<T4, T2> {
  /** Training mode: batch statistics and running-average updates, ShakeDrop active. */
  readonly training: boolean;
  /** A bias-free convolution with PyTorch's symmetric padding `(k − 1) / 2`. */
  conv2d(xNHWC: T4, params: ConvParams, stride?: number): T4;
  /** Batch norm (batch statistics in training, moving the running ones; running ones otherwise). */
  batchNorm(xNHWC: T4, params: BatchNormParams): T4;
  /** `relu(batchNorm(x))`. */
  batchNormRelu(xNHWC: T4, params: BatchNormParams): T4;
  /** max(x, 0). */
  relu(xNHWC: T4): T4;
  /** `a + b`, same shapes. */
  add(a: T4, b: T4): T4;
  /** `relu(a + b)`, same shapes. */
  addRelu(a: T4, b: T4): T4;
  /** `x · kernel + bias`. */
  dense(x: T2, params: DenseParams): T2;
  /** Mean over H and W. */
  globalAveragePool(xNHWC: T4): T2;
  /** 2×2 average pooling, stride 2, PyTorch's `ceil_mode=True`. */
  averagePool2x2(xNHWC: T4): T4;
  /** Zero channels appended up to `channels`. */
  padChannels(xNHWC: T4, channels: number): T4;
  /** `(x − mean) / std` per channel. */
  normalizeChannels(imagesNHWC: T4, mean: readonly number[], std: readonly number[]): T4;
  /** ShakeDrop on a residual branch with drop probability `pDrop` (see layers.ts). */
  shakeDrop(xNHWC: T4, pDrop: number): T4;
  /** ResNet's option-A shortcut: strided sample, zero channels half before, half after. */
  optionAShortcut(xNHWC: T4, stride: number, outChannels: number): T4;
  /** Feature-level CutMix at mixing point `layer`, when this pass mixes there; else `x`. */
  mixAt(xNHWC: T4, layer: MixLayer): T4;
}

/**
 * The eager implementation: lib/models/layers.ts on tfjs tensors, exactly what the models ran
 * before this interface existed. Call inside `tf.tidy`; `options.rng` draws ShakeDrop's gates and
 * `options.featureMix` mixes at its layer.
 */
export function eagerLayerOps(options: ForwardOptions): LayerOps<Tensor4D, Tensor2D> {
  const { training, featureMix, rng } = options;
  return {
    training,
    conv2d: (x, params, stride = 1) => conv2d(x, params, stride),
    batchNorm: (x, params) => batchNorm(x, params, training),
    batchNormRelu: (x, params) => batchNormRelu(x, params, training),
    relu: (x) => relu(x),
    add: (a, b) => tf.add(a, b),
    addRelu: (a, b) => addRelu(a, b),
    dense: (x, params) => dense(x, params),
    globalAveragePool: (x) => globalAveragePool(x),
    averagePool2x2: (x) => averagePool2x2(x),
    padChannels: (x, channels) => padChannels(x, channels),
    normalizeChannels: (x, mean, std) => normalizeChannels(x, mean, std),
    shakeDrop: (x, pDrop) => shakeDrop(x, pDrop, training, rng),
    optionAShortcut: (x, stride, outChannels) => optionAShortcut(x, stride, outChannels),
    mixAt: (x, layer) => mixAt(x, layer, featureMix),
  };
}
