/**
 * Which TensorFlow.js backend the user asked for, read from `CUTMIX_BACKEND` without loading any
 * backend (set-up reads it before TensorFlow is installed). lib/backend.ts does the loading.
 *
 * @example
 * ```ts
 * import { requestedBackend } from "./backend_request.ts";
 * if (requestedBackend() === "gpu") console.log("CUDA requested");
 * ```
 * @module
 */

/** What the user may ask for in `CUTMIX_BACKEND`. */
export type RequestedBackend = "tensorflow" | "gpu" | "cpu";

const REQUESTED_BACKENDS: readonly RequestedBackend[] = ["tensorflow", "gpu", "cpu"];

/** Reads and validates `CUTMIX_BACKEND`. */
export function requestedBackend(): RequestedBackend {
  const raw = (Deno.env.get("CUTMIX_BACKEND") ?? "tensorflow").trim().toLowerCase();
  const value = raw === "" || raw === "native" ? "tensorflow" : raw;
  if (!REQUESTED_BACKENDS.includes(value as RequestedBackend)) {
    throw new Error(
      `CUTMIX_BACKEND="${raw}" is not a backend: use one of ${REQUESTED_BACKENDS.join(", ")}`,
    );
  }
  return value as RequestedBackend;
}
