/**
 * The protocol between `deno task bench` and its worker processes (bench/worker.ts for lib,
 * bench/pytorch_reference.py for PyTorch):
 * the parent passes a {@link Job} as JSON in the first argument; the worker prints one line
 * `RESULT <json JobResult>`, or `FAILED <reason>` and exits non-zero when it cannot do the job
 * (torch.compile without a working compiler, an engine lib does not have).
 *
 * Serve (paired) mode: after warm-up the worker prints `READY`, then does one timed run per `run`
 * line on standard input and answers `RUN <images/s> <CPU ms/image>`; at the end of input it
 * prints its RESULT line.
 * @module
 */

/** lib's training engines: the eager tfjs step, or the step as one compiled TensorFlow graph. */
export type Engine = "eager" | "compiled";

/** Every {@link Engine}, in the order the bench shows them. */
export const ENGINES: readonly Engine[] = ["eager", "compiled"];

/** How the PyTorch reference runs (PyTorch's own CPU advice is channels_last, then compile). */
export interface TorchConfig {
  /** `model.to(memory_format=torch.channels_last)` and the input in that layout. */
  readonly channelsLast: boolean;
  /** `torch.compile(model)` (inductor); the first step's wall time is reported apart. */
  readonly compile: boolean;
}

/** What one model worker process measures. */
export interface Job {
  /** `train`: SGD steps; `infer`: forward passes in evaluation mode; `profile`: one step under tf.profile. */
  readonly task: "train" | "infer" | "profile";
  /** A lib/models name, e.g. "resnet20" or "pyramidnet38-a64". */
  readonly model: string;
  readonly batch: number;
  /** Timed runs; the figure is their median (ignored in serve mode). */
  readonly runs: number;
  /** Steps per timed run. */
  readonly stepsPerRun: number;
  /** Untimed steps first (graph caches, oneDNN primitive caches, allocator, compilation). */
  readonly warmupSteps: number;
  /** Serve (paired) mode, see the module doc. */
  readonly serve?: boolean;
  /** lib workers: the training engine; absent means "eager". */
  readonly engine?: Engine;
  /** PyTorch workers: the configuration; absent means the default (NCHW, eager). */
  readonly torch?: TorchConfig;
}

/** A large-GEMM job: `n × n` by `n × n` float32 products, the machine's practical peak FLOP/s. */
export interface GemmJob {
  readonly task: "gemm";
  /** The matrices' side. */
  readonly n: number;
  readonly runs: number;
  /** Products per timed run. */
  readonly productsPerRun: number;
  readonly warmupProducts: number;
}

/** What a GEMM worker reports. */
export interface GemmResult {
  readonly job: GemmJob;
  /** Framework and version, e.g. "tfjs-node (tensorflow)" or "torch 2.13.0+cpu". */
  readonly framework: string;
  /** Threads the framework was given (all cores unless the bench asked for one). */
  readonly threads: number;
  /** 2·n³ / seconds per product, each timed run, GFLOP/s. */
  readonly gflopsRuns: number[];
}

/** What a model worker reports. */
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
  /** lib workers: the engine that ran. */
  engine?: Engine;
  parameterCount: number;
  /** Images per second of each timed run. */
  imagesPerSecondRuns: number[];
  /** Median of `imagesPerSecondRuns`. */
  imagesPerSecond: number;
  /** Median milliseconds per step (or per forward pass). */
  msPerStep: number;
  /** Process CPU milliseconds (user + system, all threads) per image of each timed run. */
  cpuMsPerImageRuns: number[];
  /** tf.memory().numTensors after each timed run: must not grow (empty where not tfjs). */
  numTensorsAfterRuns: number[];
  /** Largest resident set size seen, bytes (Deno.memoryUsage().rss; PyTorch: ru_maxrss). */
  peakRssBytes: number;
  /** lib workers: the resident set size after each timed run, bytes (the memory section). */
  rssAfterRunsBytes?: number[];
  /** tf.memory().numBytes after the last run (tensors tfjs tracks; native buffers). */
  tfNumBytes: number;
  /** PyTorch workers: threads (`torch.get_num_threads()`). */
  threads?: number;
  /** PyTorch with `compile`: wall seconds of the first step, which compiles forward and backward. */
  compileSeconds?: number;
  /** For `profile`: kernel calls and kernel milliseconds by kernel name, biggest first. */
  profile?: { kernel: string; calls: number; ms: number }[];
  /** For `profile`: total kernel calls in one step. */
  kernelCalls?: number;
}
