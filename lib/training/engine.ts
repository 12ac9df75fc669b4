/**
 * Train-step engines: what runs one optimisation step of a model, behind one interface
 * ({@link TrainEngine}) so the loop, checkpoints, exact resume and the runs cache cannot tell
 * which one ran.
 *
 * - `eager` — tfjs, op by op: the model's forward pass with lib/models/layers.ts, gradients by
 *   `tf.variableGrads`, lib/training/optimizer.ts' SGD. The reference; the only engine on the
 *   pure-JS backend. Its state is the model's tfjs variables.
 * - `compiled` — the same step as one TensorFlow graph run by one `TF_SessionRun`
 *   (./compiled.ts): built once from the same model definition (`ImageClassifier.apply`), its
 *   backward pass from TensorFlow's gradient registry. Its state lives in the session's
 *   variables; {@link TrainEngine.syncToModel} copies it into the model's tfjs variables (before
 *   evaluation and checkpoints) and {@link TrainEngine.loadFromModel} the other way (after a
 *   resume).
 *
 * The default is `compiled` on native TensorFlow and `eager` on the pure-JS backend. If the
 * compiled engine is asked for but TensorFlow's C API cannot be opened (no native library, a
 * missing symbol), {@link createTrainEngine} warns why and returns the eager engine. The choice
 * is a runtime option, not part of a run's config: both engines train the same run.
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel } from "../models/mod.ts";
 * import { Random } from "../random.ts";
 * import { createTrainEngine } from "./engine.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const model = createModel({ arch: "resnet", depth: 8, widths: [4, 8, 8] }, 0);
 * const engine = createTrainEngine(model, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, {
 *   imageShape: [32, 32, 3],
 * });
 * const imagesNHWC = tf.randomUniform([8, 32, 32, 3]) as Tensor4D;
 * const targets = tf.oneHot(tf.zeros([8], "int32") as Tensor1D, 10).toFloat() as Tensor2D;
 * console.log(engine.kind, engine.step({ imagesNHWC, targets }, 0.1, new Random(0)));
 * engine.syncToModel(); // the model's variables now hold the trained values
 * engine.dispose();
 * tf.dispose([imagesNHWC, targets]);
 * model.dispose();
 * ```
 * @module
 */
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { currentBackend } from "../backend.ts";
import type { AugmentedBatch, MixLayer } from "../augment/types.ts";
import type { ImageClassifier } from "../models/model.ts";
import type { Random } from "../random.ts";
import { type CApi, openCApi } from "../tf_capi/binding.ts";
import type { SessionThreads } from "../tf_capi/session.ts";
import type { StoredTensor } from "./checkpoint.ts";
import { CompiledTrainEngine } from "./compiled.ts";
import { softTargetCrossEntropy } from "./loss.ts";
import { SGD, type SGDOptions } from "./optimizer.ts";

/** The engines. */
export type EngineKind = "eager" | "compiled";

/** The engines, in the order documented. */
export const ENGINE_KINDS: readonly EngineKind[] = ["compiled", "eager"];

/** One optimisation step on an augmented batch; returns the batch's mean loss. */
export type TrainStep = (batch: AugmentedBatch, lr: number, rng: Random) => number;

/** What trains a model, step by step (see the module doc). */
export interface TrainEngine {
  /** Which engine this is (after any fallback: `eager` when `compiled` could not be had). */
  readonly kind: EngineKind;
  /** Set when this engine runs because the one asked for could not: why. */
  readonly fallbackReason?: string;
  /**
   * One step at learning rate `lr`: forward in training mode (feature-level mixing and ShakeDrop
   * drawing from `rng` inside), soft-target cross-entropy, gradients, SGD. Returns the batch's
   * mean loss. Leaves no tfjs tensors behind; does not dispose `batch`.
   */
  step(batch: AugmentedBatch, lr: number, rng: Random): number;
  /** Writes the engine's parameters and running statistics into the model's tfjs variables. */
  syncToModel(): void;
  /** Takes the model's tfjs variables as the engine's parameters and running statistics. */
  loadFromModel(): void;
  /** The SGD momentum buffers by trainable-variable name (checkpoints' `sgd/<name>`). */
  optimizerState(): Map<string, StoredTensor>;
  /** Restores momentum buffers saved by {@link optimizerState}. */
  loadOptimizerState(values: Map<string, StoredTensor>): void;
  /**
   * Evaluation-mode logits on the engine's current parameters, when the engine computes them
   * itself (compiled: its own graph and variables, no copy); absent on the eager engine, whose
   * parameters are the model's (use `model.forward`). The caller owns the result.
   */
  readonly logits?: (imagesNHWC: Tensor4D) => Tensor2D;
  /** Frees what the engine holds (not the model). */
  dispose(): void;
}

/** Options of {@link createTrainEngine}. */
export interface TrainEngineOptions {
  /** Which engine; default {@link defaultEngine}. */
  readonly engine?: EngineKind;
  /** `[H, W, C]` of the training images (the compiled graph's static input size). */
  readonly imageShape: readonly [number, number, number];
  /** Where feature-level CutMix mixes, if the run uses it (the compiled graph takes its inputs). */
  readonly mixLayer?: MixLayer;
  /** The compiled engine's thread pools (e.g. one thread each for concurrent sweep workers). */
  readonly threads?: SessionThreads;
  /** The run's training batch: picks the compiled engine's default threads (CompiledEngineOptions.batchSize). */
  readonly batchSize?: number;
  /** The compiled engine with XLA's JIT (see CompiledEngineOptions.jit). */
  readonly jit?: boolean;
  /** Where the fallback warning goes (default `console.warn`). */
  readonly warn?: (message: string) => void;
  /**
   * The C API to build on, or why there is none (default: TensorFlow's C API in the library
   * tfjs-node loaded, opened once per process). For tests of the fallback.
   *
   * @internal
   */
  readonly api?: CApi | { readonly error: string };
}

/**
 * The default engine: `compiled` when lib/backend.ts' `useBackend` loaded native TensorFlow,
 * `eager` otherwise (the pure-JS backend, or a backend the caller set up in tfjs-core itself).
 */
export function defaultEngine(): EngineKind {
  return currentBackend()?.native ? "compiled" : "eager";
}

/**
 * Parses an engine name (a CLI flag or an entry point's environment variable); `undefined` or
 * an empty string gives `undefined` (the default). Throws naming `what` and the value otherwise.
 */
export function parseEngineKind(value: string | undefined, what: string): EngineKind | undefined {
  const raw = value?.trim().toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (!(ENGINE_KINDS as readonly string[]).includes(raw)) {
    throw new Error(`${what} must be one of ${ENGINE_KINDS.join(", ")}, got "${value}"`);
  }
  return raw as EngineKind;
}

/**
 * The engine to train `model` with SGD `sgd`. Builds the compiled graph at once, so an op that
 * TensorFlow rejects or cannot differentiate fails here, naming it; falls back to eager (with a
 * warning saying why) only when the C API itself is unavailable.
 */
export function createTrainEngine(
  model: ImageClassifier,
  sgd: SGDOptions,
  options: TrainEngineOptions,
): TrainEngine {
  const kind = options.engine ?? defaultEngine();
  if (!(ENGINE_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`options.engine must be one of ${ENGINE_KINDS.join(", ")}, got "${kind}"`);
  }
  if (kind === "eager") return new EagerTrainEngine(model, sgd);
  const api = options.api ?? openCApi();
  if ("error" in api) {
    const reason = `the compiled engine needs TensorFlow's C API: ${api.error}`;
    (options.warn ?? console.warn)(
      `!!! WARNING: ${reason}. Training on the eager engine instead (same results, slower).`,
    );
    return new EagerTrainEngine(model, sgd, reason);
  }
  return new CompiledTrainEngine(model, sgd, { ...options, api });
}

/**
 * The eager training step: forward in training mode (feature-level mixing and ShakeDrop inside
 * the model, drawing from `rng`), soft-target cross-entropy, gradients of every trainable
 * variable, one SGD update at rate `lr`. Leaves no tensors behind; does not dispose `batch`.
 *
 * @example
 * ```ts
 * import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel } from "../models/mod.ts";
 * import { Random } from "../random.ts";
 * import { createTrainStep } from "./engine.ts";
 * import { SGD } from "./optimizer.ts";
 * const model = createModel({ arch: "resnet", depth: 20 }, 0);
 * const sgd = new SGD(model.parameters.trainable, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
 * const step = createTrainStep(model, sgd);
 * const imagesNHWC = tf.randomUniform([64, 32, 32, 3]) as Tensor4D;
 * const targets = tf.oneHot(tf.zeros([64], "int32") as Tensor1D, 10).toFloat() as Tensor2D;
 * console.log(step({ imagesNHWC, targets }, 0.1, new Random(0)));
 * ```
 */
export function createTrainStep(model: ImageClassifier, sgd: SGD): TrainStep {
  const trainable = [...model.parameters.trainable];
  const variables = trainable.map(([, v]) => v);
  const storeNameOf = new Map(trainable.map(([name, v]) => [v.name, name]));
  return (batch, lr, rng) => {
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(batch.imagesNHWC, {
        training: true,
        featureMix: batch.featureMix,
        rng,
      });
      return softTargetCrossEntropy(logits, batch.targets);
    }, variables);
    try {
      const named = new Map<string, Tensor>();
      for (const [varName, g] of Object.entries(grads)) named.set(storeNameOf.get(varName)!, g);
      sgd.step(named, lr);
      return value.dataSync()[0];
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  };
}

/** The eager engine: {@link createTrainStep} and an {@link SGD} on the model's own variables. */
export class EagerTrainEngine implements TrainEngine {
  /** Always `eager`. */
  readonly kind = "eager";
  /** Why the compiled engine asked for could not be used, when that is why this one runs. */
  readonly fallbackReason?: string;
  readonly #sgd: SGD;
  readonly #step: TrainStep;

  /**
   * An engine that trains `model`'s tfjs variables in place with SGD `sgd` (zero momentum).
   * Throws naming a bad SGD option.
   *
   * @param fallbackReason set by {@link createTrainEngine} when it falls back to this engine.
   */
  constructor(model: ImageClassifier, sgd: SGDOptions, fallbackReason?: string) {
    this.#sgd = new SGD(model.parameters.trainable, sgd);
    this.#step = createTrainStep(model, this.#sgd);
    this.fallbackReason = fallbackReason;
  }

  /**
   * One step: forward with gradients by `tf.variableGrads`, then {@link SGD.step}. Returns the
   * batch's mean loss; leaves no tensors behind and does not dispose `batch`.
   */
  step(batch: AugmentedBatch, lr: number, rng: Random): number {
    return this.#step(batch, lr, rng);
  }

  /** Nothing to do: the eager engine trains the model's variables themselves. */
  syncToModel(): void {}

  /** Nothing to do: the eager engine trains the model's variables themselves. */
  loadFromModel(): void {}

  /** The SGD momentum buffers by trainable-variable name ({@link SGD.state}). */
  optimizerState(): Map<string, StoredTensor> {
    return this.#sgd.state();
  }

  /** Restores momentum buffers; throws naming a variable that is missing or of another shape. */
  loadOptimizerState(values: Map<string, StoredTensor>): void {
    this.#sgd.loadState(values);
  }

  /** Frees the momentum buffers (the model's variables stay). */
  dispose(): void {
    this.#sgd.dispose();
  }
}
