/**
 * Every training run of a reproduction, declared up front: for each notebook and scale, its run
 * groups (the paper's four methods, Table 8's variants, the α sweep, the feature levels), each a
 * set of labelled augmentations × seeds of the scale's recipe (lib/experiments/recipes.ts).
 *
 * This one list serves both sides: `deno task sweep` trains it (a local pool of processes or a
 * Slurm array), and the notebooks load the same runs from the cache ({@link notebookRuns} with
 * lib/experiments/load_runs.ts). Runs shared between notebooks (notebook 05 evaluates notebook
 * 02's models) have one config hash, so they are trained once.
 *
 * @example
 * ```ts
 * import { notebookRuns, sweepRuns } from "./run_list.ts";
 * const methods = notebookRuns("02", "smoke"); // 4 methods × 1 seed
 * console.log(methods.map((r) => `${r.label} seed ${r.seed}: ${r.hash}`));
 * console.log(sweepRuns("smoke").length); // distinct runs of every notebook
 * ```
 * @module
 */
import { type AugmentationConfig, type CutMixConfig, TABLE8_VARIANTS } from "../augment/config.ts";
import type { MixLayer } from "../augment/types.ts";
import { configHash, resolveRunConfig, type RunConfig } from "../training/config.ts";
import { type CifarRecipe, cifarRecipe, paperMethods } from "./recipes.ts";
import { byScale, type ReproductionScale } from "./scale.ts";

/** One run a notebook uses. */
export interface PlannedRun {
  /** The notebook's number, e.g. "02". */
  readonly notebook: string;
  /** The notebook's name for a set of runs, e.g. "methods", "variants", "alpha". */
  readonly group: string;
  /** The run's label inside its group, e.g. "cutmix", "Scheduled CutMix", "α=4", "level 2". */
  readonly label: string;
  /** `config.seed`: the seeds of a group are the recipe's `seeds` (or `ablationSeeds`). */
  readonly seed: number;
  /** The resolved config: the recipe's, with this run's augmentation and seed. */
  readonly config: RunConfig;
  /** {@link configHash} of `config`: the run's directory in the cache. */
  readonly hash: string;
}

/** One distinct run of a sweep, with every notebook use of it. */
export interface SweepRun {
  /** The resolved config, the same in every use. */
  readonly config: RunConfig;
  /** {@link configHash} of `config`: what makes two uses one run. */
  readonly hash: string;
  /** The notebooks' uses, first use first. */
  readonly uses: readonly Omit<PlannedRun, "config" | "hash">[];
}

/** The α values of notebook 03's sweep (α = 1 is CutMix itself, shared with notebook 02). */
export function ablationAlphas(scale: ReproductionScale): readonly number[] {
  return byScale(
    {
      smoke: [0.25, 1, 4],
      cpu: [0.1, 0.25, 0.5, 1, 2, 4],
      paper: [0.1, 0.25, 0.5, 1, 2, 4],
    },
    scale,
  );
}

/**
 * Notebook 04's trained mixing levels: 0 = the image, 1 = after the stem, 2–4 = after stages 1–3.
 * Level 0 draws exactly what image-level CutMix draws, so its model is CutMix's: smoke trains it
 * as a check of the feature path, and cpu takes notebook 02's CutMix for it instead of paying two
 * more runs.
 */
export function featureLevels(scale: ReproductionScale): readonly MixLayer[] {
  return byScale<MixLayer[]>({ smoke: [0, 3], cpu: [1, 2, 3, 4], paper: [0, 1, 2, 3, 4] }, scale);
}

type Group = {
  readonly group: string;
  readonly recipe: CifarRecipe;
  readonly seeds: readonly number[];
  readonly labels: Readonly<Record<string, AugmentationConfig>>;
};

/** The run groups of every notebook that trains, at `scale`. */
function notebookGroups(scale: ReproductionScale): Record<string, Group[]> {
  const recipe = cifarRecipe(scale);
  const methods = paperMethods(recipe.numClasses);
  const cutmix = methods.cutmix as CutMixConfig;
  const main: Group = { group: "methods", recipe, seeds: recipe.seeds, labels: methods };
  const camRecipe = cifarRecipe(scale, "cifar10");
  const variants: Record<string, AugmentationConfig> = { Baseline: methods.baseline };
  for (const [name, options] of Object.entries(TABLE8_VARIANTS)) {
    variants[name] = { ...cutmix, ...options } as AugmentationConfig;
  }
  const alphas: Record<string, AugmentationConfig> = {};
  for (const alpha of ablationAlphas(scale)) alphas[`α=${alpha}`] = { ...cutmix, alpha };
  const levels: Record<string, AugmentationConfig> = {};
  for (const layer of featureLevels(scale)) {
    levels[`level ${layer}`] = { ...cutmix, kind: "feature-cutmix", layer };
  }
  const ablation = { recipe, seeds: recipe.ablationSeeds };
  return {
    // Figure 1's CAMs: notebook 02's models of the first seed, on CIFAR-10 at every scale.
    "01": [{
      group: "cam",
      recipe: camRecipe,
      seeds: [camRecipe.seeds[0]],
      labels: paperMethods(camRecipe.numClasses),
    }],
    "02": [main],
    "03": [
      { group: "variants", ...ablation, labels: variants },
      { group: "alpha", ...ablation, labels: alphas },
    ],
    "04": [
      {
        group: "references",
        ...ablation,
        labels: { Baseline: methods.baseline, CutMix: methods.cutmix },
      },
      { group: "levels", ...ablation, labels: levels },
    ],
    "05": [main],
    "06": [main],
    "07": [main],
    "08": [main],
  };
}

/** The notebooks that train (or load) runs, by number. */
export const NOTEBOOKS_WITH_RUNS: readonly string[] = Object.keys(notebookGroups("smoke"));

/**
 * The runs notebook `notebook` ("02") uses at `scale`, in its order (group, label, seed);
 * `group` keeps one group's runs. Throws naming the notebooks that have runs.
 */
export function notebookRuns(
  notebook: string,
  scale: ReproductionScale,
  group?: string,
): PlannedRun[] {
  const groups = notebookGroups(scale)[notebook];
  if (groups === undefined) {
    throw new Error(
      `notebook "${notebook}" declares no runs (notebooks with runs: ${
        NOTEBOOKS_WITH_RUNS.join(", ")
      })`,
    );
  }
  const chosen = group === undefined ? groups : groups.filter((g) => g.group === group);
  if (chosen.length === 0) {
    throw new Error(
      `notebook ${notebook} has no run group "${group}" (groups: ${
        groups.map((g) => g.group).join(", ")
      })`,
    );
  }
  return chosen.flatMap((g) =>
    Object.entries(g.labels).flatMap(([label, augmentation]) =>
      g.seeds.map((seed) => {
        const config = resolveRunConfig({ ...g.recipe.config, augmentation, seed });
        return { notebook, group: g.group, label, seed, config, hash: configHash(config) };
      })
    )
  );
}

/**
 * The distinct runs of every notebook (or those numbered in `only`) at `scale`, in first-use
 * order, each with all its uses. Throws naming an unknown notebook in `only`.
 */
export function sweepRuns(scale: ReproductionScale, only?: readonly string[]): SweepRun[] {
  const notebooks = only && only.length > 0 ? only : NOTEBOOKS_WITH_RUNS;
  const byHash = new Map<string, { config: RunConfig; hash: string; uses: PlannedRun[] }>();
  for (const notebook of notebooks) {
    for (const run of notebookRuns(notebook, scale)) {
      const entry = byHash.get(run.hash) ?? { config: run.config, hash: run.hash, uses: [] };
      entry.uses.push(run);
      byHash.set(run.hash, entry);
    }
  }
  return [...byHash.values()].map(({ config, hash, uses }) => ({
    config,
    hash,
    uses: uses.map(({ notebook, group, label, seed }) => ({ notebook, group, label, seed })),
  }));
}
