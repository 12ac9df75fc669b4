/**
 * The concurrent section: a sweep trains many independent models, so what counts there is the
 * aggregate throughput of k training processes with one thread each (lib:
 * `TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1`; PyTorch: `torch.set_num_threads(1)`),
 * against one process with every core. Per variant, the k + 1 workers are started and warmed up
 * together; each cycle times one run of the single process alone and one run of the k at once
 * (the order alternating), both as images over the parent's wall time.
 * @module
 */
import { aggregateImagesPerSecond, bestOf, concurrentSummary } from "../_compare.ts";
import type { Job } from "../_job.ts";
import { JobProgress } from "../_progress.ts";
import type { ConcurrentFigures } from "../_results.ts";
import type { Variant } from "../_variants.ts";
import { ServingWorker } from "../_workers.ts";
import { reason, type SectionContext } from "./context.ts";

async function timed(workers: readonly ServingWorker[], imagesPerRun: number): Promise<number> {
  const start = performance.now();
  await Promise.all(workers.map((w) => w.run()));
  return aggregateImagesPerSecond(workers.map(() => imagesPerRun), performance.now() - start);
}

async function measureOne(
  variant: Variant,
  job: Job,
  cycles: number,
  ctx: SectionContext,
): Promise<ConcurrentFigures> {
  const k = ctx.options.processes;
  const base = {
    variant: variant.id,
    label: variant.label,
    kind: variant.kind,
    model: job.model,
    batch: job.batch,
    processes: k,
    cycles,
  };
  const workers: ServingWorker[] = [];
  try {
    const single = await ServingWorker.start(variant, job, ctx.setup, "all");
    workers.push(single);
    const starts = await Promise.allSettled(
      Array.from({ length: k }, () => ServingWorker.start(variant, job, ctx.setup, 1)),
    );
    const started = starts.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    workers.push(...started);
    const refused = starts.find((s) => s.status === "rejected");
    if (refused) throw refused.reason;
    const imagesPerRun = job.batch * job.stepsPerRun;
    const singleRuns: number[] = [];
    const aggregateRuns: number[] = [];
    for (let c = 0; c < cycles; c++) {
      if (c % 2 === 0) singleRuns.push(await timed([single], imagesPerRun));
      aggregateRuns.push(await timed(started, imagesPerRun));
      if (c % 2 === 1) singleRuns.push(await timed([single], imagesPerRun));
    }
    const { single: s, aggregate, scaling } = concurrentSummary(singleRuns, aggregateRuns);
    console.log(
      `  ${variant.id}: 1 process ${s.toFixed(0)} img/s, ${k} × 1 thread ` +
        `${aggregate.toFixed(0)} img/s (×${scaling.toFixed(2)})`,
    );
    return { ...base, singleImagesPerSecond: s, aggregateImagesPerSecond: aggregate, scaling };
  } catch (error) {
    console.log(`  ${variant.id} failed: ${reason(error)}`);
    return {
      ...base,
      singleImagesPerSecond: NaN,
      aggregateImagesPerSecond: NaN,
      scaling: NaN,
      error: reason(error),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close().catch(() => {})));
  }
}

/** Measures `variants` on `model`'s training at `batch`; ratios against the best PyTorch aggregate. */
export async function measureConcurrent(
  model: string,
  batch: number,
  variants: readonly Variant[],
  ctx: SectionContext,
): Promise<ConcurrentFigures[]> {
  const quick = ctx.options.quick;
  const job: Job = {
    task: "train",
    model,
    batch,
    runs: 0,
    stepsPerRun: batch <= 8 ? 20 : quick ? 2 : 3,
    warmupSteps: batch <= 8 ? 5 : 2,
  };
  const figures: ConcurrentFigures[] = [];
  const progress = new JobProgress(variants.length);
  for (const v of variants) {
    figures.push(await measureOne(v, job, quick ? 2 : 6, ctx));
    console.log(`  ${progress.tick()} ${v.id} done`);
  }
  const best = bestOf(
    figures.filter((f) => f.kind === "torch").map((f) => ({
      id: f.variant,
      imagesPerSecond: f.aggregateImagesPerSecond,
    })),
  );
  return figures.map((f) =>
    best === undefined || !(f.aggregateImagesPerSecond > 0) ? f : {
      ...f,
      ratioToBestTorch: f.aggregateImagesPerSecond / best.imagesPerSecond,
      bestTorch: best.id,
    }
  );
}
