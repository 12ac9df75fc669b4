/**
 * Compiled inference: a model's evaluation-mode forward pass (batch norm on running statistics,
 * ShakeDrop at its expectation) as a TensorFlow graph, from the same definition the eager
 * `forward` runs (`ImageClassifier.apply` on lib/models/graph_ops.ts). It gives the logits, the
 * last feature map (for CAM) and the gradient of the cross-entropy with respect to the input
 * images (for FGSM), each in one session run, as tfjs tensors the caller owns.
 *
 * {@link CompiledInference} runs on a graph and session it is given, so the compiled training
 * engine evaluates on its own variables without copying them out; {@link compileClassifier}
 * makes a standalone one that copies the model's variables in (again by `refresh()` after the
 * model changed).
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { compileClassifier } from "./compiled.ts";
 * import { createModel } from "./mod.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const model = createModel({ arch: "resnet", depth: 8, widths: [4, 8, 8] }, 0);
 * const compiled = compileClassifier(model, { imageShape: [32, 32, 3] });
 * const { logits, featuresNHWC } = compiled.forward(tf.zeros([2, 32, 32, 3]));
 * console.log(logits.shape, featuresNHWC.shape); // [2, 10] [2, 8, 8, 8]
 * tf.dispose([logits, featuresNHWC]);
 * compiled.dispose();
 * model.dispose();
 * ```
 * @module
 */
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { requireCApi } from "../tf_capi/binding.ts";
import { Graph, type Output } from "../tf_capi/graph.ts";
import { type Feed, Session, type SessionThreads } from "../tf_capi/session.ts";
import { GraphLayerOps, ModelGraphVariables } from "./graph_ops.ts";
import type { ImageClassifier } from "./model.ts";

const F = { type: "float32" } as const;

/** The evaluation-mode graph of a model on a given graph and session (see the module doc). */
export class CompiledInference {
  readonly #graph: Graph;
  readonly #session: Session;
  readonly #model: ImageClassifier;
  readonly #imageShape: readonly [number, number, number];
  readonly #images: Output;
  readonly #logits: Output;
  readonly #features: Output;
  #gradient?: { labels: Output; dx: Output };

  /**
   * Adds the graph's nodes. `variables` are the model's graph variables (initialised by whoever
   * owns the session); `imageShape` is `[H, W, C]` of the images it will take.
   */
  constructor(
    graph: Graph,
    session: Session,
    variables: ModelGraphVariables,
    model: ImageClassifier,
    imageShape: readonly [number, number, number],
  ) {
    this.#graph = graph;
    this.#session = session;
    this.#model = model;
    this.#imageShape = imageShape;
    this.#images = graph.placeholder("float32", [-1, ...imageShape]);
    const ops = new GraphLayerOps(graph, variables, { training: false });
    const { logits, featuresNHWC } = model.apply(ops, this.#images);
    this.#logits = logits;
    this.#features = ops.modelChannels(featuresNHWC);
  }

  #imageFeed(imagesNHWC: Tensor4D): Feed {
    const [h, w, c] = this.#imageShape;
    const s = imagesNHWC.shape;
    if (imagesNHWC.rank !== 4 || s[1] !== h || s[2] !== w || s[3] !== c) {
      throw new Error(
        `${this.#model.name} (compiled): imagesNHWC must be [N, ${h}, ${w}, ${c}], got [${s}]`,
      );
    }
    return {
      input: this.#images,
      dtype: "float32",
      shape: [...s],
      values: imagesNHWC.dataSync() as Float32Array,
    };
  }

  /** Logits `[N, numClasses]` of `[0, 1]` images. */
  logits(imagesNHWC: Tensor4D): Tensor2D {
    const [logits] = this.#session.run([this.#imageFeed(imagesNHWC)], [this.#logits]);
    return tf.tensor2d(logits.values as Float32Array, logits.shape as [number, number]);
  }

  /** Logits and the last feature map, as `ImageClassifier.forward` in evaluation mode. */
  forward(imagesNHWC: Tensor4D): { logits: Tensor2D; featuresNHWC: Tensor4D } {
    const [logits, features] = this.#session.run([this.#imageFeed(imagesNHWC)], [
      this.#logits,
      this.#features,
    ]);
    return {
      logits: tf.tensor2d(logits.values as Float32Array, logits.shape as [number, number]),
      featuresNHWC: tf.tensor4d(
        features.values as Float32Array,
        features.shape as [number, number, number, number],
      ),
    };
  }

  /**
   * ∂/∂x of Σᵢ CE(logits(xᵢ), yᵢ) (the summed cross-entropy against integer `labels`), what
   * FGSM steps along; the graph for it is built on first use.
   */
  inputGradient(imagesNHWC: Tensor4D, labels: Tensor): Tensor4D {
    if (this.#gradient === undefined) {
      const g = this.#graph;
      const labelsInput = g.placeholder("int32", [-1]);
      const oneHot = g.node("OneHot", [
        labelsInput,
        g.constant([this.#model.numClasses], [], "int32"),
        g.constant([1], []),
        g.constant([0], []),
      ], { T: F, TI: { type: "int32" }, axis: { int: -1 } });
      const logProbabilities = g.node("LogSoftmax", [this.#logits], { T: F });
      const picked = g.node("Mul", [oneHot, logProbabilities], { T: F });
      const total = g.node("Sum", [picked, g.constant([0, 1], [2], "int32")], {
        T: F,
        Tidx: { type: "int32" },
      });
      const loss = g.node("Neg", [total], { T: F });
      const [dx] = g.gradients([loss], [this.#images]);
      this.#gradient = { labels: labelsInput, dx };
    }
    const n = imagesNHWC.shape[0];
    if (labels.rank !== 1 || labels.shape[0] !== n) {
      throw new Error(`labels must be [${n}] class indices, got [${labels.shape}]`);
    }
    const [dx] = this.#session.run([
      this.#imageFeed(imagesNHWC),
      {
        input: this.#gradient.labels,
        dtype: "int32",
        shape: [n],
        values: Int32Array.from(labels.dataSync()),
      },
    ], [this.#gradient.dx]);
    return tf.tensor4d(dx.values as Float32Array, dx.shape as [number, number, number, number]);
  }
}

/** Options of {@link compileClassifier}. */
export interface CompileClassifierOptions {
  /** `[H, W, C]` of the images it will take. */
  readonly imageShape: readonly [number, number, number];
  /** The session's thread pools. */
  readonly threads?: SessionThreads;
}

/** A standalone {@link CompiledInference} with its own graph and session. */
export interface CompiledClassifier {
  /** Logits `[N, numClasses]`. */
  logits(imagesNHWC: Tensor4D): Tensor2D;
  /** Logits and the last feature map (evaluation mode). */
  forward(imagesNHWC: Tensor4D): { logits: Tensor2D; featuresNHWC: Tensor4D };
  /** Gradient of the summed cross-entropy against `labels` with respect to the images. */
  inputGradient(imagesNHWC: Tensor4D, labels: Tensor): Tensor4D;
  /** Copies the model's current variables in (after training or loading it). */
  refresh(): void;
  /** Frees the graph and the session. */
  dispose(): void;
}

/** Compiles `model`'s evaluation-mode forward pass, with the model's current variables. */
export function compileClassifier(
  model: ImageClassifier,
  options: CompileClassifierOptions,
): CompiledClassifier {
  const graph = new Graph(requireCApi());
  let session: Session | undefined;
  try {
    const variables = new ModelGraphVariables(graph, model.parameters);
    const own = new Session(graph, options.threads);
    session = own;
    const inference = new CompiledInference(graph, own, variables, model, options.imageShape);
    const refresh = () => variables.copyIn(own, model.parameters);
    refresh();
    return {
      logits: (x) => inference.logits(x),
      forward: (x) => inference.forward(x),
      inputGradient: (x, labels) => inference.inputGradient(x, labels),
      refresh,
      dispose: () => {
        own.dispose();
        graph.dispose();
      },
    };
  } catch (error) {
    session?.dispose();
    graph.dispose();
    throw error;
  }
}
