/**
 * The notebooks' entry point into the environment, imported by each notebook's first cell: loads
 * the backend the environment asks for (`CUTMIX_BACKEND` and the switches of
 * tools/backend_env.ts) through lib/backend.ts's `useBackend`, once per kernel, and says where
 * CIFAR is (`CUTMIX_DATA_DIR`, `CUTMIX_CIFAR10_ARCHIVE`, … see tools/data_env.ts), the scale, the
 * runs cache and the reports folder (`CUTMIX_SCALE`, `CUTMIX_RUNS_DIR`, `CUTMIX_REPORTS_DIR`, see
 * tools/experiment_env.ts), and where a run missing from the cache comes from: the committed run
 * records (`CUTMIX_PRETRAINED_DIR`, default `pretrained/<scale>`), else training with the engine
 * the environment names (`CUTMIX_ENGINE`, `TF_NUM_INTRAOP_THREADS`, … see tools/engine_env.ts);
 * spread `trainEngine` into `loadRuns`' options for both.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// The types of tfjs' chained ops (`x.mul(2)`), which every backend package registers at run time;
// lib/ itself calls only the functional ops, so that tfjs-core alone is enough for it.
import type {} from "@tensorflow/tfjs";
import { useBackendFromEnv } from "../tools/backend_env.ts";
import { cifarLocationFromEnv } from "../tools/data_env.ts";
import { trainEngineFromEnv } from "../tools/engine_env.ts";
import { experimentSettingsFromEnv } from "../tools/experiment_env.ts";

/** What `useBackend` loaded for this kernel. */
export const backendInfo = await useBackendFromEnv();

/** Where CIFAR is: pass it to `loadCifar`, `loadRuns` (as `cifar`) and `recipeTestSet`. */
export const cifarLocation = cifarLocationFromEnv();

/**
 * The scale this run of the notebook is at, the runs cache it loads from, where results go, and
 * the run records (committed models) a run missing from the cache is restored from.
 */
export const { scale, runsDir, reportsDir, recordsDir } = experimentSettingsFromEnv();

/**
 * How `loadRuns` gets a run the cache lacks: restored from `recordsDir` when it has the run's
 * record, else trained with this engine and thread pools. Spread into `loadRuns`' options.
 */
export const trainEngine = { ...trainEngineFromEnv(), recordsDir };

export { tf };
