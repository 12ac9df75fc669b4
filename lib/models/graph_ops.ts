/**
 * The graph implementation of {@link LayerOps}: a model's forward pass emitted as TensorFlow graph
 * nodes (lib/tf_capi), with every parameter read from a graph variable named after its
 * {@link ParameterStore} name. The batch dimension stays unknown (−1), so one graph takes any
 * batch size; H, W and C are static.
 *
 * It computes what lib/models/layers.ts computes, with the same choices for correctness:
 * - PyTorch's symmetric padding: SAME for stride 1, and for stride 2 an explicit `Pad` then a
 *   VALID convolution — not Conv2D's EXPLICIT padding, whose C++ gradient drops
 *   `explicit_paddings` and fails at run time (found in bench/experiments/graph_step_capi.ts);
 * - a 1×1 convolution as a (strided) sample and a matmul (TensorFlow's gradients of 1×1
 *   convolutions are wrong for some shapes and CPUs, see layers.ts);
 * - batch norm in training as `FusedBatchNormV3` with PyTorch's momentum as
 *   `exponential_avg_factor`; the moved running statistics are assigned to their variables by ops
 *   collected in {@link GraphLayerOps.runningStatUpdates}, which the caller runs with the step;
 *   the kernel follows the eager path's `batchNormPlan` (lib/native_kernels.ts): where oneDNN's
 *   is slow (C not a multiple of 4, most of PyramidNet's layers, and in evaluation mode at any C)
 *   the batch norm runs on a 5-D `[N, H, W, 1, C]` view, which TensorFlow's oneDNN rewrite leaves
 *   to its own Eigen kernel;
 * - in evaluation mode a batch norm of a convolution's output is folded into the convolution's
 *   kernel and a bias, which TensorFlow's remapper fuses with the add and ReLU after it;
 * - in training, feature maps are stored with their channels rounded up to a multiple of 4
 *   ({@link GraphOpsOptions.channelMultiple}), so that every batch norm runs on oneDNN's kernel
 *   (PyramidNet's widths grow by α/N per block: most are not multiples of 4). The extra channels
 *   are exactly zero and carry no gradient: each kernel gets zero filters for them (a `Pad` of the
 *   variable, whose gradient slices the model's part back out), each batch norm γ = β = 0 there,
 *   and the running statistics assigned back are the model's channels only. What leaves the graph
 *   is sliced to the model's width ({@link GraphLayerOps.modelChannels}). PyramidNet-38's step
 *   took 0.80× the time at batch 64 (docs/performance.md);
 *
 * What the eager path draws or builds in JS per step is a graph input here, fed each run:
 * - ShakeDrop's forward and backward gates (`[N, 1, 1, 1]` each, {@link ShakeDropInput}), drawn in
 *   JS by `shakeDropGates` in the eager order; the branch is `stop_gradient(x·g_F) + x·g_B −
 *   stop_gradient(x·g_B)`: exactly `x·g_F` forward, gradient `g_B·dy`;
 * - feature-level CutMix's partner indices and box mask at that layer's resolution
 *   ({@link FeatureMixInput}): `where(mask, gather(x, partners), x)`, as `renderMix` does.
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import { Graph } from "../tf_capi/graph.ts";
 * import { GraphLayerOps, ModelGraphVariables } from "./graph_ops.ts";
 * import { createModel } from "./mod.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const model = createModel({ arch: "resnet", depth: 8, widths: [4, 8, 8] }, 0);
 * const graph = new Graph();
 * const variables = new ModelGraphVariables(graph, model.parameters);
 * const ops = new GraphLayerOps(graph, variables, { training: false });
 * const { logits } = model.apply(ops, graph.placeholder("float32", [-1, 32, 32, 3]));
 * console.log(graph.shape(logits)); // [-1, 10]
 * graph.dispose();
 * model.dispose();
 * ```
 * @module
 */
import type { Variable } from "@tensorflow/tfjs-core";
import type { MixLayer } from "../augment/types.ts";
import { batchNormPlan } from "../native_kernels.ts";
import type { Attr, Graph, Operation, Output } from "../tf_capi/graph.ts";
import type { Session } from "../tf_capi/session.ts";
import {
  type BatchNormParams,
  type ConvParams,
  type DenseParams,
  normalizationRows,
  type ParameterStore,
} from "./layers.ts";
import type { LayerOps } from "./ops.ts";

const F: Attr = { type: "float32" };
const I32: Attr = { type: "int32" };

/** A float32 variable in a graph, with the ops to read it and to assign it a fed value. */
export interface GraphVariable {
  /** Its name outside the graph (a ParameterStore name, or e.g. `sgd/<name>`). */
  readonly name: string;
  readonly shape: readonly number[];
  /** The `VariableV2` (a ref: what `Assign` writes). */
  readonly ref: Output;
  /** Its value (`Identity`): what computations read. */
  readonly read: Output;
  /** Fed with a new value when {@link assign} runs. */
  readonly value: Output;
  /** `Assign(ref, value)`. */
  readonly assign: Operation;
}

/** Adds a float32 variable of `shape` named `node` in the graph (outside names: `name`). */
export function addGraphVariable(
  graph: Graph,
  name: string,
  node: string,
  shape: readonly number[],
): GraphVariable {
  const ref = graph.node("VariableV2", [], { shape: { shape }, dtype: F }, { name: node });
  const read = graph.node("Identity", [ref], { T: F }, { name: `${node}/read` });
  const value = graph.placeholder("float32", shape, `${node}/value`);
  const assign = graph.op("Assign", [ref, value], { T: F }, { name: `${node}/assign` });
  return { name, shape: [...shape], ref, read, value, assign };
}

/**
 * A model's variables in a graph: one {@link GraphVariable} per ParameterStore entry (trainable
 * first, then buffers, in the store's order), found by name or by the tfjs variable it mirrors.
 */
export class ModelGraphVariables {
  /** Trainable parameters, in the store's order. */
  readonly trainable: readonly GraphVariable[];
  /** Buffers (batch-norm running statistics), in the store's order. */
  readonly buffers: readonly GraphVariable[];
  readonly #byVariable = new Map<Variable, GraphVariable>();
  readonly #byName = new Map<string, GraphVariable>();

  constructor(graph: Graph, store: ParameterStore) {
    const add = ([name, v]: [string, Variable]) => {
      const gv = addGraphVariable(graph, name, `model/${name}`, v.shape);
      this.#byVariable.set(v, gv);
      this.#byName.set(name, gv);
      return gv;
    };
    this.trainable = [...store.trainable].map(add);
    this.buffers = [...store.buffers].map(add);
  }

  /** Every variable, trainable first. */
  all(): GraphVariable[] {
    return [...this.trainable, ...this.buffers];
  }

  /** Assigns every variable, in one run of `session`, the current value of its tfjs variable in `store`. */
  copyIn(session: Session, store: ParameterStore): void {
    assignGraphVariables(
      session,
      this.all().map((v) => [
        v,
        (store.trainable.get(v.name) ?? store.buffers.get(v.name))!.dataSync() as Float32Array,
      ]),
    );
  }

  /** The graph variable of a tfjs variable of the store. */
  of(variable: Variable): GraphVariable {
    const gv = this.#byVariable.get(variable);
    if (gv === undefined) {
      throw new Error(
        `ModelGraphVariables: tfjs variable ${variable.name} is not in the model's store`,
      );
    }
    return gv;
  }

  /** The graph variable of a ParameterStore name. */
  byName(name: string): GraphVariable {
    const gv = this.#byName.get(name);
    if (gv === undefined) throw new Error(`ModelGraphVariables: no variable named "${name}"`);
    return gv;
  }
}

/** Assigns each graph variable its value, all in one run of `session`. */
export function assignGraphVariables(
  session: Session,
  entries: readonly (readonly [GraphVariable, Float32Array])[],
): void {
  session.run(
    entries.map(([v, values]) => ({ input: v.value, dtype: "float32", shape: v.shape, values })),
    [],
    entries.map(([v]) => v.assign),
  );
}

/** Options of {@link GraphLayerOps}. */
export interface GraphOpsOptions {
  /** Training mode (batch statistics, ShakeDrop gates as inputs). */
  readonly training: boolean;
  /** The mixing point where this graph applies fed feature-level CutMix; none if absent. */
  readonly mixLayer?: MixLayer;
  /**
   * Feature maps are stored with their channels rounded up to a multiple of this, the extra
   * channels zero (module doc); 1 stores every map at its model's width. Default: 4 in training
   * (oneDNN's batch norm wants C a multiple of 4), 1 in evaluation mode (measured slower padded,
   * docs/performance.md).
   */
  readonly channelMultiple?: number;
}

/** One ShakeDrop layer's gate inputs, `[N, 1, 1, 1]` float32 each. */
export interface ShakeDropInput {
  readonly pDrop: number;
  readonly forward: Output;
  readonly backward: Output;
}

/** Feature-level CutMix's inputs at its layer. */
export interface FeatureMixInput {
  readonly layer: MixLayer;
  /** int32 `[N]`: whose features fill sample i's box. */
  readonly partners: Output;
  /** bool `[N, height, width, 1]`: inside sample i's box. */
  readonly mask: Output;
  readonly height: number;
  readonly width: number;
}

/** A `Conv2D` node's inputs and attributes. */
interface ConvNode {
  readonly x: Output;
  readonly kernel: Output;
  readonly stride: number;
  readonly padding: "SAME" | "VALID";
}

/** {@link LayerOps} emitting graph nodes; see the module doc. */
export class GraphLayerOps implements LayerOps<Output, Output> {
  readonly graph: Graph;
  readonly training: boolean;
  /** The `Assign`s of moved running statistics (training only), to run with the step. */
  readonly runningStatUpdates: Operation[] = [];
  /** ShakeDrop gate inputs, in the order the forward pass meets them (= the eager draw order). */
  readonly shakeDropInputs: ShakeDropInput[] = [];
  /** Set when the pass went through {@link GraphOpsOptions.mixLayer}. */
  featureMixInput?: FeatureMixInput;
  readonly #variables: ModelGraphVariables;
  readonly #mixLayer?: MixLayer;
  readonly #constants = new Map<string, Output>();
  /** Each `Conv2D` output's inputs: an evaluation-mode batch norm of one folds into it. */
  readonly #convs = new WeakMap<Output, ConvNode>();
  readonly #channelMultiple: number;
  /** The model's channel count of each feature map stored wider than it (zero channels after). */
  readonly #logical = new WeakMap<Output, number>();

  constructor(graph: Graph, variables: ModelGraphVariables, options: GraphOpsOptions) {
    this.graph = graph;
    this.#variables = variables;
    this.training = options.training;
    this.#mixLayer = options.mixLayer;
    const multiple = options.channelMultiple ?? (options.training ? 4 : 1);
    if (!Number.isInteger(multiple) || multiple < 1) {
      throw new Error(`GraphLayerOps: channelMultiple must be a positive integer, got ${multiple}`);
    }
    this.#channelMultiple = multiple;
  }

  /** The stored width of a map whose model width is `channels`. */
  #stored(channels: number): number {
    return Math.ceil(channels / this.#channelMultiple) * this.#channelMultiple;
  }

  /** The model's channel count of `x` (its last dimension, or less where it is stored wider). */
  channelsOf(x: Output): number {
    return this.#logical.get(x) ?? this.graph.shape(x)[this.graph.shape(x).length - 1];
  }

  /**
   * `y`, recorded as having `channels` model channels (when it is stored wider). The record is
   * per `Output` object: a map that is passed through with more model channels (`padChannels`
   * within its stored width) gets a new handle on the same tensor.
   */
  #withChannels(y: Output, channels: number): Output {
    const shape = this.graph.shape(y);
    const wider = shape[shape.length - 1] !== channels;
    if (this.#logical.get(y) === (wider ? channels : undefined)) return y;
    const handle: Output = { op: y.op, index: y.index };
    if (wider) this.#logical.set(handle, channels);
    const conv = this.#convs.get(y);
    if (conv !== undefined) this.#convs.set(handle, conv);
    return handle;
  }

  /** `x` with the model's channels only (what leaves the graph, e.g. the features for CAM). */
  modelChannels(x: Output): Output {
    const channels = this.#logical.get(x);
    if (channels === undefined) return x;
    const rank = this.graph.shape(x).length;
    return this.graph.node("Slice", [
      x,
      this.#int32(new Array(rank).fill(0)),
      this.#int32([...new Array(rank - 1).fill(-1), channels]),
    ], { T: F, Index: I32 });
  }

  /** A `[C]` vector zero-padded to `stored` entries. */
  #padVector(v: Output, stored: number): Output {
    const c = this.graph.shape(v)[0];
    if (stored === c) return v;
    return this.graph.node("Pad", [v, this.#int32([0, stored - c], [1, 2])], {
      T: F,
      Tpaddings: I32,
    });
  }

  /** The first `channels` entries of a `[C']` vector. */
  #head(v: Output, channels: number): Output {
    if (this.graph.shape(v)[0] === channels) return v;
    return this.graph.node("Slice", [v, this.#int32([0]), this.#int32([channels])], {
      T: F,
      Index: I32,
    });
  }

  #int32(values: readonly number[], shape: readonly number[] = [values.length]): Output {
    const key = `i${shape.join("x")}:${values.join(",")}`;
    let c = this.#constants.get(key);
    if (c === undefined) {
      c = this.graph.constant(values, shape, "int32");
      this.#constants.set(key, c);
    }
    return c;
  }

  #float(value: number): Output {
    const key = `f:${value}`;
    let c = this.#constants.get(key);
    if (c === undefined) {
      c = this.graph.constant([value], []);
      this.#constants.set(key, c);
    }
    return c;
  }

  #read(variable: Variable): Output {
    return this.#variables.of(variable).read;
  }

  /** H, W, C of a feature map (static here). */
  #spatial(x: Output, what: string): [number, number, number] {
    const shape = this.graph.shape(x);
    if (shape.length !== 4 || shape.slice(1).some((d) => d < 0)) {
      throw new Error(`${what}: needs [N, H, W, C] with static H, W, C, got [${shape}]`);
    }
    return [shape[1], shape[2], shape[3]];
  }

  #reshape(x: Output, shape: readonly number[]): Output {
    return this.graph.node("Reshape", [x, this.#int32(shape)], { T: F, Tshape: I32 });
  }

  #pad(x: Output, paddings: readonly number[]): Output {
    return this.graph.node("Pad", [x, this.#int32(paddings, [4, 2])], { T: F, Tpaddings: I32 });
  }

  #conv(x: Output, kernel: Output, stride: number, padding: "SAME" | "VALID"): Output {
    const y = this.graph.node("Conv2D", [x, kernel], {
      T: F,
      strides: { ints: [1, stride, stride, 1] },
      padding: { string: padding },
      data_format: { string: "NHWC" },
      dilations: { ints: [1, 1, 1, 1] },
    });
    this.#convs.set(y, { x, kernel, stride, padding });
    return y;
  }

  /**
   * Evaluation-mode batch norm of a convolution's output, folded into it: the convolution with
   * kernel · s and a bias β − μ·s, s = γ / √(σ² + ε) per output channel. TensorFlow's remapper
   * then fuses the bias, a following residual add and the ReLU into the one oneDNN convolution
   * (docs/performance.md).
   */
  #foldedBatchNorm(
    conv: ConvNode,
    params: BatchNormParams,
    vector: (v: Variable) => Output,
  ): Output {
    const mul = (a: Output, b: Output) => this.graph.node("Mul", [a, b], { T: F });
    const variance = vector(params.movingVariance);
    const mean = vector(params.movingMean);
    const plusEpsilon = this.graph.node("AddV2", [variance, this.#float(params.epsilon)], { T: F });
    const scale = mul(vector(params.gamma), this.graph.node("Rsqrt", [plusEpsilon], { T: F }));
    const bias = this.graph.node("Sub", [vector(params.beta), mul(mean, scale)], { T: F });
    const y = this.#conv(conv.x, mul(conv.kernel, scale), conv.stride, conv.padding);
    return this.graph.node("BiasAdd", [y, bias], { T: F, data_format: { string: "NHWC" } });
  }

  conv2d(x: Output, params: ConvParams, stride = 1): Output {
    return this.#withChannels(this.#conv2d(x, params, stride), params.kernel.shape[3]!);
  }

  #conv2d(x: Output, params: ConvParams, stride: number): Output {
    const [k, , modelIn, modelOut] = params.kernel.shape;
    const inChannels = this.graph.shape(x)[3];
    const outChannels = this.#stored(modelOut);
    const read = this.#read(params.kernel);
    // Zero filters for the stored input channels beyond the model's, and for the extra outputs.
    const kernel = inChannels === modelIn && outChannels === modelOut
      ? read
      : this.#pad(read, [0, 0, 0, 0, 0, inChannels - modelIn, 0, outChannels - modelOut]);
    const pad = (k - 1) / 2;
    if (k === 1) {
      // As layers.ts' pointwise (TensorFlow's 1×1 conv gradients are wrong in cases seen there):
      // whole stride blocks, keep each block's first pixel, matmul.
      const [h, w, c] = this.#spatial(x, "conv2d");
      const outH = Math.floor((h - 1) / stride) + 1;
      const outW = Math.floor((w - 1) / stride) + 1;
      let sampled = x;
      if (stride > 1) {
        const padH = outH * stride - h;
        const padW = outW * stride - w;
        const whole = padH || padW ? this.#pad(x, [0, 0, 0, padH, 0, padW, 0, 0]) : x;
        const blocks = this.#reshape(whole, [-1, outH, stride, outW, stride, c]);
        sampled = this.graph.node("Slice", [
          blocks,
          this.#int32([0, 0, 0, 0, 0, 0]),
          this.#int32([-1, outH, 1, outW, 1, c]),
        ], { T: F, Index: I32 });
      }
      const y = this.graph.node("MatMul", [
        this.#reshape(sampled, [-1, c]),
        this.#reshape(kernel, [inChannels, outChannels]),
      ], { T: F });
      return this.#reshape(y, [-1, outH, outW, outChannels]);
    }
    if (pad === 0) return this.#conv(x, kernel, stride, "VALID");
    if (stride === 1) return this.#conv(x, kernel, 1, "SAME");
    return this.#conv(this.#pad(x, [0, 0, pad, pad, pad, pad, 0, 0]), kernel, stride, "VALID");
  }

  #fusedBatchNorm(x: Output, params: BatchNormParams): Output {
    const channels = this.channelsOf(x);
    return this.#withChannels(this.#batchNormStored(x, params, channels), channels);
  }

  /**
   * Batch norm of `x` stored `C'` wide: γ, β and the statistics zero-padded to `C'`, so each
   * extra channel (all zero) stays zero (γ = 0) and gets no gradient; the running statistics
   * assigned back are the model's `channels` only.
   */
  #batchNormStored(x: Output, params: BatchNormParams, channels: number): Output {
    const stored = this.graph.shape(x)[3];
    const vector = (v: Variable) => this.#padVector(this.#read(v), stored);
    const conv = this.training ? undefined : this.#convs.get(x);
    if (conv !== undefined) return this.#foldedBatchNorm(conv, params, vector);
    const mean = this.#variables.of(params.movingMean);
    const variance = this.#variables.of(params.movingVariance);
    // In evaluation mode oneDNN's batch norm is slow at every width measured (step stats of
    // PyramidNet-38 at batch 128 on Zen 5: 24 ms a call against Eigen's 1.3; docs/performance.md),
    // so a batch norm that did not fold into a convolution runs on Eigen's kernel.
    const plan = batchNormPlan(stored);
    const eigen = plan === "eigen" || (plan === "oneDnn" && !this.training);
    const input = eigen
      ? this.graph.node("ExpandDims", [x, this.#int32([3], [])], { T: F, Tdim: I32 })
      : x;
    const bn = this.graph.op("FusedBatchNormV3", [
      input,
      vector(params.gamma),
      vector(params.beta),
      vector(params.movingMean),
      vector(params.movingVariance),
    ], {
      T: F,
      U: F,
      epsilon: { float: params.epsilon },
      exponential_avg_factor: { float: this.training ? params.momentum : 1 },
      data_format: { string: eigen ? "NDHWC" : "NHWC" },
      is_training: { bool: this.training },
    });
    if (this.training) {
      // Outputs 1 and 2: the running mean and (unbiased) variance moved by the momentum.
      this.runningStatUpdates.push(
        this.graph.op("Assign", [mean.ref, this.#head({ op: bn, index: 1 }, channels)], { T: F }),
        this.graph.op("Assign", [variance.ref, this.#head({ op: bn, index: 2 }, channels)], {
          T: F,
        }),
      );
    }
    const y = { op: bn, index: 0 };
    return eigen ? this.graph.node("Squeeze", [y], { T: F, squeeze_dims: { ints: [3] } }) : y;
  }

  batchNorm(x: Output, params: BatchNormParams): Output {
    return this.#fusedBatchNorm(x, params);
  }

  batchNormRelu(x: Output, params: BatchNormParams): Output {
    return this.relu(this.#fusedBatchNorm(x, params));
  }

  relu(x: Output): Output {
    return this.#withChannels(this.graph.node("Relu", [x], { T: F }), this.channelsOf(x));
  }

  add(a: Output, b: Output): Output {
    const channels = this.channelsOf(a);
    if (this.channelsOf(b) !== channels) {
      throw new Error(`add: ${channels} channels against ${this.channelsOf(b)}`);
    }
    return this.#withChannels(this.graph.node("AddV2", [a, b], { T: F }), channels);
  }

  addRelu(a: Output, b: Output): Output {
    return this.relu(this.add(a, b));
  }

  dense(x: Output, params: DenseParams): Output {
    const [modelIn] = params.kernel.shape;
    const inChannels = this.graph.shape(x)[1];
    const read = this.#read(params.kernel);
    // Zero rows for the stored inputs beyond the model's.
    const kernel = inChannels === modelIn ? read : this.graph.node("Pad", [
      read,
      this.#int32([0, inChannels - modelIn, 0, 0], [2, 2]),
    ], { T: F, Tpaddings: I32 });
    const product = this.graph.node("MatMul", [x, kernel], { T: F });
    return this.graph.node("AddV2", [product, this.#read(params.bias)], { T: F });
  }

  globalAveragePool(x: Output): Output {
    const pooled = this.graph.node("Mean", [x, this.#int32([1, 2])], {
      T: F,
      Tidx: I32,
      keep_dims: { bool: false },
    });
    return this.#withChannels(pooled, this.channelsOf(x));
  }

  averagePool2x2(x: Output): Output {
    const pooled = this.graph.node("AvgPool", [x], {
      T: F,
      ksize: { ints: [1, 2, 2, 1] },
      strides: { ints: [1, 2, 2, 1] },
      padding: { string: "SAME" },
      data_format: { string: "NHWC" },
    });
    return this.#withChannels(pooled, this.channelsOf(x));
  }

  padChannels(x: Output, channels: number): Output {
    const c = this.channelsOf(x);
    if (channels < c) {
      throw new Error(`padChannels: channels (${channels}) is less than the input's ${c}`);
    }
    // The stored channels past the model's are zero already: pad up to the stored width.
    const extra = this.#stored(channels) - this.#spatial(x, "padChannels")[2];
    const y = extra === 0 ? x : this.#pad(x, [0, 0, 0, 0, 0, 0, 0, extra]);
    return this.#withChannels(y, channels);
  }

  normalizeChannels(images: Output, mean: readonly number[], std: readonly number[]): Output {
    const [h, w, c] = this.#spatial(images, "normalizeChannels");
    // The same rows against tiled constants as layers.ts (bit-identical to per-channel).
    const tiled = normalizationRows(mean, std, [h, w, c]);
    const rowLength = h * w * c;
    const rows = this.#reshape(images, [-1, rowLength]);
    const centred = this.graph.node("Sub", [
      rows,
      this.graph.constant(tiled.mean, [rowLength]),
    ], { T: F });
    const scaled = this.graph.node("RealDiv", [
      centred,
      this.graph.constant(tiled.std, [rowLength]),
    ], { T: F });
    return this.#reshape(scaled, [-1, h, w, c]);
  }

  shakeDrop(x: Output, pDrop: number): Output {
    if (!(pDrop >= 0 && pDrop <= 1)) {
      throw new Error(`shakeDrop: pDrop must be in [0, 1], got ${pDrop}`);
    }
    if (!this.training) return this.graph.node("Mul", [x, this.#float(1 - pDrop)], { T: F });
    const forward = this.graph.placeholder("float32", [-1, 1, 1, 1]);
    const backward = this.graph.placeholder("float32", [-1, 1, 1, 1]);
    this.shakeDropInputs.push({ pDrop, forward, backward });
    const stop = (t: Output) => this.graph.node("StopGradient", [t], { T: F });
    const mul = (a: Output, b: Output) => this.graph.node("Mul", [a, b], { T: F });
    const viaBackward = mul(x, backward);
    // x·g_B − stop(x·g_B) is exactly 0 forward and carries the gradient g_B·dy.
    const zeroWithGradient = this.graph.node("Sub", [viaBackward, stop(viaBackward)], { T: F });
    const channels = this.channelsOf(x);
    return this.add(
      this.#withChannels(stop(mul(x, forward)), channels),
      this.#withChannels(zeroWithGradient, channels),
    );
  }

  optionAShortcut(x: Output, stride: number, outChannels: number): Output {
    // Its zero channels go before the model's too: start from the model's channels only.
    const model = this.modelChannels(x);
    const [, , c] = this.#spatial(model, "optionAShortcut");
    const sub = stride === 1 ? model : this.graph.node("StridedSlice", [
      model,
      this.#int32([0, 0, 0, 0]),
      this.#int32([0, 0, 0, 0]),
      this.#int32([1, stride, stride, 1]),
    ], { T: F, Index: I32, begin_mask: { int: 15 }, end_mask: { int: 15 } });
    const extra = outChannels - c;
    const before = Math.floor(extra / 2);
    const after = this.#stored(outChannels) - c - before;
    return this.#withChannels(this.#pad(sub, [0, 0, 0, 0, 0, 0, before, after]), outChannels);
  }

  mixAt(x: Output, layer: MixLayer): Output {
    if (this.#mixLayer !== layer) return x;
    const [height, width] = this.#spatial(x, "mixAt");
    const partners = this.graph.placeholder("int32", [-1]);
    const mask = this.graph.placeholder("bool", [-1, height, width, 1]);
    this.featureMixInput = { layer, partners, mask, height, width };
    const partnerFeatures = this.graph.node("GatherV2", [x, partners, this.#int32([0], [])], {
      Tparams: F,
      Tindices: I32,
      Taxis: I32,
      batch_dims: { int: 0 },
    });
    const mixed = this.graph.node("SelectV2", [mask, partnerFeatures, x], { T: F });
    return this.#withChannels(mixed, this.channelsOf(x));
  }
}
