/**
 * The reproduction scales: how big the experiments of a reproduction are. Entry points choose
 * one (`deno task reproduce --scale …`, `deno task sweep plan --scale …`; the notebooks get it
 * through `CUTMIX_SCALE`, read by tools/experiment_env.ts) and pass it to the library.
 *
 * - `smoke`: minutes in CI on 2 CPU cores; proves the code path, numbers are not comparable.
 * - `cpu` (default): hours on a CPU machine; reduced models/epochs, stated in each notebook.
 * - `paper`: the paper's settings (GPU-days); what the numbers are meant to be compared at.
 *
 * @example
 * ```ts
 * import { byScale, parseScale } from "./scale.ts";
 * const scale = parseScale("smoke", "--scale");
 * const epochs = byScale({ smoke: 1, cpu: 30, paper: 300 }, scale); // 1
 * ```
 * @module
 */

/** The three reproduction scales. */
export type ReproductionScale = "smoke" | "cpu" | "paper";

/** All scales, smallest first. */
export const SCALES: readonly ReproductionScale[] = ["smoke", "cpu", "paper"];

/** The scale when none is asked for. */
export const DEFAULT_SCALE: ReproductionScale = "cpu";

/**
 * Validates a scale name (case and surrounding blanks ignored; empty or undefined →
 * {@link DEFAULT_SCALE}). `source` names where it came from in the error, e.g. `CUTMIX_SCALE`.
 */
export function parseScale(raw: string | undefined, source = "scale"): ReproductionScale {
  const name = (raw ?? "").trim().toLowerCase();
  if (name === "") return DEFAULT_SCALE;
  if (!SCALES.includes(name as ReproductionScale)) {
    throw new Error(`${source}="${raw}" is not a scale: use one of ${SCALES.join(", ")}`);
  }
  return name as ReproductionScale;
}

/** Picks the setting of `scale`. */
export function byScale<T>(
  choices: Readonly<Record<ReproductionScale, T>>,
  scale: ReproductionScale,
): T {
  if (!(scale in choices)) throw new Error(`byScale: no choice for scale "${scale}"`);
  return choices[scale];
}
