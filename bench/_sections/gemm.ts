/**
 * The large-GEMM section: 2048×2048 float32 matrix products through tfjs-node (lib's backend) and
 * through torch, with every core and with one thread, in worker processes. The fastest all-core
 * figure is the machine's practical peak that the training steps' achieved FLOP/s are set
 * against; the one-thread figure is each concurrent process's.
 * @module
 */
import type { GemmJob } from "../_job.ts";
import type { GemmFigures } from "../_results.ts";
import type { Variant } from "../_variants.ts";
import { runGemmWorker } from "../_workers.ts";
import { median } from "../stats.ts";
import type { SectionContext } from "./context.ts";

/** The side of the matrices: big enough for any CPU here to reach its steady rate. */
export const GEMM_N = 2048;

/** Measures the products with lib's backend and, when available, PyTorch (its default config). */
export async function measureGemm(
  lib: Variant,
  torch: Variant | undefined,
  ctx: SectionContext,
): Promise<GemmFigures> {
  const quick = ctx.options.quick;
  const job: GemmJob = {
    task: "gemm",
    n: GEMM_N,
    runs: quick ? 2 : 5,
    productsPerRun: quick ? 2 : 5,
    warmupProducts: 2,
  };
  const entries: GemmFigures["entries"] = [];
  for (const variant of torch ? [lib, torch] : [lib]) {
    for (const threads of ["all", 1] as const) {
      const r = await runGemmWorker(variant, job, ctx.setup, threads);
      if ("error" in r) {
        console.log(`  ! ${r.error}`);
        entries.push({
          variant: variant.id,
          framework: variant.kind,
          threads: threads === "all" ? ctx.setup.cores : 1,
          allCores: threads === "all",
          gflops: NaN,
          error: r.error,
        });
        continue;
      }
      const gflops = median(r.gflopsRuns);
      console.log(`  ${r.framework}, ${r.threads} thread(s): ${gflops.toFixed(1)} GFLOP/s`);
      entries.push({
        variant: variant.id,
        framework: r.framework,
        threads: r.threads,
        allCores: threads === "all",
        gflops,
      });
    }
  }
  const best = (allCores: boolean) => {
    const xs = entries.filter((e) => e.allCores === allCores && e.gflops > 0).map((e) => e.gflops);
    return xs.length > 0 ? Math.max(...xs) : undefined;
  };
  return { n: GEMM_N, entries, peakGflops: best(true), peakGflopsOneThread: best(false) };
}
