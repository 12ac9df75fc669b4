/**
 * A notebook's key results, written as JSON beside its HTML report so `deno task reproduce` can
 * collect every notebook's "paper vs ours" rows into `reports/index.html`.
 *
 * File: `<reports dir>/<notebook>.results.json`; the caller names the reports dir (notebooks take
 * it from tools/experiment_env.ts, which reproduce sets through `CUTMIX_REPORTS_DIR`).
 *
 * @example
 * ```ts
 * import { saveResults } from "./results.ts";
 * const shown = await saveResults({
 *   notebook: "02-cifar-classification",
 *   title: "CIFAR classification",
 *   scale: "smoke",
 *   seeds: [0],
 *   backend: "tensorflow",
 *   rows: [{ quantity: "CIFAR-10 top-1 err, CutMix", paper: 2.88, ours: 71.3, unit: "%", source: "Table 6" }],
 * }, await Deno.makeTempDir());
 * shown; // a table: ending a cell with it displays the rows
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic_write.ts";
import type { Displayable } from "./mime.ts";
import { table } from "./table.ts";

/** One compared quantity: the paper's value and ours (null when one side has none). */
export interface ResultRow {
  /** What is measured, e.g. "CIFAR-100 top-1 error, PyramidNet-200 + CutMix". */
  quantity: string;
  /** The paper's number, or null when the paper reports none. */
  paper: number | null;
  /** Our number at this run's scale, or null when not measured at this scale. */
  ours: number | null;
  /** Unit, e.g. "%". */
  unit?: string;
  /** Where the paper's number is, e.g. "Table 5". */
  source?: string;
  /** What differs from the paper's setting (model, epochs, data), in a few words. */
  note?: string;
  /** Sample standard deviation of `ours` over seeds; null when not defined (one seed). */
  sd?: number | null;
  /** How many seeds `ours` is the mean of. */
  n?: number;
}

/**
 * A claim's verdict: from an interval (`"yes"`: it holds, `"no"`: the opposite holds, `"not
 * resolved"`: the interval contains 0), or `"not tested"` when a condition the test needs does not
 * hold (e.g. the localization set fails its criterion), whatever the interval says.
 */
export type ClaimVerdict = "yes" | "no" | "not resolved" | "not tested";

/**
 * The interval a claim "a < b" or "a > b" is judged on: the per-seed paired differences `a − b`
 * with a two-sided Student-t interval (lib/experiments/paired.ts). Bounds are null where there is
 * no interval (n < 2).
 */
export interface ClaimInterval {
  /** The seeds the two sides were paired on, ascending. */
  seeds: readonly number[];
  /** `a − b` per seed, in `seeds`' order. */
  differences: readonly number[];
  /** Mean of `differences`, in `unit`. */
  mean: number;
  /** Sample standard deviation of the differences; null for n < 2. */
  sd: number | null;
  /** Half-width of the interval, `t · sd / √n`; null for n < 2. */
  halfWidth: number | null;
  /** The interval's lower bound, `mean − halfWidth`; null for n < 2. */
  low: number | null;
  /** The interval's upper bound, `mean + halfWidth`; null for n < 2. */
  high: number | null;
  /** Confidence level ∈ (0, 1), e.g. 0.95. */
  level: number;
  /** What the differences are in, e.g. "points" (percentage points). */
  unit: string;
}

/** One of the paper's claims (or a check of ours) with our verdict. */
export interface ClaimResult {
  /** The claim, e.g. "CutMix < baseline (final top-1 error)". */
  claim: string;
  /**
   * What the paper found: "yes", "no", or null where it gives no verdict to compare with (a check
   * of ours, or a quantity the paper does not report).
   */
  paper: "yes" | "no" | null;
  /**
   * The paper's evidence in a few words, e.g. "2.88 vs 3.85 %"; with `paper` null, why there is no
   * paper side (e.g. "Fig. 5a: plot only").
   */
  paperEvidence?: string;
  /** Where in the paper, e.g. "Table 7". */
  source?: string;
  /** Our verdict on the claim (see {@link ClaimVerdict}). */
  verdict: ClaimVerdict;
  /** The verdict in words, e.g. "yes, 2.83 ± 0.63 points (95 % CI, n = 3)". */
  ours: string;
  /**
   * Whether our verdict is the paper's; "not resolved" / "not tested" when ours is; null without a
   * paper side.
   */
  agreement: "agrees" | "disagrees" | "not resolved" | "not tested" | null;
  /** The interval the verdict comes from, when it comes from one. */
  interval?: ClaimInterval;
}

/** Everything a notebook reports about its run. */
export interface NotebookResults {
  /** The notebook's file stem, e.g. "01-cutmix-explained" (names the JSON file). */
  notebook: string;
  /** A human title. */
  title: string;
  /** The scale it ran at (lib/experiments/scale.ts: "smoke", "cpu", "paper"). */
  scale: string;
  /** The seeds it used. */
  seeds: readonly number[];
  /** The TensorFlow.js backend that ran (`tf.getBackend()`), or "none" when no tensors ran. */
  backend: string;
  /** The compared quantities. */
  rows: readonly ResultRow[];
  /** The paper's claims this notebook tests, each with a verdict (and its interval). */
  claims?: readonly ClaimResult[];
  /** Free-form remarks shown under the table in the index. */
  notes?: readonly string[];
}

/** What is written: the results plus when. */
export interface SavedResults extends NotebookResults {
  /** ISO time of writing. */
  recordedAt: string;
}

const NOTEBOOK_STEM = /^\d\d-[a-z0-9-]+$/;

/** Checks a results object; throws an Error naming the bad field and value. */
export function validateResults(results: NotebookResults): void {
  if (!NOTEBOOK_STEM.test(results.notebook)) {
    throw new Error(
      `results.notebook must look like "01-name", got ${JSON.stringify(results.notebook)}`,
    );
  }
  if (typeof results.scale !== "string" || !/^[a-z0-9-]+$/.test(results.scale)) {
    throw new Error(`results.scale must be a scale's name, got ${JSON.stringify(results.scale)}`);
  }
  if (!Array.isArray(results.seeds) || !results.seeds.every(Number.isSafeInteger)) {
    throw new Error(`results.seeds must be integers, got ${JSON.stringify(results.seeds)}`);
  }
  if (!Array.isArray(results.rows)) {
    throw new Error(`results.rows must be an array, got ${results.rows}`);
  }
  results.rows.forEach((row, i) => {
    if (typeof row.quantity !== "string" || row.quantity === "") {
      throw new Error(
        `results.rows[${i}].quantity must be a non-empty string, got ${
          JSON.stringify(row.quantity)
        }`,
      );
    }
    for (const side of ["paper", "ours"] as const) {
      const value = row[side];
      if (value !== null && !Number.isFinite(value)) {
        throw new Error(`results.rows[${i}].${side} must be a finite number or null, got ${value}`);
      }
    }
    if (row.sd !== undefined && row.sd !== null && !(Number.isFinite(row.sd) && row.sd >= 0)) {
      throw new Error(`results.rows[${i}].sd must be a number ≥ 0 or null, got ${row.sd}`);
    }
    if (row.n !== undefined && !(Number.isSafeInteger(row.n) && row.n >= 1)) {
      throw new Error(`results.rows[${i}].n must be a positive integer, got ${row.n}`);
    }
  });
  if (results.claims !== undefined) {
    if (!Array.isArray(results.claims)) {
      throw new Error(`results.claims must be an array, got ${results.claims}`);
    }
    results.claims.forEach((claim, i) => validateClaim(claim, `results.claims[${i}]`));
  }
}

const VERDICTS: readonly string[] = ["yes", "no", "not resolved", "not tested"];
const AGREEMENTS: readonly (string | null)[] = [
  "agrees",
  "disagrees",
  "not resolved",
  "not tested",
  null,
];

function validateClaim(claim: ClaimResult, at: string): void {
  for (const field of ["claim", "ours"] as const) {
    if (typeof claim[field] !== "string" || claim[field] === "") {
      throw new Error(
        `${at}.${field} must be a non-empty string, got ${JSON.stringify(claim[field])}`,
      );
    }
  }
  if (!(claim.paper === "yes" || claim.paper === "no" || claim.paper === null)) {
    throw new Error(`${at}.paper must be "yes", "no" or null, got ${JSON.stringify(claim.paper)}`);
  }
  if (!VERDICTS.includes(claim.verdict)) {
    throw new Error(
      `${at}.verdict must be one of ${VERDICTS.join(", ")}, got ${JSON.stringify(claim.verdict)}`,
    );
  }
  if (!AGREEMENTS.includes(claim.agreement)) {
    throw new Error(
      `${at}.agreement must be "agrees", "disagrees", "not resolved", "not tested" or null, got ${
        JSON.stringify(claim.agreement)
      }`,
    );
  }
  const interval = claim.interval;
  if (interval === undefined) return;
  const n = interval.seeds?.length;
  if (!Array.isArray(interval.seeds) || n === 0 || !interval.seeds.every(Number.isSafeInteger)) {
    throw new Error(`${at}.interval.seeds must be integers, got ${JSON.stringify(interval.seeds)}`);
  }
  if (
    !Array.isArray(interval.differences) || interval.differences.length !== n ||
    !interval.differences.every(Number.isFinite)
  ) {
    throw new Error(
      `${at}.interval.differences must be ${n} finite numbers (one per seed), got ${
        JSON.stringify(interval.differences)
      }`,
    );
  }
  if (!Number.isFinite(interval.mean)) {
    throw new Error(`${at}.interval.mean must be a finite number, got ${interval.mean}`);
  }
  for (const field of ["sd", "halfWidth", "low", "high"] as const) {
    const value = interval[field];
    if (value !== null && !Number.isFinite(value)) {
      throw new Error(`${at}.interval.${field} must be a finite number or null, got ${value}`);
    }
  }
  if (!(interval.level > 0 && interval.level < 1)) {
    throw new Error(`${at}.interval.level must be in (0, 1), got ${interval.level}`);
  }
}

/**
 * The paper's side of a claim for a table: its finding and evidence; without a finding, the
 * evidence (why there is none) or "—".
 */
export function claimPaperText(claim: ClaimResult): string {
  if (claim.paper === null) return claim.paperEvidence ? `— (${claim.paperEvidence})` : "—";
  return claim.paperEvidence ? `${claim.paper} (${claim.paperEvidence})` : claim.paper;
}

/** The rows as a displayable table (paper vs ours, with ± sd and n where rows have them). */
export function resultsTable(results: NotebookResults): Displayable {
  // A spread column only when some row has one (most notebooks' rows are single numbers).
  const spread = results.rows.some((row) => row.sd !== undefined);
  const rows = results.rows.map((row) => ({
    quantity: row.quantity,
    paper: row.paper,
    ours: row.ours,
    ...(spread ? { "± sd": row.sd ?? null, n: row.n ?? null } : {}),
    unit: row.unit ?? "",
    source: row.source ?? "",
    note: row.note ?? "",
  }));
  return table(rows.length ? rows : [{ quantity: "(no compared quantities)" }], {
    caption: `${results.title}: scale ${results.scale}, seeds ${
      results.seeds.join(", ") || "—"
    }, backend ${results.backend}`,
  });
}

/**
 * Validates and writes `<dir>/<notebook>.results.json` atomically (`dir`: the reports folder); returns the path and the
 * results table to display.
 */
export async function saveResults(
  results: NotebookResults,
  dir: string,
): Promise<Displayable & { path: string }> {
  validateResults(results);
  const saved: SavedResults = { ...results, recordedAt: new Date().toISOString() };
  const path = join(dir, `${results.notebook}.results.json`);
  await writeFileAtomic(path, JSON.stringify(saved, null, 2) + "\n");
  return { ...resultsTable(results), path };
}

/** Reads a results file written by {@link saveResults} (validated). */
export async function loadResults(path: string): Promise<SavedResults> {
  const parsed = JSON.parse(await Deno.readTextFile(path)) as SavedResults;
  validateResults(parsed);
  return parsed;
}
