/**
 * One measurement of `deno task bench`, in its own process so each starts from the same state
 * (fresh TensorFlow, no kernels registered by another variant, its own peak memory):
 *
 *   [CUTMIX_FUSED_KERNELS=0] [TF_ENABLE_ONEDNN_OPTS=0] deno run -A bench/worker.ts '<json Job>'
 *
 * Prints one line `RESULT <json>` with the timings. bench/bench.ts runs it; it is not meant to be
 * run by hand except when investigating a single figure.
 * @module
 */
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { backendInfo, tf } from "./_backend.ts";
import { createModel, type ImageClassifier, parseModelName } from "../lib/models/mod.ts";
import { fusedKernelsActive } from "../lib/native_kernels.ts";
import { Random } from "../lib/random.ts";
import { createTrainStep } from "../lib/training/loop.ts";
import { SGD } from "../lib/training/optimizer.ts";
import { median } from "./stats.ts";
import { timedRuns } from "./worker_io.ts";

/** What one worker process measures. */
export interface Job {
  /** `train`: SGD steps; `infer`: forward passes in evaluation mode; `profile`: one step under tf.profile. */
  task: "train" | "infer" | "profile";
  /** A lib/models name, e.g. "resnet20" or "pyramidnet110-a64". */
  model: string;
  batch: number;
  /** Timed runs; the figure is their median. */
  runs: number;
  /** Steps per timed run. */
  stepsPerRun: number;
  /** Untimed steps first (graph caches, oneDNN primitive caches, allocator). */
  warmupSteps: number;
  /**
   * Paired mode: after warm-up print `READY`, then do one timed run per `run` line on stdin and
   * print `RUN <images/s> <CPU ms/image>`; at end of input print the RESULT line (`runs` ignored).
   */
  serve?: boolean;
}

/** What the worker reports. */
export interface JobResult {
  job: Job;
  /** Whether lib ran TensorFlow's fused kernels (lib/native_kernels.ts) or the plain compositions. */
  fusedKernels: boolean;
  /** `backendInfo.oneDnn`: the oneDNN setting `useBackend` applied (true, false or "auto"). */
  oneDnn?: boolean | "auto";
  /** `backendInfo.oneDnnEnabled`. */
  oneDnnEnabled?: boolean;
  /** `backendInfo.cacheOneDnnPrimitives`: whether oneDNN's conv-gradient primitives were cached. */
  cacheOneDnnPrimitives?: boolean;
  backend: string;
  parameterCount: number;
  /** Images per second of each timed run. */
  imagesPerSecondRuns: number[];
  /** Median of `imagesPerSecondRuns`. */
  imagesPerSecond: number;
  /** Median milliseconds per step (or per forward pass). */
  msPerStep: number;
  /** Process CPU milliseconds (user + system, all threads) per image of each timed run. */
  cpuMsPerImageRuns: number[];
  /** tf.memory().numTensors after each timed run: must not grow. */
  numTensorsAfterRuns: number[];
  /** Largest Deno.memoryUsage().rss seen after a step, bytes. */
  peakRssBytes: number;
  /** tf.memory().numBytes after the last run (tensors tfjs tracks; native buffers). */
  tfNumBytes: number;
  /** For `profile`: kernel calls and kernel milliseconds by kernel name, biggest first. */
  profile?: { kernel: string; calls: number; ms: number }[];
  /** For `profile`: total kernel calls in one step. */
  kernelCalls?: number;
}

/** The paper's optimizer (clovaai/CutMix-PyTorch): SGD, momentum 0.9, Nesterov, wd 1e-4. */
const SGD_OPTIONS = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 } as const;
const LEARNING_RATE = 0.1;

function randomBatch(batch: number, rng: Random): { images: Tensor4D; targets: Tensor2D } {
  return tf.tidy(() => ({
    images: tf.randomUniform([batch, 32, 32, 3], 0, 1, "float32", rng.tensorSeed()) as Tensor4D,
    targets: tf.softmax(
      tf.randomNormal([batch, 10], 0, 2, "float32", rng.tensorSeed()),
    ) as Tensor2D,
  }));
}

function inferStep(model: ImageClassifier, images: Tensor4D): number {
  const { logits, featuresNHWC } = model.forward(images, { training: false });
  const first = logits.dataSync()[0];
  tf.dispose([logits, featuresNHWC]);
  return first;
}

/** Runs `job` in this process. */
export async function runJob(job: Job): Promise<JobResult> {
  const rng = new Random(`bench/${job.model}/${job.batch}`);
  const model = createModel(parseModelName(job.model), rng.fork());
  // lib/training's own step: forward, soft-target CE, variableGrads, SGD update, loss read back.
  const sgd = new SGD(model.parameters.trainable, SGD_OPTIONS);
  const trainStep = createTrainStep(model, sgd);
  const { images, targets } = randomBatch(job.batch, rng);
  const stepRng = rng.fork();
  const step = job.task === "infer"
    ? () => inferStep(model, images)
    : () => trainStep({ imagesNHWC: images, targets }, LEARNING_RATE, stepRng);
  let peakRss = 0;
  const sampleRss = () => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss));
  for (let i = 0; i < job.warmupSteps; i++) {
    const loss = step();
    if (!Number.isFinite(loss)) throw new Error(`warm-up step ${i}: non-finite output ${loss}`);
    sampleRss();
  }
  const result: JobResult = {
    job,
    fusedKernels: fusedKernelsActive(),
    oneDnn: backendInfo.oneDnn,
    oneDnnEnabled: backendInfo.oneDnnEnabled,
    cacheOneDnnPrimitives: backendInfo.cacheOneDnnPrimitives,
    backend: backendInfo.name,
    parameterCount: model.parameterCount(),
    imagesPerSecondRuns: [],
    imagesPerSecond: 0,
    msPerStep: 0,
    cpuMsPerImageRuns: [],
    numTensorsAfterRuns: [],
    peakRssBytes: 0,
    tfNumBytes: 0,
  };
  if (job.task === "profile") {
    const info = await tf.profile(() => {
      step();
    });
    const byKernel = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const entry = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      byKernel.set(k.name, entry);
    }
    result.profile = [...byKernel].map(([kernel, v]) => ({ kernel, ...v }))
      .sort((a, b) => b.ms - a.ms);
    result.kernelCalls = info.kernels.length;
  }
  const { imagesPerSecondRuns, cpuMsPerImageRuns, msRuns } = await timedRuns(job, step, () => {
    result.numTensorsAfterRuns.push(tf.memory().numTensors);
    sampleRss();
  });
  result.imagesPerSecondRuns = imagesPerSecondRuns;
  result.cpuMsPerImageRuns = cpuMsPerImageRuns;
  result.imagesPerSecond = median(result.imagesPerSecondRuns);
  result.msPerStep = median(msRuns);
  result.peakRssBytes = peakRss;
  result.tfNumBytes = tf.memory().numBytes;
  tf.dispose([images, targets]);
  sgd.dispose();
  model.dispose();
  return result;
}

if (import.meta.main) {
  const job = JSON.parse(Deno.args[0] ?? "") as Job;
  const result = await runJob(job);
  console.log(`RESULT ${JSON.stringify(result)}`);
}
