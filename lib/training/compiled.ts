/**
 * The compiled training engine: a whole SGD step of a lib/models classifier as one TensorFlow
 * graph, run by one `TF_SessionRun` per step through lib/tf_capi (see ./engine.ts for the
 * interface it implements and how it is chosen).
 *
 * The graph, built once when the engine is made:
 * - inputs: `[0, 1]` images `[N, H, W, C]` and soft targets `[N, K]` (N unknown, so the last,
 *   smaller batch of an epoch runs the same graph), the learning rate (a scalar, the schedule's
 *   value fed each step), ShakeDrop's gates and feature-level CutMix's partners and box mask
 *   (lib/models/graph_ops.ts), all computed in JS exactly as the eager step computes them;
 * - forward: the model's own definition (`ImageClassifier.apply`) on graph ops, training mode;
 * - loss: `SoftmaxCrossEntropyWithLogits` averaged over the batch (lib/training/loss.ts' kernel);
 * - backward: `TF_AddGradients` (TensorFlow's C++ gradient registry); an op without a gradient
 *   fails here, naming it, never at step time;
 * - update: lib/training/optimizer.ts' SGD — `d = g + wd·p`, then TensorFlow's `ApplyMomentum`
 *   (`v ← μ·v + d`; `p ← p − lr·d − lr·μ·v` with Nesterov, `p ← p − lr·v` without: the eager
 *   step's `p − lr·(d + μ·v)` up to float32 rounding), or `p ← p − lr·d` without momentum —
 *   after every gradient is computed (the parameters are updated in place, and the backward pass
 *   reads them), and the batch-norm running statistics assigned from the fused kernel's outputs.
 *
 * Parameters, running statistics and momentum buffers live in the session as graph variables
 * named `model/<ParameterStore name>` and `sgd/<name>`; `syncToModel` / `loadFromModel` and the
 * optimizer state move them to and from the tfjs model and checkpoints (same format as eager).
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel } from "../models/mod.ts";
 * import { Random } from "../random.ts";
 * import { CompiledTrainEngine } from "./compiled.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const model = createModel({ arch: "resnet", depth: 8, widths: [4, 8, 8] }, 0);
 * const engine = new CompiledTrainEngine(model, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, {
 *   imageShape: [32, 32, 3],
 * });
 * const imagesNHWC = tf.randomUniform([8, 32, 32, 3]) as Tensor4D;
 * const targets = tf.oneHot(tf.zeros([8], "int32") as Tensor1D, 10).toFloat() as Tensor2D;
 * console.log(engine.step({ imagesNHWC, targets }, 0.1, new Random(0)));
 * engine.dispose();
 * tf.dispose([imagesNHWC, targets]);
 * model.dispose();
 * ```
 * @module
 */
import type { Tensor2D, Tensor4D, Variable } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { AugmentedBatch, MixLayer } from "../augment/types.ts";
import {
  addGraphVariable,
  assignGraphVariables,
  GraphLayerOps,
  type GraphVariable,
  ModelGraphVariables,
} from "../models/graph_ops.ts";
import { CompiledInference } from "../models/compiled.ts";
import { shakeDropGates } from "../models/layers.ts";
import type { ImageClassifier } from "../models/model.ts";
import type { Random } from "../random.ts";
import { type CApi, requireCApi } from "../tf_capi/binding.ts";
import { type Attr, Graph, type Operation, type Output } from "../tf_capi/graph.ts";
import { type Feed, Session, type SessionThreads } from "../tf_capi/session.ts";
import type { NodeStat } from "../tf_capi/step_stats.ts";
import type { StoredTensor } from "./checkpoint.ts";
import type { TrainEngine } from "./engine.ts";
import { type SGDOptions, validateSGDOptions } from "./optimizer.ts";

const F: Attr = { type: "float32" };

/**
 * The largest batch {@link defaultStepThreads} runs in one thread. Below the crossover the
 * step's ops are too small to share between cores, and handing each to a pool costs more than it
 * saves (Zen 5, 2 cores: ResNet-20 steps at batch 2, 4, 8 in 0.4, 0.6, 0.7× the time;
 * PyramidNet-38 at 2 and 4 in 0.7 and 0.87×, at 8 in 1.09×; at 16 both are slower,
 * docs/performance.md).
 */
export const ONE_THREAD_MAX_BATCH = 8;

/**
 * The compiled step's default session threads for a training batch of `batchSize`: one intra-op
 * thread with every op run in the caller's thread up to {@link ONE_THREAD_MAX_BATCH}, otherwise
 * (or when the batch is not known) TensorFlow's pools, one thread per core each.
 *
 * @example
 * ```ts
 * import { defaultStepThreads } from "./compiled.ts";
 * console.log(defaultStepThreads(2)); // { intraOp: 1, interOp: "caller" }
 * console.log(defaultStepThreads(64)); // {}
 * ```
 */
export function defaultStepThreads(batchSize: number | undefined): SessionThreads {
  return batchSize !== undefined && batchSize <= ONE_THREAD_MAX_BATCH
    ? { intraOp: 1, interOp: "caller" }
    : {};
}

/** Options of {@link CompiledTrainEngine}. */
export interface CompiledEngineOptions {
  /**
   * The open C API to build on (default: TensorFlow's C API in the library tfjs-node loaded;
   * the constructor throws saying why when it cannot be opened).
   *
   * @internal
   */
  readonly api?: CApi;
  /**
   * `[H, W, C]` of the training images: the graph's static input size (the batch size N is left
   * open, so a smaller last batch runs the same graph).
   */
  readonly imageShape: readonly [number, number, number];
  /**
   * Where feature-level CutMix mixes, if the run uses it: the graph then takes the partners and
   * box mask as inputs, and every batch must carry a `featureMix` at this layer.
   */
  readonly mixLayer?: MixLayer;
  /**
   * The session's thread pools; default {@link defaultStepThreads} of {@link batchSize}. Counts
   * left at 0 or absent take that default too.
   */
  readonly threads?: SessionThreads;
  /**
   * The batch the step will mostly run at (the run's training batch), which picks the default
   * {@link threads}; absent, TensorFlow's pools. Steps still take any batch.
   */
  readonly batchSize?: number;
  /**
   * The step's feature maps are stored with their channels rounded up to a multiple of this
   * (zero channels, see lib/models/graph_ops.ts); default 4, 1 to store the model's widths.
   */
  readonly channelMultiple?: number;
  /**
   * Compile the step with XLA's auto-clustering (`SessionOptions.jit` in `lib/tf_capi/session.ts`);
   * default false. With TensorFlow's thread pools it took a ResNet-20 step at batch 2 to 0.63–0.75×
   * the time, but the one-thread step of {@link defaultStepThreads} is faster still (bench, batch 2:
   * about twice the images/s without XLA); from 16 up XLA's CPU convolutions are slower than
   * oneDNN's (1.7–2.2× the time at 64 and 128), and the process needs ~190 MB more
   * (docs/performance.md). Results differ from the default by float32 rounding (XLA fuses and
   * reorders elementwise arithmetic); the first step at each new batch size also compiles.
   */
  readonly jit?: boolean;
}

/** The compiled engine (see the module doc). */
export class CompiledTrainEngine implements TrainEngine {
  /** Always `compiled`. */
  readonly kind = "compiled";
  /** The session's thread pools: {@link CompiledEngineOptions.threads} or their default. */
  readonly threads: SessionThreads;
  readonly #model: ImageClassifier;
  readonly #imageShape: readonly [number, number, number];
  readonly #graph: Graph;
  readonly #session: Session;
  readonly #variables: ModelGraphVariables;
  readonly #velocity: GraphVariable[];
  readonly #ops: GraphLayerOps;
  readonly #inputs: { images: Output; targets: Output; lr: Output };
  readonly #loss: Output;
  readonly #train: Operation;
  #inference?: CompiledInference;
  #disposed = false;

  /**
   * Builds the step's graph for `model` and SGD `sgd` and opens its session, the variables
   * starting from the model's values and the momentum from zero. Throws naming a bad option, an
   * op TensorFlow rejects or cannot differentiate, or why the C API cannot be opened.
   */
  constructor(model: ImageClassifier, sgd: SGDOptions, options: CompiledEngineOptions) {
    const { momentum, nesterov, weightDecay } = validateSGDOptions(sgd);
    this.#model = model;
    this.#imageShape = options.imageShape;
    const [height, width, channels] = options.imageShape;
    for (const [what, v] of Object.entries({ height, width, channels })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(
          `CompiledTrainEngine: imageShape ${what} must be a positive integer, got ${v}`,
        );
      }
    }
    const { batchSize } = options;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new Error(
        `CompiledTrainEngine: batchSize must be a positive integer, got ${batchSize}`,
      );
    }
    const { intraOp, interOp } = options.threads ?? {};
    this.threads = intraOp || interOp ? options.threads! : defaultStepThreads(batchSize);
    const graph = new Graph(options.api ?? requireCApi());
    this.#graph = graph;
    try {
      this.#variables = new ModelGraphVariables(graph, model.parameters);
      this.#velocity = this.#variables.trainable.map((v) =>
        addGraphVariable(graph, v.name, `sgd/${v.name}`, v.shape)
      );
      const images = graph.placeholder("float32", [-1, height, width, channels], "images");
      const targets = graph.placeholder("float32", [-1, model.numClasses], "targets");
      const lr = graph.placeholder("float32", [], "learning_rate");
      this.#inputs = { images, targets, lr };
      this.#ops = new GraphLayerOps(graph, this.#variables, {
        training: true,
        mixLayer: options.mixLayer,
        channelMultiple: options.channelMultiple,
      });
      const { logits } = model.apply(this.#ops, images);
      if (options.mixLayer !== undefined && this.#ops.featureMixInput === undefined) {
        throw new Error(`${model.name} has no feature-mixing point ${options.mixLayer}`);
      }
      const perExample = graph.node("SoftmaxCrossEntropyWithLogits", [logits, targets], { T: F });
      this.#loss = graph.node("Mean", [perExample, graph.constant([0], [1], "int32")], {
        T: F,
        Tidx: { type: "int32" },
        keep_dims: { bool: false },
      });
      const params = this.#variables.trainable;
      const grads = graph.gradients([this.#loss], params.map((p) => p.read));
      const scalar = (value: number) => graph.constant([value], []);
      const mul = (a: Output, b: Output) => graph.node("Mul", [a, b], { T: F });
      const add = (a: Output, b: Output) => graph.node("AddV2", [a, b], { T: F });
      const wd = scalar(weightDecay);
      const mu = scalar(momentum);
      // As SGD.step: d = g + p·wd, then the momentum update (module doc).
      const decayed = grads.map((g, i) => weightDecay > 0 ? add(g, mul(params[i].read, wd)) : g);
      // The updates write the parameters in place, which the backward pass reads: all of it first.
      const gradientsDone = graph.op("NoOp", [], {}, { controls: decayed.map((d) => d.op) });
      const assigns: Operation[] = [];
      decayed.forEach((d, i) => {
        const controls = [gradientsDone];
        if (momentum > 0) {
          // TensorFlow's kernel, in place: v ← μ·v + d; p ← p − lr·d − lr·μ·v (Nesterov) or
          // p ← p − lr·v. One op instead of seven per variable.
          assigns.push(
            graph.op("ApplyMomentum", [params[i].ref, this.#velocity[i].ref, lr, d, mu], {
              T: F,
              use_locking: { bool: false },
              use_nesterov: { bool: nesterov },
            }, { controls }),
          );
          return;
        }
        const updated = graph.node("Sub", [params[i].read, mul(d, lr)], { T: F });
        assigns.push(graph.op("Assign", [params[i].ref, updated], { T: F }, { controls }));
      });
      this.#train = graph.op("NoOp", [], {}, {
        controls: [...assigns, ...this.#ops.runningStatUpdates],
        name: "train_step",
      });
      this.#session = new Session(graph, this.threads, { jit: options.jit });
    } catch (error) {
      graph.dispose();
      throw error;
    }
    try {
      this.loadFromModel();
      this.#assign(this.#velocity.map((v) => [v, new Float32Array(sizeOf(v.shape))]));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Operations in the graph (the step and its initialisation). */
  get graphSize(): number {
    return this.#graph.size;
  }

  /**
   * One SGD step as one `TF_SessionRun`: the batch, `lr`, and ShakeDrop's gates drawn from `rng`
   * in the eager step's order are fed; returns the batch's mean loss. Throws when the images are
   * not `[N, ...imageShape]`, the targets not `[N, numClasses]`, or the batch's `featureMix` does
   * not match `mixLayer`.
   */
  step(batch: AugmentedBatch, lr: number, rng: Random): number {
    const [loss] = this.#session.run(this.#feeds(batch, lr, rng), [this.#loss], [this.#train]);
    return loss.values[0];
  }

  /**
   * {@link step} with TensorFlow's per-node timings of it (lib/tf_capi/step_stats.ts), for
   * profiling: the step is a real one (the parameters move). Tracing adds a cost per node.
   */
  traceStep(batch: AugmentedBatch, lr: number, rng: Random): { loss: number; nodes: NodeStat[] } {
    const { fetched, nodes } = this.#session.runTraced(
      this.#feeds(batch, lr, rng),
      [this.#loss],
      [this.#train],
    );
    return { loss: fetched[0].values[0], nodes };
  }

  /** The step's feeds, checked; ShakeDrop's gates drawn from `rng`. */
  #feeds(batch: AugmentedBatch, lr: number, rng: Random): Feed[] {
    this.#check();
    if (!(lr >= 0) || !Number.isFinite(lr)) {
      throw new Error(`lr must be a finite number >= 0, got ${lr}`);
    }
    const [n, h, w, c] = batch.imagesNHWC.shape;
    const [height, width, channels] = this.#imageShape;
    if (batch.imagesNHWC.rank !== 4 || h !== height || w !== width || c !== channels) {
      throw new Error(
        `CompiledTrainEngine: imagesNHWC must be [N, ${height}, ${width}, ${channels}] (the ` +
          `graph's input), got [${batch.imagesNHWC.shape}]`,
      );
    }
    const k = this.#model.numClasses;
    if (batch.targets.rank !== 2 || batch.targets.shape[0] !== n || batch.targets.shape[1] !== k) {
      throw new Error(`targets must be [${n}, ${k}], got [${batch.targets.shape}]`);
    }
    const feeds: Feed[] = [
      {
        input: this.#inputs.images,
        dtype: "float32",
        shape: [n, h, w, c],
        values: batch.imagesNHWC.dataSync() as Float32Array,
      },
      {
        input: this.#inputs.targets,
        dtype: "float32",
        shape: [n, k],
        values: batch.targets.dataSync() as Float32Array,
      },
      { input: this.#inputs.lr, dtype: "float32", shape: [], values: new Float32Array([lr]) },
    ];
    // The eager forward pass draws ShakeDrop's gates from `rng` layer by layer; the same order.
    for (const gate of this.#ops.shakeDropInputs) {
      const { forward, backward } = shakeDropGates(n, gate.pDrop, rng);
      feeds.push(
        { input: gate.forward, dtype: "float32", shape: [n, 1, 1, 1], values: forward },
        { input: gate.backward, dtype: "float32", shape: [n, 1, 1, 1], values: backward },
      );
    }
    const mixInput = this.#ops.featureMixInput;
    const mix = batch.featureMix;
    if (mixInput !== undefined) {
      if (mix === undefined || mix.layer !== mixInput.layer || mix.graphInputs === undefined) {
        throw new Error(
          `CompiledTrainEngine was built to mix features at layer ${mixInput.layer}; the batch ` +
            (mix === undefined
              ? "has no featureMix"
              : mix.layer !== mixInput.layer
              ? `mixes at layer ${mix.layer}`
              : "has a featureMix without graphInputs (use the eager engine)"),
        );
      }
      const { partners, mask } = mix.graphInputs(mixInput.height, mixInput.width);
      feeds.push(
        { input: mixInput.partners, dtype: "int32", shape: [n], values: partners },
        {
          input: mixInput.mask,
          dtype: "bool",
          shape: [n, mixInput.height, mixInput.width, 1],
          values: mask,
        },
      );
    } else if (mix !== undefined) {
      throw new Error(
        `the batch mixes features at layer ${mix.layer} but this CompiledTrainEngine was built ` +
          "without mixLayer",
      );
    }
    return feeds;
  }

  /** The tfjs variable behind a graph variable of the model. */
  #tfjs(v: GraphVariable): Variable {
    const store = this.#model.parameters;
    return (store.trainable.get(v.name) ?? store.buffers.get(v.name))!;
  }

  /** Evaluation-mode logits from the session's variables (the graph is built on first use). */
  readonly logits = (imagesNHWC: Tensor4D): Tensor2D => {
    this.#check();
    this.#inference ??= new CompiledInference(
      this.#graph,
      this.#session,
      this.#variables,
      this.#model,
      this.#imageShape,
    );
    return this.#inference.logits(imagesNHWC);
  };

  /** Copies the session's parameters and running statistics into the model's tfjs variables. */
  syncToModel(): void {
    this.#check();
    const all = this.#variables.all();
    const fetched = this.#session.run([], all.map((v) => v.read));
    tf.tidy(() => {
      all.forEach((v, i) => {
        this.#tfjs(v).assign(tf.tensor(fetched[i].values as Float32Array, [...v.shape], "float32"));
      });
    });
  }

  /** Assigns the model's tfjs variables to the session's parameters and running statistics. */
  loadFromModel(): void {
    this.#check();
    this.#assign(
      this.#variables.all().map((v) => [v, this.#tfjs(v).dataSync() as Float32Array]),
    );
  }

  /** The session's momentum buffers by trainable-variable name (checkpoints' `sgd/<name>`). */
  optimizerState(): Map<string, StoredTensor> {
    this.#check();
    const fetched = this.#session.run([], this.#velocity.map((v) => v.read));
    return new Map(
      this.#velocity.map((v, i) => [
        v.name,
        { shape: [...v.shape], values: fetched[i].values as Float32Array },
      ]),
    );
  }

  /** Restores momentum buffers; throws naming a variable that is missing or of another shape. */
  loadOptimizerState(values: Map<string, StoredTensor>): void {
    this.#check();
    this.#assign(this.#velocity.map((v) => {
      const saved = values.get(v.name);
      if (saved === undefined) {
        throw new Error(`loadOptimizerState: no saved momentum for "${v.name}"`);
      }
      if (saved.shape.join() !== v.shape.join()) {
        throw new Error(
          `loadOptimizerState: "${v.name}" has shape [${saved.shape}], expected [${v.shape}]`,
        );
      }
      return [v, saved.values];
    }));
  }

  /** Assigns values to graph variables in one run. */
  #assign(entries: [GraphVariable, Float32Array][]): void {
    assignGraphVariables(this.#session, entries);
  }

  #check(): void {
    if (this.#disposed) throw new Error("CompiledTrainEngine: used after dispose()");
  }

  /** Closes the session and frees the graph. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#session?.dispose();
    this.#graph.dispose();
  }
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
