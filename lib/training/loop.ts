/**
 * The training loop: one {@link RunConfig} → a trained model in a run directory.
 *
 * A run directory holds
 * - `config.json` — the resolved config (a directory never trains a different config);
 * - `checkpoint.bin` — model variables (trainable and batch-norm buffers), SGD momentum buffers
 *   and `{ epochsDone }`, written atomically after every `checkpointEvery` epochs and the last;
 * - `metrics.jsonl` — one {@link EpochMetrics} JSON object per line, per epoch;
 * - `final.json` — the {@link FinalSummary}, written when the last epoch is done;
 * - `lock` — present while a process trains it ({@link acquireRunLock}).
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
import type { Tensor, Variable } from "@tensorflow/tfjs-core";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { createBatchAugmentation } from "../augment/config.ts";
import type { AugmentedBatch } from "../augment/types.ts";
import { type CifarLocation, loadCifar } from "../data/cifar.ts";
import { datasetSize, type ImageDataset } from "../data/dataset.ts";
import { numBatches, trainBatches } from "../data/pipeline.ts";
import { balancedSubset } from "../data/subset.ts";
import { createModel } from "../models/mod.ts";
import type { ImageClassifier } from "../models/model.ts";
import { Random } from "../random.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { readCheckpoint, snapshotTensors, writeCheckpoint } from "./checkpoint.ts";
import { canonicalJson, configHash, type RunConfig, validateRunConfig } from "./config.ts";
import { evaluateClassifier, type Evaluation } from "./evaluate.ts";
import { softTargetCrossEntropy } from "./loss.ts";
import { SGD } from "./optimizer.ts";
import { learningRate } from "./schedule.ts";

/** File names inside a run directory. */
export const RUN_FILES = Object.freeze({
  config: "config.json",
  checkpoint: "checkpoint.bin",
  metrics: "metrics.jsonl",
  final: "final.json",
});

/** One line of `metrics.jsonl`. */
export interface EpochMetrics {
  /** Epochs completed (1 for the first). */
  readonly epoch: number;
  /** Mean training loss over the epoch's images (against the augmented soft targets). */
  readonly trainLoss: number;
  /** Test cross-entropy, top-1 and top-5 error ∈ [0, 1]; null in epochs without evaluation. */
  readonly testLoss: number | null;
  readonly testTop1Error: number | null;
  readonly testTop5Error: number | null;
  /** The learning rate of the epoch's last step. */
  readonly lr: number;
  /** Training throughput over the epoch (excludes evaluation). */
  readonly imagesPerSecond: number;
  /** Wall-clock seconds of the epoch, evaluation included. */
  readonly seconds: number;
}

/** `final.json`. */
export interface FinalSummary {
  readonly configHash: string;
  readonly model: string;
  readonly parameterCount: number;
  readonly epochs: number;
  readonly trainImages: number;
  readonly testImages: number;
  /** Test metrics after the last epoch. */
  readonly test: Evaluation;
  /** Sum of the epochs' wall-clock seconds (over all sessions that trained this run). */
  readonly trainSeconds: number;
  /** The TensorFlow.js backend that trained it. */
  readonly backend: string;
  /** ISO time the run finished. */
  readonly finishedAt: string;
}

/** What the loop reports while it trains (every step). */
export interface TrainProgress {
  /** 0-based index of the current epoch. */
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done in this epoch. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Mean training loss of this epoch so far. */
  readonly loss: number;
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
}

/** What {@link trainRun} returns; the caller disposes `model`. */
export interface TrainRunResult {
  readonly model: ImageClassifier;
  readonly runDir: string;
  readonly metrics: EpochMetrics[];
  /** Undefined when stopped early by `stopAfterEpochs`. */
  readonly final?: FinalSummary;
}

interface CheckpointMeta {
  readonly configHash: string;
  readonly epochsDone: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
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

/** One optimisation step on an augmented batch; returns the batch's mean loss. */
export type TrainStep = (batch: AugmentedBatch, lr: number, rng: Random) => number;

/**
 * The training step: forward in training mode (feature-level mixing and ShakeDrop inside the
 * model, drawing from `rng`), soft-target cross-entropy, gradients of every trainable variable,
 * one SGD update at rate `lr`. Leaves no tensors behind; does not dispose `batch`.
 *
 * @example
 * ```ts
 * import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel } from "../models/mod.ts";
 * import { Random } from "../random.ts";
 * import { createTrainStep } from "./loop.ts";
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

/** Names of the model's variables in a checkpoint. */
function modelEntries(model: ImageClassifier): [string, Variable][] {
  return [...model.parameters.all()].map(([name, v]) => [`model/${name}`, v]);
}

/** Loads the model variables of a run's checkpoint into `model` (same architecture). */
export async function loadModelWeights(
  model: ImageClassifier,
  checkpointPath: string,
): Promise<number> {
  const { meta, tensors } = await readCheckpoint<CheckpointMeta>(checkpointPath);
  for (const [name, v] of modelEntries(model)) {
    const saved = tensors.get(name);
    if (saved === undefined) {
      throw new Error(`${checkpointPath}: no tensor "${name}" for ${model.name}`);
    }
    if (saved.shape.join() !== v.shape.join()) {
      throw new Error(
        `${checkpointPath}: "${name}" has shape [${saved.shape}], ${model.name} needs [${v.shape}]`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(saved.values, v.shape, "float32")));
  }
  return meta.epochsDone;
}

async function readMetrics(path: string): Promise<EpochMetrics[]> {
  if (!(await exists(path))) return [];
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l.trim() !== "").map((l) =>
    JSON.parse(l) as EpochMetrics
  );
}

async function writeMetrics(path: string, metrics: readonly EpochMetrics[]): Promise<void> {
  await writeFileAtomic(path, metrics.map((m) => JSON.stringify(m) + "\n").join(""));
}

/**
 * Trains `config` in `options.runDir`, resuming from its checkpoint if there is one; returns the
 * model at the end (or at `stopAfterEpochs`). Refuses a directory that holds another config.
 */
export async function trainRun(
  config: RunConfig,
  options: TrainRunOptions,
): Promise<TrainRunResult> {
  validateRunConfig(config);
  await Deno.mkdir(options.runDir, { recursive: true });
  const release = await acquireRunLock(options.runDir);
  try {
    return await trainLocked(config, options);
  } finally {
    await release();
  }
}

/**
 * Takes `<runDir>/lock` for this process, so two processes (two notebooks, a notebook and the
 * CLI) never train the same run at once. A lock left by a process that no longer runs on this
 * machine (checked through /proc on Linux) is taken over; elsewhere a leftover lock must be
 * deleted by hand. Returns the release function.
 */
export async function acquireRunLock(runDir: string): Promise<() => Promise<void>> {
  const path = join(runDir, "lock");
  const me = { pid: Deno.pid, host: Deno.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(me), { createNew: true });
      return async () => {
        await Deno.remove(path).catch(() => {});
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    let holder: { pid?: number; host?: string; since?: string } = {};
    try {
      holder = JSON.parse(await Deno.readTextFile(path));
    } catch {
      // Unreadable or half-written: treat as stale.
    }
    // Liveness is checkable only for a process of this machine, on Linux; otherwise assume alive.
    const checkable = holder.host === me.host && Deno.build.os === "linux";
    const alive = holder.pid !== undefined && (!checkable || await exists(`/proc/${holder.pid}`));
    if (alive) {
      throw new Error(
        `${runDir} is being trained by process ${holder.pid} on ${holder.host} since ` +
          `${holder.since}; if that process is gone, delete ${path}`,
      );
    }
    await Deno.remove(path).catch(() => {});
  }
  throw new Error(`could not take the lock ${path}`);
}

async function trainLocked(config: RunConfig, options: TrainRunOptions): Promise<TrainRunResult> {
  const hash = configHash(config);
  const { runDir } = options;
  const configPath = join(runDir, RUN_FILES.config);
  if (await exists(configPath)) {
    const stored = JSON.parse(await Deno.readTextFile(configPath));
    if (canonicalJson(stored) !== canonicalJson(config)) {
      throw new Error(`${runDir} holds a different run's config.json; use another runDir`);
    }
  } else {
    await writeFileAtomic(configPath, JSON.stringify(config, null, 2) + "\n");
  }
  const { train, test } = await loadRunData(config, options.data, options.cifar);
  const model = createModel(config.model, config.seed);
  const sgd = new SGD(model.parameters.trainable, {
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
  });
  const trainStep = createTrainStep(model, sgd);
  try {
    let epochsDone = 0;
    const checkpointPath = join(runDir, RUN_FILES.checkpoint);
    const metricsPath = join(runDir, RUN_FILES.metrics);
    let metrics: EpochMetrics[] = [];
    if (await exists(checkpointPath)) {
      epochsDone = await loadModelWeights(model, checkpointPath);
      const { tensors } = await readCheckpoint<CheckpointMeta>(checkpointPath);
      sgd.loadState(
        new Map(
          [...tensors].filter(([k]) => k.startsWith("sgd/")).map(([k, v]) => [k.slice(4), v]),
        ),
      );
      // Lines written after the checkpoint belong to epochs that will be trained again.
      metrics = (await readMetrics(metricsPath)).filter((m) => m.epoch <= epochsDone);
      await writeMetrics(metricsPath, metrics);
    }
    const finalPath = join(runDir, RUN_FILES.final);
    if (epochsDone >= config.epochs && await exists(finalPath)) {
      const final = JSON.parse(await Deno.readTextFile(finalPath)) as FinalSummary;
      return { model, runDir, metrics, final };
    }

    const augmentation = createBatchAugmentation(config.augmentation);
    const n = datasetSize(train);
    const stepsPerEpoch = numBatches(n, config.batchSize);
    const stopAt = Math.min(config.epochs, options.stopAfterEpochs ?? config.epochs);
    let sessionImages = 0;
    let sessionTrainMs = 0;
    let lastEvaluation: Evaluation | undefined;

    for (let epoch = epochsDone; epoch < stopAt; epoch++) {
      const epochStart = performance.now();
      let epochTrainMs = 0;
      let lossSum = 0;
      let seen = 0;
      let lr = config.lr;
      let step = 0;
      for (
        const batch of trainBatches(train, {
          batchSize: config.batchSize,
          seed: config.seed,
          epoch,
          augment: config.baselineAugment,
        })
      ) {
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
        options.onProgress?.({
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
      const done = epoch + 1;
      const evaluate = done % config.evalEvery === 0 || done === config.epochs;
      const evaluation = evaluate
        ? evaluateClassifier(model, test, config.evalBatchSize)
        : undefined;
      if (evaluation) lastEvaluation = evaluation;
      const line: EpochMetrics = {
        epoch: done,
        trainLoss: lossSum / seen,
        testLoss: evaluation?.loss ?? null,
        testTop1Error: evaluation?.top1Error ?? null,
        testTop5Error: evaluation?.top5Error ?? null,
        lr,
        imagesPerSecond: seen / (epochTrainMs / 1000),
        seconds: (performance.now() - epochStart) / 1000,
      };
      metrics.push(line);
      await writeMetrics(metricsPath, metrics);
      if (done % config.checkpointEvery === 0 || done === config.epochs || done === stopAt) {
        const meta: CheckpointMeta = { configHash: hash, epochsDone: done };
        const tensors = snapshotTensors(modelEntries(model));
        for (const [name, values] of sgd.state()) tensors.set(`sgd/${name}`, values);
        await writeCheckpoint(checkpointPath, meta, tensors);
      }
      options.onEpoch?.(line);
      epochsDone = done;
    }
    if (epochsDone < config.epochs) return { model, runDir, metrics };
    const final: FinalSummary = {
      configHash: hash,
      model: model.name,
      parameterCount: model.parameterCount(),
      epochs: config.epochs,
      trainImages: n,
      testImages: datasetSize(test),
      test: lastEvaluation ?? evaluateClassifier(model, test, config.evalBatchSize),
      trainSeconds: metrics.reduce((s, m) => s + m.seconds, 0),
      backend: tf.getBackend(),
      finishedAt: new Date().toISOString(),
    };
    await writeFileAtomic(finalPath, JSON.stringify(final, null, 2) + "\n");
    return { model, runDir, metrics, final };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    sgd.dispose();
  }
}
