/**
 * The TensorFlow.js backend, decided in this one place for every entry point (tests, notebooks,
 * CLI, bench). Import `tf` from here, never from a `@tensorflow/*` package directly.
 *
 * Choice, by the environment variable `CUTMIX_BACKEND`:
 * - `tensorflow` (default): native TensorFlow on CPU through `@tensorflow/tfjs-node`. `deno task
 *   setup` installs it (the official libtensorflow download, or the TensorFlow C library from the
 *   `tensorflow-cpu` pip wheel when that download is not reachable).
 * - `gpu`: native TensorFlow with CUDA through `@tensorflow/tfjs-node-gpu` (set it before
 *   `./run setup` so setup installs that package's libtensorflow). Fails loudly if it can't load.
 * - `cpu`: the pure-JS backend of `@tensorflow/tfjs`. Roughly 700x slower to train than native;
 *   only for debugging on a machine where neither native package can be built.
 *
 * On native TensorFlow, oneDNN (TensorFlow's Intel/AMD CPU kernels for convolutions, batch norm,
 * …) is switched on by setting `TF_ENABLE_ONEDNN_OPTS=1` before the library loads, unless the user
 * set that variable. TensorFlow's own default enables oneDNN only on CPUs with AVX-512 VNNI, BF16
 * or AMX; on an AVX2 machine (measured: a 2-core AMD EPYC Zen 1) it leaves it off, and ResNet-20
 * then trains 1.7x slower (94 vs 157 images/s at batch 64). `backendInfo.oneDnn` says what applied.
 *
 * Likewise `TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE=false`, unless the user set it: by default TensorFlow
 * builds a new oneDNN primitive for every convolution filter gradient instead of caching it (to
 * save memory on large models), which on the AVX2 machine cost ResNet-20 ~4 % at batch 64 (paired
 * A/B, 20 cycles) with no change in peak RSS. `backendInfo.oneDnnPrimitiveMemUse` says what applied.
 *
 * If `tensorflow` was asked for and cannot load, this falls back to pure-JS `cpu` with a loud
 * warning that says why (`backendInfo.fallbackReason`); tests fail when setup built the native
 * backend but the fallback is what loaded.
 *
 * @example
 * ```ts
 * import { backendInfo, tf } from "../lib/backend.ts";
 * console.log(backendInfo.name); // "tensorflow"
 * const y = tf.tidy(() => tf.ones([2, 2]).mul(3));
 * ```
 * @module
 */
import nodeUtil from "node:util";
import { type RequestedBackend, requestedBackend } from "./backend_request.ts";

export { type RequestedBackend, requestedBackend };

/** What was asked for, what loaded, and why it differs if it does. */
export interface BackendInfo {
  /** The value of `CUTMIX_BACKEND` (default `tensorflow`). */
  requested: RequestedBackend;
  /** `tf.getBackend()` after loading: `tensorflow` for native (CPU or GPU), `cpu` for pure JS. */
  name: string;
  /** The npm package that provides the backend. */
  packageName: string;
  /** True when TensorFlow's native C library executes the ops. */
  native: boolean;
  /** Set when the requested native backend failed and pure JS took over. */
  fallbackReason?: string;
  /**
   * For native TensorFlow: `TF_ENABLE_ONEDNN_OPTS` as the library saw it, and who set it —
   * `"1 (set by lib/backend.ts)"` by default, `"0 (user)"` when the user turned oneDNN off.
   */
  oneDnn?: string;
  /** True when TensorFlow runs with oneDNN (native, and `TF_ENABLE_ONEDNN_OPTS` is 1 or true). */
  oneDnnEnabled: boolean;
  /**
   * For native TensorFlow: `TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE` as the library saw it, and who set
   * it: `"false (set by lib/backend.ts)"` (cache oneDNN's conv-gradient primitives) by default.
   */
  oneDnnPrimitiveMemUse?: string;
}

/** The TensorFlow.js namespace (tfjs-node's superset of `@tensorflow/tfjs`). */
export type TF = typeof import("@tensorflow/tfjs-node");

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

async function loadPureJs(): Promise<TF> {
  const tfjs = await import("@tensorflow/tfjs");
  await tfjs.setBackend("cpu");
  await tfjs.ready();
  // The pure-JS package lacks only `tf.node` (file I/O helpers) of tfjs-node's namespace.
  return tfjs as unknown as TF;
}

/**
 * Asks TensorFlow for oneDNN unless the user chose (see the module doc); must run before the
 * native library loads, which reads the variable once. Returns the {@link BackendInfo.oneDnn} text.
 */
function requestOneDnn(): string {
  const chosen = Deno.env.get("TF_ENABLE_ONEDNN_OPTS");
  if (chosen) return `${chosen} (user)`;
  Deno.env.set("TF_ENABLE_ONEDNN_OPTS", "1");
  return "1 (set by lib/backend.ts)";
}

/**
 * Asks TensorFlow to cache oneDNN's convolution-gradient primitives unless the user chose (see
 * the module doc); like {@link requestOneDnn}, before the library loads.
 */
function requestPrimitiveCaching(): string {
  const chosen = Deno.env.get("TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE");
  if (chosen) return `${chosen} (user)`;
  Deno.env.set("TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE", "false");
  return "false (set by lib/backend.ts)";
}

/** `TF_ENABLE_ONEDNN_OPTS` read as TensorFlow reads it: 1 or true (any case) turn oneDNN on. */
function oneDnnOn(): boolean {
  return ["1", "true"].includes((Deno.env.get("TF_ENABLE_ONEDNN_OPTS") ?? "").toLowerCase());
}

async function load(): Promise<{ tf: TF; info: Omit<BackendInfo, "oneDnnEnabled"> }> {
  const requested = requestedBackend();
  installNodeUtilShim();
  const oneDnn = requested === "cpu" ? undefined : requestOneDnn();
  const oneDnnPrimitiveMemUse = requested === "cpu" ? undefined : requestPrimitiveCaching();
  if (requested === "gpu") {
    try {
      const tf = await import("@tensorflow/tfjs-node-gpu") as unknown as TF;
      return {
        tf,
        info: {
          requested,
          name: tf.getBackend(),
          packageName: "@tensorflow/tfjs-node-gpu",
          native: true,
          oneDnn,
          oneDnnPrimitiveMemUse,
        },
      };
    } catch (error) {
      throw new Error(
        `CUTMIX_BACKEND=gpu but @tensorflow/tfjs-node-gpu did not load: ${describe(error)}. ` +
          "Run `CUTMIX_BACKEND=gpu ./run setup` on a machine with CUDA and cuDNN (see README).",
      );
    }
  }
  if (requested === "tensorflow") {
    try {
      const tf = await import("@tensorflow/tfjs-node");
      return {
        tf,
        info: {
          requested,
          name: tf.getBackend(),
          packageName: "@tensorflow/tfjs-node",
          native: true,
          oneDnn,
          oneDnnPrimitiveMemUse,
        },
      };
    } catch (error) {
      const fallbackReason = `@tensorflow/tfjs-node did not load (${describe(error)})`;
      console.error(
        [
          "",
          "!!! WARNING: native TensorFlow is NOT active. " + fallbackReason + ".",
          "!!! Falling back to the pure-JS `cpu` backend, about 700x slower to train.",
          "!!! Run `./run setup` (it builds the native backend), or set CUTMIX_BACKEND=cpu to silence this.",
          "",
        ].join("\n"),
      );
      const tf = await loadPureJs();
      return {
        tf,
        info: {
          requested,
          name: tf.getBackend(),
          packageName: "@tensorflow/tfjs",
          native: false,
          fallbackReason,
        },
      };
    }
  }
  const tf = await loadPureJs();
  return {
    tf,
    info: { requested, name: tf.getBackend(), packageName: "@tensorflow/tfjs", native: false },
  };
}

const loaded = await load();

/** The TensorFlow.js namespace on the chosen backend. */
export const tf: TF = loaded.tf;

/** Which backend is active and why. */
export const backendInfo: Readonly<BackendInfo> = Object.freeze({
  ...loaded.info,
  oneDnnEnabled: loaded.info.native && oneDnnOn(),
});
