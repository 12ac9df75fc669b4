/**
 * `reports/SUMMARY.md`: the index's "paper vs ours" tables as Markdown, for the README and for
 * reading on a code host without opening the HTML. Written by `deno task reproduce` next to
 * `index.html`, from the same {@link IndexPage}, so the two never disagree.
 *
 * @example
 * ```ts
 * import { renderSummaryMarkdown } from "./summary_markdown.ts";
 * const markdown = renderSummaryMarkdown({
 *   generatedAt: "2026-11-25T06:00:00Z",
 *   scale: "cpu",
 *   machine: "2 cores",
 *   entries: [],
 * });
 * ```
 * @module
 */
import type { IndexPage } from "./index_page.ts";
import { claimPaperText, type ResultRow } from "./results.ts";

/** Two decimals (as the index), "—" for none. */
function fixed(value: number | null): string {
  return value === null ? "—" : value.toFixed(2);
}

/** Our value, with "± sd" when the row has a spread over seeds. */
function oursCell(row: ResultRow): string {
  const value = fixed(row.ours);
  return row.ours !== null && typeof row.sd === "number"
    ? `${value} ± ${row.sd.toFixed(2)}`
    : value;
}

/** Escapes what would break a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/**
 * The summary as Markdown: a line on how it was produced, then per notebook with results a
 * heading (title, scale, seeds, backend), its paper-vs-ours table (ours as mean ± sd over seeds
 * where the row has a spread), its claims table (the paper's finding, our verdict with its
 * interval, whether they agree) and its notes. Notebooks that failed are listed, not hidden;
 * notebooks without results are skipped.
 */
export function renderSummaryMarkdown(page: IndexPage): string {
  const lines: string[] = [
    `# CutMix reproduction: paper vs ours`,
    "",
    `Produced by \`deno task reproduce --scale ${page.scale}\` on ${page.generatedAt}; ` +
    `machine: ${page.machine}. Numbers from a scale other than \`paper\` come from smaller models ` +
    `and shorter schedules than the paper's; each report says what it ran.`,
    "",
  ];
  const failed = page.entries.filter((entry) => !entry.ok);
  if (failed.length > 0) {
    lines.push(`**Failed:** ${failed.map((entry) => entry.notebook).join(", ")}`, "");
  }
  for (const entry of page.entries) {
    const r = entry.results;
    const claims = r?.claims ?? [];
    if (!r || (r.rows.length === 0 && claims.length === 0)) continue;
    lines.push(
      `## ${cell(r.title)} (\`${entry.notebook}\`)`,
      "",
      `Scale ${r.scale}, seeds ${r.seeds.join(", ") || "—"}, backend ${r.backend}` +
        `, recorded ${r.recordedAt}` +
        (entry.earlier ? " (an earlier run: not re-run this time)" : "") + ".",
      "",
    );
    if (r.rows.length > 0) {
      lines.push(
        "| quantity | paper | ours | unit | source | note |",
        "| --- | ---: | ---: | --- | --- | --- |",
        ...r.rows.map((row) =>
          `| ${cell(row.quantity)} | ${fixed(row.paper)} | ${oursCell(row)} | ${
            cell(row.unit ?? "")
          } | ${cell(row.source ?? "")} | ${cell(row.note ?? "")} |`
        ),
        "",
      );
    }
    if (claims.length > 0) {
      lines.push(
        "| claim | paper | ours | agrees? | source |",
        "| --- | --- | --- | --- | --- |",
        ...claims.map((c) =>
          `| ${cell(c.claim)} | ${cell(claimPaperText(c))} | ${cell(c.ours)} | ${
            c.agreement ?? "—"
          } | ${cell(c.source ?? "")} |`
        ),
        "",
      );
    }
    lines.push(
      ...(r.notes ?? []).flatMap((note) => [`- ${cell(note)}`]),
    );
    if ((r.notes ?? []).length > 0) lines.push("");
  }
  return lines.join("\n");
}
