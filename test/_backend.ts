/**
 * The backend the tests run on, loaded once from the environment (`CUTMIX_BACKEND` and the
 * switches of tools/backend_env.ts) through lib/backend.ts's `useBackend`. Every test file that
 * runs tensor ops imports `tf` (tfjs-core's namespace) from here, so the backend is chosen
 * before its first op.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// The types of tfjs' chained ops (`x.mul(2)`), which every backend package registers at run time;
// lib/ itself calls only the functional ops, so that tfjs-core alone is enough for it.
import type {} from "@tensorflow/tfjs";
import { useBackendFromEnv } from "../tools/backend_env.ts";

/** What `useBackend` loaded for this test process. */
export const backendInfo = await useBackendFromEnv();

export { tf };
