/**
 * The backend a bench process measures on, loaded once from the environment (`CUTMIX_BACKEND`,
 * `CUTMIX_FUSED_KERNELS`, `TF_ENABLE_ONEDNN_OPTS`, … see tools/backend_env.ts) through
 * lib/backend.ts's `useBackend`. Import `tf` from here so the backend is chosen before any op.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// The types of tfjs' chained ops (`x.mul(2)`), which every backend package registers at run time;
// lib/ itself calls only the functional ops, so that tfjs-core alone is enough for it.
import type {} from "@tensorflow/tfjs";
import { useBackendFromEnv } from "../tools/backend_env.ts";

/** What `useBackend` loaded for this process. */
export const backendInfo = await useBackendFromEnv();

export { tf };
