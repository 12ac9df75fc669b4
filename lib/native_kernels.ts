/**
 * TensorFlow's own fused kernels for the hot spots of a training step, called by name through
 * tfjs-node's native backend and registered as tfjs kernels with gradients, so they work under
 * `tf.grads`, `tf.variableGrads`, `optimizer.minimize`, `tf.tidy` and memory accounting like
 * built-in ops.
 *
 * Why: composed from tfjs elementwise ops, one ResNet-20 training step (batch 64) issues about
 * 2,700 kernel calls and batch norm + ReLU forward and backward take most of its time
 * (bench/README.md). TensorFlow does the same math in a handful of calls:
 *
 * | piece              | forward                         | backward                    |
 * |--------------------|---------------------------------|-----------------------------|
 * | batch norm (train) | `FusedBatchNormV3(is_training)` | `FusedBatchNormGradV3`      |
 * | ReLU               | `Relu`                          | `ReluGrad` (tfjs: Step·Mul) |
 * | soft-target CE     | `SoftmaxCrossEntropyWithLogits` | the kernel's own `backprop` |
 *
 * Batch norm statistics follow PyTorch: normalise with the biased batch variance; running
 * statistics move by `momentum` towards the batch mean and the *unbiased* batch variance
 * (TensorFlow's `exponential_avg_factor`). test/native_kernels_test.ts pins outputs and
 * gradients against the plain tfjs compositions.
 *
 * {@link fusedKernelsActive} says whether lib/ uses them: on the native `tensorflow` backend,
 * unless `CUTMIX_FUSED_KERNELS=0` (the bench sets it to measure the plain composition).
 *
 * @example
 * ```ts
 * import { tf } from "./backend.ts";
 * import { fusedKernelsActive, softmaxCrossEntropy } from "./native_kernels.ts";
 * if (fusedKernelsActive()) {
 *   const loss = softmaxCrossEntropy(tf.zeros([2, 3]), tf.fill([2, 3], 1 / 3));
 *   console.log(loss.dataSync()[0]); // log 3 ≈ 1.0986
 * }
 * ```
 * @module
 */
import { backendInfo, tf } from "./backend.ts";
import type {
  NamedTensorMap,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor4D,
} from "@tensorflow/tfjs-node";

/**
 * True when lib/ runs the fused kernels: the native `tensorflow` backend is active and
 * `CUTMIX_FUSED_KERNELS` is not `0`. Read at each call, so a test can compare both paths.
 */
export function fusedKernelsActive(): boolean {
  return tf.getBackend() === "tensorflow" && Deno.env.get("CUTMIX_FUSED_KERNELS") !== "0";
}

/** One attribute of a TensorFlow op, as tfjs-node's binding takes it. */
interface OpAttr {
  name: string;
  type: number;
  value: number | string | boolean | number[];
}

/** The part of tfjs-node's `NodeJSKernelBackend` these kernels use. */
interface NativeBackend {
  binding: {
    TF_ATTR_TYPE: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_INT: number;
    TF_FLOAT: number;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor;
  executeMultipleOutputs(
    name: string,
    attrs: OpAttr[],
    inputs: Tensor[],
    numOutputs: number,
  ): Tensor[];
}

/** Kernel names, prefixed so they never collide with tfjs' own. */
export const KERNELS = {
  batchNormTrain: "CutmixFusedBatchNormTrain",
  batchNormTrainGrad: "CutmixFusedBatchNormTrainGrad",
  relu: "CutmixRelu",
  reluGrad: "CutmixReluGrad",
  softmaxCrossEntropy: "CutmixSoftmaxCrossEntropy",
} as const;

function nativeBackend(): NativeBackend {
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  if (tf.getBackend() !== "tensorflow" || typeof backend.executeMultipleOutputs !== "function") {
    throw new Error(
      `fused kernels need the native "tensorflow" backend, got "${tf.getBackend()}"`,
    );
  }
  return backend as NativeBackend;
}

function floatType(b: NativeBackend, name: string): OpAttr {
  return { name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
}

/** Attributes of FusedBatchNormV3 / FusedBatchNormGradV3 for float32 NHWC. */
function batchNormAttrs(
  b: NativeBackend,
  epsilon: number,
  isTraining: boolean,
  exponentialAvgFactor?: number,
): OpAttr[] {
  const attrs: OpAttr[] = [
    floatType(b, "T"),
    floatType(b, "U"),
    { name: "epsilon", type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: "data_format", type: b.binding.TF_ATTR_STRING, value: "NHWC" },
    { name: "is_training", type: b.binding.TF_ATTR_BOOL, value: isTraining },
  ];
  if (exponentialAvgFactor !== undefined) {
    attrs.push({
      name: "exponential_avg_factor",
      type: b.binding.TF_ATTR_FLOAT,
      value: exponentialAvgFactor,
    });
  }
  return attrs;
}

let registered = false;

/**
 * Registers the fused kernels and their gradients with tfjs (idempotent). Throws unless the
 * native `tensorflow` backend is active. The functions below call it themselves.
 */
export function registerFusedKernels(): void {
  if (registered) return;
  nativeBackend();

  // Batch norm in training mode, optionally followed by ReLU.
  // inputs: x [N,H,W,C], scale [C], offset [C], runningMean [C], runningVar [C]
  // outputs: y, newRunningMean, newRunningVar, savedMean, savedVar, reserve3
  tf.registerKernel({
    kernelName: KERNELS.batchNormTrain,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs }) => {
      const b = nativeBackend();
      const { x, scale, offset, runningMean, runningVar } = inputs as unknown as Record<
        string,
        Tensor
      >;
      const { epsilon, momentum, relu } = attrs as unknown as {
        epsilon: number;
        momentum: number;
        relu: boolean;
      };
      const [bn, mean, variance, savedMean, savedVar, reserve3] = b.executeMultipleOutputs(
        "FusedBatchNormV3",
        batchNormAttrs(b, epsilon, true, momentum),
        [x, scale, offset, runningMean, runningVar],
        6,
      );
      if (!relu) return [bn, mean, variance, savedMean, savedVar, reserve3];
      const y = b.executeSingleOutput("Relu", [floatType(b, "T")], [bn]);
      bn.dispose();
      return [y, mean, variance, savedMean, savedVar, reserve3];
    },
  });
  // Its backward pass, a kernel of its own so tf.profile sees it by name.
  // inputs: dy, x, scale, savedMean, savedVar, reserve3, y; outputs: dx, dScale, dOffset
  tf.registerKernel({
    kernelName: KERNELS.batchNormTrainGrad,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs }) => {
      const b = nativeBackend();
      const { dy, x, scale, savedMean, savedVar, reserve3, y } = inputs as unknown as Record<
        string,
        Tensor
      >;
      const { epsilon, relu } = attrs as unknown as { epsilon: number; relu: boolean };
      // With oneDNN, TensorFlow's CPU FusedBatchNormGradV3 is 1.4–4× slower when the channel
      // count is not a multiple of 8 (PyramidNet's widths 17, 18, 19, …;
      // bench/experiments/bn_channels.ts), so such inputs are padded to the next multiple (scale
      // and variance with 1, the rest with 0: the extra channels are independent and finite) and
      // the results sliced back. Eigen's kernel (oneDNN off) has no such cliff, and padding made
      // it 1.6× slower (AVX2 machine), so then nothing is padded.
      const channels = x.shape[3]!;
      const extra = backendInfo.oneDnnEnabled ? (8 - (channels % 8)) % 8 : 0;
      return tf.tidy(() => {
        const dBn = relu ? b.executeSingleOutput("ReluGrad", [floatType(b, "T")], [dy, y]) : dy;
        const pad4 = (t: Tensor) => extra ? tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, extra]]) : t;
        const pad1 = (t: Tensor, value: number) => extra ? tf.pad(t, [[0, extra]], value) : t;
        const [dx, dScale, dOffset] = b.executeMultipleOutputs(
          "FusedBatchNormGradV3",
          batchNormAttrs(b, epsilon, true),
          [pad4(dBn), pad4(x), pad1(scale, 1), pad1(savedMean, 0), pad1(savedVar, 1), reserve3],
          5,
        );
        if (!extra) return [dx, dScale, dOffset];
        return [
          tf.slice(dx, [0, 0, 0, 0], [-1, -1, -1, channels]),
          tf.slice(dScale, [0], [channels]),
          tf.slice(dOffset, [0], [channels]),
        ];
      });
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.batchNormTrain,
    inputsToSave: ["x", "scale"],
    outputsToSave: [true, false, false, true, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, scale, y, savedMean, savedVar, reserve3] = saved;
      const dy = (dys as Tensor[])[0];
      // Computed once here, not inside the per-input thunks: tfjs calls each thunk in its own
      // tidy, so results shared between thunks would otherwise be disposed or recomputed.
      const [dx, dScale, dOffset] = tf.engine().runKernel(
        KERNELS.batchNormTrainGrad,
        { dy, x, scale, savedMean, savedVar, reserve3, y } as unknown as NamedTensorMap,
        attrs as unknown as Record<string, number | boolean>,
      ) as Tensor[];
      return {
        x: () => dx,
        scale: () => dScale,
        offset: () => dOffset,
        // Running statistics are state, not parameters: no gradient flows into them.
        runningMean: () => tf.zerosLike(savedMean),
        runningVar: () => tf.zerosLike(savedVar),
      };
    },
  });

  // ReLU whose gradient is TensorFlow's ReluGrad (1 kernel) instead of tfjs' Step + Cast + Mul.
  tf.registerKernel({
    kernelName: KERNELS.relu,
    backendName: "tensorflow",
    kernelFunc: ({ inputs }) => {
      const b = nativeBackend();
      return b.executeSingleOutput("Relu", [floatType(b, "T")], [inputs.x as Tensor]);
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.relu,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      return {
        x: () =>
          tf.engine().runKernel(
            KERNELS.reluGrad,
            { dy, y } as unknown as NamedTensorMap,
            {},
          ) as Tensor,
      };
    },
  });

  tf.registerKernel({
    kernelName: KERNELS.reluGrad,
    backendName: "tensorflow",
    kernelFunc: ({ inputs }) => {
      const b = nativeBackend();
      const { dy, y } = inputs as unknown as Record<string, Tensor>;
      return b.executeSingleOutput("ReluGrad", [floatType(b, "T")], [dy, y]);
    },
  });

  // Per-example soft-target cross-entropy: outputs loss [N] and its gradient w.r.t. the logits.
  tf.registerKernel({
    kernelName: KERNELS.softmaxCrossEntropy,
    backendName: "tensorflow",
    kernelFunc: ({ inputs }) => {
      const b = nativeBackend();
      const { logits, targets } = inputs as unknown as Record<string, Tensor>;
      return b.executeMultipleOutputs(
        "SoftmaxCrossEntropyWithLogits",
        [floatType(b, "T")],
        [logits, targets],
        2,
      );
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.softmaxCrossEntropy,
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [backprop] = saved;
      const dLoss = (dys as Tensor[])[0];
      const dLogits = tf.mul(tf.reshape(dLoss, [-1, 1]), backprop);
      return {
        logits: () => dLogits,
        // The targets are data: the loop never differentiates through them.
        targets: () => tf.zerosLike(backprop),
      };
    },
  });
  registered = true;
}

/** Options of {@link batchNormTrain}. */
export interface BatchNormTrainOptions {
  /** Added to the variance before the square root (PyTorch 1e-5, Keras 1e-3). */
  epsilon: number;
  /** Weight of the batch statistics in the running averages ∈ [0, 1] (PyTorch 0.1). */
  momentum: number;
  /** Apply ReLU to the normalised output (fused into the same forward and backward pair). */
  relu: boolean;
}

/**
 * Batch norm over N, H, W in training mode (batch statistics), optionally with ReLU, as
 * 1–2 TensorFlow kernels forward and 1–2 backward. Differentiable w.r.t. `x`, `scale`, `offset`.
 *
 * @param x NHWC float32 activations
 * @param scale γ, [C]
 * @param offset β, [C]
 * @param runningMean running mean, [C] (read only; the updated value is returned)
 * @param runningVar running variance, [C] (read only; the updated value is returned)
 * @returns `y` (same shape as `x`) and the updated running statistics (assign them).
 */
export function batchNormTrain(
  x: Tensor4D,
  scale: Tensor1D,
  offset: Tensor1D,
  runningMean: Tensor1D,
  runningVar: Tensor1D,
  options: BatchNormTrainOptions,
): { y: Tensor4D; runningMean: Tensor1D; runningVar: Tensor1D } {
  registerFusedKernels();
  // The saved statistics (outputs 3–5) live on only through the gradient tape, which keeps what
  // it needs; the tidy disposes them otherwise.
  return tf.tidy(() => {
    const outs = tf.engine().runKernel(
      KERNELS.batchNormTrain,
      { x, scale, offset, runningMean, runningVar } as unknown as NamedTensorMap,
      options as unknown as Record<string, number | boolean>,
    ) as Tensor[];
    return {
      y: outs[0] as Tensor4D,
      runningMean: outs[1] as Tensor1D,
      runningVar: outs[2] as Tensor1D,
    };
  });
}

/** ReLU with TensorFlow's `ReluGrad` as its gradient. */
export function relu<T extends Tensor>(x: T): T {
  registerFusedKernels();
  return tf.engine().runKernel(KERNELS.relu, { x } as unknown as NamedTensorMap, {}) as T;
}

/**
 * Mean over the batch of the soft-target cross-entropy −Σₖ tₖ·log softmax(z)ₖ, by TensorFlow's
 * `SoftmaxCrossEntropyWithLogits` (one kernel; the gradient softmax(z) − t comes with it).
 *
 * @param logits [N, K] float32
 * @param targets [N, K] float32, rows summing to 1
 */
export function softmaxCrossEntropy(logits: Tensor2D, targets: Tensor2D): Scalar {
  registerFusedKernels();
  // `backprop` (output 1) is kept by the gradient tape when one records; otherwise disposed.
  return tf.tidy(() => {
    const [perExample] = tf.engine().runKernel(
      KERNELS.softmaxCrossEntropy,
      { logits, targets } as unknown as NamedTensorMap,
      {},
    ) as Tensor[];
    return tf.mean(perExample) as Scalar;
  });
}
