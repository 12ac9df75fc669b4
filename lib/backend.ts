/**
 * Choosing and configuring the TensorFlow.js backend: one explicit call, {@link useBackend}, made
 * by each entry point (tools, notebooks, bench, tests) before its first tensor op. Importing this
 * module, or any other of lib/, loads no backend and changes no environment variable; lib/ takes
 * its tensor ops from `@tensorflow/tfjs-core`, so they run on whichever backend is active.
 *
 * Kinds:
 * - `tensorflow`: native TensorFlow on CPU through `@tensorflow/tfjs-node`. `deno task setup`
 *   installs it (the official libtensorflow download, or the TensorFlow C library from the
 *   `tensorflow-cpu` pip wheel when that download is not reachable). If it cannot load, this
 *   falls back to pure-JS `cpu` with a loud warning that says why
 *   ({@link BackendInfo.fallbackReason}).
 * - `gpu`: native TensorFlow with CUDA through `@tensorflow/tfjs-node-gpu`. Fails loudly if it
 *   can't load.
 * - `cpu`: the pure-JS backend of `@tensorflow/tfjs`. Roughly 700x slower to train than native;
 *   only for debugging on a machine where neither native package can be built.
 *
 * TensorFlow reads these environment variables once, when its C library loads, so `useBackend`
 * sets them (in this call only, before loading), the first always, the others from its options:
 * - `TF_OVERRIDE_GLOBAL_THREADPOOL=1`: each session (lib/tf_capi) and the eager context gets an
 *   intra-op thread pool of its own, sized by its own settings. Without it every one shares the
 *   pool of the first, tfjs's eager context (one thread per core), and a compiled step's
 *   `threads.intraOp` is ignored: a ResNet-20 step at batch 2 then takes 2.4× the time of one
 *   that runs in one thread (lib/training/compiled.ts `defaultStepThreads`).
 * - `TF_ENABLE_ONEDNN_OPTS` ({@link BackendOptions.oneDnn}, default on): oneDNN, TensorFlow's
 *   Intel/AMD CPU kernels for convolutions, batch norm, …. TensorFlow's own default enables it
 *   only on CPUs with AVX-512 VNNI, BF16 or AMX; on an AVX2 machine (measured: a 2-core AMD EPYC
 *   Zen 1) it leaves it off, and ResNet-20 then trains 1.7x slower (94 vs 157 images/s, batch 64).
 * - `TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE` ({@link BackendOptions.cacheOneDnnPrimitives}, default
 *   cache): by default TensorFlow builds a new oneDNN primitive for every convolution filter
 *   gradient instead of caching it (to save memory on large models), which on the AVX2 machine
 *   cost ResNet-20 ~4 % at batch 64 with no change in peak RSS.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { useBackend } from "./backend.ts";
 * const info = await useBackend({ kind: "tensorflow" });
 * console.log(info.name); // "tensorflow" (or "cpu" after a fallback)
 * const y = tf.tidy(() => tf.mul(tf.ones([2, 2]), 3));
 * y.dispose();
 * ```
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import nodeUtil from "node:util";
import process from "node:process";
import * as tf from "@tensorflow/tfjs-core";

/** The backends {@link useBackend} can load. */
export type BackendKind = "tensorflow" | "gpu" | "cpu";

/** Every {@link BackendKind}, the default (`tensorflow`) first. */
export const BACKEND_KINDS: readonly BackendKind[] = ["tensorflow", "gpu", "cpu"];

/** What {@link useBackend} loads and how it configures TensorFlow. */
export interface BackendOptions {
  /** Which backend to load. */
  kind: BackendKind;
  /**
   * Whether lib/ runs its fused native kernels (lib/native_kernels.ts) on the `tensorflow`
   * backend (default true); false runs the plain tfjs compositions. A later call may change
   * only this.
   */
  fusedKernels?: boolean;
  /**
   * oneDNN on native TensorFlow: true (default) sets `TF_ENABLE_ONEDNN_OPTS=1`, false sets `0`,
   * `"auto"` unsets it so that TensorFlow decides by the CPU (see the module doc).
   */
  oneDnn?: boolean | "auto";
  /**
   * Cache oneDNN's convolution-gradient primitives (default true): sets
   * `TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE` to `false` (cache) or `true` (TensorFlow's default).
   */
  cacheOneDnnPrimitives?: boolean;
}

/** What was asked for, what loaded, and why it differs if it does. */
export interface BackendInfo {
  /** The {@link BackendOptions.kind} asked for. */
  requested: BackendKind;
  /** `tf.getBackend()` after loading: `tensorflow` for native (CPU or GPU), `cpu` for pure JS. */
  name: string;
  /** The npm package that provides the backend. */
  packageName: string;
  /** True when TensorFlow's native C library executes the ops. */
  native: boolean;
  /** Set when the requested native backend failed and pure JS took over. */
  fallbackReason?: string;
  /** The {@link BackendOptions.oneDnn} applied; undefined on pure JS. */
  oneDnn?: boolean | "auto";
  /**
   * True when TensorFlow runs with oneDNN, false when it runs without; undefined on pure JS and
   * under `oneDnn: "auto"` (TensorFlow decided; lib then plans as if it were off).
   */
  oneDnnEnabled?: boolean;
  /** The {@link BackendOptions.cacheOneDnnPrimitives} applied; undefined on pure JS. */
  cacheOneDnnPrimitives?: boolean;
  /** The {@link BackendOptions.fusedKernels} applied. */
  fusedKernels: boolean;
}

/**
 * tfjs-node still calls `util.isNullOrUndefined`, which modern `node:util` (and Deno's) removed.
 * It must exist before tfjs-node's module body runs.
 */
function installNodeUtilShim(): void {
  const util = nodeUtil as unknown as Record<string, unknown>;
  if (typeof util.isNullOrUndefined !== "function") {
    util.isNullOrUndefined = (value: unknown) => value === null || value === undefined;
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}

/** Sets TensorFlow's load-time variables from the options (see the module doc). */
function configureTensorFlow(oneDnn: boolean | "auto", cachePrimitives: boolean): void {
  process.env.TF_OVERRIDE_GLOBAL_THREADPOOL = "1";
  if (oneDnn === "auto") delete process.env.TF_ENABLE_ONEDNN_OPTS;
  else process.env.TF_ENABLE_ONEDNN_OPTS = oneDnn ? "1" : "0";
  process.env.TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE = cachePrimitives ? "false" : "true";
}

/**
 * Imports a backend package by name. Not a literal import, so that lib/ is type-checked against
 * tfjs-core alone (tfjs-node's types would add the chained `tensor.mul(…)` ops, which a
 * tfjs-core-only caller, e.g. a browser page, does not register).
 */
function importPackage(name: string): Promise<unknown> {
  return import(name);
}

async function loadPureJs(): Promise<void> {
  await importPackage("@tensorflow/tfjs");
  await tf.setBackend("cpu");
  await tf.ready();
}

async function loadNative(packageName: string): Promise<void> {
  installNodeUtilShim();
  // tfjs-node registers its `tensorflow` backend in tfjs-core's engine when it loads.
  await importPackage(packageName);
  if (!(await tf.setBackend("tensorflow"))) {
    throw new Error(`${packageName} loaded but its "tensorflow" backend did not initialise`);
  }
}

async function load(options: Required<BackendOptions>): Promise<BackendInfo> {
  const { kind, fusedKernels, oneDnn, cacheOneDnnPrimitives } = options;
  const pureJs = { requested: kind, packageName: "@tensorflow/tfjs", native: false, fusedKernels };
  if (kind === "cpu") {
    await loadPureJs();
    return { ...pureJs, name: tf.getBackend() };
  }
  configureTensorFlow(oneDnn, cacheOneDnnPrimitives);
  const native = {
    requested: kind,
    native: true,
    oneDnn,
    oneDnnEnabled: oneDnn === "auto" ? undefined : oneDnn,
    cacheOneDnnPrimitives,
    fusedKernels,
  };
  if (kind === "gpu") {
    try {
      await loadNative("@tensorflow/tfjs-node-gpu");
    } catch (error) {
      throw new Error(
        `backend "gpu" asked for, but @tensorflow/tfjs-node-gpu did not load: ` +
          `${describe(error)}. Run \`CUTMIX_BACKEND=gpu ./run setup\` on a machine with CUDA and ` +
          "cuDNN (see docs/reproduction.md).",
      );
    }
    return { ...native, name: tf.getBackend(), packageName: "@tensorflow/tfjs-node-gpu" };
  }
  try {
    await loadNative("@tensorflow/tfjs-node");
    return { ...native, name: tf.getBackend(), packageName: "@tensorflow/tfjs-node" };
  } catch (error) {
    const fallbackReason = `@tensorflow/tfjs-node did not load (${describe(error)})`;
    console.error(
      [
        "",
        "!!! WARNING: native TensorFlow is NOT active. " + fallbackReason + ".",
        "!!! Falling back to the pure-JS `cpu` backend, about 700x slower to train.",
        "!!! Run `./run setup` (it builds the native backend), or ask for the `cpu` backend " +
        "(CUTMIX_BACKEND=cpu) to silence this.",
        "",
      ].join("\n"),
    );
    await loadPureJs();
    return { ...pureJs, name: tf.getBackend(), fallbackReason };
  }
}

/** The options of the first {@link useBackend} call and its (pending) result. */
let chosen: { options: Required<BackendOptions>; info: Promise<Readonly<BackendInfo>> } | undefined;
/** The result once loaded. */
let settled: Readonly<BackendInfo> | undefined;

function withDefaults(options: BackendOptions): Required<BackendOptions> {
  if (!BACKEND_KINDS.includes(options.kind)) {
    throw new Error(
      `useBackend: kind "${options.kind}" is not a backend: use one of ${BACKEND_KINDS.join(", ")}`,
    );
  }
  if (options.oneDnn !== undefined && ![true, false, "auto"].includes(options.oneDnn)) {
    throw new Error(`useBackend: oneDnn must be true, false or "auto", got ${options.oneDnn}`);
  }
  return {
    kind: options.kind,
    fusedKernels: options.fusedKernels ?? true,
    oneDnn: options.oneDnn ?? true,
    cacheOneDnnPrimitives: options.cacheOneDnnPrimitives ?? true,
  };
}

/**
 * Loads and configures the backend (see the module doc) and makes it tfjs-core's active one.
 * Call it once per process, before any tensor op. TensorFlow reads its settings only when it
 * loads, so a later call may change only {@link BackendOptions.fusedKernels} (as
 * {@link setFusedKernels} does); any other change throws.
 */
export async function useBackend(options: BackendOptions): Promise<Readonly<BackendInfo>> {
  const wanted = withDefaults(options);
  if (chosen === undefined) {
    const attempt = { options: wanted, info: load(wanted).then((info) => Object.freeze(info)) };
    chosen = attempt;
    try {
      settled = await attempt.info;
    } catch (error) {
      chosen = undefined; // nothing loaded: a later call may try another kind
      throw error;
    }
    return settled;
  }
  const before = chosen.options;
  const differs = (["kind", "oneDnn", "cacheOneDnnPrimitives"] as const)
    .filter((key) => before[key] !== wanted[key]);
  if (differs.length > 0) {
    const list = (from: Required<BackendOptions>) =>
      differs.map((key) => `${key} ${JSON.stringify(from[key])}`).join(", ");
    throw new Error(
      `useBackend: the backend was already loaded with ${list(before)}; TensorFlow reads these ` +
        `once per process, so ${list(wanted)} needs a new process`,
    );
  }
  await chosen.info;
  setFusedKernels(wanted.fusedKernels);
  return requireBackend();
}

/**
 * Turns lib/'s fused native kernels on or off after {@link useBackend} (the one setting that may
 * change once TensorFlow has loaded), e.g. to compare both paths. Throws if no backend was chosen.
 */
export function setFusedKernels(enabled: boolean): void {
  const info = requireBackend();
  if (typeof enabled !== "boolean") {
    throw new Error(`setFusedKernels: enabled must be a boolean, got ${enabled}`);
  }
  settled = Object.freeze({ ...info, fusedKernels: enabled });
  chosen = {
    options: { ...chosen!.options, fusedKernels: enabled },
    info: Promise.resolve(settled),
  };
}

/**
 * The {@link BackendInfo} of the backend {@link useBackend} loaded, or undefined if it was not
 * called (or has not finished): then lib/ runs on whatever backend the caller set up in
 * tfjs-core, without the fused kernels.
 */
export function currentBackend(): Readonly<BackendInfo> | undefined {
  return settled;
}

/**
 * The {@link BackendInfo} of the backend {@link useBackend} loaded; throws if none was chosen.
 * (Not called `backendInfo`: that was once a constant here, and `backendInfo.name` would still
 * compile against a function.)
 */
export function requireBackend(): Readonly<BackendInfo> {
  if (settled === undefined) {
    throw new Error(
      'no backend chosen yet: call `await useBackend({ kind: "tensorflow" })` ' +
        "(lib/backend.ts) before using the library",
    );
  }
  return settled;
}

/**
 * The file of TensorFlow's C library that the native backend loaded, so lib/tf_capi opens the
 * very same library (one runtime, one op registry); undefined when no native backend was loaded
 * by {@link useBackend} or the file cannot be found (node: APIs only: this module is in the npm
 * build). On Linux it is read from the process's own mappings (whatever layout setup built: the official download's libtensorflow.so.2 or the pip
 * wheel's libtensorflow_cc.so.2); elsewhere it is the `deps/lib/libtensorflow.so` of the
 * tfjs-node package that loaded.
 */
export function nativeLibraryPath(): string | undefined {
  const info = currentBackend();
  if (info === undefined || !info.native) return undefined;
  if (process.platform === "linux") {
    try {
      const maps = readFileSync("/proc/self/maps", "utf8");
      for (const line of maps.split("\n")) {
        const path = line.split(/\s+/)[5];
        if (path !== undefined && /\/libtensorflow(_cc)?\.so[.\d]*$/.test(path)) return path;
      }
    } catch {
      // No /proc (a sandbox): try the package's folder below.
    }
  }
  try {
    const entry = createRequire(import.meta.url).resolve(info.packageName);
    const path = join(dirname(entry), "..", "deps", "lib", "libtensorflow.so");
    statSync(path);
    return path;
  } catch {
    return undefined;
  }
}
