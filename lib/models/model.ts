/**
 * What every classifier in lib/models offers the training loop and the metrics: a forward pass
 * over `[0, 1]` images that returns logits and the last convolutional feature map, the classifier
 * weights (for class activation maps), named feature-level mixing points, and its variables.
 *
 * Mixing points ({@link MixLayer}): 0 = the `[0, 1]` input image (before normalisation), 1 = after
 * the stem, 2, 3, 4 = after stage 1, 2, 3.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel } from "./mod.ts";
 * const model = createModel({ arch: "resnet", depth: 20 }, 0);
 * const { logits, featuresNHWC } = model.forward(tf.zeros([1, 32, 32, 3]), { training: false });
 * console.log(logits.shape, featuresNHWC.shape); // [1, 10] [1, 8, 8, 64]
 * tf.dispose([logits, featuresNHWC]);
 * model.dispose();
 * ```
 * @module
 */
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { CIFAR10_MEAN, CIFAR10_STD } from "../augment/baseline.ts";
import type { FeatureMix } from "../augment/types.ts";
import type { Random } from "../random.ts";
import type { DenseParams, ParameterStore } from "./layers.ts";
import type { LayerOps } from "./ops.ts";

/** The input and head options every classifier here takes. */
export interface ClassifierIOOptions {
  /** Number of classes; default 10. */
  readonly numClasses?: number;
  /** Image channels; default 3. */
  readonly inputChannels?: number;
  /** Per-channel mean of the [0, 1] input, subtracted inside the model; default CIFAR-10's. */
  readonly mean?: readonly number[];
  /** Per-channel std of the [0, 1] input, divided out inside the model; default CIFAR-10's. */
  readonly std?: readonly number[];
}

/** {@link ClassifierIOOptions} with defaults filled in, validated; errors name `model`. */
export function resolveClassifierIO(
  options: ClassifierIOOptions,
  model: string,
): Required<ClassifierIOOptions> {
  const numClasses = options.numClasses ?? 10;
  const inputChannels = options.inputChannels ?? 3;
  const mean = options.mean ?? CIFAR10_MEAN;
  const std = options.std ?? CIFAR10_STD;
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`${model}: numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  if (mean.length !== inputChannels || std.length !== inputChannels || std.some((s) => !(s > 0))) {
    throw new Error(
      `${model}: mean [${mean}] and std [${std}] need ${inputChannels} entries with std > 0`,
    );
  }
  return { numClasses, inputChannels, mean: [...mean], std: [...std] };
}

/** Options of one forward pass. */
export interface ForwardOptions {
  /** Batch statistics (and running-average updates) in batch norm, ShakeDrop active. */
  readonly training: boolean;
  /** Feature-level CutMix to apply at its `layer`. */
  readonly featureMix?: FeatureMix;
  /** The stream for stochastic layers (ShakeDrop); required when they are active in training. */
  readonly rng?: Random;
}

/** What a forward pass returns; the caller owns (disposes) both tensors. */
export interface ForwardResult {
  /** Unnormalised class scores, `[N, numClasses]`. */
  readonly logits: Tensor2D;
  /** The last convolutional feature map (after its final ReLU), `[N, h, w, C]`: CAM's input. */
  readonly featuresNHWC: Tensor4D;
}

/** What a model's definition returns for one pass, in the tensor types of its {@link LayerOps}. */
export interface ModelOutputs<T4, T2> {
  /** `[N, numClasses]`. */
  readonly logits: T2;
  /** The last convolutional feature map, `[N, h, w, C]`. */
  readonly featuresNHWC: T4;
}

/** A CIFAR-style image classifier built from lib/models/layers.ts. */
export interface ImageClassifier {
  /** e.g. "resnet110" or "pyramidnet200-a240-bottleneck". */
  readonly name: string;
  /** K: `logits` are `[N, K]` and labels lie in [0, K). */
  readonly numClasses: number;
  /** Per-channel mean subtracted from the `[0, 1]` input. */
  readonly mean: readonly number[];
  /** Per-channel std the centred input is divided by. */
  readonly std: readonly number[];
  /** All variables (trainable parameters and batch-norm buffers), by stable names. */
  readonly parameters: ParameterStore;
  /** The final dense layer: `kernel` `[C, numClasses]` maps pooled features to logits (CAM). */
  readonly classifier: DenseParams;
  /** Runs the model on `imagesNHWC` (float32 in `[0, 1]`, `[N, H, W, 3]`). */
  forward(imagesNHWC: Tensor4D, options: ForwardOptions): ForwardResult;
  /**
   * The model's forward pass as written once, against `ops`: eager tfjs ops (`forward` is this
   * with `eagerLayerOps` inside a tidy) or the nodes of a TensorFlow graph (lib/models/graph_ops.ts).
   * `imagesNHWC` are `[0, 1]` images with the model's input channels.
   */
  apply<T4, T2>(ops: LayerOps<T4, T2>, imagesNHWC: T4): ModelOutputs<T4, T2>;
  /** Number of trainable scalars. */
  parameterCount(): number;
  /** Frees every variable. */
  dispose(): void;
}

/** Applies `featureMix` if it targets `layer`; otherwise returns `x` unchanged. */
export function mixAt(x: Tensor4D, layer: number, featureMix?: FeatureMix): Tensor4D {
  return featureMix !== undefined && featureMix.layer === layer ? featureMix.mix(x) : x;
}
