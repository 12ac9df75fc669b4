/**
 * A trained model's evaluation-mode pass for the metrics: its logits and the input gradient that
 * FGSM needs, on the compiled engine (one TensorFlow graph per call, lib/models/compiled.ts) when
 * native TensorFlow is loaded, else on the eager one (tfjs op by op, `tf.grad` for FGSM). Both
 * compute the same function (test/models/compiled_test.ts holds them to float32 round-off), so a
 * metric cannot tell which ran; the compiled one is the faster on a CPU.
 *
 * @example
 * ```ts
 * import { inferencePath } from "./inference.ts";
 * import { evaluateFgsmCurve } from "../metrics/fgsm.ts";
 * import type { LabeledBatch } from "../metrics/types.ts";
 * import { createModel } from "../models/mod.ts";
 * declare const testBatches: Iterable<LabeledBatch>;
 * const model = createModel({ arch: "resnet", depth: 20 }, 0);
 * const path = inferencePath(model, { imageShape: [32, 32, 3] }); // compiled on native TF
 * const curve = await evaluateFgsmCurve(path.logits, testBatches, {
 *   inputGradient: path.inputGradient,
 * });
 * console.log(path.engine, curve.points);
 * path.dispose();
 * model.dispose();
 * ```
 * @module
 */
import type { InputGradient } from "../metrics/fgsm.ts";
import type { PredictLogits } from "../metrics/types.ts";
import { compileClassifier } from "../models/compiled.ts";
import type { ImageClassifier } from "../models/model.ts";
import { openCApi } from "../tf_capi/binding.ts";
import type { SessionThreads } from "../tf_capi/session.ts";
import { defaultEngine, ENGINE_KINDS, type EngineKind } from "./engine.ts";

/** Options of {@link inferencePath}. */
export interface InferencePathOptions {
  /** `[H, W, C]` of the images it will take (the compiled graph is built for it). */
  readonly imageShape: readonly [number, number, number];
  /** Which engine (default lib/training's: compiled on native TensorFlow, else eager). */
  readonly engine?: EngineKind;
  /** The compiled session's thread pools (default TensorFlow's). */
  readonly threads?: SessionThreads;
  /** Where the fallback warning goes (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

/** A model's evaluation pass on one engine. */
export interface InferencePath {
  /** The engine that runs it. */
  readonly engine: EngineKind;
  /** Why the compiled engine was asked for but eager runs (the C API is missing), if so. */
  readonly fallbackReason?: string;
  /** Evaluation-mode logits `[N, numClasses]` of `[0, 1]` images; the caller owns them. */
  readonly logits: PredictLogits;
  /** ∇_x Σ CE for FGSM on the compiled engine; undefined on eager (FGSM then uses `tf.grad`). */
  readonly inputGradient?: InputGradient;
  /** Frees the compiled graph and session (nothing on eager); the model stays the caller's. */
  dispose(): void;
}

/**
 * The evaluation pass of `model` on the asked-for (or default) engine, with the model's current
 * weights. Falls back to eager, with a warning saying why, only when the compiled engine is asked
 * for and TensorFlow's C API is unavailable; a model the graph cannot express throws.
 */
export function inferencePath(
  model: ImageClassifier,
  options: InferencePathOptions,
): InferencePath {
  const kind = options.engine ?? defaultEngine();
  if (!(ENGINE_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`options.engine must be one of ${ENGINE_KINDS.join(", ")}, got "${kind}"`);
  }
  const eager = (fallbackReason?: string): InferencePath => ({
    engine: "eager",
    ...(fallbackReason === undefined ? {} : { fallbackReason }),
    logits: (imagesNHWC) => {
      const { logits, featuresNHWC } = model.forward(imagesNHWC, { training: false });
      featuresNHWC.dispose();
      return logits;
    },
    dispose: () => {},
  });
  if (kind === "eager") return eager();
  const api = openCApi();
  if ("error" in api) {
    const reason = `compiled inference needs TensorFlow's C API: ${api.error}`;
    (options.warn ?? console.warn)(
      `!!! WARNING: ${reason}. Evaluating on the eager engine instead (same results, slower).`,
    );
    return eager(reason);
  }
  const compiled = compileClassifier(model, {
    imageShape: options.imageShape,
    threads: options.threads,
  });
  return {
    engine: "compiled",
    logits: (imagesNHWC) => compiled.logits(imagesNHWC),
    inputGradient: (imagesNHWC, labels) => compiled.inputGradient(imagesNHWC, labels),
    dispose: () => compiled.dispose(),
  };
}
