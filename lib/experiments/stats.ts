/**
 * Summaries over seeds.
 *
 * @example
 * ```ts
 * import { meanStd } from "./stats.ts";
 * meanStd([1, 2, 3]); // { mean: 2, std: 1 }
 * ```
 * @module
 */

/** Mean and sample standard deviation (0 for one value) of `values`. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) throw new Error("meanStd needs at least one value, got none");
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = values.length > 1
    ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1))
    : 0;
  return { mean, std };
}
