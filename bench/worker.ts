/**
 * One measurement of `deno task bench`, in its own process so each starts from the same state
 * (fresh TensorFlow, no kernels registered by another variant, its own peak memory):
 *
 *   deno run -A [--import-map=bench/out/fused_import_map.json] bench/worker.ts '<json Job>'
 *
 * Prints one line `RESULT <json>` with the timings. bench/bench.ts runs it; it is not meant to be
 * run by hand except when investigating a single figure.
 * @module
 */
import type { Scalar, Tensor, Tensor2D, Tensor4D, Variable } from "@tensorflow/tfjs-node";
import { backendInfo, tf } from "../lib/backend.ts";
import * as layers from "../lib/models/layers.ts";
import { createModel, type ImageClassifier, parseModelName } from "../lib/models/mod.ts";
import { Random } from "../lib/random.ts";
import { median } from "./stats.ts";

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
}

/** What the worker reports. */
export interface JobResult {
  job: Job;
  /** Whether lib/models ran with bench/experiments/fused_layers.ts in place of layers.ts. */
  fusedLayers: boolean;
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

const WEIGHT_DECAY = 1e-4;
const MOMENTUM = 0.9;
const LEARNING_RATE = 0.1;

/** Mean soft-target cross-entropy, fused when the fused layers are active. */
function crossEntropy(logits: Tensor2D, targets: Tensor2D): Tensor {
  const fused = (layers as Record<string, unknown>).softmaxCrossEntropy as
    | ((l: Tensor2D, t: Tensor2D) => Tensor)
    | undefined;
  if (fused) return fused(logits, targets);
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1)));
}

/**
 * SGD with momentum and L2 weight decay exactly as `torch.optim.SGD(momentum=0.9,
 * weight_decay=1e-4)`: d = g + wd·w; b ← m·b + d; w ← w − lr·b.
 */
class Sgd {
  readonly #buffers: Variable[];
  readonly #wd = tf.scalar(WEIGHT_DECAY);
  readonly #m = tf.scalar(MOMENTUM);
  readonly #lr = tf.scalar(LEARNING_RATE);
  constructor(readonly variables: Variable[]) {
    this.#buffers = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  }
  apply(grads: Record<string, Tensor>): void {
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        const d = tf.add(grads[v.name], tf.mul(v, this.#wd));
        const b = tf.add(tf.mul(this.#buffers[i], this.#m), d);
        this.#buffers[i].assign(b);
        v.assign(tf.sub(v, tf.mul(b, this.#lr)));
      });
    });
  }
  dispose(): void {
    tf.dispose([...this.#buffers, this.#wd, this.#m, this.#lr]);
  }
}

function randomBatch(batch: number, rng: Random): { images: Tensor4D; targets: Tensor2D } {
  return tf.tidy(() => ({
    images: tf.randomUniform([batch, 32, 32, 3], 0, 1, "float32", rng.tensorSeed()) as Tensor4D,
    targets: tf.softmax(
      tf.randomNormal([batch, 10], 0, 2, "float32", rng.tensorSeed()),
    ) as Tensor2D,
  }));
}

function trainStep(
  model: ImageClassifier,
  sgd: Sgd,
  images: Tensor4D,
  targets: Tensor2D,
): number {
  const { value, grads } = tf.variableGrads(() => {
    const { logits, featuresNHWC } = model.forward(images, { training: true });
    featuresNHWC.dispose();
    return crossEntropy(logits, targets) as Scalar;
  }, sgd.variables);
  sgd.apply(grads);
  tf.dispose(grads);
  const loss = value.dataSync()[0]; // waits for the step to finish
  value.dispose();
  return loss;
}

function inferStep(model: ImageClassifier, images: Tensor4D): number {
  const { logits, featuresNHWC } = model.forward(images, { training: false });
  const first = logits.dataSync()[0];
  tf.dispose([logits, featuresNHWC]);
  return first;
}

/**
 * CPU time of this process so far, ms (utime + stime of /proc/self/stat, in clock ticks of
 * 10 ms); NaN where /proc is unavailable. Unlike wall time it barely moves when other processes
 * compete for the cores.
 */
export function processCpuMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // fields 14, 15 of proc(5)
  } catch {
    return NaN;
  }
}

/** Runs `job` in this process. */
export async function runJob(job: Job): Promise<JobResult> {
  const rng = new Random(`bench/${job.model}/${job.batch}`);
  const model = createModel(parseModelName(job.model), rng.fork());
  const variables = [...model.parameters.trainable.values()];
  const sgd = new Sgd(variables);
  const { images, targets } = randomBatch(job.batch, rng);
  const step = job.task === "infer"
    ? () => inferStep(model, images)
    : () => trainStep(model, sgd, images, targets);
  let peakRss = 0;
  const sampleRss = () => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss));
  for (let i = 0; i < job.warmupSteps; i++) {
    const loss = step();
    if (!Number.isFinite(loss)) throw new Error(`warm-up step ${i}: non-finite output ${loss}`);
    sampleRss();
  }
  const fusedLayers = (layers as Record<string, unknown>).FUSED_LAYERS === true;
  const result: JobResult = {
    job,
    fusedLayers,
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
  const msRuns: number[] = [];
  for (let r = 0; r < job.runs; r++) {
    const cpuStart = processCpuMs();
    const start = performance.now();
    for (let s = 0; s < job.stepsPerRun; s++) step();
    const ms = (performance.now() - start) / job.stepsPerRun;
    result.cpuMsPerImageRuns.push((processCpuMs() - cpuStart) / (job.stepsPerRun * job.batch));
    msRuns.push(ms);
    result.imagesPerSecondRuns.push((1000 * job.batch) / ms);
    result.numTensorsAfterRuns.push(tf.memory().numTensors);
    sampleRss();
  }
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
