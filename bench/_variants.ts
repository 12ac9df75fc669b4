/**
 * The ways of running a model that the bench compares: PyTorch in its three configurations, lib
 * (per training engine, with or without its kernel switches), and experiments that speak the
 * worker protocol (bench/_job.ts); and the environment each worker gets.
 * @module
 */
import type { Engine, TorchConfig } from "./_job.ts";

/** One way of running a model. */
export interface Variant {
  readonly id: string;
  readonly label: string;
  /** `torch`: bench/pytorch_reference.py; `lib`: bench/worker.ts; `script`: an experiment. */
  readonly kind: "torch" | "lib" | "script";
  /** PyTorch's configuration (kind `torch`). */
  readonly torch?: TorchConfig;
  /** lib's training engine (kind `lib`); absent means eager. */
  readonly engine?: Engine;
  /** `CUTMIX_FUSED_KERNELS=0`: lib's plain tfjs compositions instead of the fused native kernels. */
  readonly plain?: boolean;
  /**
   * `TF_ENABLE_ONEDNN_OPTS=0`: TensorFlow without oneDNN, which is what TensorFlow picks by itself
   * on CPUs without AVX-512 VNNI/BF16 or AMX (lib/backend.ts turns it on unless told otherwise).
   */
  readonly noOneDnn?: boolean;
  /** `CUTMIX_JIT=1`: the compiled engine with XLA's auto-clustering (small batches only). */
  readonly jit?: boolean;
  /** Kind `script`: its path under bench/ (it keeps no tfjs tensors: no tensor count). */
  readonly script?: string;
}

/** PyTorch as its users run it: the default, its CPU advice (channels_last), and compiled. */
export const TORCH_VARIANTS: readonly Variant[] = [
  {
    id: "torch",
    label: "PyTorch default (NCHW, eager)",
    kind: "torch",
    torch: { channelsLast: false, compile: false },
  },
  {
    id: "torch-cl",
    label: "PyTorch channels_last (model and input)",
    kind: "torch",
    torch: { channelsLast: true, compile: false },
  },
  {
    id: "torch-compile",
    label: "PyTorch torch.compile (inductor) + channels_last",
    kind: "torch",
    torch: { channelsLast: true, compile: true },
  },
];

/** lib as is, with `engine`: the variant the targets are about. */
export function libVariant(engine: Engine): Variant {
  return engine === "eager"
    ? { id: "lib", label: "lib, eager engine (fused native kernels)", kind: "lib", engine }
    : {
      id: "lib-compiled",
      label: "lib, compiled engine (one graph per step)",
      kind: "lib",
      engine,
    };
}

/**
 * The compiled engine with XLA (`CompiledEngineOptions.jit`), lib's option for small batches; it
 * trains at batches up to {@link JIT_MAX_BATCH} only (slower than without above, see
 * docs/performance.md).
 */
export const LIB_JIT_VARIANT: Variant = {
  id: "lib-compiled-xla",
  label: "lib, compiled engine with XLA (CUTMIX_JIT=1)",
  kind: "lib",
  engine: "compiled",
  jit: true,
};

/** The largest batch {@link LIB_JIT_VARIANT} runs at. */
export const JIT_MAX_BATCH = 8;

/** lib's eager step with a kernel switch turned back, to show what each is worth. */
export const LIB_SWITCH_VARIANTS: readonly Variant[] = [
  {
    id: "plain",
    label: "lib eager, plain tfjs compositions (CUTMIX_FUSED_KERNELS=0)",
    kind: "lib",
    engine: "eager",
    plain: true,
  },
  {
    id: "lib-onednn",
    label: "lib eager without oneDNN (TF_ENABLE_ONEDNN_OPTS=0)",
    kind: "lib",
    engine: "eager",
    noOneDnn: true,
  },
];

/**
 * Whether `variant` runs `model`'s `task` at `batch` (a script variant may build fewer; the XLA
 * variant trains small batches only).
 */
export function variantRuns(
  variant: Variant,
  model: string,
  task: string,
  batch?: number,
): boolean {
  if (variant.jit) return task === "train" && batch !== undefined && batch <= JIT_MAX_BATCH;
  return variant.kind !== "script" || (model === "resnet20" && task === "train");
}

/** Thread settings the bench sets or clears; the inherited environment never decides them. */
const SWITCH_VARS = [
  "CUTMIX_FUSED_KERNELS",
  "TF_ENABLE_ONEDNN_OPTS",
  "CUTMIX_JIT",
  "TF_NUM_INTRAOP_THREADS",
  "TF_NUM_INTEROP_THREADS",
  "BENCH_TORCH_THREADS",
];

/**
 * The environment of a worker for `variant`: kernel switches set or cleared, and threads: `"all"`
 * leaves TensorFlow its default (every core) and gives PyTorch `cores` threads; a number sets
 * `TF_NUM_INTRAOP_THREADS` (and one inter-op thread) and `torch.set_num_threads` to it.
 */
export function variantEnv(
  variant: Variant,
  threads: number | "all",
  cores: number,
  inherited: Record<string, string>,
): Record<string, string> {
  const env = { ...inherited };
  for (const k of SWITCH_VARS) delete env[k];
  if (variant.plain) env.CUTMIX_FUSED_KERNELS = "0";
  if (variant.noOneDnn) env.TF_ENABLE_ONEDNN_OPTS = "0";
  if (variant.jit) env.CUTMIX_JIT = "1";
  if (threads === "all") env.BENCH_TORCH_THREADS = String(cores);
  else {
    env.TF_NUM_INTRAOP_THREADS = String(threads);
    env.TF_NUM_INTEROP_THREADS = "1";
    env.BENCH_TORCH_THREADS = String(threads);
  }
  return env;
}
