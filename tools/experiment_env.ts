/**
 * The experiment settings as the environment says, read here at the entry points (tools, the
 * notebooks' setup helper) and handed to lib/experiments and lib/training as arguments:
 *
 * | setting | variable | default |
 * |---|---|---|
 * | scale | `CUTMIX_SCALE` | `cpu` |
 * | runs cache | `CUTMIX_RUNS_DIR` | `<project>/runs` |
 * | reports folder | `CUTMIX_REPORTS_DIR` | `<project>/reports` |
 * | run records (committed models) | `CUTMIX_PRETRAINED_DIR` | `<project>/pretrained/<scale>` |
 *
 * The notebooks' kernel takes no arguments, so `deno task reproduce` passes these to it through
 * the environment. Relative paths are resolved against the current directory. The records folder
 * (lib/training/run_record.ts) is the scale's own unless `CUTMIX_PRETRAINED_DIR` names one.
 *
 * @example
 * ```ts
 * import { experimentSettingsFromEnv, recordsDirFromEnv } from "./experiment_env.ts";
 * const { scale, runsDir, reportsDir, recordsDir } = experimentSettingsFromEnv();
 * const smokeRecords = recordsDirFromEnv("smoke"); // <project>/pretrained/smoke, unless overridden
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { projectRoot } from "../lib/data/paths.ts";
import { parseScale, type ReproductionScale } from "../lib/experiments/scale.ts";
import type { EnvReader } from "./backend_env.ts";

/** The variables of {@link experimentSettingsFromEnv}, by setting. */
export const SETTINGS_VARIABLES = Object.freeze({
  scale: "CUTMIX_SCALE",
  runsDir: "CUTMIX_RUNS_DIR",
  reportsDir: "CUTMIX_REPORTS_DIR",
  recordsDir: "CUTMIX_PRETRAINED_DIR",
});

/** Where and how big an experiment runs. */
export interface ExperimentSettings {
  readonly scale: ReproductionScale;
  /** The runs cache (absolute). */
  readonly runsDir: string;
  /** Where notebooks save their results and reports go (absolute). */
  readonly reportsDir: string;
  /** The committed run records the runs cache is restored from (absolute). */
  readonly recordsDir: string;
}

function pathFromEnv(env: EnvReader, name: string, fallback: string): string {
  const value = env.get(name)?.trim();
  return value ? resolve(value) : fallback;
}

/** The run records folder of `scale`: `CUTMIX_PRETRAINED_DIR`, else `<root>/pretrained/<scale>`. */
export function recordsDirFromEnv(
  scale: ReproductionScale,
  env: EnvReader = Deno.env,
  root: string = projectRoot(),
): string {
  return pathFromEnv(env, SETTINGS_VARIABLES.recordsDir, join(root, "pretrained", scale));
}

/** The settings `env` names, with the defaults of the module doc (`root`: the project). */
export function experimentSettingsFromEnv(
  env: EnvReader = Deno.env,
  root: string = projectRoot(),
): ExperimentSettings {
  const scale = parseScale(env.get(SETTINGS_VARIABLES.scale), SETTINGS_VARIABLES.scale);
  return {
    scale,
    runsDir: pathFromEnv(env, SETTINGS_VARIABLES.runsDir, join(root, "runs")),
    reportsDir: pathFromEnv(env, SETTINGS_VARIABLES.reportsDir, join(root, "reports")),
    recordsDir: recordsDirFromEnv(scale, env, root),
  };
}
