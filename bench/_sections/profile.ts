/**
 * The profile section: one training step per variant, kernel calls and kernel time by kernel
 * name: lib's eager step (with and without the fused kernels) under `tf.profile`, the compiled
 * step from TensorFlow's own step stats (lib/tf_capi/step_stats.ts), by op type.
 * @module
 */
import type { Job } from "../_job.ts";
import type { ProfileFigures } from "../_results.ts";
import type { Variant } from "../_variants.ts";
import { runWorker } from "../_workers.ts";
import type { SectionContext } from "./context.ts";

/** Profiles one step of `model` at `batch` with each of `variants`. */
export async function measureProfiles(
  model: string,
  batch: number,
  variants: readonly Variant[],
  ctx: SectionContext,
): Promise<ProfileFigures[]> {
  const out: ProfileFigures[] = [];
  for (const variant of variants) {
    const job: Job = { task: "profile", model, batch, runs: 2, stepsPerRun: 2, warmupSteps: 2 };
    const base = { variant: variant.id, label: variant.label, model, batch };
    const r = await runWorker(variant, job, ctx.setup);
    if ("error" in r) {
      out.push({
        ...base,
        kernelCalls: 0,
        kernelMs: NaN,
        stepMs: NaN,
        kernels: [],
        error: r.error,
      });
      continue;
    }
    const kernels = r.profile ?? [];
    out.push({
      ...base,
      kernelCalls: r.kernelCalls ?? 0,
      kernelMs: kernels.reduce((sum, k) => sum + k.ms, 0),
      stepMs: r.msPerStep,
      kernels,
    });
    console.log(`  profile ${variant.id}: ${r.kernelCalls} kernel calls per step`);
  }
  return out;
}
