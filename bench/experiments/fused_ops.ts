/**
 * Prototype: batch norm, ReLU and soft-target cross-entropy as TensorFlow's own fused kernels,
 * called by name through tfjs-node's native backend, with their gradients as TensorFlow's fused
 * gradient kernels.
 *
 * Why: composed from tfjs elementwise ops, one training step of ResNet-20 (batch 64) issues about
 * 1,900 kernel calls, and batch norm + ReLU forward and backward take most of the step (see
 * bench/README.md). TensorFlow executes the same math in 4 calls per batch norm + ReLU:
 *
 * | piece              | forward                             | backward                       |
 * |--------------------|-------------------------------------|--------------------------------|
 * | batch norm (train) | `FusedBatchNormV3(is_training)`     | `FusedBatchNormGradV3`         |
 * | ReLU               | `Relu`                              | `ReluGrad` (tfjs: Step·Mul)    |
 * | soft-target CE     | `SoftmaxCrossEntropyWithLogits`     | the kernel's saved `backprop`  |
 *
 * Each piece is registered as a tfjs kernel (`tf.registerKernel`, backend `tensorflow`) with a
 * gradient (`tf.registerGradient`), so it works under `tf.grads`, `tf.variableGrads`,
 * `optimizer.minimize`, `tf.tidy` and memory accounting exactly like a built-in op.
 *
 * Batch norm statistics follow PyTorch/TensorFlow: normalise with the biased batch variance;
 * running statistics move by `momentum` towards the batch mean and the *unbiased* batch variance
 * (`running ← (1 − momentum)·running + momentum·batch`, PyTorch's convention, TensorFlow's
 * `exponential_avg_factor`).
 *
 * Run `deno run -A bench/experiments/fused_ops.ts` to check outputs and gradients against the
 * plain tfjs composition (max |difference| ≤ 1e-4).
 *
 * @example
 * ```ts
 * import { batchNormTrain, registerFusedKernels } from "./fused_ops.ts";
 * registerFusedKernels();
 * const { y, runningMean, runningVar } = batchNormTrain(x, gamma, beta, mean, variance, {
 *   epsilon: 1e-5, momentum: 0.1, relu: true,
 * });
 * ```
 * @module
 */
import { tf } from "../../lib/backend.ts";
import type { NamedTensorMap, Tensor, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-node";

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
 * native `tensorflow` backend is active.
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
      const dBn = relu ? b.executeSingleOutput("ReluGrad", [floatType(b, "T")], [dy, y]) : dy;
      const [dx, dScale, dOffset, r4, r5] = b.executeMultipleOutputs(
        "FusedBatchNormGradV3",
        batchNormAttrs(b, epsilon, true),
        [dBn, x, scale, savedMean, savedVar, reserve3],
        5,
      );
      r4.dispose();
      r5.dispose();
      if (relu) dBn.dispose();
      return [dx, dScale, dOffset];
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
  const outs = tf.engine().runKernel(
    KERNELS.batchNormTrain,
    { x, scale, offset, runningMean, runningVar } as unknown as NamedTensorMap,
    options as unknown as Record<string, number | boolean>,
  ) as Tensor[];
  // savedMean, savedVar and reserve3 stay alive only through the tape (tidy disposes them).
  return {
    y: outs[0] as Tensor4D,
    runningMean: outs[1] as Tensor1D,
    runningVar: outs[2] as Tensor1D,
  };
}

/** ReLU with TensorFlow's `ReluGrad` as its gradient. */
export function relu<T extends Tensor>(x: T): T {
  return tf.engine().runKernel(KERNELS.relu, { x } as unknown as NamedTensorMap, {}) as T;
}

/**
 * Mean over the batch of the soft-target cross-entropy −Σₖ tₖ·log softmax(z)ₖ, by TensorFlow's
 * `SoftmaxCrossEntropyWithLogits` (one kernel; the gradient softmax(z) − t comes with it).
 *
 * @param logits [N, K] float32
 * @param targets [N, K] float32, rows summing to 1
 */
export function softmaxCrossEntropy(logits: Tensor2D, targets: Tensor2D): Tensor {
  const [perExample] = tf.engine().runKernel(
    KERNELS.softmaxCrossEntropy,
    { logits, targets } as unknown as NamedTensorMap,
    {},
  ) as Tensor[];
  return tf.mean(perExample);
}

/** Batch norm in inference mode (running statistics), one `FusedBatchNormV3` kernel. */
export function batchNormInfer(
  x: Tensor4D,
  scale: Tensor1D,
  offset: Tensor1D,
  runningMean: Tensor1D,
  runningVar: Tensor1D,
  epsilon: number,
): Tensor4D {
  return tf.batchNorm(x, runningMean, runningVar, offset, scale, epsilon);
}

// ---------------------------------------------------------------------------------------------
// The plain tfjs compositions these replace (the reference for the correctness check).

/** Plain tfjs batch norm in training mode (tf.moments + tf.batchNorm), the usual composition. */
export function batchNormTrainPlain(
  x: Tensor4D,
  scale: Tensor1D,
  offset: Tensor1D,
  runningMean: Tensor1D,
  runningVar: Tensor1D,
  options: BatchNormTrainOptions,
): { y: Tensor4D; runningMean: Tensor1D; runningVar: Tensor1D } {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  let y = tf.batchNorm(x, mean, variance, offset, scale, options.epsilon) as Tensor4D;
  if (options.relu) y = tf.relu(y);
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
  const m = options.momentum;
  return {
    y,
    runningMean: tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)) as Tensor1D,
    runningVar: tf.add(tf.mul(runningVar, 1 - m), tf.mul(unbiased, m)) as Tensor1D,
  };
}

/** Plain tfjs soft-target cross-entropy. */
export function softmaxCrossEntropyPlain(logits: Tensor2D, targets: Tensor2D): Tensor {
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1)));
}

// ---------------------------------------------------------------------------------------------
// Correctness check: same outputs and gradients as the plain versions within 1e-4.

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Compares fused and plain versions on random inputs; returns the worst difference per check. */
export function checkAgainstPlain(seed = 1): Record<string, number> {
  registerFusedKernels();
  const results: Record<string, number> = {};
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const x = tf.randomNormal([8, 6, 5, 7], 0.5, 2, "float32", seed) as Tensor4D;
    const scale = tf.randomUniform([7], 0.5, 1.5, "float32", seed + 1) as Tensor1D;
    const offset = tf.randomNormal([7], 0, 1, "float32", seed + 2) as Tensor1D;
    const rMean = tf.randomNormal([7], 0, 1, "float32", seed + 3) as Tensor1D;
    const rVar = tf.randomUniform([7], 0.5, 2, "float32", seed + 4) as Tensor1D;
    const upstream = tf.randomNormal(x.shape, 0, 1, "float32", seed + 5) as Tensor4D;
    for (const reluOn of [false, true]) {
      const options = { epsilon: 1e-5, momentum: 0.1, relu: reluOn };
      const tag = reluOn ? "bn+relu" : "bn";
      const fused = batchNormTrain(x, scale, offset, rMean, rVar, options);
      const plain = batchNormTrainPlain(x, scale, offset, rMean, rVar, options);
      results[`${tag} y`] = maxAbsDiff(fused.y, plain.y);
      results[`${tag} runningMean`] = maxAbsDiff(fused.runningMean, plain.runningMean);
      results[`${tag} runningVar`] = maxAbsDiff(fused.runningVar, plain.runningVar);
      const lossOf = (impl: typeof batchNormTrain) => (a: Tensor, s: Tensor, o: Tensor) =>
        tf.sum(
          tf.mul(
            impl(a as Tensor4D, s as Tensor1D, o as Tensor1D, rMean, rVar, options).y,
            upstream,
          ),
        );
      const gFused = tf.grads(lossOf(batchNormTrain))([x, scale, offset]);
      const gPlain = tf.grads(lossOf(batchNormTrainPlain))([x, scale, offset]);
      ["dx", "dScale", "dOffset"].forEach((name, i) => {
        results[`${tag} ${name}`] = maxAbsDiff(gFused[i], gPlain[i]);
      });
    }
    const reluUp = tf.randomNormal([4, 9], 0, 1, "float32", seed + 6);
    const z = tf.randomNormal([4, 9], 0, 1, "float32", seed + 7);
    results["relu y"] = maxAbsDiff(relu(z), tf.relu(z));
    results["relu dx"] = maxAbsDiff(
      tf.grad((a: Tensor) => tf.sum(tf.mul(relu(a), reluUp)))(z),
      tf.grad((a: Tensor) => tf.sum(tf.mul(tf.relu(a), reluUp)))(z),
    );
    const logits = tf.randomNormal([6, 10], 0, 3, "float32", seed + 8) as Tensor2D;
    const targets = tf.softmax(tf.randomNormal([6, 10], 0, 2, "float32", seed + 9)) as Tensor2D;
    results["ce loss"] = maxAbsDiff(
      softmaxCrossEntropy(logits, targets),
      softmaxCrossEntropyPlain(logits, targets),
    );
    results["ce dlogits"] = maxAbsDiff(
      tf.grad((l: Tensor) => softmaxCrossEntropy(l as Tensor2D, targets))(logits),
      tf.grad((l: Tensor) => softmaxCrossEntropyPlain(l as Tensor2D, targets))(logits),
    );
  });
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`checkAgainstPlain leaked ${leaked} tensors`);
  return results;
}

if (import.meta.main) {
  const results = checkAgainstPlain();
  let worst = 0;
  for (const [name, diff] of Object.entries(results)) {
    worst = Math.max(worst, diff);
    console.log(`${name.padEnd(20)} max |fused − plain| = ${diff.toExponential(2)}`);
  }
  if (!(worst <= 1e-4)) {
    console.error(`FAIL: worst difference ${worst} > 1e-4`);
    Deno.exit(1);
  }
  console.log(`OK: all within 1e-4 (worst ${worst.toExponential(2)}), no tensors leaked`);
}
