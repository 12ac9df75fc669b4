/**
 * The building blocks every model here is made of: convolution, batch normalisation, ReLU, dense,
 * pooling and channel padding, as plain functions over explicit variables, plus the
 * {@link ParameterStore} that creates and names those variables with PyTorch's initialisation.
 *
 * Models call only these functions for their arithmetic, so a faster implementation (e.g. fused
 * native batch norm + ReLU kernels) can replace one of them here without touching any model.
 *
 * Conventions (those of PyTorch's CIFAR reference code, clovaai/CutMix-PyTorch):
 * - images and feature maps are NHWC float32; conv kernels are HWIO `[kh, kw, in, out]`;
 * - a k×k convolution pads `(k − 1) / 2` pixels on every side (PyTorch's `padding=1` for 3×3), so a
 *   stride-2 convolution samples rows 0, 2, 4, … of the padded input exactly as PyTorch does
 *   (TensorFlow's `"same"` would pad only at the bottom/right and shift the grid by one pixel);
 * - conv kernels ~ N(0, 2 / (kh · kw · out)) (He et al. 2015, "fan_out", as the reference code);
 * - batch norm: γ = 1, β = 0, ε = 1e-5; training uses the batch's statistics (biased variance) and
 *   updates the running averages with momentum 0.1 and the *unbiased* batch variance, as
 *   `torch.nn.BatchNorm2d` does; evaluation uses the running averages;
 * - dense layers as `torch.nn.Linear`: kernel and bias ~ U(−1/√in, 1/√in).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { Random } from "../random.ts";
 * import { batchNorm, conv2d, ParameterStore, relu } from "./layers.ts";
 * const store = new ParameterStore(new Random(0));
 * const conv = store.conv("stem.conv", 3, 3, 16);
 * const bn = store.batchNorm("stem.bn", 16);
 * const y = tf.tidy(() => relu(batchNorm(conv2d(tf.zeros([2, 8, 8, 3]), conv), bn, true)));
 * y.dispose();
 * store.dispose();
 * ```
 * @module
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import {
  addRelu as fusedAddRelu,
  batchNormTrain,
  conv2dPadded,
  fusedKernelsActive,
  globalAveragePool as fusedGlobalAveragePool,
  relu as fusedRelu,
} from "../native_kernels.ts";
import type { Random } from "../random.ts";

/** A bias-free convolution's parameters. */
export interface ConvParams {
  /** The kernel, HWIO `[kh, kw, in, out]` with kh = kw odd, trainable. */
  readonly kernel: Variable;
}

/** A batch-normalisation layer: learned affine parameters and running statistics (buffers). */
export interface BatchNormParams {
  /** Scale γ, `[C]`, trainable. */
  readonly gamma: Variable;
  /** Shift β, `[C]`, trainable. */
  readonly beta: Variable;
  /** Running mean, `[C]`, a buffer (not trained, updated in training-mode forward passes). */
  readonly movingMean: Variable;
  /** Running (unbiased) variance, `[C]`, a buffer. */
  readonly movingVariance: Variable;
  /** Weight of the new batch statistic in the running average (PyTorch's `momentum`, 0.1). */
  readonly momentum: number;
  /** Added to the variance before the square root (1e-5 as PyTorch). */
  readonly epsilon: number;
}

/** A fully connected layer: `y = x · kernel + bias`. */
export interface DenseParams {
  /** `[in, out]`. */
  readonly kernel: Variable;
  /** `[out]`. */
  readonly bias: Variable;
}

/**
 * Creates, names and owns a model's variables. Trainable parameters and buffers (batch-norm running
 * statistics) are kept apart, in creation order, so checkpoints and optimizers see a stable order.
 */
export class ParameterStore {
  /** Trainable parameters by name, in creation order. */
  readonly trainable: Map<string, Variable> = new Map();
  /** Non-trainable state (running statistics) by name, in creation order. */
  readonly buffers: Map<string, Variable> = new Map();
  readonly #rng: Random;

  /**
   * An empty store; each `conv`, `batchNorm` and `dense` call then adds that layer's variables.
   *
   * @param rng the stream every initial value is drawn from (in creation order).
   */
  constructor(rng: Random) {
    this.#rng = rng;
  }

  #add(name: string, values: Float32Array, shape: number[], trainable: boolean): Variable {
    if (this.trainable.has(name) || this.buffers.has(name)) {
      throw new Error(`ParameterStore: variable name "${name}" is already used`);
    }
    // tfjs variable names are global, so they are left to tfjs; the store keeps the model's names.
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), trainable));
    (trainable ? this.trainable : this.buffers).set(name, variable);
    return variable;
  }

  /** A k×k convolution kernel from `inChannels` to `outChannels`, He-normal with fan-out. */
  conv(name: string, kernelSize: number, inChannels: number, outChannels: number): ConvParams {
    for (const [arg, v] of Object.entries({ kernelSize, inChannels, outChannels })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(
          `ParameterStore.conv(${name}): ${arg} must be a positive integer, got ${v}`,
        );
      }
    }
    const std = Math.sqrt(2 / (kernelSize * kernelSize * outChannels));
    const values = new Float32Array(kernelSize * kernelSize * inChannels * outChannels);
    for (let i = 0; i < values.length; i++) values[i] = this.#rng.normal(0, std);
    return {
      kernel: this.#add(`${name}.kernel`, values, [
        kernelSize,
        kernelSize,
        inChannels,
        outChannels,
      ], true),
    };
  }

  /** A batch-norm layer over `channels` (γ = 1, β = 0, running mean 0 and variance 1). */
  batchNorm(name: string, channels: number, momentum = 0.1, epsilon = 1e-5): BatchNormParams {
    if (!Number.isInteger(channels) || channels < 1) {
      throw new Error(
        `ParameterStore.batchNorm(${name}): channels must be a positive integer, got ${channels}`,
      );
    }
    const ones = () => new Float32Array(channels).fill(1);
    const zeros = () => new Float32Array(channels);
    return {
      gamma: this.#add(`${name}.gamma`, ones(), [channels], true),
      beta: this.#add(`${name}.beta`, zeros(), [channels], true),
      movingMean: this.#add(`${name}.movingMean`, zeros(), [channels], false),
      movingVariance: this.#add(`${name}.movingVariance`, ones(), [channels], false),
      momentum,
      epsilon,
    };
  }

  /** A dense layer from `inUnits` to `outUnits`, initialised as `torch.nn.Linear`. */
  dense(name: string, inUnits: number, outUnits: number): DenseParams {
    const bound = 1 / Math.sqrt(inUnits);
    const kernel = new Float32Array(inUnits * outUnits);
    for (let i = 0; i < kernel.length; i++) kernel[i] = this.#rng.uniform(-bound, bound);
    const bias = new Float32Array(outUnits);
    for (let i = 0; i < bias.length; i++) bias[i] = this.#rng.uniform(-bound, bound);
    return {
      kernel: this.#add(`${name}.kernel`, kernel, [inUnits, outUnits], true),
      bias: this.#add(`${name}.bias`, bias, [outUnits], true),
    };
  }

  /** Number of trainable scalars (what PyTorch's `sum(p.numel() for p in model.parameters())` counts). */
  parameterCount(): number {
    let total = 0;
    for (const v of this.trainable.values()) total += v.size;
    return total;
  }

  /** All variables, trainable first, by name. */
  all(): Map<string, Variable> {
    return new Map([...this.trainable, ...this.buffers]);
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const v of this.trainable.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    this.trainable.clear();
    this.buffers.clear();
  }
}

/**
 * A bias-free 2-D convolution with PyTorch's symmetric padding of `(k − 1) / 2` pixels.
 * @param stride 1 or 2 (any positive integer works).
 */
export function conv2d(xNHWC: Tensor4D, params: ConvParams, stride = 1): Tensor4D {
  const k = params.kernel.shape[0];
  const pad = (k - 1) / 2;
  if (k === 1) return pointwise(xNHWC, params.kernel, stride);
  if (fusedKernelsActive()) {
    return conv2dPadded(xNHWC, params.kernel as unknown as Tensor4D, stride, pad);
  }
  if (pad === 0) return tf.conv2d(xNHWC, params.kernel as unknown as Tensor4D, stride, "valid");
  if (stride === 1) {
    // For odd k and stride 1, TensorFlow's "same" is exactly the symmetric padding.
    return tf.conv2d(xNHWC, params.kernel as unknown as Tensor4D, 1, "same");
  }
  return tf.tidy(() => {
    const padded = tf.pad(xNHWC, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
    return tf.conv2d(padded, params.kernel as unknown as Tensor4D, stride, "valid");
  });
}

/**
 * A 1×1 convolution (PyramidNet's bottleneck, ResNet's option-B shortcut) as what it is: keep
 * every `stride`-th pixel (rows and columns 0, s, 2s, …; all of them for stride 1), then a matrix
 * product over channels.
 *
 * Why not `tf.conv2d`: TensorFlow 2.21's CPU kernels get 1×1 convolutions' gradients wrong in two
 * cases seen. With oneDNN on an AVX2 CPU (AMD EPYC Zen 1), the weight gradient of a stride-2 one
 * with few input channels (2, 4, 5 seen; 12+ fine) is wrong in most calls, by up to 70 % of the
 * gradient's scale. On an AMD EPYC Zen 5 (AVX-512), with oneDNN on or off, the input gradient of
 * a stride-1 one with more than 32 input channels not a multiple of 16 (33, 40, 65, 68, 72, 80,
 * 100, 200, 260 seen) is wrong in every call in the channels past the last multiple of 32
 * (test/models/layers_test.ts). The same arithmetic as a slice and a matmul is right everywhere;
 * ResNet-20's training step time did not change beyond the Zen 1 machine's run-to-run noise.
 */
function pointwise(xNHWC: Tensor4D, kernel: Tensor, stride: number): Tensor4D {
  return tf.tidy(() => {
    const sampled = strideSample(xNHWC, stride);
    const [n, outH, outW, c] = sampled.shape;
    const outChannels = kernel.shape[3]!;
    const y = tf.matMul(
      tf.reshape(sampled, [n * outH * outW, c]),
      tf.reshape(kernel, [c, outChannels]),
    );
    return tf.reshape(y, [n, outH, outW, outChannels]) as Tensor4D;
  });
}

/**
 * Rows and columns 0, s, 2s, … of an NHWC tensor: the bottom/right padded to whole stride blocks
 * (those pixels are never sampled), then the first pixel of each block kept. A reshape and a
 * slice, which tfjs can differentiate (its `stridedSlice` has no gradient).
 */
export function strideSample(xNHWC: Tensor4D, stride: number): Tensor4D {
  if (stride === 1) return xNHWC;
  return tf.tidy(() => {
    const [n, h, w, c] = xNHWC.shape;
    const outH = Math.floor((h - 1) / stride) + 1;
    const outW = Math.floor((w - 1) / stride) + 1;
    const padH = outH * stride - h;
    const padW = outW * stride - w;
    const whole = padH || padW ? tf.pad(xNHWC, [[0, 0], [0, padH], [0, padW], [0, 0]]) : xNHWC;
    const blocks = tf.reshape(whole, [n, outH, stride, outW, stride, c]);
    const sampled = tf.slice(blocks, [0, 0, 0, 0, 0, 0], [n, outH, 1, outW, 1, c]);
    return tf.reshape(sampled, [n, outH, outW, c]) as Tensor4D;
  });
}

/**
 * Batch normalisation over N, H, W of an NHWC tensor.
 *
 * `training = true`: normalises with the batch mean and biased variance and, as a side effect,
 * moves the running statistics: `running ← (1 − momentum)·running + momentum·batch` (the variance
 * term unbiased by `m / (m − 1)`, m = N·H·W). `training = false`: uses the running statistics.
 */
export function batchNorm(xNHWC: Tensor4D, params: BatchNormParams, training: boolean): Tensor4D {
  if (!training) {
    return tf.batchNorm(
      xNHWC,
      params.movingMean,
      params.movingVariance,
      params.beta,
      params.gamma,
      params.epsilon,
    ) as Tensor4D;
  }
  if (fusedKernelsActive()) {
    // One FusedBatchNormV3 forward (running averages updated in the same kernel) and one
    // FusedBatchNormGradV3 backward, instead of ~20 elementwise kernels: see native_kernels.ts.
    return fusedBatchNormTrain(xNHWC, params, false);
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(xNHWC, [0, 1, 2]);
    const [n, h, w] = xNHWC.shape;
    const count = n * h * w;
    const m = params.momentum;
    // Assignments are not recorded for gradients; the update never reaches the loss.
    const unbiased = tf.mul(variance, count > 1 ? count / (count - 1) : 1);
    params.movingMean.assign(tf.add(tf.mul(params.movingMean, 1 - m), tf.mul(mean, m)));
    params.movingVariance.assign(
      tf.add(tf.mul(params.movingVariance, 1 - m), tf.mul(unbiased, m)),
    );
    return tf.batchNorm(
      xNHWC,
      mean,
      variance,
      params.beta,
      params.gamma,
      params.epsilon,
    ) as Tensor4D;
  });
}

/**
 * `relu(batchNorm(x))`. In training with the fused kernels the two are one kernel forward
 * (oneDNN's batch norm with ReLU fused where oneDNN is on) and ReluGrad + batch-norm gradient
 * backward; the result is the same as the two layers applied in turn.
 */
export function batchNormRelu(
  xNHWC: Tensor4D,
  params: BatchNormParams,
  training: boolean,
): Tensor4D {
  if (!training || !fusedKernelsActive()) {
    return relu(batchNorm(xNHWC, params, training));
  }
  return fusedBatchNormTrain(xNHWC, params, true);
}

/** Training-mode batch norm (optionally + ReLU) by the fused kernel; moves the running stats. */
function fusedBatchNormTrain(xNHWC: Tensor4D, params: BatchNormParams, relu: boolean): Tensor4D {
  const { y, runningMean, runningVar } = batchNormTrain(
    xNHWC,
    params.gamma as Tensor1D,
    params.beta as Tensor1D,
    params.movingMean as Tensor1D,
    params.movingVariance as Tensor1D,
    { epsilon: params.epsilon, momentum: params.momentum, relu },
  );
  params.movingMean.assign(runningMean);
  params.movingVariance.assign(runningVar);
  tf.dispose([runningMean, runningVar]);
  return y;
}

/** max(x, 0). */
export function relu<T extends Tensor>(x: T): T {
  // TensorFlow's ReluGrad is one kernel; tfjs' own gradient is Step · Cast · Mul.
  return fusedKernelsActive() ? fusedRelu(x) : tf.relu(x);
}

/** `relu(a + b)` for two tensors of the same shape (a residual block's output). */
export function addRelu<T extends Tensor>(a: T, b: T): T {
  if (fusedKernelsActive()) {
    return fusedAddRelu(a, b);
  }
  return relu(tf.add(a, b));
}

/** `x · kernel + bias` for `x` of shape `[N, in]`. */
export function dense(x: Tensor2D, params: DenseParams): Tensor2D {
  return tf.add(tf.matMul(x, params.kernel as unknown as Tensor2D), params.bias) as Tensor2D;
}

/** Mean over H and W: `[N, H, W, C]` → `[N, C]`. */
export function globalAveragePool(xNHWC: Tensor4D): Tensor2D {
  if (fusedKernelsActive()) {
    return fusedGlobalAveragePool(xNHWC);
  }
  return tf.mean(xNHWC, [1, 2]) as Tensor2D;
}

/**
 * 2×2 average pooling with stride 2, as PyTorch's `AvgPool2d(2, 2, ceil_mode=True)`: an odd last
 * row/column is averaged over the pixels that exist (TensorFlow's "same" padding, which pads at
 * the end and excludes padding from the average).
 */
export function averagePool2x2(xNHWC: Tensor4D): Tensor4D {
  return tf.avgPool(xNHWC, 2, 2, "same");
}

/** Appends zero channels so `xNHWC` has `channels` channels (PyramidNet's shortcut). */
export function padChannels(xNHWC: Tensor4D, channels: number): Tensor4D {
  const extra = channels - xNHWC.shape[3];
  if (extra < 0) {
    throw new Error(
      `padChannels: channels (${channels}) is less than the input's ${xNHWC.shape[3]}`,
    );
  }
  if (extra === 0) return xNHWC;
  return tf.pad(xNHWC, [[0, 0], [0, 0], [0, 0], [0, extra]]);
}

/**
 * `mean` and `std` tiled along one whole `h × w × c` image row, for {@link normalizeChannels}
 * (eager and graph alike): TensorFlow broadcasts a row of H·W·C values far faster than a vector of
 * C (3) (0.7 against 1.8 ms for a CIFAR batch of 64), and the results are bit-identical. Throws
 * when either has other than `c` entries.
 */
export function normalizationRows(
  mean: readonly number[],
  std: readonly number[],
  [h, w, c]: readonly [number, number, number],
): { readonly mean: Float32Array; readonly std: Float32Array } {
  if (mean.length !== c || std.length !== c) {
    throw new Error(
      `normalizeChannels: ${c} channels but ${mean.length} means and ${std.length} stds`,
    );
  }
  const rowLength = h * w * c;
  const tiled = (perChannel: readonly number[]) => {
    const values = new Float32Array(rowLength);
    for (let i = 0; i < rowLength; i++) values[i] = perChannel[i % c];
    return values;
  };
  return { mean: tiled(mean), std: tiled(std) };
}

/** Per-channel `(x − mean) / std` of `[0, 1]` images, the first op of every model. */
export function normalizeChannels(
  imagesNHWC: Tensor4D,
  mean: readonly number[],
  std: readonly number[],
): Tensor4D {
  const [n, h, w, c] = imagesNHWC.shape;
  const rows = normalizationRows(mean, std, [h, w, c]);
  return tf.tidy(() =>
    tf.reshape(
      tf.div(
        tf.sub(tf.reshape(imagesNHWC, [n, h * w * c]), tf.tensor1d(rows.mean)),
        tf.tensor1d(rows.std),
      ),
      [n, h, w, c],
    )
  );
}

/**
 * ShakeDrop (Yamada et al. 2019) on a residual branch, as in PyramidNet-ShakeDrop's reference
 * implementation: with b ~ Bernoulli(1 − pDrop) drawn once per batch and α ~ U[−1, 1] per sample,
 * the forward pass is `(b + α − b·α) · x`; the backward pass uses an independent β ~ U[0, 1] per
 * sample, `(b + β − b·β) · dy`. In evaluation the branch is scaled by its expectation `1 − pDrop`.
 *
 * @param pDrop the probability that the branch is perturbed, ∈ [0, 1].
 * @param rng required in training: the stream b, α and β are drawn from.
 */
export function shakeDrop(
  xNHWC: Tensor4D,
  pDrop: number,
  training: boolean,
  rng?: Random,
): Tensor4D {
  if (!(pDrop >= 0 && pDrop <= 1)) {
    throw new Error(`shakeDrop: pDrop must be in [0, 1], got ${pDrop}`);
  }
  if (!training) return tf.mul(xNHWC, 1 - pDrop);
  if (rng === undefined) throw new Error("shakeDrop: a Random (rng) is required in training");
  const n = xNHWC.shape[0];
  const gates = shakeDropGates(n, pDrop, rng);
  // customGrad's declared parameter type is a union with its `save` callback; one input here.
  const op = tf.customGrad(
    ((x: Tensor) => {
      return {
        value: tf.mul(x as Tensor4D, tf.tensor4d(gates.forward, [n, 1, 1, 1])),
        gradFunc: (dy: Tensor) => tf.mul(dy, tf.tensor4d(gates.backward, [n, 1, 1, 1])),
      };
    }) as Parameters<typeof tf.customGrad>[0],
  );
  return op(xNHWC) as Tensor4D;
}

/** The per-sample multipliers of one ShakeDrop layer in training, `[N]` each. */
export interface ShakeDropGates {
  /** `b + α − b·α`, applied to the branch in the forward pass. */
  readonly forward: Float32Array;
  /** `b + β − b·β`, applied to the gradient in the backward pass. */
  readonly backward: Float32Array;
}

/**
 * Draws one ShakeDrop layer's gates for a batch of `n` from `rng`, in the order every engine
 * uses: b ~ Bernoulli(1 − pDrop), then α₁…αₙ ~ U[−1, 1], then β₁…βₙ ~ U[0, 1]. The eager layer
 * and the compiled graph (which takes the gates as inputs) both draw through this, so a step
 * consumes the stream identically on either engine.
 */
export function shakeDropGates(n: number, pDrop: number, rng: Random): ShakeDropGates {
  const keep = rng.bernoulli(1 - pDrop) ? 1 : 0;
  const alpha = new Float32Array(n);
  const beta = new Float32Array(n);
  for (let i = 0; i < n; i++) alpha[i] = rng.uniform(-1, 1);
  for (let i = 0; i < n; i++) beta[i] = rng.uniform(0, 1);
  const gate = (coefficients: Float32Array) => coefficients.map((c) => keep + c - keep * c);
  return { forward: gate(alpha), backward: gate(beta) };
}

/**
 * ResNet's option-A shortcut (He et al. 2016, CIFAR): every `stride`-th pixel (rows and columns
 * 0, s, 2s, …), then zero channels appended half before and half after to reach `outChannels`.
 */
export function optionAShortcut(xNHWC: Tensor4D, stride: number, outChannels: number): Tensor4D {
  const extra = outChannels - xNHWC.shape[3];
  const before = Math.floor(extra / 2);
  return tf.tidy(() =>
    tf.pad(strideSample(xNHWC, stride), [[0, 0], [0, 0], [0, 0], [before, extra - before]])
  );
}
