/**
 * The memory section: each of lib's training engines trains the first model at batch 128 for an
 * epoch of CIFAR-10's steps (⌈50,000 / 128⌉ = 391, rounded up to whole timed runs), and reports
 * its resident set size after each timed run. A buffer leaked per step shows as growth: one
 * ResNet-20 feature map of the batch is 8 MiB, 400 of them 3 GiB.
 * @module
 */
import { tensorCountStable } from "../_compare.ts";
import type { Job } from "../_job.ts";
import type { MemoryFigures } from "../_results.ts";
import type { Variant } from "../_variants.ts";
import { runWorker } from "../_workers.ts";
import type { SectionContext } from "./context.ts";

/** The steps of one CIFAR-10 epoch at `batch`. */
export function epochSteps(batch: number, trainImages = 50_000): number {
  return Math.ceil(trainImages / batch);
}

/** Trains `model` at `batch` for an epoch's steps with each of `variants`, sampling RSS. */
export async function measureMemory(
  model: string,
  batch: number,
  variants: readonly Variant[],
  ctx: SectionContext,
): Promise<MemoryFigures[]> {
  const stepsPerRun = ctx.options.quick ? 2 : 10;
  const runs = ctx.options.quick ? 3 : Math.ceil(epochSteps(batch) / stepsPerRun);
  const out: MemoryFigures[] = [];
  for (const variant of variants) {
    const job: Job = { task: "train", model, batch, runs, stepsPerRun, warmupSteps: 5 };
    const base = {
      variant: variant.id,
      label: variant.label,
      model,
      batch,
      steps: runs * stepsPerRun,
    };
    const r = await runWorker(variant, job, ctx.setup);
    if ("error" in r) {
      out.push({ ...base, rssAfterRunsMiB: [], numTensorsStable: false, error: r.error });
      continue;
    }
    const rss = (r.rssAfterRunsBytes ?? []).map((b) => b / 2 ** 20);
    out.push({
      ...base,
      rssAfterRunsMiB: rss,
      numTensorsStable: tensorCountStable(r.numTensorsAfterRuns),
    });
    console.log(
      `  memory ${variant.id}: RSS ${rss[0]?.toFixed(0)} → ${rss.at(-1)?.toFixed(0)} MiB over ` +
        `${base.steps} steps`,
    );
  }
  return out;
}
