/**
 * The training loop: one {@link RunConfig} → a trained model in a run directory.
 *
 * The run directory's files (config, lock, checkpoint, metrics, final) belong to
 * {@link RunDirectory} (lib/training/run_dir.ts); this module is the loop around it.
 *
 * Determinism and resuming: every random draw is a pure function of the seed and the position
 * (`Random.derive(seed, label, epoch, batch)`: the model's initial values, each epoch's order and
 * crops (lib/data/pipeline.ts), each step's mixing draws and ShakeDrop gates). A run killed at any
 * point restarts from its last checkpoint at the start of the next epoch and ends with exactly the
 * numbers of an uninterrupted run on the same backend. Only wall-clock fields differ.
 *
 * One step: baseline crop/flip (pipeline) → batch augmentation (CutMix, …) → forward in training
 * mode (feature-level mixing inside the model) → soft-target cross-entropy → gradients of all
 * trainable variables → SGD (momentum, Nesterov, coupled weight decay) at the scheduled rate.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./config.ts";
 * import { trainRun } from "./loop.ts";
 * const config = resolveRunConfig({ model: { arch: "resnet", depth: 20 }, epochs: 1, trainPerClass: 100 });
 * const { model, final } = await trainRun(config, { runDir: "runs/example" });
 * console.log(final?.test.top1Error); // undefined only if stopped by `stopAfterEpochs`
 * model.dispose();
 * ```
 * @module
 */
import type { Variable } from "@tensorflow/tfjs-core";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { createBatchAugmentation } from "../augment/config.ts";
import { type CifarLocation, loadCifar } from "../data/cifar.ts";
import { datasetSize, type ImageDataset } from "../data/dataset.ts";
import { numBatches, trainBatches } from "../data/pipeline.ts";
import { balancedSubset } from "../data/subset.ts";
import { createModel } from "../models/mod.ts";
import type { ImageClassifier } from "../models/model.ts";
import { Random } from "../random.ts";
import { snapshotTensors, type StoredTensor } from "./checkpoint.ts";
import { configHash, type RunConfig, validateRunConfig } from "./config.ts";
import { evaluateClassifier, type Evaluation } from "./evaluate.ts";
import { createTrainEngine, type EngineKind, type TrainEngine, type TrainStep } from "./engine.ts";
import type { SessionThreads } from "../tf_capi/session.ts";
import { learningRate } from "./schedule.ts";
import {
  type EpochMetrics,
  type FinalSummary,
  readRunFiles,
  RUN_FILES,
  RunDirectory,
  type RunDirectoryOptions,
} from "./run_dir.ts";

export { createTrainStep, type TrainStep } from "./engine.ts";

/** What the loop reports while it trains (every step). */
export interface TrainProgress {
  /** 0-based index of the current epoch. */
  readonly epoch: number;
  /** Epochs of the whole run (`config.epochs`, even when `stopAfterEpochs` stops it earlier). */
  readonly epochs: number;
  /** Steps done in this epoch. */
  readonly step: number;
  /** Steps in one epoch: ⌈training images / `config.batchSize`⌉ (the last batch may be short). */
  readonly stepsPerEpoch: number;
  /** Mean training loss of this epoch so far. */
  readonly loss: number;
  /** The learning rate of the step just done (`config.schedule` applied to `config.lr`). */
  readonly lr: number;
  /** Throughput of this session's training steps so far. */
  readonly imagesPerSecond: number;
  /** Seconds until the run's last step at this throughput (evaluation not included). */
  readonly etaSeconds: number;
}

/** Options of {@link trainRun}. */
export interface TrainRunOptions {
  /** The run directory (created if missing). */
  readonly runDir: string;
  /** Train and test images to use instead of loading `config.dataset` (tests, custom data). */
  readonly data?: { readonly train: ImageDataset; readonly test: ImageDataset };
  /** Where CIFAR is on disk when `config.dataset` is loaded (default: the project's `data/`). */
  readonly cifar?: CifarLocation;
  /** Called after every step. */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Called after every epoch with its metrics line. */
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /**
   * Stop (as an interrupted run would) once this many epochs are done, without `final.json`;
   * the next call resumes. For time-boxed sessions and the resume test.
   */
  readonly stopAfterEpochs?: number;
  /** Move a damaged checkpoint aside and train from scratch (see {@link RunDirectory}). */
  readonly retrainCorrupt?: boolean;
  /** Lock and notice settings of the run directory. */
  readonly runDirectory?: Omit<RunDirectoryOptions, "retrainCorrupt">;
  /**
   * The train-step engine (lib/training/engine.ts): `compiled` (one TensorFlow graph per step,
   * the default on native TensorFlow) or `eager` (tfjs op by op, the reference). Not part of the
   * run's config: either trains the same run, and a run may resume on the other.
   */
  readonly engine?: EngineKind;
  /** The compiled engine's thread pools (entry points pass `TF_NUM_INTRAOP_THREADS` / `…INTEROP…`). */
  readonly threads?: SessionThreads;
  /**
   * The compiled engine with XLA's JIT: slower than the default at every batch measured (see
   * CompiledEngineOptions.jit). Not part of the run's config either; default false.
   */
  readonly jit?: boolean;
}

/** What {@link trainRun} returns; the caller disposes `model`. */
export interface TrainRunResult {
  /** The model after the last epoch trained (or restored, when the run was already complete). */
  readonly model: ImageClassifier;
  /** The run directory trained in: `options.runDir`. */
  readonly runDir: string;
  /** Every epoch's line so far, resumed sessions' included: `metrics.jsonl`'s content. */
  readonly metrics: EpochMetrics[];
  /** Undefined when stopped early by `stopAfterEpochs`. */
  readonly final?: FinalSummary;
}

/** The train and test sets of `config`: loaded (or given), then subset as configured. */
export async function loadRunData(
  config: RunConfig,
  data?: { readonly train: ImageDataset; readonly test: ImageDataset },
  cifar: CifarLocation = {},
): Promise<{ train: ImageDataset; test: ImageDataset }> {
  let train: ImageDataset;
  let test: ImageDataset;
  if (data !== undefined) {
    ({ train, test } = data);
  } else if (config.dataset === "cifar10" || config.dataset === "cifar100") {
    [train, test] = await Promise.all([
      loadCifar(config.dataset, "train", cifar),
      loadCifar(config.dataset, "test", cifar),
    ]);
  } else {
    throw new Error(`config.dataset "${config.dataset}" is not loadable: pass options.data`);
  }
  for (const [split, d] of [["train", train], ["test", test]] as const) {
    if (d.numClasses !== config.numClasses) {
      throw new Error(
        `${split} data ${d.name} has ${d.numClasses} classes, config.numClasses is ${config.numClasses}`,
      );
    }
  }
  if (config.trainPerClass !== null) {
    train = balancedSubset(train, config.trainPerClass, Random.derive(config.seed, "train-subset"));
  }
  if (config.testPerClass !== null) {
    test = balancedSubset(test, config.testPerClass, Random.derive(config.seed, "test-subset"));
  }
  return { train, test };
}

/** Names of the model's variables in a checkpoint. */
function modelEntries(model: ImageClassifier): [string, Variable][] {
  return [...model.parameters.all()].map(([name, v]) => [`model/${name}`, v]);
}

/**
 * Assigns a checkpoint's `model/…` tensors to `model`'s variables (same architecture); `label`
 * names the checkpoint in errors.
 */
export function assignModelWeights(
  model: ImageClassifier,
  tensors: ReadonlyMap<string, StoredTensor>,
  label: string,
): void {
  for (const [name, v] of modelEntries(model)) {
    const saved = tensors.get(name);
    if (saved === undefined) throw new Error(`${label}: no tensor "${name}" for ${model.name}`);
    if (saved.shape.join() !== v.shape.join()) {
      throw new Error(
        `${label}: "${name}" has shape [${saved.shape}], ${model.name} needs [${v.shape}]`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(saved.values, v.shape, "float32")));
  }
}

/**
 * The trained model of the complete run `config` in `runDir` (checkpoint verified against the
 * config's hash), or undefined when the run is not complete. The caller disposes the model.
 */
export async function loadFinishedRun(
  config: RunConfig,
  runDir: string,
): Promise<{ model: ImageClassifier; final: FinalSummary; metrics: EpochMetrics[] } | undefined> {
  const files = await readRunFiles(runDir, configHash(config));
  if (files.final === undefined || files.tensors === undefined) return undefined;
  const model = createModel(config.model, config.seed);
  try {
    assignModelWeights(model, files.tensors, join(runDir, RUN_FILES.checkpoint));
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, final: files.final, metrics: files.metrics };
}

/** The checkpoint's tensors: the model's variables and the optimizer's buffers. */
function checkpointTensors(
  model: ImageClassifier,
  engine: TrainEngine,
): Map<string, StoredTensor> {
  const tensors = snapshotTensors(modelEntries(model));
  for (const [name, values] of engine.optimizerState()) tensors.set(`sgd/${name}`, values);
  return tensors;
}

/**
 * Trains `config` in `options.runDir`, resuming from its checkpoint if there is one; returns the
 * model at the end (or at `stopAfterEpochs`). Refuses a directory that holds another config, or
 * one another live process is training (its lock).
 */
export async function trainRun(
  config: RunConfig,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  validateRunConfig(config);
  const dir = await RunDirectory.open(options.runDir, config, {
    ...options.runDirectory,
    retrainCorrupt: options.retrainCorrupt,
  });
  try {
    return await trainIn(dir, options);
  } finally {
    await dir.close();
  }
}

/** The loop proper, in an opened (locked) run directory. */
async function trainIn(dir: RunDirectory, options: TrainRunOptions): Promise<TrainRunResult> {
  const { config } = dir;
  const restored = await dir.restore();
  const { train, test } = await loadRunData(config, options.data, options.cifar);
  const model = createModel(config.model, config.seed);
  let engine: TrainEngine;
  try {
    engine = createTrainEngine(model, {
      momentum: config.momentum,
      nesterov: config.nesterov,
      weightDecay: config.weightDecay,
    }, {
      engine: options.engine,
      threads: options.threads,
      batchSize: config.batchSize,
      jit: options.jit,
      imageShape: [train.height, train.width, train.channels],
      mixLayer: config.augmentation.kind === "feature-cutmix"
        ? config.augmentation.layer
        : undefined,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  try {
    const done = restored.epochsDone >= config.epochs && restored.final !== undefined;
    if (restored.tensors !== undefined) {
      assignModelWeights(model, restored.tensors, join(dir.path, RUN_FILES.checkpoint));
      engine.loadFromModel();
      // A finished run needs no momentum (one restored from its record has none).
      if (!done) {
        engine.loadOptimizerState(
          new Map(
            [...restored.tensors].filter(([k]) => k.startsWith("sgd/")).map((
              [k, v],
            ) => [k.slice(4), v]),
          ),
        );
      }
    }
    const metrics = [...restored.metrics];
    if (done) return { model, runDir: dir.path, metrics, final: restored.final };
    const stopAt = Math.min(config.epochs, options.stopAfterEpochs ?? config.epochs);
    // The one place the loop gets its train step from.
    const trainStep: TrainStep = (batch, lr, rng) => engine.step(batch, lr, rng);
    const trainEpoch = epochTrainer(config, train, trainStep, stopAt, options.onProgress);
    let lastEvaluation: Evaluation | undefined;
    for (let epoch = restored.epochsDone; epoch < stopAt; epoch++) {
      const started = performance.now();
      const trained = trainEpoch(epoch);
      const done = epoch + 1;
      const evaluate = done % config.evalEvery === 0 || done === config.epochs;
      const checkpoint = done % config.checkpointEvery === 0 || done === config.epochs ||
        done === stopAt;
      // Checkpoints and the model returned read the model's tfjs variables; evaluation runs on
      // the engine's own (engine.logits) when it has them.
      if (checkpoint || (evaluate && engine.logits === undefined)) engine.syncToModel();
      const evaluation = evaluate
        ? evaluateClassifier(model, test, config.evalBatchSize, engine.logits)
        : undefined;
      if (evaluation) lastEvaluation = evaluation;
      const line: EpochMetrics = {
        epoch: done,
        trainLoss: trained.trainLoss,
        testLoss: evaluation?.loss ?? null,
        testTop1Error: evaluation?.top1Error ?? null,
        testTop5Error: evaluation?.top5Error ?? null,
        lr: trained.lr,
        imagesPerSecond: trained.imagesPerSecond,
        seconds: (performance.now() - started) / 1000,
      };
      metrics.push(line);
      await dir.writeMetrics(metrics);
      if (checkpoint) {
        await dir.writeCheckpoint(done, checkpointTensors(model, engine));
      }
      options.onEpoch?.(line);
    }
    if (stopAt < config.epochs) return { model, runDir: dir.path, metrics };
    const final: FinalSummary = {
      configHash: dir.hash,
      model: model.name,
      parameterCount: model.parameterCount(),
      epochs: config.epochs,
      trainImages: datasetSize(train),
      testImages: datasetSize(test),
      test: lastEvaluation ??
        evaluateClassifier(model, test, config.evalBatchSize, engine.logits),
      train: evaluateClassifier(model, train, config.evalBatchSize, engine.logits),
      trainSeconds: metrics.reduce((s, m) => s + m.seconds, 0),
      backend: tf.getBackend(),
      finishedAt: new Date().toISOString(),
    };
    await dir.writeFinal(final);
    return { model, runDir: dir.path, metrics, final };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    engine.dispose();
  }
}

/**
 * Returns `epoch => { trainLoss, lr, imagesPerSecond }`, which trains one epoch of `train` with
 * `trainStep` (baseline crop/flip, batch augmentation, step at the scheduled rate) and reports
 * every step to `onProgress`; throughput and ETA count every epoch this session trained.
 */
function epochTrainer(
  config: RunConfig,
  train: ImageDataset,
  trainStep: TrainStep,
  stopAt: number,
  onProgress?: (progress: TrainProgress) => void,
): (epoch: number) => { trainLoss: number; lr: number; imagesPerSecond: number } {
  const augmentation = createBatchAugmentation(config.augmentation);
  const n = datasetSize(train);
  const stepsPerEpoch = numBatches(n, config.batchSize);
  let sessionImages = 0;
  let sessionTrainMs = 0;
  return (epoch) => {
    let epochTrainMs = 0;
    let lossSum = 0;
    let seen = 0;
    let lr = config.lr;
    let step = 0;
    const batches = trainBatches(train, {
      batchSize: config.batchSize,
      seed: config.seed,
      epoch,
      augment: config.baselineAugment,
    });
    for (const batch of batches) {
      const stepStart = performance.now();
      lr = learningRate(config.schedule, config.lr, {
        epoch,
        step,
        stepsPerEpoch,
        epochs: config.epochs,
      });
      const size = batch.labels.shape[0];
      let lossValue: number;
      try {
        const augmented = augmentation.apply(batch.imagesNHWC, batch.labels, {
          rng: Random.derive(config.seed, "mix", epoch, step),
          trainingProgress: (epoch * stepsPerEpoch + step) / (config.epochs * stepsPerEpoch),
        });
        try {
          lossValue = trainStep(augmented, lr, Random.derive(config.seed, "model", epoch, step));
        } finally {
          tf.dispose([augmented.imagesNHWC, augmented.targets]);
        }
      } finally {
        tf.dispose([batch.imagesNHWC, batch.labels]);
      }
      if (!Number.isFinite(lossValue)) {
        throw new Error(
          `training diverged: loss ${lossValue} at epoch ${epoch + 1}, step ${step + 1}`,
        );
      }
      lossSum += lossValue * size;
      seen += size;
      step++;
      const stepMs = performance.now() - stepStart;
      epochTrainMs += stepMs;
      sessionTrainMs += stepMs;
      sessionImages += size;
      const imagesPerSecond = sessionImages / (sessionTrainMs / 1000);
      const remainingImages = (stopAt - epoch - 1) * n + (n - seen);
      onProgress?.({
        epoch,
        epochs: config.epochs,
        step,
        stepsPerEpoch,
        loss: lossSum / seen,
        lr,
        imagesPerSecond,
        etaSeconds: remainingImages / imagesPerSecond,
      });
    }
    return { trainLoss: lossSum / seen, lr, imagesPerSecond: seen / (epochTrainMs / 1000) };
  };
}
