/**
 * `deno task reproduce [--scale smoke|cpu|paper] [--only 01,02] [--out reports] [--no-sweep]
 * [--workers N] [--threads-per-worker T]`
 *
 * First trains every run the notebooks need with `deno task sweep run` (a local pool of worker
 * processes, tools/sweep.ts; what is in the runs cache is skipped, a killed sweep resumes), and
 * stops if a run failed. Then executes every `notebooks/NN-*.ipynb` with the Deno kernel through real Jupyter (nbclient, in
 * the project's `.cache/venv`, with the project-local kernelspec; see tools/setup/jupyter.ts),
 * then exports each to a self-contained `<out>/NN-name.html` (nbconvert's lab template without
 * its CDN scripts: no require.js, MathJax or Mermaid, so a report opens offline) and writes
 * `<out>/index.html`, which collects the `<out>/NN-name.results.json` every notebook saves with
 * `saveResults` (lib/reports/results.ts), and the same paper-vs-ours tables as Markdown in
 * `<out>/SUMMARY.md` (for the README).
 *
 * The scale reaches the notebooks as `CUTMIX_SCALE` (read by tools/experiment_env.ts), the
 * output folder as `CUTMIX_REPORTS_DIR`. Progress: each cell's start and every line a cell
 * prints are echoed here as they happen.
 *
 * It fails (exit 1, after trying every notebook) when a notebook
 * - raises in a cell, times out, or its kernel dies;
 * - has a code cell without outputs, unless the cell's first line starts with `// no-output`
 *   (Deno's kernel has been seen to drop outputs; this catches it);
 * - did not save its results JSON during this run.
 * The executed notebook is kept as `<out>/executed/NN-name.ipynb` either way, and a failed one is still
 * exported so its error can be read.
 *
 * Check the exported pages in a browser afterwards with `deno task check-reports`.
 * @module
 */
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";
import { ensureJupyter } from "./setup/jupyter.ts";
import { writeFileAtomic } from "../lib/io/atomic_write.ts";
import { describeMachine } from "../lib/reports/machine.ts";
import { type IndexEntry, renderIndexPage } from "../lib/reports/index_page.ts";
import { renderSummaryMarkdown } from "../lib/reports/summary_markdown.ts";
import { loadResults, type SavedResults } from "../lib/reports/results.ts";
import { type ReproductionScale, SCALES } from "../lib/experiments/scale.ts";
import { NOTEBOOKS_WITH_RUNS } from "../lib/experiments/run_list.ts";
import { experimentSettingsFromEnv } from "./experiment_env.ts";

/** The marker that exempts a code cell from the "must have output" check. */
export const NO_OUTPUT_MARKER = "// no-output";

/** Per-cell time limits by scale, in seconds (0 = none). */
const CELL_TIMEOUT_S: Record<ReproductionScale, number> = { smoke: 900, cpu: 0, paper: 0 };

/**
 * Runs one notebook with nbclient and exports it with nbconvert. Arguments: source notebook,
 * executed-notebook path, HTML path, kernel name, cell timeout (s, 0 = none), working folder.
 * Prints one JSON line `{"error": null | "..."}` on stdout; progress goes to stderr.
 */
const DRIVER = String.raw`
import json, os, sys, time
import nbformat
from jinja2 import DictLoader
from nbclient import NotebookClient
from nbconvert import HTMLExporter

src, out_ipynb, out_html, kernel, timeout, cwd = sys.argv[1:7]
nb = nbformat.read(src, as_version=4)
code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
started = time.monotonic()

class Client(NotebookClient):
    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            for line in msg["content"].get("text", "").splitlines():
                sys.stderr.write("    | " + line + "\n")
            sys.stderr.flush()
        return super().output(outs, msg, display_id, cell_index)

def on_cell_start(cell, cell_index, **_):
    if cell.cell_type == "code":
        n = code_cells.index(cell_index) + 1
        first = (cell.source.strip().splitlines() or [""])[0][:70]
        sys.stderr.write(f"  [{time.monotonic() - started:7.1f}s] cell {n}/{len(code_cells)}: {first}\n")
        sys.stderr.flush()

client = Client(
    nb,
    timeout=None if timeout == "0" else int(timeout),
    kernel_name=kernel,
    resources={"metadata": {"path": cwd}},
    on_cell_start=on_cell_start,
    record_timing=True,
)
error = None
try:
    client.execute()
except Exception as e:  # CellExecutionError, CellTimeoutError, DeadKernelError, ...
    text = str(e).strip()
    error = type(e).__name__ + ": " + (text[-1500:] if len(text) > 1500 else text)
nbformat.write(nb, out_ipynb + ".tmp")
os.replace(out_ipynb + ".tmp", out_ipynb)

# nbconvert's lab template, minus the scripts it loads from CDNs (the report must open offline),
# with SVG outputs inline as DOM nodes (a browser check can inspect them) instead of base64 <img>.
# (nbconvert's own inline-SVG option passes the SVG through bleach, which strips every SVG tag.)
offline = DictLoader({"cutmix_offline.html.j2": """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block data_svg scoped -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}" data-mime-type="image/svg+xml">
{{ output.data['image/svg+xml'] }}
</div>
{%- endblock data_svg %}
"""})
exporter = HTMLExporter(template_name="lab", extra_loaders=[offline], template_file="cutmix_offline.html.j2")
title = nb.metadata.get("title") or src.rsplit("/", 1)[-1].removesuffix(".ipynb")
body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
with open(out_html + ".tmp", "w", encoding="utf-8") as f:
    f.write(body)
os.replace(out_html + ".tmp", out_html)
print(json.dumps({"error": error}))
`;

/** A code cell as nbformat stores it (only what the checks read). */
interface CodeCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; ename?: string; evalue?: string }[];
}

/**
 * Checks an executed notebook: every code cell has at least one output (unless its first line
 * starts with {@link NO_OUTPUT_MARKER}) and no output is an error. Returns the problems found.
 */
export function checkExecutedNotebook(notebook: { cells: CodeCell[] }): string[] {
  const problems: string[] = [];
  let codeIndex = 0;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    codeIndex++;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    const firstLine = source.trimStart().split("\n")[0];
    const outputs = cell.outputs ?? [];
    for (const output of outputs) {
      if (output.output_type === "error") {
        problems.push(`code cell ${codeIndex} raised ${output.ename}: ${output.evalue}`);
      }
    }
    if (outputs.length === 0 && !firstLine.startsWith(NO_OUTPUT_MARKER) && source.trim() !== "") {
      problems.push(
        `code cell ${codeIndex} has no output (expected one; mark it "${NO_OUTPUT_MARKER}" if none is intended): ${
          firstLine.slice(0, 80)
        }`,
      );
    }
  }
  return problems;
}

/**
 * The path-valued variables a notebook reads. The kernel runs from `notebooks/`, so a relative
 * path the user gave (say `CUTMIX_RUNS_DIR=.cache/smoke/runs`) would land under `notebooks/`;
 * they are resolved here, against the directory reproduce was started from.
 */
export const PATH_VARIABLES = [
  "CUTMIX_RUNS_DIR",
  "CUTMIX_DATA_DIR",
  "CUTMIX_CIFAR10_ARCHIVE",
  "CUTMIX_CIFAR100_ARCHIVE",
] as const;

/** {@link PATH_VARIABLES} that are set, made absolute against `cwd`. */
export function absolutePathVariables(
  env: { get(name: string): string | undefined },
  cwd: string,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const name of PATH_VARIABLES) {
    const value = env.get(name);
    if (value) resolved[name] = resolve(cwd, value);
  }
  return resolved;
}

/** The notebooks to run: `notebooks/NN-*.ipynb`, sorted, filtered by NN prefixes if given. */
export function selectNotebooks(names: readonly string[], only?: readonly string[]): string[] {
  const notebooks = names.filter((name) => /^\d\d-.+\.ipynb$/.test(name)).sort();
  if (!only || only.length === 0) return notebooks;
  const unknown = only.filter((prefix) => !notebooks.some((name) => name.startsWith(`${prefix}-`)));
  if (unknown.length) {
    throw new Error(
      `--only ${only.join(",")}: no notebook numbered ${unknown.join(", ")} (have ${
        notebooks.map((n) => n.slice(0, 2)).join(", ")
      })`,
    );
  }
  return notebooks.filter((name) => only.some((prefix) => name.startsWith(`${prefix}-`)));
}

/**
 * Trains the runs of `notebooks` (numbers) at `scale` with `deno task sweep run` (local pool)
 * into the runs cache the notebooks will read; returns its exit code.
 */
async function sweep(
  root: string,
  scale: ReproductionScale,
  notebooks: readonly string[],
  pool: { workers?: string; threads?: string },
): Promise<number> {
  const only = notebooks.filter((n) => NOTEBOOKS_WITH_RUNS.includes(n));
  if (only.length === 0) return 0;
  const { runsDir } = experimentSettingsFromEnv();
  const args = ["run", "-A", join(root, "tools/sweep.ts"), "run", "--scale", scale];
  args.push("--only", only.join(","), "--runs-dir", runsDir);
  if (pool.workers) args.push("--workers", pool.workers);
  if (pool.threads) args.push("--threads-per-worker", pool.threads);
  console.error(`[reproduce] training the notebooks' runs first: deno ${args.join(" ")}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return status.code;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      scale: { type: "string", default: "cpu" },
      only: { type: "string" },
      out: { type: "string", default: "reports" },
      "no-sweep": { type: "boolean" },
      workers: { type: "string" },
      "threads-per-worker": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "deno task reproduce [--scale smoke|cpu|paper] [--only 01,02] [--out reports] [--no-sweep] " +
        "[--workers N] [--threads-per-worker T]",
    );
    return 0;
  }
  const scale = values.scale as ReproductionScale;
  if (!SCALES.includes(scale)) {
    throw new Error(`--scale must be one of ${SCALES.join(", ")}, got ${values.scale}`);
  }
  const root = resolve(new URL("..", import.meta.url).pathname);
  const out = resolve(values.out!);
  const notebooksDir = join(root, "notebooks");
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const names = selectNotebooks([...Deno.readDirSync(notebooksDir)].map((e) => e.name), only);
  if (names.length === 0) throw new Error(`no notebooks/NN-*.ipynb found in ${notebooksDir}`);

  if (/^2\.(9|\d\d)\./.test(Deno.version.deno)) {
    console.error(
      `[reproduce] warning: Deno ${Deno.version.deno}'s Jupyter kernel has been seen to publish outputs after ` +
        "reporting idle, which nbclient then drops (2.9.6: 0–3 of 9 per run); the project pins 2.8.1. " +
        "A cell that loses all its outputs fails the run; one that loses some does not.",
    );
  }
  const jupyter = await ensureJupyter(root);
  if (!values["no-sweep"]) {
    const code = await sweep(root, scale, names.map((n) => n.slice(0, 2)), {
      workers: values.workers,
      threads: values["threads-per-worker"],
    });
    if (code !== 0) {
      console.error(
        `[reproduce] the sweep failed (exit ${code}): see its FAILED lines and logs above; ` +
          "rerun to resume (trained runs are kept), or pass --no-sweep to train in the notebooks",
      );
      return 1;
    }
  }
  await Deno.mkdir(join(out, "executed"), { recursive: true });
  const machine = describeMachine();
  console.error(
    `[reproduce] ${names.length} notebook(s) at scale ${scale} into ${out}\n[reproduce] machine: ${machine.summary}`,
  );

  const entries: IndexEntry[] = [];
  for (const name of names) {
    const stem = basename(name, ".ipynb");
    const executed = join(out, "executed", `${stem}.ipynb`);
    const htmlPath = join(out, `${stem}.html`);
    const resultsPath = join(out, `${stem}.results.json`);
    await Deno.remove(resultsPath).catch(() => {});
    const started = performance.now();
    const startedAt = new Date();
    console.error(`[reproduce] ${name}: executing`);
    const child = new Deno.Command(jupyter.python, {
      args: [
        "-c",
        DRIVER,
        join(notebooksDir, name),
        executed,
        htmlPath,
        "deno",
        String(CELL_TIMEOUT_S[scale]),
        notebooksDir,
      ],
      env: {
        ...jupyter.env,
        ...absolutePathVariables(Deno.env, Deno.cwd()),
        CUTMIX_SCALE: scale,
        CUTMIX_REPORTS_DIR: out,
        CUTMIX_NOTEBOOK: stem,
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    });
    const result = await child.output();
    const seconds = (performance.now() - started) / 1000;
    const problems: string[] = [];
    const stdout = new TextDecoder().decode(result.stdout).trim();
    const lastLine = stdout.split("\n").at(-1) ?? "";
    let driverError: string | null = null;
    try {
      driverError = (JSON.parse(lastLine) as { error: string | null }).error;
    } catch {
      driverError = `the notebook driver failed (exit ${result.code}): ${stdout.slice(-800)}`;
    }
    if (driverError) problems.push(driverError);
    try {
      problems.push(...checkExecutedNotebook(JSON.parse(await Deno.readTextFile(executed))));
    } catch (error) {
      if (!driverError) problems.push(`no executed notebook at ${executed}: ${error}`);
    }
    let results: SavedResults | undefined;
    try {
      results = await loadResults(resultsPath);
      if (new Date(results.recordedAt) < startedAt) {
        problems.push(`${resultsPath} is older than this run`);
      }
    } catch (error) {
      problems.push(
        `the notebook saved no results (saveResults → ${resultsPath}): ${(error as Error).message}`,
      );
    }
    const ok = problems.length === 0;
    console.error(
      `[reproduce] ${name}: ${ok ? "ok" : "FAILED"} in ${seconds.toFixed(1)} s` +
        (ok ? "" : `\n  - ${problems.join("\n  - ")}`),
    );
    entries.push({
      notebook: stem,
      html: `${stem}.html`,
      ok,
      seconds,
      error: ok ? undefined : problems.join(" | "),
      results,
    });
  }

  // Notebooks not run this time (--only) keep their earlier report in the index, marked as such.
  const all = selectNotebooks([...Deno.readDirSync(notebooksDir)].map((e) => e.name));
  for (const name of all) {
    const stem = basename(name, ".ipynb");
    if (names.includes(name)) continue;
    try {
      Deno.statSync(join(out, `${stem}.html`));
    } catch {
      continue;
    }
    const results = await loadResults(join(out, `${stem}.results.json`)).catch(() => undefined);
    entries.push({
      notebook: stem,
      html: `${stem}.html`,
      ok: results !== undefined,
      seconds: 0,
      results,
      earlier: true,
    });
  }
  entries.sort((a, b) => a.notebook.localeCompare(b.notebook));
  const page = { generatedAt: new Date().toISOString(), scale, machine: machine.summary, entries };
  const index = renderIndexPage(page);
  const indexPath = join(out, "index.html");
  await writeFileAtomic(indexPath, index);
  await writeFileAtomic(join(out, "SUMMARY.md"), renderSummaryMarkdown(page));
  const failed = entries.filter((e) => !e.ok && !e.earlier);
  const ran = entries.filter((e) => !e.earlier).length;
  console.error(
    `[reproduce] wrote ${indexPath}; ${ran - failed.length}/${ran} notebook(s) passed` +
      (failed.length ? ` (FAILED: ${failed.map((e) => e.notebook).join(", ")})` : "") +
      `; check the pages with ` +
      `\`deno task check-reports --dir ${values.out}\``,
  );
  return failed.length ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`[reproduce] ${(error as Error).message}`);
    Deno.exit(2);
  }
}
