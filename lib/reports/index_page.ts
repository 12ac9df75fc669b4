/**
 * `reports/index.html`: one page that links every notebook's report and collects their
 * "paper vs ours" rows (from the `.results.json` files) with the scale, seeds, date, machine and
 * backend they were produced with.
 *
 * @example
 * ```ts
 * import { renderIndexPage } from "./index_page.ts";
 * const page = renderIndexPage({
 *   generatedAt: "2026-11-25T03:00:00Z",
 *   scale: "smoke",
 *   machine: "2 cores",
 *   entries: [{ notebook: "01-cutmix-explained", html: "01-cutmix-explained.html", ok: true, seconds: 42 }],
 * });
 * ```
 * @module
 */
import { escapeHtml } from "./mime.ts";
import { claimPaperText, type SavedResults } from "./results.ts";

/** One executed notebook. */
export interface IndexEntry {
  /** File stem, e.g. "01-cutmix-explained". */
  notebook: string;
  /** The exported report, relative to the index. */
  html: string;
  /** Whether it executed and passed the output checks. */
  ok: boolean;
  /** Wall-clock seconds to execute and export. */
  seconds: number;
  /** Why it failed, when it did. */
  error?: string;
  /** What the notebook saved with `saveResults`, if anything. */
  results?: SavedResults;
  /** True when this notebook was not run this time (`--only`) and its earlier report is shown. */
  earlier?: boolean;
}

/** What the index shows. */
export interface IndexPage {
  /** ISO time the reproduction finished. */
  generatedAt: string;
  /** The requested scale's name. */
  scale: string;
  /** The machine description (see describeMachine). */
  machine: string;
  /** One per notebook, in order. */
  entries: readonly IndexEntry[];
}

const STYLE =
  `body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0 1.4em}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#17772b}.failed{color:#b00020;font-weight:bold}caption{text-align:left;font-weight:bold;padding:.3em 0}
.note{color:#555;font-size:90%}`;

/** Numbers with two decimals (so 80 and 79.50 line up), "—" for none. */
function fixed(value: number | null): string {
  return value === null ? "—" : value.toFixed(2);
}

/** Renders the whole index page as a standalone HTML document. */
export function renderIndexPage(page: IndexPage): string {
  const e = escapeHtml;
  const overview = page.entries.map((entry) => {
    const r = entry.results;
    return `<tr><td><a href="${e(entry.html)}">${e(entry.notebook)}</a></td>` +
      `<td>${e(r?.title ?? "")}</td>` +
      `<td class="${entry.ok ? "ok" : "failed"}" data-status="${entry.ok ? "ok" : "failed"}">${
        entry.earlier ? "earlier run" : entry.ok ? "ok" : "FAILED"
      }</td>` +
      `<td>${e(r?.scale ?? page.scale)}</td><td>${e(r ? r.seeds.join(", ") : "—")}</td>` +
      `<td>${e(r?.backend ?? "—")}</td><td>${e(r?.recordedAt ?? "—")}</td>` +
      `<td class="num">${entry.earlier ? "—" : entry.seconds.toFixed(0)}</td></tr>` +
      (entry.error ? `<tr><td colspan="8" class="failed">${e(entry.error)}</td></tr>` : "");
  }).join("\n");
  const comparisons = page.entries.filter((entry) =>
    entry.results && (entry.results.rows.length || entry.results.claims?.length)
  )
    .map((entry) => {
      const r = entry.results!;
      const rows = r.rows.map((row) =>
        `<tr><td>${e(row.quantity)}</td><td class="num">${e(fixed(row.paper))}</td>` +
        `<td class="num">${e(fixed(row.ours))}${
          row.ours !== null && typeof row.sd === "number" ? ` ± ${e(row.sd.toFixed(2))}` : ""
        }</td><td>${e(row.unit ?? "")}</td>` +
        `<td>${e(row.source ?? "")}</td><td class="note">${e(row.note ?? "")}</td></tr>`
      ).join("");
      const caption = `<caption><a href="${e(entry.html)}">${e(r.title)}</a> ` +
        `(scale ${e(r.scale)}, seeds ${e(r.seeds.join(", ") || "—")}, backend ${
          e(r.backend)
        })</caption>`;
      const claims = (r.claims ?? []).map((c) =>
        `<tr><td>${e(c.claim)}</td><td>${e(claimPaperText(c))}</td><td>${e(c.ours)}</td>` +
        `<td data-agreement="${e(c.agreement ?? "none")}">${e(c.agreement ?? "—")}</td>` +
        `<td>${e(c.source ?? "")}</td></tr>`
      ).join("");
      const notes = (r.notes ?? []).map((note) => `<p class="note">${e(note)}</p>`).join("");
      return (rows
        ? `<table>${caption}` +
          `<thead><tr><th>quantity</th><th>paper</th><th>ours</th><th>unit</th><th>source</th><th>note</th></tr></thead>` +
          `<tbody>${rows}</tbody></table>`
        : "") +
        (claims
          ? `<table>${rows ? "" : caption}` +
            `<thead><tr><th>claim</th><th>paper</th><th>ours</th><th>agrees?</th><th>source</th></tr></thead>` +
            `<tbody>${claims}</tbody></table>`
          : "") +
        notes;
    }).join("\n");
  const failed = page.entries.filter((entry) => !entry.ok).length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>CutMix reproduction reports</title>
<style>${STYLE}</style></head><body>
<h1>CutMix reproduction reports</h1>
<p>Yun et al., <i>CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
Features</i>, ICCV 2019. Produced by <code>deno task reproduce --scale ${e(page.scale)}</code> on
${e(page.generatedAt)}; machine: ${e(page.machine)}.
${failed ? `<span class="failed">${failed} notebook(s) failed.</span>` : ""}</p>
<p class="note">Numbers from a scale other than <code>paper</code> come from smaller models and
shorter schedules than the paper's and are not expected to match it; each report says what it ran.</p>
<h2>Notebooks</h2>
<table><thead><tr><th>notebook</th><th>title</th><th>status</th><th>scale</th><th>seeds</th>
<th>backend</th><th>recorded</th><th>seconds</th></tr></thead><tbody>
${overview}
</tbody></table>
<h2>Paper vs ours</h2>
${comparisons || "<p>No notebook saved results.</p>"}
</body></html>
`;
}
