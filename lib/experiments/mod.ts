/**
 * Experiments: what a reproduction trains and compares. The reproduction scales, the CIFAR
 * recipes and the paper's four methods, the paper's published tables (with our method → row
 * keys), every notebook's run list, loading those runs from the cache, and sweeps: planning
 * them (hashes, cache state, cost) and training them in a local pool of processes or a Slurm
 * job array.
 *
 * @example
 * ```ts
 * import { loadRuns, notebookRuns, paperValueFor, TABLE7_CIFAR10 } from "./mod.ts";
 * const runs = await loadRuns(notebookRuns("02", "smoke"), { runsDir: "runs" });
 * console.log(paperValueFor(TABLE7_CIFAR10, "cutmix", "top1Error"), runs[0].bestTop1Error);
 * ```
 * @module
 */
export * from "./scale.ts";
export * from "./paper.ts";
export * from "./recipes.ts";
export * from "./stats.ts";
export * from "./run_list.ts";
export * from "./load_runs.ts";
