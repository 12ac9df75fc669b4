/**
 * The notebooks' entry point into the environment, imported by each notebook's first cell: loads
 * the backend the environment asks for (`CUTMIX_BACKEND` and the switches of
 * tools/backend_env.ts) through lib/backend.ts's `useBackend`, once per kernel, and says where
 * CIFAR is (`CUTMIX_DATA_DIR`, `CUTMIX_CIFAR10_ARCHIVE`, … see tools/data_env.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { useBackendFromEnv } from "../tools/backend_env.ts";
import { cifarLocationFromEnv } from "../tools/data_env.ts";

/** What `useBackend` loaded for this kernel. */
export const backendInfo = await useBackendFromEnv();

/** Where CIFAR is: pass it to `loadCifar`, `trainAll` (as `cifar`) and `recipeTestSet`. */
export const cifarLocation = cifarLocationFromEnv();

export { tf };
