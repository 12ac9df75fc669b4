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
export { byScale, DEFAULT_SCALE, parseScale, type ReproductionScale, SCALES } from "./scale.ts";
export {
  METHOD_NAMES,
  PAPER_METHODS,
  type PaperMethod,
  type PaperRow,
  type PaperTable,
  paperValue,
  paperValueFor,
  TABLE10_TRANSFER,
  TABLE11_FGSM,
  TABLE12_OOD,
  TABLE5_CIFAR100,
  TABLE6_LIGHTER,
  TABLE7_CIFAR10,
  TABLE8_VARIANTS_CIFAR100,
  TABLE9_WSOL,
} from "./paper.ts";
export { type CifarRecipe, cifarRecipe, paperMethods, recipeTestSet } from "./recipes.ts";
export { meanStd } from "./stats.ts";
export {
  ablationAlphas,
  featureLevels,
  notebookRuns,
  NOTEBOOKS_WITH_RUNS,
  type PlannedRun,
  type SweepRun,
  sweepRuns,
} from "./run_list.ts";
export { loadRuns, type LoadRunsOptions, type TrainedRun } from "./load_runs.ts";
export {
  judgeGreater,
  judgeLess,
  type Judgement,
  meanAndSd,
  type PairedDifference,
  pairedDifference,
  studentTQuantile,
  type Verdict,
} from "./paired.ts";
export {
  agreement,
  type AllClaim,
  type ArmSummary,
  type ArmValues,
  armValues,
  checkClaim,
  type ClaimDirection,
  claimInterval,
  compareArms,
  type Comparison,
  comparisonRow,
  type ComparisonRowOptions,
  curveMean,
  type CurveRange,
  formatInterval,
  formatSummary,
  judgeAgainst,
  judgeAll,
  judgeClaim,
  type JudgeOptions,
  memorisationCheck,
  type PairedClaim,
  paperSide,
  type PaperSideOptions,
  type Precondition,
  type ReferenceClaim,
  requirePreconditions,
  type SeedValue,
  summarizeArm,
} from "./claims.ts";
export {
  chooseRegime,
  type JudgedCandidate,
  MAX_TRAIN_ERROR,
  type PilotCandidate,
  type RegimeBudget,
  type RegimeChoice,
} from "./regime.ts";
export {
  CPU_SWEEP_BUDGET,
  defaultPilotDir,
  loadPilotRecords,
  parsePilotRecord,
  pilotCandidates,
  type PilotEpoch,
  pilotLabel,
  type PilotPoint,
  type PilotRecord,
} from "./pilot.ts";
