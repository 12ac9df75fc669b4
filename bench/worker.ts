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
import { compileClassifier } from "../lib/models/compiled.ts";
import { CompiledTrainEngine } from "../lib/training/compiled.ts";
import { createTrainEngine, type TrainEngine } from "../lib/training/engine.ts";
import { summarizeByOp } from "../lib/tf_capi/step_stats.ts";
import { trainEngineFromEnv } from "../tools/engine_env.ts";
import type { Engine, GemmJob, GemmResult, Job, JobResult } from "./_job.ts";
import { modelFlops } from "./flops.ts";
import { median } from "./stats.ts";
import { timedRuns } from "./worker_io.ts";

/** The paper's optimizer (clovaai/CutMix-PyTorch): SGD, momentum 0.9, Nesterov, wd 1e-4. */
const SGD_OPTIONS = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 } as const;
const LEARNING_RATE = 0.1;

/**
 * The compiled engine's session threads (the process's `TF_NUM_*_THREADS`, as for tfjs-node) and
 * XLA (`CUTMIX_JIT`), as the entry points read them.
 */
const { threads: THREADS, jit: JIT } = trainEngineFromEnv();
const IMAGE_SHAPE = [32, 32, 3] as const;

/**
 * lib's training engine of kind `engine` (lib/training/engine.ts) for steps at `batch`, as a run
 * at that batch makes it; the caller disposes it.
 */
function libTrainEngine(model: ImageClassifier, engine: Engine, batch: number): TrainEngine {
  const made = createTrainEngine(model, SGD_OPTIONS, {
    engine,
    imageShape: IMAGE_SHAPE,
    threads: THREADS,
    batchSize: batch,
    jit: JIT,
  });
  if (made.kind !== engine) throw new Error(`engine "${engine}" fell back: ${made.fallbackReason}`);
  return made;
}

/** lib's evaluation-mode forward for `engine`; returns one logit (read back: the work is done). */
function libInferStep(
  model: ImageClassifier,
  engine: Engine,
): { infer: (images: Tensor4D) => number; dispose: () => void } {
  if (engine === "compiled") {
    const compiled = compileClassifier(model, { imageShape: IMAGE_SHAPE, threads: THREADS });
    return {
      infer: (images) => {
        const logits = compiled.logits(images);
        const first = logits.dataSync()[0];
        logits.dispose();
        return first;
      },
      dispose: () => compiled.dispose(),
    };
  }
  return {
    infer: (images) => {
      const { logits, featuresNHWC } = model.forward(images, { training: false });
      const first = logits.dataSync()[0];
      tf.dispose([logits, featuresNHWC]);
      return first;
    },
    dispose: () => {},
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
  const { images, targets } = randomBatch(job.batch, rng);
  const stepRng = rng.fork();
  let step: () => number;
  let release: () => void;
  let profileStep: (() => { kernel: string; calls: number; ms: number }[]) | undefined;
  if (job.task === "infer") {
    const { infer, dispose } = libInferStep(model, engine);
    step = () => infer(images);
    release = dispose;
  } else {
    const train = libTrainEngine(model, engine, job.batch);
    step = () => train.step({ imagesNHWC: images, targets }, LEARNING_RATE, stepRng);
    release = () => train.dispose();
    if (train instanceof CompiledTrainEngine) {
      // One graph run: TensorFlow's own per-node timings, by op type (tf.profile sees one call).
      profileStep = () => {
        const { nodes } = train.traceStep({ imagesNHWC: images, targets }, LEARNING_RATE, stepRng);
        return summarizeByOp(nodes).map((o) => ({
          kernel: o.op,
          calls: o.nodes,
          ms: o.micros / 1000,
        }));
      };
    }
  }
  let peakRss = 0;
  /** Reads RSS once, keeps the peak, returns the reading. */
  const sampleRss = () => {
    const rss = Deno.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    return rss;
  };
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
  if (job.task === "profile" && profileStep !== undefined) {
    result.profile = profileStep();
    result.kernelCalls = result.profile.reduce((sum, k) => sum + k.calls, 0);
  } else if (job.task === "profile") {
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
  result.rssAfterRunsBytes = [];
  const { imagesPerSecondRuns, cpuMsPerImageRuns, msRuns } = await timedRuns(job, step, () => {
    result.numTensorsAfterRuns.push(tf.memory().numTensors);
    result.rssAfterRunsBytes!.push(sampleRss());
  });
  result.imagesPerSecondRuns = imagesPerSecondRuns;
  result.cpuMsPerImageRuns = cpuMsPerImageRuns;
  result.imagesPerSecond = median(result.imagesPerSecondRuns);
  result.msPerStep = median(msRuns);
  result.peakRssBytes = peakRss;
  result.tfNumBytes = tf.memory().numBytes;
  tf.dispose([images, targets]);
  release();
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
