/**
 * A notebook's claims table: each of the paper's claims "a < b" (lower is better, e.g. top-1
 * error) judged on the per-seed paired differences of our runs (lib/experiments/paired.ts), in
 * the form a results JSON saves ({@link ClaimResult}, lib/reports/results.ts).
 *
 * The pieces:
 * - {@link armValues}: the runs' numbers by arm (method, variant, α …) and seed;
 * - {@link summarizeArm}: mean ± sd over seeds;
 * - {@link compareArms}: `a − b` paired by seed, with its t-interval;
 * - {@link paperSide}: what a paper table says about "a < b";
 * - {@link judgeClaim}: one claim's verdict, with whether it agrees with the paper;
 * - {@link judgeAll}: "every … " claims made of several (all hold / one fails / unresolved);
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
 * @module
 */
import type { ClaimInterval, ClaimResult, ClaimVerdict } from "../reports/results.ts";
import { judgeLess, meanAndSd, type PairedDifference, pairedDifference } from "./paired.ts";
import { type PaperTable, paperValueFor } from "./paper.ts";

/** One run's number. */
export interface SeedValue {
  readonly seed: number;
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
  readonly arm: string;
  readonly seeds: readonly number[];
  readonly n: number;
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
  readonly a: string;
  readonly b: string;
  /** The seeds paired on, ascending. */
  readonly seeds: readonly number[];
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

/** Whether our verdict on a claim is the paper's. */
export function agreement(
  paper: "yes" | "no" | null,
  verdict: ClaimVerdict,
): ClaimResult["agreement"] {
  if (paper === null) return null;
  if (verdict === "not resolved") return "not resolved";
  return verdict === paper ? "agrees" : "disagrees";
}

/** One claim "a < b" to judge. */
export interface LessClaim {
  /** The arms, as keys of the values. */
  readonly a: string;
  readonly b: string;
  /** Their names in the claim's text (default: the keys). */
  readonly aName?: string;
  readonly bName?: string;
  /** What the paper found for "a < b". */
  readonly paper: "yes" | "no";
  /** The paper's evidence in a few words, e.g. "2.88 vs 3.85 %". */
  readonly paperEvidence?: string;
  /** Where in the paper, e.g. "Table 7". */
  readonly source?: string;
  /** Appended to the claim's text, e.g. " (final top-1 error)". */
  readonly suffix?: string;
}

/**
 * The paper's side of "a < b" from one of its tables (`a`, `b`: the table's keys, e.g. "cutmix",
 * "Scheduled CutMix"): "yes" when its `column` value for `a` is below `b`'s, with both numbers as
 * the evidence and the table as the source.
 */
export function paperSide(
  table: PaperTable,
  a: string,
  b: string,
  column = "top1Error",
  unit = "%",
): Pick<LessClaim, "paper" | "paperEvidence" | "source"> {
  const pa = paperValueFor(table, a, column);
  const pb = paperValueFor(table, b, column);
  return {
    paper: pa < pb ? "yes" : "no",
    paperEvidence: `${pa.toFixed(2)} vs ${pb.toFixed(2)} ${unit}`,
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

/**
 * The verdict on `claim` from the paired interval of `a − b` ("yes" below 0, "no" above, "not
 * resolved" across it or at n = 1), with its text, the interval and whether it agrees with the
 * paper.
 */
export function judgeClaim(
  values: ArmValues,
  claim: LessClaim,
  options: JudgeOptions = {},
): ClaimResult {
  const unit = options.unit ?? "points";
  const comparison = compareArms(values, claim.a, claim.b, options.level);
  const aName = claim.aName ?? claim.a;
  const bName = claim.bName ?? claim.b;
  const judgement = judgeLess(aName, bName, comparison.difference, unit);
  const prefix = `${aName} < ${bName}: `;
  return {
    claim: `${aName} < ${bName}${claim.suffix ?? ""}`,
    paper: claim.paper,
    ...(claim.paperEvidence === undefined ? {} : { paperEvidence: claim.paperEvidence }),
    ...(claim.source === undefined ? {} : { source: claim.source }),
    verdict: judgement.verdict,
    ours: judgement.text.startsWith(prefix) ? judgement.text.slice(prefix.length) : judgement.text,
    agreement: agreement(claim.paper, judgement.verdict),
    interval: claimInterval(comparison, unit),
  };
}

/** What {@link judgeAll} needs besides the parts. */
export interface AllClaim {
  /** The claim, e.g. "every α beats the baseline". */
  readonly claim: string;
  readonly paper: "yes" | "no";
  readonly paperEvidence?: string;
  readonly source?: string;
}

/**
 * A claim that holds when every part does (e.g. "every variant is worse than CutMix" from
 * "CutMix < variant" for each): "yes" when every part is "yes", "no" when any part is "no" (the
 * opposite holds there, which the text names), "not resolved" otherwise.
 */
export function judgeAll(claim: AllClaim, parts: readonly ClaimResult[]): ClaimResult {
  if (parts.length === 0) throw new Error(`judgeAll: "${claim.claim}" has no parts`);
  const failed = parts.filter((p) => p.verdict === "no");
  const held = parts.filter((p) => p.verdict === "yes").length;
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
    ours = `yes: all ${parts.length} hold (every interval below 0)`;
  } else {
    verdict = "not resolved";
    ours = `not resolved${at}: ${held} of ${parts.length} hold, ${
      parts.length - held
    } not resolved, none the opposite`;
  }
  return {
    claim: claim.claim,
    paper: claim.paper,
    ...(claim.paperEvidence === undefined ? {} : { paperEvidence: claim.paperEvidence }),
    ...(claim.source === undefined ? {} : { source: claim.source }),
    verdict,
    ours,
    agreement: agreement(claim.paper, verdict),
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
