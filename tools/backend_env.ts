/**
 * The backend as the environment asks for it, read here at the entry points (tools, notebooks'
 * setup helper, bench, tests) and handed to lib/backend.ts's {@link useBackend} as options:
 * - `CUTMIX_BACKEND`: `tensorflow` (default; `native` is a synonym), `gpu` or `cpu`;
 * - `CUTMIX_FUSED_KERNELS=0`: lib's plain tfjs compositions instead of its fused native kernels;
 * - `TF_ENABLE_ONEDNN_OPTS` (`1`/`true` or `0`/`false`): oneDNN on or off; unset, lib's default
 *   (on);
 * - `TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE` (`true` or `false`): TensorFlow's own setting, respected;
 *   unset, lib's default (`false`: cache oneDNN's conv-gradient primitives).
 * - `CUTMIX_RELEASE_LIBRARY_PAGES=0`: keep resident the pages of TensorFlow's libraries that
 *   loading read; by default {@link useBackendFromEnv} releases them once native TensorFlow has
 *   loaded (lib/tf_capi/resident_pages.ts: ~180 MiB less peak RSS, nothing else changes).
 *
 * @example
 * ```ts
 * import { useBackendFromEnv } from "./backend_env.ts";
 * const info = await useBackendFromEnv();
 * console.log(`${info.name} via ${info.packageName}`);
 * ```
 * @module
 */
import {
  BACKEND_KINDS,
  type BackendInfo,
  type BackendKind,
  type BackendOptions,
  useBackend,
} from "../lib/backend.ts";
import { releaseLibraryPages } from "../lib/tf_capi/resident_pages.ts";

/** The environment as these functions read it (`Deno.env` by default). */
export interface EnvReader {
  get(name: string): string | undefined;
}

/** Reads and validates `CUTMIX_BACKEND` without loading anything (setup reads it before install). */
export function requestedBackend(env: EnvReader = Deno.env): BackendKind {
  const raw = (env.get("CUTMIX_BACKEND") ?? "tensorflow").trim().toLowerCase();
  const value = raw === "" || raw === "native" ? "tensorflow" : raw;
  if (!BACKEND_KINDS.includes(value as BackendKind)) {
    throw new Error(
      `CUTMIX_BACKEND="${raw}" is not a backend: use one of ${BACKEND_KINDS.join(", ")}`,
    );
  }
  return value as BackendKind;
}

function flag(env: EnvReader, name: string): boolean | undefined {
  const raw = env.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new Error(`${name}="${raw}" is not a switch: use 1/true or 0/false`);
}

/** The {@link BackendOptions} the environment asks for (see the module doc). */
export function backendOptionsFromEnv(env: EnvReader = Deno.env): BackendOptions {
  const memUse = flag(env, "TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE");
  return {
    kind: requestedBackend(env),
    fusedKernels: env.get("CUTMIX_FUSED_KERNELS") !== "0",
    oneDnn: flag(env, "TF_ENABLE_ONEDNN_OPTS"),
    cacheOneDnnPrimitives: memUse === undefined ? undefined : !memUse,
  };
}

/** Whether this process released TensorFlow's load-time pages already. */
let pagesReleased = false;

/**
 * {@link useBackend} with the options the environment asks for; then, on native TensorFlow and
 * once per process, {@link releaseLibraryPages} unless `CUTMIX_RELEASE_LIBRARY_PAGES=0`.
 */
export async function useBackendFromEnv(
  env: EnvReader = Deno.env,
): Promise<Readonly<BackendInfo>> {
  const release = flag(env, "CUTMIX_RELEASE_LIBRARY_PAGES") ?? true;
  const info = await useBackend(backendOptionsFromEnv(env));
  if (info.native && release && !pagesReleased) {
    pagesReleased = true;
    releaseLibraryPages();
  }
  return info;
}
