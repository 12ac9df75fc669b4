/**
 * Turns a classifier with the lib/models shape — `forward(imagesNHWC, { training })` returning
 * `{ logits, featuresNHWC }`, and `classifier.kernel` [C, K] — into the closures the metrics take.
 * The type is structural, so this module does not import lib/models (any object of that shape
 * fits, including test doubles).
 *
 * @example
 * ```ts
 * import { evaluateTopKErrors } from "./classification.ts";
 * import { inferenceLogits, type FeatureClassifier } from "./adapters.ts";
 * import type { LabeledBatch } from "./types.ts";
 * declare const model: FeatureClassifier; // e.g. createModel(parseModelName("resnet20"), 0)
 * declare const testBatches: Iterable<LabeledBatch>;
 * const { errors } = await evaluateTopKErrors(inferenceLogits(model), testBatches);
 * ```
 * @module
 */
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { ForwardWithFeatures } from "./localization.ts";
import type { PredictLogits } from "./types.ts";

/** The part of a lib/models `ImageClassifier` the metrics use. */
export interface FeatureClassifier {
  /** One forward pass; the caller owns both returned tensors. */
  forward(
    imagesNHWC: Tensor4D,
    options: { readonly training: boolean },
  ): { readonly logits: Tensor2D; readonly featuresNHWC: Tensor4D };
  /** The final dense layer, `kernel` [C, numClasses]. */
  readonly classifier: { readonly kernel: Tensor };
}

/** `x => logits` in inference mode (`training: false`); the features are disposed at once. */
export function inferenceLogits(model: FeatureClassifier): PredictLogits {
  return (imagesNHWC) => {
    const { logits, featuresNHWC } = model.forward(imagesNHWC, { training: false });
    featuresNHWC.dispose();
    return logits;
  };
}

/** `x => { logits, featuresNHWC }` in inference mode, for localization. */
export function inferenceForward(model: FeatureClassifier): ForwardWithFeatures {
  return (imagesNHWC) => model.forward(imagesNHWC, { training: false });
}

/** The classifier kernel [C, K] for CAM (rank checked where it is used). */
export function classifierKernel(model: FeatureClassifier): Tensor2D {
  return model.classifier.kernel as Tensor2D;
}
