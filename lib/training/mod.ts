/**
 * Training: configuration, the loop, the runs cache, and their parts.
 *
 * - {@link resolveRunConfig} / {@link RunConfig}: one validated description of a run;
 * - {@link trainOrLoad}: the trained model of a config, from `runs/<hash>/` or trained (resumable);
 * - {@link trainRun}: the loop itself, in a directory of your choice;
 * - {@link RunDirectory}: a run's files (config, lock, checkpoint, metrics, final);
 * - {@link exportRunRecord} / {@link restoreRunRecord}: a finished run's compact, committable
 *   record (float16 weights, checked against the run's test metrics) and the run rebuilt from it;
 * - {@link createTrainEngine}: the train-step engines, compiled (one TensorFlow graph per step,
 *   through TensorFlow's C API: Deno only) or eager (tfjs, the reference), behind one interface;
 *   {@link compileClassifier}: a model's evaluation pass compiled the same way;
 * - {@link inferencePath}: a trained model's logits and FGSM input gradient for the metrics, on
 *   the compiled engine when native TensorFlow is loaded, else eager;
 * - {@link createTrainStep}, {@link SGD}, {@link learningRate}, {@link softTargetCrossEntropy}:
 *   the pieces, for custom loops and benchmarks;
 * - {@link ProgressDisplay}: the terminal / log progress display.
 *
 * @example
 * ```ts
 * import { ProgressDisplay, trainOrLoad } from "./mod.ts";
 * const display = new ProgressDisplay();
 * const { model, final } = await trainOrLoad(
 *   {
 *     model: { arch: "resnet", depth: 20 },
 *     epochs: 10,
 *     trainPerClass: 500,
 *     augmentation: { kind: "cutmix", numClasses: 10, alpha: 1, prob: 0.5 },
 *   },
 *   { runsDir: "runs", onProgress: (p) => display.update(p), onEpoch: (m) => display.epoch(m) },
 * );
 * display.close();
 * console.log(final.test.top1Error);
 * model.dispose();
 * ```
 * @module
 */
export {
  canonicalJson,
  configHash,
  resolveRunConfig,
  RUN_FORMAT_VERSION,
  type RunConfig,
  type RunConfigInput,
  validateRunConfig,
} from "./config.ts";
export {
  type CosineSchedule,
  learningRate,
  type Schedule,
  type SchedulePosition,
  type StepSchedule,
  validateSchedule,
} from "./schedule.ts";
export { SGD, type SGDOptions, validateSGDOptions } from "./optimizer.ts";
export {
  type Checkpoint,
  CheckpointDamagedError,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  snapshotTensors,
  type StoredTensor,
  writeCheckpoint,
} from "./checkpoint.ts";
export { evaluateClassifier, type Evaluation } from "./evaluate.ts";
export {
  assignModelWeights,
  createTrainStep,
  loadFinishedRun,
  loadRunData,
  type TrainProgress,
  trainRun,
  type TrainRunOptions,
  type TrainRunResult,
  type TrainStep,
} from "./loop.ts";
export {
  type CheckpointMeta,
  type EpochMetrics,
  type FinalSummary,
  inspectRunDirectory,
  readRunFiles,
  type RestoredRun,
  RUN_FILES,
  RunDamagedError,
  RunDirectory,
  type RunDirectoryOptions,
  type RunDirectoryState,
} from "./run_dir.ts";
export { runDirectory, type RunResult, trainOrLoad, type TrainOrLoadOptions } from "./runs.ts";
export {
  checkFloat16,
  exportRunRecord,
  type ExportRunRecordOptions,
  FLOAT16_TOLERANCE,
  type Float16Check,
  hasRunRecord,
  listRunRecords,
  readRunRecord,
  RECORD_FILES,
  recordDirectory,
  type RecordTensor,
  restoreRunRecord,
  type RestoreRunRecordOptions,
  RUN_RECORD_FORMAT,
  type RunRecord,
  RunRecordError,
  type RunRecordHeader,
  type RunRecordListing,
} from "./run_record.ts";
export {
  formatDuration,
  formatEpoch,
  formatProgress,
  ProgressDisplay,
  type ProgressDisplayOptions,
} from "./progress.ts";
export { softTargetCrossEntropy } from "./loss.ts";
export {
  createTrainEngine,
  defaultEngine,
  EagerTrainEngine,
  ENGINE_KINDS,
  type EngineKind,
  parseEngineKind,
  type TrainEngine,
  type TrainEngineOptions,
} from "./engine.ts";
export {
  type CompiledEngineOptions,
  CompiledTrainEngine,
  defaultStepThreads,
  ONE_THREAD_MAX_BATCH,
} from "./compiled.ts";
export type { SessionThreads } from "../tf_capi/session.ts";
// CompiledTrainEngine.traceStep's per-node timings, and their sum by op type.
export { type NodeStat, type OpTime, summarizeByOp } from "../tf_capi/step_stats.ts";
// The run directory's lock (RunDirectoryOptions.lock, RunDirectoryState.lock) in its signatures.
export type { LockHolder, LockInspection, LockOptions } from "../io/lock.ts";
export { type InferencePath, inferencePath, type InferencePathOptions } from "./inference.ts";
export {
  compileClassifier,
  type CompileClassifierOptions,
  type CompiledClassifier,
} from "../models/compiled.ts";
