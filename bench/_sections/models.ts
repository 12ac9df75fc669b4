/**
 * The train and infer sections: one worker process per (model, batch, variant), in interleaved
 * rounds (round 1: every variant; round 2: every variant; …) so that load from other processes on
 * a shared machine hits all variants alike; a figure is the median over all timed runs of all
 * rounds.
 * @module
 */
import { tensorCountStable } from "../_compare.ts";
import type { Job } from "../_job.ts";
import { JobProgress } from "../_progress.ts";
import type { Row } from "../_results.ts";
import { type Variant, variantRuns } from "../_variants.ts";
import { runWorker } from "../_workers.ts";
import { median } from "../stats.ts";
import type { SectionContext } from "./context.ts";

/** One (model, batch) to measure. */
export interface Case {
  readonly model: string;
  readonly batch: number;
}

interface Accumulated {
  imagesPerSecondRuns: number[];
  cpuMsPerImageRuns: number[];
  compileSeconds: number[];
  numTensorsStable: boolean;
  peakRssBytes: number;
  parameterCount: number;
  errors: string[];
}

/** The job of one worker: small batches get more steps, heavy models fewer. */
export function jobFor(task: "train" | "infer", { model, batch }: Case, quick: boolean): Job {
  const small = batch <= 8;
  const heavy = model.startsWith("pyramidnet");
  const stepsPerRun = small ? (quick ? 10 : 20) : task === "infer" ? 5 : heavy || quick ? 2 : 3;
  return {
    task,
    model,
    batch,
    runs: quick ? 2 : 3,
    stepsPerRun,
    // torch.compile compiles in the first step; the second can still differ (guards, caches).
    warmupSteps: small ? 5 : 2,
  };
}

/** Measures every case with every variant that can run it; rows without ratios yet. */
export async function measureModels(
  section: "train" | "infer",
  cases: readonly Case[],
  variants: readonly Variant[],
  ctx: SectionContext,
): Promise<Row[]> {
  const acc = new Map<string, Accumulated>();
  const key = (c: Case, v: Variant) => `${c.model}|${c.batch}|${v.id}`;
  const runnable = (c: Case) => variants.filter((v) => variantRuns(v, c.model, section, c.batch));
  const rounds = ctx.options.rounds;
  const progress = new JobProgress(rounds * cases.reduce((n, c) => n + runnable(c).length, 0));
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const job = jobFor(section, c, ctx.options.quick);
      for (const variant of runnable(c)) {
        const m = acc.get(key(c, variant)) ?? {
          imagesPerSecondRuns: [],
          cpuMsPerImageRuns: [],
          compileSeconds: [],
          numTensorsStable: true,
          peakRssBytes: 0,
          parameterCount: 0,
          errors: [],
        };
        acc.set(key(c, variant), m);
        const r = await runWorker(variant, job, ctx.setup);
        const done = progress.tick();
        if ("error" in r) {
          m.errors.push(r.error);
          console.log(`  ${done} ! ${r.error}`);
          continue;
        }
        m.imagesPerSecondRuns.push(...r.imagesPerSecondRuns);
        m.cpuMsPerImageRuns.push(...r.cpuMsPerImageRuns);
        if (typeof r.compileSeconds === "number") m.compileSeconds.push(r.compileSeconds);
        m.parameterCount = r.parameterCount;
        m.peakRssBytes = Math.max(m.peakRssBytes, r.peakRssBytes);
        if (variant.kind === "lib") {
          const counts = r.numTensorsAfterRuns;
          m.numTensorsStable &&= tensorCountStable(counts);
          if (r.fusedKernels === Boolean(variant.plain)) {
            m.errors.push(
              `${variant.id}: fused kernels ${r.fusedKernels ? "on" : "off"}, not as asked`,
            );
          }
          if (Boolean(r.oneDnnEnabled) === Boolean(variant.noOneDnn)) {
            m.errors.push(`${variant.id}: oneDNN ${r.oneDnnEnabled ? "on" : "off"}, not as asked`);
          }
        }
        const compile = typeof r.compileSeconds === "number"
          ? ` (first step ${r.compileSeconds.toFixed(1)} s)`
          : "";
        console.log(
          `  ${done} round ${round + 1}/${rounds} ${section} ${c.model} b${c.batch} ` +
            `${variant.id.padEnd(14)} ${
              r.imagesPerSecondRuns.map((x) => x.toFixed(0)).join(", ")
            } img/s${compile}`,
        );
      }
    }
  }
  const rows: Row[] = [];
  for (const c of cases) {
    const here = runnable(c);
    // Every framework must build the same network: compare parameter counts.
    const counts = new Set(
      here.map((v) => acc.get(key(c, v))!).filter((m) => m.imagesPerSecondRuns.length > 0)
        .map((m) => m.parameterCount),
    );
    if (counts.size > 1) {
      acc.get(key(c, here[0]))!.errors.push(
        `${c.model}: parameter counts differ between variants (${[...counts].join(" vs ")})`,
      );
    }
    for (const variant of here) {
      const m = acc.get(key(c, variant))!;
      const measured = m.imagesPerSecondRuns.length > 0;
      rows.push({
        section,
        model: c.model,
        batch: c.batch,
        variant: variant.id,
        label: variant.label,
        kind: variant.kind,
        imagesPerSecond: median(m.imagesPerSecondRuns),
        bestImagesPerSecond: measured ? Math.max(...m.imagesPerSecondRuns) : NaN,
        runs: m.imagesPerSecondRuns.length,
        cpuMsPerImage: median(m.cpuMsPerImageRuns),
        compileSeconds: m.compileSeconds.length > 0 ? m.compileSeconds : undefined,
        numTensorsStable: variant.kind === "lib" && measured ? m.numTensorsStable : undefined,
        peakRssMiB: m.peakRssBytes > 0 ? Math.round(m.peakRssBytes / 2 ** 20) : undefined,
        parameterCount: m.parameterCount || undefined,
        failed: measured ? undefined : (m.errors[0] ?? "no run"),
        errors: measured ? m.errors : m.errors.slice(1),
      });
    }
  }
  return rows;
}
