/**
 * Paired comparisons over seeds, and the verdict a claim gets from them.
 *
 * A reproduction trains every method once per seed, and a seed fixes the training subset and the
 * initial weights for all methods, so two methods pair by seed: the per-seed difference
 * `d_s = a_s − b_s` removes what the seed does to both. Its mean with a Student-t interval,
 * `mean(d) ± t_{1 − (1 − level)/2, n − 1} · sd(d) / √n`, is what a claim is judged on.
 *
 * A claim "a < b" (lower is better, e.g. "CutMix's error < the baseline's": {@link judgeLess}) is
 * - `"yes"` when the whole interval lies below 0,
 * - `"no"` when the whole interval lies above 0 (the opposite holds),
 * - `"not resolved"` when the interval contains 0 (or n < 2: no interval at all);
 * a claim "a > b" (higher is better, e.g. accuracy or AUROC: {@link judgeGreater}) is the mirror
 * image: "yes" when the whole interval lies above 0.
 *
 * @example
 * ```ts
 * import { judgeGreater, judgeLess, pairedDifference } from "./paired.ts";
 * const cutmix = [24.1, 23.6, 24.4]; // top-1 error in %, seeds 0, 1, 2
 * const baseline = [26.9, 26.2, 27.5];
 * const diff = pairedDifference(cutmix, baseline);
 * console.log(diff.mean.toFixed(2), diff.halfWidth.toFixed(2)); // -2.83 0.63
 * console.log(judgeLess("CutMix", "baseline", diff).text);
 * // CutMix < baseline: yes, 2.83 ± 0.63 points (95 % CI, n = 3)
 * // Accuracy is higher-is-better: 100 − error, so the same seeds say "CutMix > baseline".
 * const accuracy = pairedDifference(cutmix.map((e) => 100 - e), baseline.map((e) => 100 - e));
 * console.log(judgeGreater("CutMix", "baseline", accuracy).text);
 * // CutMix > baseline: yes, 2.83 ± 0.63 points (95 % CI, n = 3)
 * ```
 * @module
 */

/** Mean, spread and a confidence interval of per-seed differences `a − b`. */
export interface PairedDifference {
  /** Number of pairs. */
  readonly n: number;
  /** The per-seed differences `a_s − b_s`, in the input's order. */
  readonly differences: readonly number[];
  /** Mean difference. */
  readonly mean: number;
  /** Sample standard deviation of the differences (n − 1 in the denominator); NaN for n < 2. */
  readonly sd: number;
  /** Half-width of the interval, `t · sd / √n`; NaN for n < 2. */
  readonly halfWidth: number;
  /** The interval's lower bound, `mean − halfWidth`; NaN for n < 2. */
  readonly low: number;
  /** The interval's upper bound, `mean + halfWidth`; NaN for n < 2. */
  readonly high: number;
  /** Confidence level of the interval ∈ (0, 1), e.g. 0.95. */
  readonly level: number;
}

/** A claim's verdict from an interval. */
export type Verdict = "yes" | "no" | "not resolved";

/** What {@link judgeLess} and {@link judgeGreater} return. */
export interface Judgement {
  /**
   * "yes" when the whole interval lies on the claim's side of 0, "no" when it lies on the other
   * side, "not resolved" when it contains 0 or n < 2.
   */
  readonly verdict: Verdict;
  /** One line for a claims table, e.g. "CutMix < baseline: yes, 3.10 ± 0.80 points (95 % CI, n = 3)". */
  readonly text: string;
  /** The paired difference `a − b` the verdict was judged on. */
  readonly difference: PairedDifference;
}

/** Mean and sample standard deviation (NaN for fewer than 2 values). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  if (values.length === 0) throw new Error("meanAndSd: values is empty");
  for (const v of values) {
    if (!Number.isFinite(v)) throw new Error(`meanAndSd: values must be finite, got ${v}`);
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length < 2) return { mean, sd: NaN };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

/**
 * Per-seed differences `a[s] − b[s]` with their mean and a two-sided Student-t interval at
 * `level` (default 0.95). `a` and `b` must be the same seeds in the same order.
 */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
  level = 0.95,
): PairedDifference {
  if (a.length !== b.length) {
    throw new Error(`pairedDifference: a has ${a.length} values, b has ${b.length}; pair by seed`);
  }
  if (!(level > 0 && level < 1)) {
    throw new Error(`pairedDifference: level must be in (0, 1), got ${level}`);
  }
  const differences = a.map((v, i) => v - b[i]);
  const { mean, sd } = meanAndSd(differences);
  const n = differences.length;
  const halfWidth = n < 2 ? NaN : studentTQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n);
  return {
    n,
    differences,
    mean,
    sd,
    halfWidth,
    low: mean - halfWidth,
    high: mean + halfWidth,
    level,
  };
}

/**
 * The verdict on "`aName` < `bName`" (lower is better, e.g. error) from `difference = a − b`,
 * with the text a claims table shows. `unit` names what the numbers are ("points" for
 * percentage points).
 */
export function judgeLess(
  aName: string,
  bName: string,
  difference: PairedDifference,
  unit = "points",
): Judgement {
  return judge(aName, bName, difference, unit, "less");
}

/**
 * The verdict on "`aName` > `bName`" (higher is better, e.g. accuracy or AUROC) from
 * `difference = a − b`: "yes" when its interval lies above 0, "no" when below ("`aName` is lower
 * by …"), "not resolved" across 0 or at n < 2.
 */
export function judgeGreater(
  aName: string,
  bName: string,
  difference: PairedDifference,
  unit = "points",
): Judgement {
  return judge(aName, bName, difference, unit, "greater");
}

function judge(
  aName: string,
  bName: string,
  difference: PairedDifference,
  unit: string,
  direction: "less" | "greater",
): Judgement {
  const { n, mean, halfWidth, high, low, level } = difference;
  const percent = `${Math.round(level * 100)} % CI, n = ${n}`;
  const claim = `${aName} ${direction === "less" ? "<" : ">"} ${bName}`;
  if (n < 2 || !Number.isFinite(halfWidth)) {
    return {
      verdict: "not resolved",
      text: `${claim}: not resolved at n = ${n} (no interval; ${aName} − ${bName} = ${
        fmt(mean)
      } ${unit})`,
      difference,
    };
  }
  const span = `${fmt(Math.abs(mean))} ± ${fmt(halfWidth)} ${unit} (${percent})`;
  // The claimed side of 0, and the opposite one.
  const [holds, opposite] = direction === "less" ? [high < 0, low > 0] : [low > 0, high < 0];
  if (holds) return { verdict: "yes", text: `${claim}: yes, ${span}`, difference };
  if (opposite) {
    const other = direction === "less" ? "higher" : "lower";
    return { verdict: "no", text: `${claim}: no, ${aName} is ${other} by ${span}`, difference };
  }
  return {
    verdict: "not resolved",
    // Signed, and named: unlike "yes"/"no", no side of 0 says which way the mean leans.
    text: `${claim}: not resolved at n = ${n}, ${aName} − ${bName} = ${fmt(mean)} ± ${
      fmt(halfWidth)
    } ${unit} (${percent})`,
    difference,
  };
}

function fmt(x: number): string {
  return x.toFixed(2);
}

/**
 * The `p`-quantile of Student's t distribution with `df` degrees of freedom (df ≥ 1, not
 * necessarily an integer), to about 1e-10: the CDF inverted by bisection.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df >= 1) || !Number.isFinite(df)) {
    throw new Error(`studentTQuantile: df must be a finite number ≥ 1, got ${df}`);
  }
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Bracket: the quantile is positive; grow the upper bound until the CDF passes p.
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Student's t CDF: `P(T ≤ t)` with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * regularizedIncompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** `I_x(a, b)`, the regularised incomplete beta function, by Lentz's continued fraction. */
function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedIncompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return front * f / a;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-14). */
function logGamma(x: number): number {
  const g = 7;
  const coefficients = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = coefficients[0];
  for (let i = 1; i < g + 2; i++) sum += coefficients[i] / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
