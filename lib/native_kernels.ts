/**
 * TensorFlow's own fused kernels for the hot spots of a training step, called by name through
 * tfjs-node's native backend and registered as tfjs kernels with gradients, so they work under
 * `tf.grads`, `tf.variableGrads`, `optimizer.minimize`, `tf.tidy` and memory accounting like
 * built-in ops.
 *
 * Why: composed from tfjs elementwise ops, one ResNet-20 training step (batch 64) issues about
 * 2,700 kernel calls and batch norm + ReLU forward and backward take most of its time
 * (docs/performance.md). TensorFlow does the same math in a handful of calls:
 *
 * | piece               | forward                           | backward                        |
 * |---------------------|-----------------------------------|---------------------------------|
 * | batch norm (train)  | `FusedBatchNormV3(is_training)`   | `FusedBatchNormGradV3`          |
 * | batch norm + ReLU   | oneDNN's `_MklNativeFusedBatchNormEx` | `ReluGrad` + the above      |
 * | ReLU                | `Relu`                            | `ReluGrad` (tfjs: Step·Mul)     |
 * | relu(a + b)         | `AddV2` + `Relu`, one tfjs kernel | one `ReluGrad` for both         |
 * | conv, PyTorch pad   | `Conv2D` (SAME / VALID / EXPLICIT) | `Conv2DBackpropInput`/`Filter` |
 * | global average pool | `Mean`                            | one division + a broadcast      |
 * | soft-target CE      | `SoftmaxCrossEntropyWithLogits`   | the kernel's own `backprop`     |
 *
 * Each TensorFlow call costs a fixed ~25–100 µs on 2 cores whatever its size, so fewer calls
 * per step matter as much as faster ones: a ResNet-20 step is ~500 tfjs kernels (574 before the
 * conv, add-ReLU and pooling kernels here). Which kernel TensorFlow
 * runs also depends on how an op is called: with oneDNN on, 4-D batch norm and SAME / VALID
 * convolutions go to oneDNN, 5-D batch norm and EXPLICIT conv gradients to Eigen; the batch-norm
 * plan ({@link batchNormPlan}) and the conv kernel use that to pick the faster one.
 *
 * Batch norm statistics follow PyTorch: normalise with the biased batch variance; running
 * statistics move by `momentum` towards the batch mean and the *unbiased* batch variance
 * (TensorFlow's `exponential_avg_factor`). test/native_kernels_test.ts pins outputs and
 * gradients against the plain tfjs compositions.
 *
 * {@link fusedKernelsActive} says whether lib/ uses them: on the native `tensorflow` backend
 * loaded by lib/backend.ts's `useBackend`, unless it was called with `fusedKernels: false` (the
 * bench does, to measure the plain composition). The binding is taken from the active backend
 * at each call; nothing is registered until a kernel is first used.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { useBackend } from "./backend.ts";
 * import { fusedKernelsActive, softmaxCrossEntropy } from "./native_kernels.ts";
 * await useBackend({ kind: "tensorflow" });
 * if (fusedKernelsActive()) {
 *   const loss = softmaxCrossEntropy(tf.zeros([2, 3]), tf.fill([2, 3], 1 / 3));
 *   console.log(loss.dataSync()[0]); // log 3 ≈ 1.0986
 * }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { currentBackend } from "./backend.ts";
import type {
  NamedTensorMap,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor4D,
} from "@tensorflow/tfjs-core";

/**
 * True when lib/ runs the fused kernels: `useBackend` loaded the native `tensorflow` backend, it
 * is the active one, and `fusedKernels` was not turned off. Read at each call, so a test can
 * compare both paths.
 */
export function fusedKernelsActive(): boolean {
  const info = currentBackend();
  return info !== undefined && info.native && info.fusedKernels &&
    tf.getBackend() === "tensorflow";
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
    TF_INT32: number;
    createTensor(shape: number[], dtype: number, values: Int32Array): number;
    executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): unknown[];
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor;
  getInputTensorIds(tensors: Tensor[]): number[];
  createOutputTensor(metadata: unknown): Tensor;
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
  addRelu: "CutmixAddRelu",
  conv2d: "CutmixConv2D",
  conv2dBackpropInput: "CutmixConv2DBackpropInput",
  conv2dBackpropFilter: "CutmixConv2DBackpropFilter",
  globalAveragePool: "CutmixGlobalAveragePool",
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

/** Attributes of FusedBatchNormV3 / FusedBatchNormGradV3 for float32 NHWC (or NDHWC). */
function batchNormAttrs(
  b: NativeBackend,
  epsilon: number,
  isTraining: boolean,
  exponentialAvgFactor?: number,
  dataFormat: "NHWC" | "NDHWC" = "NHWC",
): OpAttr[] {
  const attrs: OpAttr[] = [
    floatType(b, "T"),
    floatType(b, "U"),
    { name: "epsilon", type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: "data_format", type: b.binding.TF_ATTR_STRING, value: dataFormat },
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

/**
 * Which batch-norm kernels to run for `channels` channels:
 * - `oneDnn`: oneDNN's, forward and backward (the ReLU fused into the forward);
 * - `eigen`: TensorFlow's own (Eigen) kernels although oneDNN is on;
 * - `default`: whatever TensorFlow runs for the plain ops (oneDNN off, or the GPU build).
 *
 * oneDNN's batch norm has a slow path for some channel counts (docs/performance.md).
 * On the three machines measured, an AMD EPYC Zen 1 (AVX2), an Intel Xeon with AVX-512 and AMX
 * and an AMD EPYC Zen 4 (AVX-512), it is fast when C is a multiple of 4 and 2–5× slower
 * otherwise, and then Eigen's kernels are faster than oneDNN's, padded to a multiple of 8 or not
 * (one exception seen: C = 21 at 32×32 on Zen 4, where padding would take 28 % less time).
 * (Padding to 8 was the rule here before; on the Intel machine it made C = 20, 28, … 2–3×
 * slower than plain oneDNN.)
 */
export type BatchNormPlan = "oneDnn" | "eigen" | "default";

/** The {@link BatchNormPlan} for `channels` channels on this machine and backend. */
export function batchNormPlan(channels: number): BatchNormPlan {
  if (!oneDnnOnCpu()) return "default";
  return channels % 4 === 0 ? "oneDnn" : "eigen";
}

/**
 * Whether TensorFlow runs oneDNN's CPU kernels: oneDNN on, and not the GPU build (whose ops run
 * on CUDA and which has no oneDNN-only op such as `_MklNativeFusedBatchNormEx` there).
 */
function oneDnnOnCpu(): boolean {
  const info = currentBackend();
  return info?.oneDnnEnabled === true && info.requested !== "gpu";
}

/**
 * `x` `[N, H, W, C]` viewed as `[N, H, W, 1, C]` (NDHWC). TensorFlow's eager runtime hands
 * batch norm to oneDNN only for 4-D input, so this is how the {@link BatchNormPlan} `eigen`
 * keeps it on TensorFlow's own kernels while oneDNN is on; the statistics are the same (over
 * N, D, H, W, with D = H and H = W here).
 */
function asNDHWC(b: NativeBackend, x: Tensor): Tensor {
  const [n, h, w, c] = x.shape as number[];
  return reshapeNative(b, x, [n, h, w, 1, c]);
}

/** A reshape with the shape passed as a cached native constant. */
function reshapeNative(b: NativeBackend, x: Tensor, shape: readonly number[]): Tensor {
  return executeWithIds(b, "Reshape", [floatType(b, "T"), int32Type(b, "Tshape")], [
    x,
    int32ConstantId(b, shape),
  ]);
}

/** Extra attributes of oneDNN's `_MklNativeFusedBatchNormEx`: ReLU fused, no side input. */
function fusedReluAttrs(b: NativeBackend): OpAttr[] {
  return [
    { name: "num_side_inputs", type: b.binding.TF_ATTR_INT, value: 0 },
    { name: "activation_mode", type: b.binding.TF_ATTR_STRING, value: "Relu" },
    // oneDNN kernels are registered under this label; the eager rewrite adds it to the ops it
    // renames, and an op called by its oneDNN name must carry it itself.
    { name: "_kernel", type: b.binding.TF_ATTR_STRING, value: "MklNameChangeOp" },
  ];
}

/** The three ways TensorFlow's Conv2D family pads, and how many pixels on each side. */
interface ConvPadding {
  mode: "SAME" | "VALID" | "EXPLICIT";
  /** Pixels added on every side of H and W (only read for `EXPLICIT`). */
  pixels: number;
}

/**
 * PyTorch's symmetric `pad` as TensorFlow padding: none is VALID; for stride 1 and an odd kernel,
 * `(k − 1) / 2` is exactly SAME; anything else (a stride-2 3×3 convolution) is EXPLICIT, which
 * TensorFlow's SAME is not: it would pad only at the bottom/right.
 */
function convPadding(kernelSize: number, stride: number, pad: number): ConvPadding {
  if (pad === 0) return { mode: "VALID", pixels: 0 };
  if (stride === 1 && 2 * pad === kernelSize - 1) return { mode: "SAME", pixels: pad };
  return { mode: "EXPLICIT", pixels: pad };
}

/** The inputs and attributes of the conv kernels, with the padding worked out once. */
function convKernelArgs(
  inputs: unknown,
  attrs: unknown,
): { dy: Tensor; x: Tensor; filter: Tensor; stride: number; padding: ConvPadding } {
  const { dy, x, filter } = inputs as Record<string, Tensor>;
  const { stride, pad } = attrs as { stride: number; pad: number };
  return { dy, x, filter, stride, padding: convPadding(filter.shape[0]!, stride, pad) };
}

/** Attributes of Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter for float32 NHWC. */
function convAttrs(b: NativeBackend, stride: number, padding: ConvPadding): OpAttr[] {
  const attrs: OpAttr[] = [
    floatType(b, "T"),
    { name: "strides", type: b.binding.TF_ATTR_INT, value: [1, stride, stride, 1] },
    { name: "padding", type: b.binding.TF_ATTR_STRING, value: padding.mode },
    { name: "data_format", type: b.binding.TF_ATTR_STRING, value: "NHWC" },
    { name: "dilations", type: b.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: "use_cudnn_on_gpu", type: b.binding.TF_ATTR_BOOL, value: true },
  ];
  if (padding.mode === "EXPLICIT") {
    const p = padding.pixels;
    attrs.push({
      name: "explicit_paddings",
      type: b.binding.TF_ATTR_INT,
      value: [0, 0, p, p, p, p, 0, 0],
    });
  }
  return attrs;
}

/**
 * Native int32 constants (the conv gradients' `input_sizes` / `filter_sizes`, paddings), created
 * once per value and kept: a model has a handful of shapes, and tfjs-node would otherwise upload
 * a new one on every call. They live outside tfjs' tensor accounting on purpose.
 */
const int32Constants = new Map<string, number>();

function int32ConstantId(
  b: NativeBackend,
  values: readonly number[],
  shape: readonly number[] = [values.length],
): number {
  const key = `${shape.join("x")}:${values.join(",")}`;
  let id = int32Constants.get(key);
  if (id === undefined) {
    id = b.binding.createTensor([...shape], b.binding.TF_INT32, Int32Array.from(values));
    int32Constants.set(key, id);
  }
  return id;
}

function int32Type(b: NativeBackend, name: string): OpAttr {
  return { name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_INT32 };
}

/** Runs a one-output op whose inputs are tensors or native ids from {@link int32ConstantId}. */
function executeWithIds(
  b: NativeBackend,
  name: string,
  attrs: OpAttr[],
  inputs: (Tensor | number)[],
): Tensor {
  const ids = inputs.map((t) => typeof t === "number" ? t : b.getInputTensorIds([t])[0]);
  return b.createOutputTensor(b.binding.executeOp(name, attrs, ids, 1)[0]);
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
      const bnInputs = [x, scale, offset, runningMean, runningVar];
      const plan = batchNormPlan(x.shape[3]!);
      if (plan === "eigen") {
        const x5 = asNDHWC(b, x);
        const [bn5, mean, variance, savedMean, savedVar, reserve3] = b.executeMultipleOutputs(
          "FusedBatchNormV3",
          batchNormAttrs(b, epsilon, true, momentum, "NDHWC"),
          [x5, scale, offset, runningMean, runningVar],
          6,
        );
        const bn = reshapeNative(b, bn5, x.shape);
        tf.dispose([x5, bn5]);
        if (!relu) return [bn, mean, variance, savedMean, savedVar, reserve3];
        const y = b.executeSingleOutput("Relu", [floatType(b, "T")], [bn]);
        bn.dispose();
        return [y, mean, variance, savedMean, savedVar, reserve3];
      }
      if (relu && plan !== "default") {
        return b.executeMultipleOutputs(
          "_MklNativeFusedBatchNormEx",
          [...batchNormAttrs(b, epsilon, true, momentum), ...fusedReluAttrs(b)],
          bnInputs,
          6,
        );
      }
      const [bn, mean, variance, savedMean, savedVar, reserve3] = b.executeMultipleOutputs(
        "FusedBatchNormV3",
        batchNormAttrs(b, epsilon, true, momentum),
        bnInputs,
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
      const plan = batchNormPlan(x.shape[3]!);
      return tf.tidy(() => {
        const dBn = relu ? b.executeSingleOutput("ReluGrad", [floatType(b, "T")], [dy, y]) : dy;
        if (plan === "eigen") {
          const [dx5, dScale, dOffset] = b.executeMultipleOutputs(
            "FusedBatchNormGradV3",
            batchNormAttrs(b, epsilon, true, undefined, "NDHWC"),
            [asNDHWC(b, dBn), asNDHWC(b, x), scale, savedMean, savedVar, reserve3],
            5,
          );
          return [reshapeNative(b, dx5, x.shape), dScale, dOffset];
        }
        // Outputs 3 and 4 (reserve spaces) are not needed; the tidy frees them.
        return b.executeMultipleOutputs(
          "FusedBatchNormGradV3",
          batchNormAttrs(b, epsilon, true),
          [dBn, x, scale, savedMean, savedVar, reserve3],
          5,
        ).slice(0, 3);
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

  // relu(a + b), the end of a residual block: one tfjs kernel, and one ReluGrad backward whose
  // result is the gradient of both summands (tfjs' Add gradient would reshape it twice).
  tf.registerKernel({
    kernelName: KERNELS.addRelu,
    backendName: "tensorflow",
    kernelFunc: ({ inputs }) => {
      const b = nativeBackend();
      const { a, b: other } = inputs as unknown as Record<string, Tensor>;
      const sum = b.executeSingleOutput("AddV2", [floatType(b, "T")], [a, other]);
      const y = b.executeSingleOutput("Relu", [floatType(b, "T")], [sum]);
      sum.dispose();
      return y;
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.addRelu,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      const dSum = tf.engine().runKernel(
        KERNELS.reluGrad,
        { dy, y } as unknown as NamedTensorMap,
        {},
      ) as Tensor;
      // Two handles on one buffer: tfjs disposes each summand's gradient on its own when it
      // accumulates it, so they must not be the same Tensor object.
      return { a: () => dSum, b: () => dSum.clone() };
    },
  });

  // A convolution with PyTorch's symmetric padding as one kernel forward, and its gradients
  // with the same padding (no Pad op and Slice for stride 2), sizes passed as cached vectors.
  // inputs: x [N,H,W,Cin], filter [kh,kw,Cin,Cout]; attrs: stride, pad (pixels on each side)
  tf.registerKernel({
    kernelName: KERNELS.conv2d,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs }) => {
      const b = nativeBackend();
      const { x, filter, stride, padding } = convKernelArgs(inputs, attrs);
      return b.executeSingleOutput("Conv2D", convAttrs(b, stride, padding), [x, filter]);
    },
  });
  // Its gradients, kernels of their own so tf.profile sees them by name.
  // inputs: dy, filter (and x for its shape); attrs: stride, pad
  tf.registerKernel({
    kernelName: KERNELS.conv2dBackpropInput,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs }) => {
      const b = nativeBackend();
      const { dy, x, filter, stride, padding } = convKernelArgs(inputs, attrs);
      return executeWithIds(b, "Conv2DBackpropInput", convAttrs(b, stride, padding), [
        int32ConstantId(b, x.shape),
        filter,
        dy,
      ]);
    },
  });
  // inputs: dy, x, filter (for its shape); attrs: stride, pad
  tf.registerKernel({
    kernelName: KERNELS.conv2dBackpropFilter,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs }) => {
      const b = nativeBackend();
      const { dy, x, filter, stride, padding } = convKernelArgs(inputs, attrs);
      // TensorFlow runs EXPLICIT filter gradients on Eigen even with oneDNN on, ~1.8× slower
      // than oneDNN's for ResNet's stride-2 convs here; padding x first keeps them on oneDNN.
      const padFirst = padding.mode === "EXPLICIT" && oneDnnOnCpu();
      const p = padding.pixels;
      const input = padFirst
        ? executeWithIds(b, "Pad", [floatType(b, "T"), int32Type(b, "Tpaddings")], [
          x,
          int32ConstantId(b, [0, 0, p, p, p, p, 0, 0], [4, 2]),
        ])
        : x;
      const inputPadding: ConvPadding = padFirst ? { mode: "VALID", pixels: 0 } : padding;
      const dFilter = executeWithIds(
        b,
        "Conv2DBackpropFilter",
        convAttrs(b, stride, inputPadding),
        [input, int32ConstantId(b, filter.shape), dy],
      );
      if (padFirst) input.dispose();
      return dFilter;
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.conv2d,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const inputs = { dy, x, filter } as unknown as NamedTensorMap;
      const a = attrs as unknown as Record<string, number>;
      return {
        x: () => tf.engine().runKernel(KERNELS.conv2dBackpropInput, inputs, a) as Tensor,
        filter: () => tf.engine().runKernel(KERNELS.conv2dBackpropFilter, inputs, a) as Tensor,
      };
    },
  });

  // Mean over H and W, `[N, H, W, C]` → `[N, C]`, whose gradient is dy / (H·W) broadcast back
  // (one division on `[N, C]` and one broadcast; tfjs' Mean gradient multiplies by a tensor of
  // ones of the input's shape and then divides it all).
  tf.registerKernel({
    kernelName: KERNELS.globalAveragePool,
    backendName: "tensorflow",
    kernelFunc: ({ inputs }) => {
      const b = nativeBackend();
      const attrs: OpAttr[] = [
        { name: "keep_dims", type: b.binding.TF_ATTR_BOOL, value: false },
        floatType(b, "T"),
        int32Type(b, "Tidx"),
      ];
      return executeWithIds(b, "Mean", attrs, [inputs.x as Tensor, int32ConstantId(b, [1, 2])]);
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.globalAveragePool,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const [n, h, w, c] = x.shape as number[];
      return {
        x: () =>
          tf.broadcastTo(tf.reshape(tf.div(dy as Tensor, h * w), [n, 1, 1, c]), [n, h, w, c]),
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

/**
 * `relu(a + b)` for tensors of one shape (the end of a residual block), with one `ReluGrad`
 * as the gradient of both.
 */
export function addRelu<T extends Tensor>(a: T, b: T): T {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`addRelu: shapes must be equal, got [${a.shape}] and [${b.shape}]`);
  }
  registerFusedKernels();
  return tf.engine().runKernel(KERNELS.addRelu, { a, b } as unknown as NamedTensorMap, {}) as T;
}

/**
 * A bias-free NHWC convolution padded by `pad` pixels on every side of H and W (PyTorch's
 * `padding`), as TensorFlow's Conv2D and its two gradient kernels.
 *
 * @param x `[N, H, W, Cin]` float32
 * @param filter `[k, k, Cin, Cout]` (HWIO, square)
 * @param stride the same in H and W, ≥ 1
 * @param pad pixels on each side, ≥ 0
 */
export function conv2dPadded(x: Tensor4D, filter: Tensor4D, stride: number, pad: number): Tensor4D {
  registerFusedKernels();
  return tf.engine().runKernel(
    KERNELS.conv2d,
    { x, filter } as unknown as NamedTensorMap,
    { stride, pad },
  ) as Tensor4D;
}

/** Mean over H and W of an NHWC tensor, `[N, C]`, with a two-op gradient. */
export function globalAveragePool(xNHWC: Tensor4D): Tensor2D {
  registerFusedKernels();
  return tf.engine().runKernel(
    KERNELS.globalAveragePool,
    { x: xNHWC } as unknown as NamedTensorMap,
    {},
  ) as Tensor2D;
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
