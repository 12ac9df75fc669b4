/**
 * Data sets and the input pipeline: CIFAR-10/100 from the official binary archives (validated,
 * extracted atomically), a seeded resumable batch pipeline with the baseline augmentation,
 * class-balanced subsets, out-of-distribution sets (noise, MNIST, Fashion-MNIST) and a
 * localization set with true boxes. Where data lives on disk is an argument
 * ({@link CifarLocation}); nothing here reads the environment.
 *
 * @example
 * ```ts
 * import { loadCifar, trainBatches } from "./mod.ts";
 * const train = await loadCifar("cifar10", "train", { dataDir: "data" });
 * console.log(train.labels.length, train.classNames);
 * ```
 * @module
 */
export {
  CIFAR100_FORMAT,
  CIFAR10_FORMAT,
  CIFAR_IMAGE_BYTES,
  type CifarArchiveSummary,
  type CifarDataset,
  type CifarFormat,
  cifarFormat,
  type CifarLocation,
  cifarMembers,
  type CifarName,
  cifarRecordBytes,
  type CifarRecords,
  type CifarSplit,
  type CifarVerification,
  decodeCifarRecords,
  defaultDataDir,
  isCifarPresent,
  loadCifar,
  loadCifarFromArchive,
  type LoadCifarOptions,
  localArchiveCandidates,
  missingCifarMessage,
  prepareCifar,
  type PrepareOptions,
  type PrepareResult,
  SOURCE_MARKER,
  validateCifarArchive,
} from "./cifar.ts";
export { datasetSize, type ImageDataset } from "./dataset.ts";
export { readTarGz, type TarEntry } from "./tar.ts";
export {
  baselineAugment,
  type Batch,
  epochOrder,
  evalBatches,
  gatherBatch,
  type ImageAugment,
  imagesToTensor,
  measurePipeline,
  numBatches,
  type PipelineThroughput,
  trainBatches,
  type TrainBatchOptions,
} from "./pipeline.ts";
export { balancedSubset, imageBytes, subsetByIndices, type SubsetDataset } from "./subset.ts";
export {
  type GaussianNoiseOptions,
  gaussianNoiseSet,
  loadFashionMnistOod,
  loadMnistOod,
  type LoadOodOptions,
  loadOodSet,
  type MnistOodOptions,
  OOD_NAMES,
  OOD_STAND_INS,
  type OodImageSize,
  type OodName,
  type OodSet,
  type PaperOodSet,
  TABLE12_OOD_SETS,
  uniformNoiseSet,
} from "./ood.ts";
export {
  LOCALIZATION_DEFAULTS,
  type LocalizationBackground,
  type LocalizationOptions,
  type LocalizationSet,
  makeLocalizationSet,
} from "./localization.ts";
