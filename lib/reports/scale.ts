/**
 * The scale a notebook runs at, chosen by `deno task reproduce --scale …` and passed to the
 * kernel through the environment variable `CUTMIX_SCALE` (papermill-style parameters need a
 * language translator, which TypeScript lacks).
 *
 * - `smoke`: minutes in CI on 2 CPU cores; proves the code path, numbers are not comparable.
 * - `cpu` (default): hours on a CPU machine; reduced models/epochs, stated in each notebook.
 * - `paper`: the paper's settings (GPU-days); what the numbers are meant to be compared at.
 *
 * @example
 * ```ts
 * import { byScale, reproductionScale } from "./scale.ts";
 * const scale = reproductionScale(); // "cpu" unless CUTMIX_SCALE says otherwise
 * const epochs = byScale({ smoke: 1, cpu: 30, paper: 300 });
 * ```
 * @module
 */

/** The three reproduction scales. */
export type ReproductionScale = "smoke" | "cpu" | "paper";

/** All scales, smallest first. */
export const SCALES: readonly ReproductionScale[] = ["smoke", "cpu", "paper"];

/** Reads and validates `CUTMIX_SCALE` (default "cpu"). Throws naming the bad value. */
export function reproductionScale(
  env: { get(name: string): string | undefined } = Deno.env,
): ReproductionScale {
  const raw = (env.get("CUTMIX_SCALE") ?? "").trim().toLowerCase();
  if (raw === "") return "cpu";
  if (!SCALES.includes(raw as ReproductionScale)) {
    throw new Error(`CUTMIX_SCALE="${raw}" is not a scale: use one of ${SCALES.join(", ")}`);
  }
  return raw as ReproductionScale;
}

/** Picks the setting for the current (or given) scale. */
export function byScale<T>(
  choices: Readonly<Record<ReproductionScale, T>>,
  scale: ReproductionScale = reproductionScale(),
): T {
  if (!(scale in choices)) throw new Error(`byScale: no choice for scale "${scale}"`);
  return choices[scale];
}
