/**
 * Tables for notebooks and reports: `text/html` (styled, right-aligned numbers) and
 * `text/markdown` (GitHub pipes), both built from the same formatted cells.
 *
 * @example
 * ```ts
 * import { table } from "./table.ts";
 * table([
 *   { method: "baseline", "top-1 err (%)": 16.45 },
 *   { method: "CutMix", "top-1 err (%)": 14.47 },
 * ], { caption: "CIFAR-100, PyramidNet-200 (Table 5)" });
 * ```
 * @module
 */
import { type Displayable, displayable, escapeHtml } from "./mime.ts";

/** One row: column name → cell value. */
export type TableRow = Readonly<Record<string, unknown>>;

/** Options of {@link table}. */
export interface TableOptions {
  /** Column order (default: keys in order of first appearance across rows). */
  columns?: readonly string[];
  /** A caption shown above the table. */
  caption?: string;
  /** Decimals for non-integer numbers (default 2). */
  digits?: number;
}

/** Formats one cell: integers as is, other numbers with `digits` decimals, null/undefined as "—". */
export function formatCell(value: unknown, digits = 2): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  }
  return String(value);
}

/** A displayable table of `rows`. Throws on an empty row list or a bad `digits`. */
export function table(rows: readonly TableRow[], options: TableOptions = {}): Displayable {
  const { caption, digits = 2 } = options;
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`rows must be a non-empty array of objects, got ${JSON.stringify(rows)}`);
  }
  if (!Number.isInteger(digits) || digits < 0 || digits > 12) {
    throw new Error(`options.digits must be an integer in [0, 12], got ${digits}`);
  }
  const columns = options.columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  // A column with any non-integer number shows every number with `digits` decimals, so 2 and
  // 2.50 line up; a column of integers (counts, seeds) shows them as integers.
  const integral = columns.map((column) =>
    rows.every((row) => typeof row[column] !== "number" || Number.isInteger(row[column]))
  );
  const cells = rows.map((row) =>
    columns.map((column, i) => {
      const value = row[column];
      return typeof value === "number" && !integral[i] && Number.isFinite(value)
        ? value.toFixed(digits)
        : formatCell(value, digits);
    })
  );
  const numeric = columns.map((column) => rows.every((row) => typeof row[column] !== "string"));

  const align = (i: number) => (numeric[i] ? "right" : "left");
  const head = columns.map((c, i) => `<th style="text-align:${align(i)}">${escapeHtml(c)}</th>`);
  const body = cells.map((row) =>
    `<tr>${
      row.map((c, i) => `<td style="text-align:${align(i)}">${escapeHtml(c)}</td>`).join("")
    }</tr>`
  );
  const htmlText = `<table class="cutmix-table">` +
    (caption ? `<caption>${escapeHtml(caption)}</caption>` : "") +
    `<thead><tr>${head.join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`;

  const pipe = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
  const markdownText = [
    ...(caption ? [`**${pipe(caption)}**`, ""] : []),
    `| ${columns.map(pipe).join(" | ")} |`,
    `|${columns.map((_, i) => (numeric[i] ? "---:" : ":---")).join("|")}|`,
    ...cells.map((row) => `| ${row.map(pipe).join(" | ")} |`),
  ].join("\n");

  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (row: readonly string[]) =>
    row.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  const plain = [...(caption ? [caption] : []), line(columns), ...cells.map(line)].join("\n");

  return displayable({ "text/html": htmlText, "text/markdown": markdownText, "text/plain": plain });
}
