/**
 * Every metric the CutMix paper reports, on plain tensors and closures (no dependency on a model
 * class): a model is a {@link PredictLogits} `(imagesNHWC) => logits` in inference mode, images
 * are float32 NHWC in [0, 1], and sets are any (async) iterable of {@link LabeledBatch}.
 *
 * | paper | function | module |
 * |---|---|---|
 * | top-1 / top-5 error (Tables 1–5, 7, 8) | {@link evaluateTopKErrors}, {@link topKCorrect} | `classification.ts` |
 * | WSOL, top-1 localization accuracy (Table 9) | {@link evaluateLocalization}, {@link classActivationMaps}, {@link boxFromMap} | `localization.ts`, `cam.ts` |
 * | FGSM robustness, ε = 8/255 (Table 11), and as a curve over ε | {@link evaluateFgsm}, {@link evaluateFgsmCurve}, {@link fgsmAttack} | `fgsm.ts` |
 * | centre / boundary occlusion (Fig. 5a) | {@link evaluateOcclusion}, {@link occlude} | `occlusion.ts` |
 * | in-between class samples (Fig. 5b) | {@link evaluateInBetween} | `inbetween.ts` |
 * | OOD detection, max-softmax baseline (Table 12) | {@link evaluateOod}, {@link oodMetrics} | `ood.ts` |
 * | expected calibration error, reliability diagram | {@link evaluateCalibration}, {@link calibration} | `calibration.ts` |
 * | linear probe of frozen features (Table 10 analogue) | {@link linearProbe}, {@link extractFeatures} | `linear_probe.ts` |
 *
 * Conventions shared by all: top-1 predictions break ties between equal logits toward the lower
 * class index, and a row with a NaN logit counts as wrong; no metric disposes the batches it is
 * given; every tensor a function returns is the caller's to dispose.
 *
 * @example
 * ```ts
 * import { datasetBatches, evaluateCalibration, evaluateFgsm, evaluateTopKErrors } from "./mod.ts";
 * import type { PredictLogits } from "./mod.ts";
 * import type { ImageDataset } from "../data/dataset.ts";
 * declare const model: PredictLogits;
 * declare const testSet: ImageDataset;
 * const { errors } = await evaluateTopKErrors(model, datasetBatches(testSet, 500));
 * const { adversarialError } = await evaluateFgsm(model, datasetBatches(testSet, 500));
 * const { ece } = await evaluateCalibration(model, datasetBatches(testSet, 500));
 * console.log(errors[1], errors[5], adversarialError, ece);
 * ```
 * @module
 */
export {
  type BatchSource,
  datasetBatches,
  type LabeledBatch,
  type Labels,
  type PredictLogits,
  sliceBatches,
} from "./types.ts";
export {
  evaluateTopKErrors,
  topKCorrect,
  topKErrorCount,
  type TopKErrorOptions,
  topKErrorRate,
  type TopKErrors,
} from "./classification.ts";
export {
  type CamOptions,
  classActivationMaps,
  type Interpolation,
  interpolationMatrix,
  mapMassInBoxes,
  normalizeMaps,
  rawClassActivationMaps,
  resizeMaps,
} from "./cam.ts";
export {
  type Box,
  boxArea,
  boxFromMap,
  DEFAULT_CAM_THRESHOLD,
  evaluateLocalization,
  type ForwardWithFeatures,
  intersectionOverUnion,
  type LocalizationBatch,
  localizationBatches,
  type LocalizationOptions,
  type LocalizationResult,
} from "./localization.ts";
export {
  classifierKernel,
  type FeatureClassifier,
  inferenceForward,
  inferenceLogits,
} from "./adapters.ts";
export {
  DEFAULT_FGSM_EPSILON,
  DEFAULT_FGSM_EPSILONS,
  evaluateFgsm,
  evaluateFgsmCurve,
  fgsmAttack,
  type FgsmCurve,
  type FgsmCurveOptions,
  fgsmGradientSign,
  type FgsmOptions,
  type FgsmPoint,
  type FgsmResult,
  fgsmStep,
  type InputGradient,
} from "./fgsm.ts";
export {
  centeredSquareMask,
  evaluateOcclusion,
  occlude,
  type OcclusionMode,
  type OcclusionOptions,
  type OcclusionPoint,
  type OcclusionResult,
} from "./occlusion.ts";
export {
  centeredCutMixImages,
  centeredCutMixLambda,
  type CutMixPoint,
  evaluateInBetween,
  type InBetweenOptions,
  type InBetweenResult,
  mixupImages,
  type MixupPoint,
} from "./inbetween.ts";
export {
  collectMaxSoftmax,
  evaluateOod,
  type ImageBatch,
  maxSoftmaxProbability,
  type OodMetricOptions,
  type OodMetrics,
  oodMetrics,
} from "./ood.ts";
export {
  calibration,
  type CalibrationOptions,
  type CalibrationResult,
  collectPredictions,
  confidencesAndCorrectness,
  DEFAULT_CALIBRATION_BINS,
  evaluateCalibration,
  type Predictions,
  type ReliabilityBin,
} from "./calibration.ts";
export {
  DEFAULT_PROBE_LEARNING_RATE,
  DEFAULT_PROBE_STEPS,
  type ExtractedFeatures,
  extractFeatures,
  type FeatureExtractor,
  inferenceFeatures,
  linearProbe,
  type LinearProbeOptions,
  type LinearProbeResult,
  PROBE_STANDARDIZE_EPSILON,
} from "./linear_probe.ts";
