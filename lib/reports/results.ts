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
  });
}

/** The rows as a displayable table (paper vs ours). */
export function resultsTable(results: NotebookResults): Displayable {
  const rows = results.rows.map((row) => ({
    quantity: row.quantity,
    paper: row.paper,
    ours: row.ours,
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
