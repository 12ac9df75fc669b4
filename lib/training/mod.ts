/**
 * Training: configuration, the loop, the runs cache, and their parts.
 *
 * - {@link resolveRunConfig} / {@link RunConfig}: one validated description of a run;
 * - {@link trainOrLoad}: the trained model of a config, from `runs/<hash>/` or trained (resumable);
 * - {@link trainRun}: the loop itself, in a directory of your choice;
 * - {@link RunDirectory}: a run's files (config, lock, checkpoint, metrics, final);
 * - {@link createTrainStep}, {@link SGD}, {@link learningRate}, {@link softTargetCrossEntropy}:
 *   the pieces, for custom loops and benchmarks;
 * - {@link ProgressDisplay}: the terminal / log progress display.
 *
 * @example
 * ```ts
 * import { ProgressDisplay, trainOrLoad } from "./mod.ts";
 * const display = new ProgressDisplay();
 * const { model, final } = await trainOrLoad(
 *   {
 *     model: { arch: "resnet", depth: 20 },
 *     epochs: 10,
 *     trainPerClass: 500,
 *     augmentation: { kind: "cutmix", numClasses: 10, alpha: 1, prob: 0.5 },
 *   },
 *   { runsDir: "runs", onProgress: (p) => display.update(p), onEpoch: (m) => display.epoch(m) },
 * );
 * display.close();
 * console.log(final.test.top1Error);
 * model.dispose();
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./schedule.ts";
export * from "./optimizer.ts";
export * from "./checkpoint.ts";
export * from "./evaluate.ts";
export * from "./loop.ts";
export * from "./run_dir.ts";
export * from "./runs.ts";
export * from "./progress.ts";
export { softTargetCrossEntropy } from "./loss.ts";
