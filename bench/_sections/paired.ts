/**
 * The paired section: PyTorch's configurations and lib's variants as live processes, all warmed
 * up; then cycles in which each does one timed run in turn (the order rotating from cycle to
 * cycle). Load that changes over seconds hits all of a cycle alike, so per-cycle ratios are
 * steadier than ratios of separate medians.
 * @module
 */
import { pairedRatios, tensorCountStable } from "../_compare.ts";
import type { Job, JobResult } from "../_job.ts";
import type { PairedFigures } from "../_results.ts";
import type { Variant } from "../_variants.ts";
import { ServingWorker } from "../_workers.ts";
import { median } from "../stats.ts";
import { reason, type SectionContext } from "./context.ts";

/** Runs the paired cycles of `model` at `batch` with `requested` variants. */
export async function measurePaired(
  model: string,
  batch: number,
  requested: readonly Variant[],
  ctx: SectionContext,
): Promise<PairedFigures> {
  const cycles = ctx.options.quick ? 3 : 12;
  const small = batch <= 8;
  const job: Job = {
    task: "train",
    model,
    batch,
    runs: 0,
    stepsPerRun: small ? 20 : 3,
    warmupSteps: small ? 5 : 3,
  };
  const workers: ServingWorker[] = [];
  const failed: PairedFigures["failed"] = [];
  try {
    for (const v of requested) {
      try {
        workers.push(await ServingWorker.start(v, job, ctx.setup));
      } catch (error) {
        // A variant that cannot run here (torch.compile without a compiler, an experiment on
        // another TensorFlow build) must not cost the section the others' figures.
        failed.push({ id: v.id, label: v.label, reason: reason(error) });
        console.log(`  ${v.id} failed: ${reason(error)}`);
      }
    }
    if (workers.length === 0) throw new Error("no variant started");
    const runs = workers.map(() => [] as number[]);
    for (let c = 0; c < cycles; c++) {
      for (let k = 0; k < workers.length; k++) {
        const i = (c + k) % workers.length;
        runs[i].push((await workers[i].run()).imagesPerSecond);
      }
    }
    const results: JobResult[] = [];
    for (const w of workers) results.push(await w.close());
    const variants = workers.map((w) => w.variant);
    workers.length = 0;
    const torchIndices = variants.flatMap((v, i) => (v.kind === "torch" ? [i] : []));
    const { bestTorchIndex, ratios } = pairedRatios(runs, torchIndices);
    return {
      model,
      batch,
      cycles,
      bestTorch: bestTorchIndex === undefined ? undefined : variants[bestTorchIndex].id,
      variants: variants.map((v, i) => ({
        id: v.id,
        label: v.label,
        kind: v.kind,
        imagesPerSecond: median(runs[i]),
        ratioToBestTorch: ratios[i],
        imagesPerSecondRuns: runs[i],
        numTensorsStable: v.kind === "lib"
          ? tensorCountStable(results[i].numTensorsAfterRuns)
          : undefined,
        compileSeconds: results[i].compileSeconds ?? undefined,
      })),
      failed,
    };
  } catch (error) {
    return {
      model,
      batch,
      cycles,
      variants: [],
      failed,
      error: `paired ${model} b${batch}: ${reason(error)}`,
    };
  } finally {
    for (const w of workers) await w.close().catch(() => {});
  }
}
