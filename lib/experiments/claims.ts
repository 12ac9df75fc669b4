/**
 * A notebook's claims table: each of the paper's claims "a < b" (lower is better, e.g. top-1
 * error) or "a > b" (higher is better, e.g. accuracy, AUROC) judged on the per-seed paired
 * differences of our runs (lib/experiments/paired.ts), in the form a results JSON saves
 * ({@link ClaimResult}, lib/reports/results.ts).
 *
 * The pieces:
 * - {@link armValues}: the runs' numbers by arm (method, variant, α …) and seed;
 *   {@link curveMean}: one run's curve (FGSM over ε, error over hole sides) as its mean over a
 *   range fixed in advance, the number such a claim is judged on;
 * - {@link summarizeArm}: mean ± sd over seeds; {@link comparisonRow}: a table row of those and
 *   of paired differences with their intervals;
 * - {@link compareArms}: `a − b` paired by seed, with its t-interval;
 * - {@link paperSide}: what a paper table says about "a < b" (or "a > b");
 * - {@link judgeClaim}: one claim's verdict, with whether it agrees with the paper;
 *   {@link judgeAgainst}: an arm against a fixed number (e.g. a trivial predictor's accuracy);
 * - {@link judgeAll}: "every … " claims made of several (all hold / one fails / unresolved);
 * - {@link requirePreconditions}: "not tested" where what a claim's test needs does not hold;
 * - {@link checkClaim}, {@link memorisationCheck}: rows that are checks of ours, not the paper's.
 *
 * One seed gives no interval, so every claim is "not resolved at n = 1"; two seeds give an
 * interval with t = 12.71, which rarely excludes 0.
 *
 * @example
 * ```ts
 * import { armValues, judgeClaim } from "./claims.ts";
 * const runs = [
 *   { label: "cutmix", seed: 0, error: 24.1 }, { label: "baseline", seed: 0, error: 26.9 },
 *   { label: "cutmix", seed: 1, error: 23.6 }, { label: "baseline", seed: 1, error: 26.2 },
 *   { label: "cutmix", seed: 2, error: 24.4 }, { label: "baseline", seed: 2, error: 27.5 },
 * ];
 * const values = armValues(runs, (r) => r.error);
 * const claim = judgeClaim(values, {
 *   a: "cutmix", b: "baseline", aName: "CutMix", bName: "baseline", paper: "yes",
 * });
 * console.log(claim.ours); // yes, 2.83 ± 0.63 points (95 % CI, n = 3)
 * console.log(claim.agreement); // agrees
 * ```
 *
 * Higher-is-better numbers, a curve judged on its mean over a fixed range, an arm against a fixed
 * number, and a claim whose test needs a condition:
 * ```ts
 * import { armValues, curveMean, judgeAgainst, judgeClaim, requirePreconditions } from "./claims.ts";
 * const curves = [0, 1, 2].flatMap((seed) => [
 *   { label: "cutmix", seed, points: [{ x: 0, y: 80 }, { x: 4, y: 50 + seed }, { x: 8, y: 30 }] },
 *   { label: "baseline", seed, points: [{ x: 0, y: 82 }, { x: 4, y: 40 - seed }, { x: 8, y: 20 }] },
 * ]);
 * // Accuracy (%) averaged over x ∈ [4, 8], fixed in advance.
 * const mean = armValues(curves, (r) => curveMean(r.points, { from: 4, to: 8 }));
 * const greater = judgeClaim(mean, { a: "cutmix", b: "baseline", direction: "greater", paper: null });
 * console.log(greater.claim, greater.ours); // cutmix > baseline yes, 11.00 ± 2.48 points (95 % CI, n = 3)
 * const beats = judgeAgainst(mean, { a: "cutmix", reference: "a trivial 30 %", value: 30, direction: "greater" });
 * console.log(beats.verdict); // yes
 * const gated = requirePreconditions(greater, [{ holds: false, unmet: "the set fails its criterion" }]);
 * console.log(gated.verdict); // not tested
 * ```
 * @module
 */
import type { ClaimInterval, ClaimResult, ClaimVerdict } from "../reports/results.ts";
import {
  judgeGreater,
  judgeLess,
  meanAndSd,
  type PairedDifference,
  pairedDifference,
} from "./paired.ts";
import { type PaperTable, paperValueFor } from "./paper.ts";

/** One run's number. */
export interface SeedValue {
  /** The run's seed: it fixes the subset and the initialisation, so arms pair on it. */
  readonly seed: number;
  /** The run's measurement in the claim's unit (e.g. top-1 error in points). */
  readonly value: number;
}

/** Each arm's numbers, by seed (ascending). */
export type ArmValues = ReadonlyMap<string, readonly SeedValue[]>;

/**
 * The runs' numbers by arm: `value(run)` for every run, grouped by its `label`, seeds ascending,
 * arms in first-seen order. Throws on a non-finite value or a seed seen twice in one arm.
 */
export function armValues<R extends { readonly label: string; readonly seed: number }>(
  runs: readonly R[],
  value: (run: R) => number,
): Map<string, SeedValue[]> {
  const out = new Map<string, SeedValue[]>();
  for (const run of runs) {
    const v = value(run);
    if (!Number.isFinite(v)) {
      throw new Error(`armValues: ${run.label} seed ${run.seed} has a non-finite value ${v}`);
    }
    const arm = out.get(run.label) ?? [];
    if (arm.some((s) => s.seed === run.seed)) {
      throw new Error(`armValues: ${run.label} has seed ${run.seed} twice`);
    }
    arm.push({ seed: run.seed, value: v });
    out.set(run.label, arm);
  }
  for (const arm of out.values()) arm.sort((x, y) => x.seed - y.seed);
  return out;
}

function arm(values: ArmValues, name: string): readonly SeedValue[] {
  const found = values.get(name);
  if (found === undefined || found.length === 0) {
    throw new Error(`no values for "${name}" (arms: ${[...values.keys()].join(", ") || "none"})`);
  }
  return found;
}

/** Mean ± sd of one arm over its seeds. */
export interface ArmSummary {
  /** The arm's key in the values (a method, variant or level). */
  readonly arm: string;
  /** The seeds summarised, ascending. */
  readonly seeds: readonly number[];
  /** How many seeds: `seeds.length`. */
  readonly n: number;
  /** Mean of the arm's values, in their unit. */
  readonly mean: number;
  /** Sample standard deviation; null for one seed. */
  readonly sd: number | null;
}

/** Mean and sample sd over seeds of `name`'s values. Throws naming the arms when it has none. */
export function summarizeArm(values: ArmValues, name: string): ArmSummary {
  const own = arm(values, name);
  const { mean, sd } = meanAndSd(own.map((s) => s.value));
  return {
    arm: name,
    seeds: own.map((s) => s.seed),
    n: own.length,
    mean,
    sd: Number.isFinite(sd) ? sd : null,
  };
}

/** `a − b` over the seeds both arms have. */
export interface Comparison {
  /** The arm subtracted from. */
  readonly a: string;
  /** The arm subtracted. */
  readonly b: string;
  /** The seeds paired on, ascending. */
  readonly seeds: readonly number[];
  /** `a − b` per seed, its mean and its t-interval (lib/experiments/paired.ts). */
  readonly difference: PairedDifference;
}

/**
 * Pairs `a` and `b` by seed (a seed fixes the subset and the initialisation for every arm) on the
 * seeds both have, and returns `a − b` with its two-sided t-interval at `level` (default 0.95).
 * Throws when they share no seed.
 */
export function compareArms(values: ArmValues, a: string, b: string, level = 0.95): Comparison {
  const left = arm(values, a);
  const right = new Map(arm(values, b).map((s) => [s.seed, s.value]));
  const shared = left.filter((s) => right.has(s.seed));
  if (shared.length === 0) {
    throw new Error(
      `compareArms: "${a}" (seeds ${left.map((s) => s.seed).join(", ")}) and "${b}" (seeds ${
        [...right.keys()].join(", ")
      }) share no seed`,
    );
  }
  return {
    a,
    b,
    seeds: shared.map((s) => s.seed),
    difference: pairedDifference(
      shared.map((s) => s.value),
      shared.map((s) => right.get(s.seed)!),
      level,
    ),
  };
}

/** A number for a table or JSON: NaN (no interval) becomes null. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The interval of a comparison in the saved form (null bounds where there is none). */
export function claimInterval(comparison: Comparison, unit = "points"): ClaimInterval {
  const d = comparison.difference;
  return {
    seeds: [...comparison.seeds],
    differences: [...d.differences],
    mean: d.mean,
    sd: finite(d.sd),
    halfWidth: finite(d.halfWidth),
    low: finite(d.low),
    high: finite(d.high),
    level: d.level,
    unit,
  };
}

/**
 * An interval for a table: "-2.83 [-3.46, -2.21]", or "-2.83 (no interval at n = 1)".
 */
export function formatInterval(difference: PairedDifference, digits = 2): string {
  const f = (x: number) => x.toFixed(digits);
  if (!Number.isFinite(difference.halfWidth)) {
    return `${f(difference.mean)} (no interval at n = ${difference.n})`;
  }
  return `${f(difference.mean)} [${f(difference.low)}, ${f(difference.high)}]`;
}

/** "26.87 ± 0.65" (mean ± sample sd over seeds), or "26.87" for one seed. */
export function formatSummary(summary: ArmSummary, digits = 2): string {
  const mean = summary.mean.toFixed(digits);
  return summary.sd === null ? mean : `${mean} ± ${summary.sd.toFixed(digits)}`;
}

/** What {@link comparisonRow} shows. */
export interface ComparisonRowOptions {
  /** The arms whose mean ± sd are shown, in order (keys of the values). */
  readonly arms: readonly string[];
  /** The pairs `[a, b]` whose difference `a − b` is shown with its interval. */
  readonly pairs: readonly (readonly [string, string])[];
  /** Names for the column headers (default: the keys). */
  readonly names?: Readonly<Record<string, string>>;
  /** What the values are, for the headers, e.g. "% acc.". */
  readonly unit: string;
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number;
}

/**
 * One row of a comparison table: `"<arm> (<unit>)"` → its mean ± sd over seeds for each arm,
 * then `"<a> − <b> [95 % CI]"` → the paired difference with its interval for each pair (as
 * {@link formatSummary} and {@link formatInterval} write them). Put a label column first.
 */
export function comparisonRow(
  values: ArmValues,
  options: ComparisonRowOptions,
): Record<string, string> {
  const name = (key: string) => options.names?.[key] ?? key;
  const level = options.level ?? 0.95;
  const row: Record<string, string> = {};
  for (const key of options.arms) {
    row[`${name(key)} (${options.unit})`] = formatSummary(summarizeArm(values, key));
  }
  for (const [a, b] of options.pairs) {
    row[`${name(a)} − ${name(b)} [${Math.round(level * 100)} % CI]`] = formatInterval(
      compareArms(values, a, b, level).difference,
    );
  }
  return row;
}

/** A closed range of a curve's x (ε, hole side, λ …), fixed before any result is seen. */
export interface CurveRange {
  /** The smallest x included. */
  readonly from: number;
  /** The largest x included (≥ `from`). */
  readonly to: number;
}

/**
 * The mean of a curve's `y` over its points with `x` in `range` (both ends included, to 1e-9 of
 * their size, since grids such as k/255 or i/10 are computed): the one number per run that a claim
 * about the whole curve is judged on. Throws when no point lies in the range.
 */
export function curveMean(
  points: readonly { readonly x: number; readonly y: number }[],
  range: CurveRange,
): number {
  if (!(Number.isFinite(range.from) && Number.isFinite(range.to) && range.from <= range.to)) {
    throw new Error(
      `curveMean: range must be finite with from ≤ to, got ${range.from}–${range.to}`,
    );
  }
  const slack = (bound: number) => 1e-9 * Math.max(1, Math.abs(bound));
  const inside = points.filter((p) =>
    p.x >= range.from - slack(range.from) && p.x <= range.to + slack(range.to)
  );
  if (inside.length === 0) {
    throw new Error(
      `curveMean: no point in ${range.from}–${range.to} (x: ${
        points.map((p) => p.x).join(", ") || "none"
      })`,
    );
  }
  for (const p of inside) {
    if (!Number.isFinite(p.y)) throw new Error(`curveMean: y at x = ${p.x} is ${p.y}`);
  }
  return inside.reduce((s, p) => s + p.y, 0) / inside.length;
}

/** Whether our verdict on a claim is the paper's. */
export function agreement(
  paper: "yes" | "no" | null,
  verdict: ClaimVerdict,
): ClaimResult["agreement"] {
  if (paper === null) return null;
  if (verdict === "not resolved" || verdict === "not tested") return verdict;
  return verdict === paper ? "agrees" : "disagrees";
}

/**
 * Which side of 0 a claim's `a − b` must lie on: "less" for "a < b" (lower is better, e.g.
 * error), "greater" for "a > b" (higher is better, e.g. accuracy, AUROC).
 */
export type ClaimDirection = "less" | "greater";

/** One claim "a < b" (or "a > b") to judge. */
export interface PairedClaim {
  /** The claim's left arm, as a key of the values. */
  readonly a: string;
  /** The claim's right arm, as a key of the values. */
  readonly b: string;
  /** `a`'s name in the claim's text (default: the key). */
  readonly aName?: string;
  /** `b`'s name in the claim's text (default: the key). */
  readonly bName?: string;
  /** "less" (default): "a < b"; "greater": "a > b". */
  readonly direction?: ClaimDirection;
  /**
   * What the paper found for the claim; null where the paper gives no verdict to compare with
   * (a check of ours, a quantity it does not report: say why in `paperEvidence`).
   */
  readonly paper: "yes" | "no" | null;
  /** The paper's evidence in a few words, e.g. "2.88 vs 3.85 %". */
  readonly paperEvidence?: string;
  /** Where in the paper, e.g. "Table 7". */
  readonly source?: string;
  /** Appended to the claim's text, e.g. " (final top-1 error)". */
  readonly suffix?: string;
}

/** Which number of a paper table {@link paperSide} reads, and how. */
export interface PaperSideOptions {
  /** The table's column (default "top1Error"). */
  readonly column?: string;
  /** After the numbers in the evidence (default "%"), e.g. "% on ImageNet". */
  readonly unit?: string;
  /** "less" (default): the claim is "a < b"; "greater": "a > b". */
  readonly direction?: ClaimDirection;
}

/**
 * The paper's side of "a < b" (or, with `direction: "greater"`, "a > b") from one of its tables
 * (`a`, `b`: the table's keys, e.g. "cutmix", "Scheduled CutMix"): "yes" when its `column` value
 * for `a` is below (above) `b`'s, with both numbers as the evidence and the table as the source.
 */
export function paperSide(
  table: PaperTable,
  a: string,
  b: string,
  options: PaperSideOptions = {},
): Pick<PairedClaim, "paper" | "paperEvidence" | "source"> {
  const column = options.column ?? "top1Error";
  const pa = paperValueFor(table, a, column);
  const pb = paperValueFor(table, b, column);
  const holds = (options.direction ?? "less") === "less" ? pa < pb : pa > pb;
  return {
    paper: holds ? "yes" : "no",
    paperEvidence: `${pa.toFixed(2)} vs ${pb.toFixed(2)} ${options.unit ?? "%"}`,
    source: table.table,
  };
}

/** Options of {@link judgeClaim}. */
export interface JudgeOptions {
  /** What the differences are in (default "points": percentage points). */
  readonly unit?: string;
  /** Confidence level of the interval (default 0.95). */
  readonly level?: number;
}

/** The paper's side and source of a claim, as a result carries them (absent fields left out). */
function paperFields(claim: Pick<PairedClaim, "paper" | "paperEvidence" | "source">) {
  return {
    paper: claim.paper,
    ...(claim.paperEvidence === undefined ? {} : { paperEvidence: claim.paperEvidence }),
    ...(claim.source === undefined ? {} : { source: claim.source }),
  };
}

/**
 * The verdict on `claim` from the paired interval of `a − b`: for "a < b", "yes" below 0 and "no"
 * above; for "a > b" the mirror image; "not resolved" across 0 or at n = 1. With its text, the
 * interval (always of `a − b`) and whether it agrees with the paper.
 */
export function judgeClaim(
  values: ArmValues,
  claim: PairedClaim,
  options: JudgeOptions = {},
): ClaimResult {
  const unit = options.unit ?? "points";
  const comparison = compareArms(values, claim.a, claim.b, options.level);
  const aName = claim.aName ?? claim.a;
  const bName = claim.bName ?? claim.b;
  const greater = claim.direction === "greater";
  const judgement = (greater ? judgeGreater : judgeLess)(aName, bName, comparison.difference, unit);
  const prefix = `${aName} ${greater ? ">" : "<"} ${bName}: `;
  return {
    claim: `${prefix.slice(0, -2)}${claim.suffix ?? ""}`,
    ...paperFields(claim),
    verdict: judgement.verdict,
    ours: judgement.text.startsWith(prefix) ? judgement.text.slice(prefix.length) : judgement.text,
    agreement: agreement(claim.paper, judgement.verdict),
    interval: claimInterval(comparison, unit),
  };
}

/** A claim of one arm against a fixed number, e.g. "CutMix > the whole-image box". */
export interface ReferenceClaim extends Omit<PairedClaim, "b" | "bName" | "paper"> {
  /** The number's name in the claim's text. */
  readonly reference: string;
  /** The number, in the arm's unit; the same for every seed (it does not depend on one). */
  readonly value: number;
  /** What the paper found; default null (such a row is usually a check of ours). */
  readonly paper?: "yes" | "no" | null;
}

/**
 * {@link judgeClaim} of arm `a` against a fixed number (a trivial predictor's accuracy, a
 * threshold): the per-seed differences `a_s − value` with their t-interval, so "a > value" holds
 * when the arm beats it beyond its spread over seeds, not merely on average.
 */
export function judgeAgainst(
  values: ArmValues,
  claim: ReferenceClaim,
  options: JudgeOptions = {},
): ClaimResult {
  if (!Number.isFinite(claim.value)) {
    throw new Error(`judgeAgainst: ${claim.reference} must be a finite number, got ${claim.value}`);
  }
  // A key no arm can have, so the reference never shadows one.
  const key = `\u0000reference:${claim.reference}`;
  const withReference = new Map(values);
  withReference.set(key, arm(values, claim.a).map((s) => ({ seed: s.seed, value: claim.value })));
  return judgeClaim(
    withReference,
    { ...claim, b: key, bName: claim.reference, paper: claim.paper ?? null },
    options,
  );
}

/** What {@link judgeAll} needs besides the parts. */
export interface AllClaim {
  /** The claim, e.g. "every α beats the baseline". */
  readonly claim: string;
  /** The paper's verdict on the whole claim; null where it gives none to compare with. */
  readonly paper: "yes" | "no" | null;
  /** The paper's numbers behind its verdict, as text (e.g. "2.88 vs 3.85 %"). */
  readonly paperEvidence?: string;
  /** Where in the paper (e.g. "Table 8"). */
  readonly source?: string;
}

/**
 * A claim that holds when every part does (e.g. "every variant is worse than CutMix" from
 * "CutMix < variant" for each): "yes" when every part is "yes", "no" when any part is "no" (the
 * opposite holds there, which the text names), "not tested" when no part is tested, "not
 * resolved" otherwise.
 */
export function judgeAll(claim: AllClaim, parts: readonly ClaimResult[]): ClaimResult {
  if (parts.length === 0) throw new Error(`judgeAll: "${claim.claim}" has no parts`);
  const failed = parts.filter((p) => p.verdict === "no");
  const held = parts.filter((p) => p.verdict === "yes").length;
  const untested = parts.filter((p) => p.verdict === "not tested").length;
  const ns = [
    ...new Set(parts.map((p) => p.interval?.seeds.length).filter((n) => n !== undefined)),
  ];
  const at = ns.length === 1 ? ` at n = ${ns[0]}` : "";
  let verdict: ClaimVerdict;
  let ours: string;
  if (failed.length > 0) {
    verdict = "no";
    ours = `no: ${failed.length} of ${parts.length} are the opposite (${
      failed.map((p) => p.claim).join("; ")
    })`;
  } else if (held === parts.length) {
    verdict = "yes";
    // Which side of 0 the parts' intervals lie on ("a < b" parts below, "a > b" parts above).
    const below = parts.every((p) => p.interval?.high != null && p.interval.high < 0);
    const above = parts.every((p) => p.interval?.low != null && p.interval.low > 0);
    const side = below ? "below 0" : above ? "above 0" : "on the claimed side of 0";
    ours = `yes: all ${parts.length} hold (every interval ${side})`;
  } else if (untested === parts.length) {
    verdict = "not tested";
    ours = `not tested: none of the ${parts.length} parts is tested`;
  } else {
    verdict = "not resolved";
    const unresolved = parts.length - held - untested;
    ours = `not resolved${at}: ${held} of ${parts.length} hold, ${unresolved} not resolved, ${
      untested > 0 ? `${untested} not tested, ` : ""
    }none the opposite`;
  }
  return {
    claim: claim.claim,
    ...paperFields(claim),
    verdict,
    ours,
    agreement: agreement(claim.paper, verdict),
  };
}

/** A condition a claim's test needs, e.g. "the set qualifies", "CutMix beats the trivial boxes". */
export interface Precondition {
  /** Whether the condition was met, as measured (e.g. every model's ratio ≥ 60 %). */
  readonly holds: boolean;
  /** What to say when it does not hold, e.g. "the set fails its classification criterion". */
  readonly unmet: string;
}

/**
 * `claim` unchanged when every precondition holds; otherwise "not tested", whatever its interval
 * says: the text names what does not hold and then the interval's verdict, which is kept (shown,
 * not counted), as is the interval.
 */
export function requirePreconditions(
  claim: ClaimResult,
  preconditions: readonly Precondition[],
): ClaimResult {
  const unmet = preconditions.filter((p) => !p.holds).map((p) => p.unmet);
  if (unmet.length === 0) return claim;
  return {
    ...claim,
    verdict: "not tested",
    ours: `not tested (${unmet.join("; ")}); the interval alone: ${claim.ours}`,
    agreement: agreement(claim.paper, "not tested"),
  };
}

/**
 * A row that checks something of ours (not a paper claim): "yes" when `holds`, "no" when not,
 * "not resolved" when it cannot be told (`holds` undefined). `ours` is the text shown after the
 * verdict.
 */
export function checkClaim(
  claim: string,
  holds: boolean | undefined,
  evidence: string,
): ClaimResult {
  const verdict: ClaimVerdict = holds === undefined ? "not resolved" : holds ? "yes" : "no";
  return {
    claim,
    paper: null,
    verdict,
    ours: `${verdict === "not resolved" ? "unknown" : verdict}: ${evidence}`,
    agreement: null,
  };
}

/**
 * The regime's premise as a row: every seed's final clean training error (∈ [0, 1], on the
 * un-augmented training subset; undefined where the run did not record it) is at most
 * `maxTrainError`, so the model memorised its training subset (lib/experiments/regime.ts).
 */
export function memorisationCheck(
  name: string,
  errors: readonly { readonly seed: number; readonly value: number | undefined }[],
  maxTrainError: number,
): ClaimResult {
  if (errors.length === 0) throw new Error(`memorisationCheck: no runs of ${name}`);
  if (!(maxTrainError >= 0 && maxTrainError <= 1)) {
    throw new Error(`memorisationCheck: maxTrainError must be in [0, 1], got ${maxTrainError}`);
  }
  const threshold = `${(100 * maxTrainError).toFixed(1)} %`;
  const claim =
    `premise: the ${name} memorised its training subset (final clean training error ≤ ${threshold} on every seed)`;
  const missing = errors.filter((e) => e.value === undefined).map((e) => e.seed);
  if (missing.length > 0) {
    return checkClaim(
      claim,
      undefined,
      `seed(s) ${missing.join(", ")} finished before runs recorded the clean training error`,
    );
  }
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const list = errors.map((e) => `${pct(e.value!)} (seed ${e.seed})`).join(", ");
  const holds = errors.every((e) => e.value! <= maxTrainError);
  return checkClaim(
    claim,
    holds,
    holds
      ? `${list}`
      : `${list}: not memorised, so the claims are not tested in the regime they are about`,
  );
}
