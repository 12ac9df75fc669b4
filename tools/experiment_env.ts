/**
 * The experiment settings as the environment says, read here at the entry points (tools, the
 * notebooks' setup helper) and handed to lib/experiments and lib/training as arguments:
 *
 * | setting | variable | default |
 * |---|---|---|
 * | scale | `CUTMIX_SCALE` | `cpu` |
 * | runs cache | `CUTMIX_RUNS_DIR` | `<project>/runs` |
 * | reports folder | `CUTMIX_REPORTS_DIR` | `<project>/reports` |
 *
 * The notebooks' kernel takes no arguments, so `deno task reproduce` passes these to it through
 * the environment. Relative paths are resolved against the current directory.
 *
 * @example
 * ```ts
 * import { experimentSettingsFromEnv } from "./experiment_env.ts";
 * const { scale, runsDir, reportsDir } = experimentSettingsFromEnv();
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
});

/** Where and how big an experiment runs. */
export interface ExperimentSettings {
  readonly scale: ReproductionScale;
  /** The runs cache (absolute). */
  readonly runsDir: string;
  /** Where notebooks save their results and reports go (absolute). */
  readonly reportsDir: string;
}

/** The settings `env` names, with the defaults of the module doc (`root`: the project). */
export function experimentSettingsFromEnv(
  env: EnvReader = Deno.env,
  root: string = projectRoot(),
): ExperimentSettings {
  const path = (name: string, fallback: string) => {
    const value = env.get(name)?.trim();
    return value ? resolve(value) : fallback;
  };
  return {
    scale: parseScale(env.get(SETTINGS_VARIABLES.scale), SETTINGS_VARIABLES.scale),
    runsDir: path(SETTINGS_VARIABLES.runsDir, join(root, "runs")),
    reportsDir: path(SETTINGS_VARIABLES.reportsDir, join(root, "reports")),
  };
}
