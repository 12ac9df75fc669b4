/**
 * The figures each section of `deno task bench` produces: what bench/out/latest.json holds and
 * bench/_render.ts turns into bench/RESULTS.md.
 * @module
 */
import type { Variant } from "./_variants.ts";

/** One (model, batch, variant) of the train or infer section. */
export interface Row {
  section: "train" | "infer";
  model: string;
  batch: number;
  variant: string;
  label: string;
  kind: Variant["kind"];
  /** Median images/s over all timed runs of all rounds; NaN when no run succeeded. */
  imagesPerSecond: number;
  bestImagesPerSecond: number;
  runs: number;
  /** Median process CPU ms per image (all threads): robust to other load on the machine. */
  cpuMsPerImage: number;
  /** This row's images/s over the best PyTorch configuration's (same model, batch, section). */
  ratioToBestTorch?: number;
  /** The id of that best PyTorch configuration. */
  bestTorch?: string;
  /** Achieved arithmetic rate: images/s × the counted FLOPs per image (bench/flops.ts), GFLOP/s. */
  gflopsPerSecond?: number;
  /** {@link gflopsPerSecond} over the large-GEMM peak measured in the same invocation. */
  shareOfGemmPeak?: number;
  /** PyTorch with torch.compile: the first (compiling) step of each worker, seconds. */
  compileSeconds?: number[];
  numTensorsStable?: boolean;
  peakRssMiB?: number;
  parameterCount?: number;
  /** Why no run succeeded, when none did. */
  failed?: string;
  errors: string[];
}

/** The paired section for one (model, batch): all workers alive, one timed run each in turn. */
export interface PairedFigures {
  model: string;
  batch: number;
  cycles: number;
  /** The PyTorch configuration with the highest median, which every ratio is against. */
  bestTorch?: string;
  variants: {
    id: string;
    label: string;
    kind: Variant["kind"];
    /** Median images/s over the cycles. */
    imagesPerSecond: number;
    /** Median over cycles of (this variant's run / the best PyTorch configuration's, same cycle). */
    ratioToBestTorch?: number;
    imagesPerSecondRuns: number[];
    numTensorsStable?: boolean;
    compileSeconds?: number;
  }[];
  /** Variants that could not start, with why. */
  failed: { id: string; label: string; reason: string }[];
  error?: string;
}

/** The concurrent section for one variant: k one-thread processes against one using all cores. */
export interface ConcurrentFigures {
  variant: string;
  label: string;
  kind: Variant["kind"];
  model: string;
  batch: number;
  /** k. */
  processes: number;
  cycles: number;
  /** One process with every core: median images/s over the cycles. */
  singleImagesPerSecond: number;
  /** k one-thread processes at once: median over the cycles of all their images / wall time. */
  aggregateImagesPerSecond: number;
  /** aggregate / single. */
  scaling: number;
  /** This variant's aggregate over the best PyTorch configuration's aggregate. */
  ratioToBestTorch?: number;
  bestTorch?: string;
  error?: string;
}

/** The large-GEMM section: n×n float32 products per framework and thread count. */
export interface GemmFigures {
  n: number;
  entries: {
    variant: string;
    framework: string;
    threads: number;
    /** Whether the framework had every core (else one thread). */
    allCores: boolean;
    /** Median GFLOP/s over the timed runs. */
    gflops: number;
    error?: string;
  }[];
  /** The highest all-core figure: the machine's practical peak the steps are measured against. */
  peakGflops?: number;
  /** The highest one-thread figure (the peak of each of the concurrent section's processes). */
  peakGflopsOneThread?: number;
}

/** One target of issue 14, as measured. */
export interface TargetLine {
  name: string;
  /** The variant measured (lib's engine, or the stand-in for the compiled engine). */
  variant: string;
  /** Required ratio to the best PyTorch configuration. */
  atLeast: number;
  ratio?: number;
  bestTorch?: string;
  verdict: "pass" | "fail" | "not measured";
  /** For a peak-RSS target: both figures (its ratio is PyTorch's over ours). */
  detail?: string;
}

/** One training step under tf.profile. */
export interface ProfileFigures {
  variant: string;
  label: string;
  model: string;
  batch: number;
  kernelCalls: number;
  kernelMs: number;
  stepMs: number;
  kernels: { kernel: string; calls: number; ms: number }[];
  error?: string;
}

/** CutMix's cost on a batch. */
export interface CutMixFigures {
  batch: number;
  msPerBatch: number;
  /** Share of a ResNet-20 batch-128 training step, per variant measured in this invocation. */
  shareOfTrainingStep: Record<string, number>;
  numTensorsStable: boolean;
  error?: string;
}

/** The input pipeline's throughput. */
export interface PipelineFigures {
  batch: number;
  images: number;
  imagesPerSecond: number;
  dataset: string;
  error?: string;
}

/** The machine, as the results header names it. */
export interface MachineFigures {
  /** lib/reports/machine.ts `describeMachine().summary`. */
  summary: string;
  cores: number;
  /** OS name and kernel. */
  os: string;
}

/** Everything one invocation measured (bench/out/latest.json). */
/** The memory section: one training worker over an epoch's steps, its RSS after each timed run. */
export interface MemoryFigures {
  variant: string;
  label: string;
  model: string;
  batch: number;
  /** Timed steps (warm-up excluded). */
  steps: number;
  /** RSS after each timed run, MiB. */
  rssAfterRunsMiB: number[];
  /** `tf.memory().numTensors` was the same after every run. */
  numTensorsStable: boolean;
  error?: string;
}

export interface BenchResults {
  date: string;
  args: string[];
  machine: MachineFigures;
  /** PyTorch's version, or why it is unavailable. */
  torch: string;
  /** lib's engines the `lib` variants ran. */
  engines: string[];
  backend?: string;
  loadAverageAtStart?: number;
  loadAverageAtEnd?: number;
  /** Counted training and forward FLOPs per image, by model (bench/flops.ts). */
  flops?: Record<string, { trainFlopsPerImage: number; forwardFlopsPerImage: number }>;
  gemm?: GemmFigures;
  train?: Row[];
  infer?: Row[];
  paired?: PairedFigures[];
  concurrent?: ConcurrentFigures[];
  profile?: ProfileFigures[];
  memory?: MemoryFigures[];
  cutmix?: CutMixFigures;
  pipeline?: PipelineFigures;
  targets?: TargetLine[];
}
