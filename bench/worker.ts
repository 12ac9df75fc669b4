/**
 * One measurement of `deno task bench` with lib, in its own process so each starts from the same
 * state (fresh TensorFlow, no kernels registered by another variant, its own peak memory):
 *
 *   [CUTMIX_FUSED_KERNELS=0] [TF_NUM_INTRAOP_THREADS=1] deno run -A bench/worker.ts '<json Job>'
 *
 * Speaks the protocol of bench/_job.ts (a `Job` or a `GemmJob` in, one `RESULT` or `FAILED` line
 * out). bench/bench.ts runs it; it is not meant to be run by hand except when investigating a
 * single figure.
 * @module
 */
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { backendInfo, tf } from "./_backend.ts";
import { createModel, type ImageClassifier, parseModelName } from "../lib/models/mod.ts";
import { fusedKernelsActive } from "../lib/native_kernels.ts";
import { Random } from "../lib/random.ts";
import { createTrainStep, type TrainStep } from "../lib/training/loop.ts";
import { SGD } from "../lib/training/optimizer.ts";
import type { Engine, GemmJob, GemmResult, Job, JobResult } from "./_job.ts";
import { modelFlops } from "./flops.ts";
import { median } from "./stats.ts";
import { timedRuns } from "./worker_io.ts";

/** The paper's optimizer (clovaai/CutMix-PyTorch): SGD, momentum 0.9, Nesterov, wd 1e-4. */
const SGD_OPTIONS = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 } as const;
const LEARNING_RATE = 0.1;

/** Why `engine` cannot run here yet (undefined when it can). */
function missingEngine(engine: Engine): string | undefined {
  return engine === "compiled"
    ? 'engine "compiled": lib exports no compiled engine yet (the graph-spike variant, ' +
      "bench/experiments/graph_step_capi.ts, stands in for its training step)"
    : undefined;
}

/**
 * lib's training step for `engine`. The compiled engine is not in lib yet; until it is,
 * bench/experiments/graph_step_capi.ts (the bench's `graph-spike` variant) stands in for it.
 */
function libTrainStep(model: ImageClassifier, sgd: SGD, engine: Engine): TrainStep {
  const missing = missingEngine(engine);
  if (missing !== undefined) throw new Error(missing);
  return createTrainStep(model, sgd);
}

/** lib's evaluation-mode forward for `engine`; returns one logit (read back: the work is done). */
function libInferStep(model: ImageClassifier, engine: Engine): (images: Tensor4D) => number {
  const missing = missingEngine(engine);
  if (missing !== undefined) throw new Error(missing);
  return (images) => {
    const { logits, featuresNHWC } = model.forward(images, { training: false });
    const first = logits.dataSync()[0];
    tf.dispose([logits, featuresNHWC]);
    return first;
  };
}

function randomBatch(batch: number, rng: Random): { images: Tensor4D; targets: Tensor2D } {
  return tf.tidy(() => ({
    images: tf.randomUniform([batch, 32, 32, 3], 0, 1, "float32", rng.tensorSeed()) as Tensor4D,
    targets: tf.softmax(
      tf.randomNormal([batch, 10], 0, 2, "float32", rng.tensorSeed()),
    ) as Tensor2D,
  }));
}

/** Runs `job` in this process. */
export async function runJob(job: Job): Promise<JobResult> {
  const rng = new Random(`bench/${job.model}/${job.batch}`);
  const spec = parseModelName(job.model);
  const model = createModel(spec, rng.fork());
  // The FLOP count of the bench's tables walks the architecture itself: it must see this model.
  const counted = modelFlops(spec).parameters;
  if (counted !== model.parameterCount()) {
    throw new Error(
      `bench/flops.ts counts ${counted} parameters for ${job.model}, lib builds ` +
        `${model.parameterCount()}: the FLOP count no longer follows lib/models`,
    );
  }
  const engine = job.engine ?? "eager";
  // lib/training's own step: forward, soft-target CE, gradients, SGD update, loss read back.
  const sgd = new SGD(model.parameters.trainable, SGD_OPTIONS);
  const { images, targets } = randomBatch(job.batch, rng);
  const stepRng = rng.fork();
  let step: () => number;
  if (job.task === "infer") {
    const infer = libInferStep(model, engine);
    step = () => infer(images);
  } else {
    const train = libTrainStep(model, sgd, engine);
    step = () => train({ imagesNHWC: images, targets }, LEARNING_RATE, stepRng);
  }
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
    engine,
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

/** `job.n`-square float32 products through tfjs-node's MatMul: lib's backend at its best. */
export function runGemm(job: GemmJob): GemmResult {
  const rng = new Random(`bench/gemm/${job.n}`);
  const a = tf.randomUniform([job.n, job.n], -1, 1, "float32", rng.tensorSeed());
  const b = tf.randomUniform([job.n, job.n], -1, 1, "float32", rng.tensorSeed());
  // tfjs-node runs TensorFlow eagerly and synchronously: each product has finished when matMul
  // returns; reading one back per run makes sure of it.
  const products = (count: number) => {
    for (let i = 0; i < count; i++) {
      const c = tf.matMul(a, b);
      if (i === count - 1) c.dataSync();
      c.dispose();
    }
  };
  products(job.warmupProducts);
  const gflopsRuns: number[] = [];
  for (let r = 0; r < job.runs; r++) {
    const start = performance.now();
    products(job.productsPerRun);
    const seconds = (performance.now() - start) / 1000 / job.productsPerRun;
    gflopsRuns.push((2 * job.n ** 3) / seconds / 1e9);
  }
  tf.dispose([a, b]);
  const intraOp = Number(Deno.env.get("TF_NUM_INTRAOP_THREADS"));
  return {
    job,
    framework: `tfjs-node (${backendInfo.name})`,
    threads: intraOp > 0 ? intraOp : navigator.hardwareConcurrency,
    gflopsRuns,
  };
}

if (import.meta.main) {
  const job = JSON.parse(Deno.args[0] ?? "") as Job | GemmJob;
  try {
    const result = job.task === "gemm" ? runGemm(job) : await runJob(job);
    console.log(`RESULT ${JSON.stringify(result)}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.log(`FAILED ${reason.replace(/\s+/g, " ")}`);
    Deno.exit(2);
  }
}
