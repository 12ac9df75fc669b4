/**
 * The test task's JupyterLab stage: notebook 01, opened and run in the JupyterLab UI by headless
 * Chromium, must show what a user would see.
 *
 * 1. Starts `deno task lab --no-browser --scale smoke` (tools/lab.ts) on a free 127.0.0.1 port.
 * 2. Drives Chromium over the DevTools protocol (tools/check_reports.ts's driver; nothing outside
 *    127.0.0.1 resolves) to `/lab/tree/01-cutmix-explained.ipynb`, clicks the first cell and
 *    presses Shift+Enter through every cell before the first that loads models, as a user would.
 * 3. Checks the page's DOM: no error output; the settings table says backend `tensorflow`, native
 *    TensorFlow and scale `smoke` (so `--scale` reached the kernel); image grids decoded; Vega-Lite
 *    charts drawn by JupyterLab's own renderer (vega-embed) rather than the SVG fallback; the
 *    Plotly chart drawn by the jupyterlab-plotly renderer; no uncaught page error; no request
 *    leaving 127.0.0.1.
 * 4. Edits a cell as a user would (the λ-draw cell, α 1 → 0.25: select all, type the new source),
 *    reruns it and the histogram after it, and checks that the table and the chart changed.
 * 5. Saves screenshots (`.cache/lab-test/screenshot.png`: the edited histogram;
 *    `screenshot-top.png`: the first cells), then stops the lab by its pid with SIGTERM and checks
 *    that the server and its kernel are gone.
 *
 * Without JupyterLab or Chromium it is skipped, except under `CI=true`, where that fails (the
 * caller, tools/test.ts, reports which). The lab's own log goes to `.cache/lab-test/lab.log`.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/io/atomic_write.ts";
import { type DevTools, startChromium } from "../check_reports.ts";
import { ensureJupyter } from "../setup/jupyter.ts";
import { findChromium } from "../setup/chromium.ts";
import { freePort, kernelProcesses, labRuntimeDir, processAlive } from "../lab.ts";

/** The notebook the stage opens, in notebooks/. */
export const LAB_TEST_NOTEBOOK = "01-cutmix-explained.ipynb";

/** The edit the stage makes, as a user would: the λ draws' α, 1 → 0.25. */
export const ALPHA_EDIT = {
  from: "const ALPHA = 1;",
  to: "const ALPHA = 0.25;",
} as const;

/** The cells of a notebook as nbformat stores them (only what the stage reads). */
interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

/**
 * A code cell that loads or trains models: the stage stops before the first one (at smoke scale
 * its models would come from the sweep, which this stage does not run).
 */
export const MODEL_CELL = /\b(loadRuns|trainAll)\(/;

/** What the stage runs: the cells before the first {@link MODEL_CELL}, and the cell it edits. */
export interface LabTestPlan {
  /** How many cells (markdown included) Shift+Enter goes through from the top. */
  cellsToRun: number;
  /** Index (among all cells) of the cell containing {@link ALPHA_EDIT}`.from`. */
  editedCell: number;
  /** Its source after the edit. */
  editedSource: string;
}

/** Plans the run from the notebook: stop before models load; edit the α of the λ draws. */
export function planLabTest(cells: readonly NotebookCell[]): LabTestPlan {
  const text = (cell: NotebookCell) =>
    Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  const training = cells.findIndex((c) => c.cell_type === "code" && MODEL_CELL.test(text(c)));
  const cellsToRun = training === -1 ? cells.length : training;
  const editedCell = cells.findIndex((c) => text(c).includes(ALPHA_EDIT.from));
  if (editedCell === -1 || editedCell + 1 >= cellsToRun) {
    throw new Error(
      `notebook 01 has no cell with "${ALPHA_EDIT.from}" followed by another before models load; ` +
        "update tools/test/lab_stage.ts to the notebook",
    );
  }
  return {
    cellsToRun,
    editedCell,
    editedSource: text(cells[editedCell]).replace(ALPHA_EDIT.from, ALPHA_EDIT.to),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The visible notebook's cells (JupyterLab keeps restored tabs in the DOM, hidden). */
const CELLS =
  `[...document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")]`;

/** Runs in the page: the state of the visible notebook. */
const STATE = `(() => {
  const cells = ${CELLS};
  const indicator = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator");
  const kernel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName");
  return JSON.stringify({
    cells: cells.length,
    status: indicator ? indicator.dataset.status : null,
    kernel: kernel ? kernel.textContent.trim() : null,
    prompts: cells.map((c) => c.classList.contains("jp-CodeCell") ? (c.querySelector(".jp-InputPrompt")?.textContent ?? "").trim() : null),
    errors: cells.flatMap((c, i) => [...c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map((e) => "cell " + i + ": " + e.textContent.slice(0, 400))),
  });
})()`;

/** What {@link STATE} reports. */
interface NotebookState {
  cells: number;
  status: string | null;
  kernel: string | null;
  /** Per cell: the code cell's prompt (`[3]:`, `[*]:`, `[ ]:`), null for other cells. */
  prompts: (string | null)[];
  errors: string[];
}

/** Runs in the page: what the first cells rendered (see the module doc). */
const RENDERED = `(() => {
  const cells = ${CELLS};
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const tableValue = (table, column) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    const i = heads.indexOf(column);
    const td = i < 0 ? null : table.querySelectorAll("tbody tr")[0]?.children[i];
    return td ? td.textContent.trim() : null;
  };
  const settings = cells.map((c) => c.querySelector("table.cutmix-table")).find((t) => t && tableValue(t, "backend") !== null);
  const images = cells.flatMap((c) => [...c.querySelectorAll("figure.cutmix-images img")]);
  const vega = cells.flatMap((c) => [...c.querySelectorAll(".jp-RenderedVegaLite .vega-embed")]);
  const plotly = cells.flatMap((c) => [...c.querySelectorAll(".js-plotly-plot")]);
  return JSON.stringify({
    backend: settings ? tableValue(settings, "backend") : null,
    native: settings ? tableValue(settings, "tensorflowNative") : null,
    scale: settings ? tableValue(settings, "scale") : null,
    tables: cells.filter((c) => c.querySelector("table.cutmix-table")).length,
    imageGrids: cells.flatMap((c) => [...c.querySelectorAll("figure.cutmix-images")]).length,
    images: images.length,
    brokenImages: images.filter((img) => !img.complete || img.naturalWidth === 0).length,
    vegaCharts: vega.length,
    drawnVegaCharts: vega.filter((e) => [...e.querySelectorAll("canvas, svg.marks")].some(visible)).length,
    svgFallbacks: cells.filter((c) => c.querySelector(".jp-RenderedSVG, .jp-RenderedImage img[src^='data:image/svg']")).length,
    plotlyCharts: plotly.length,
    drawnPlotlyCharts: plotly.filter((e) => e.querySelector("svg.main-svg") && e.querySelector(".scatterlayer .trace, .barlayer .trace")).length,
    plotlyAsHtml: cells.filter((c) => c.querySelector(".jp-RenderedHTML .cutmix-plotly")).length,
  });
})()`;

/** What {@link RENDERED} reports. */
interface Rendered {
  backend: string | null;
  native: string | null;
  scale: string | null;
  tables: number;
  imageGrids: number;
  images: number;
  brokenImages: number;
  vegaCharts: number;
  drawnVegaCharts: number;
  svgFallbacks: number;
  plotlyCharts: number;
  drawnPlotlyCharts: number;
  plotlyAsHtml: number;
}

/** A page in Chromium, with the problems it reported (exceptions, console errors, outside requests). */
class Page {
  readonly problems: string[] = [];
  private constructor(readonly devtools: DevTools, readonly sessionId: string) {}

  static async open(devtools: DevTools, allowedOrigin: string): Promise<Page> {
    const { sessionId } = await devtools.openTab();
    const page = new Page(devtools, sessionId);
    devtools.on((message) => {
      if (message.sessionId !== sessionId) return;
      const p = message.params ?? {};
      if (message.method === "Runtime.exceptionThrown") {
        const details = p.exceptionDetails as {
          text?: string;
          exception?: { description?: string };
        };
        page.problems.push(
          `uncaught: ${(details.exception?.description ?? details.text ?? "").slice(0, 300)}`,
        );
      } else if (message.method === "Runtime.consoleAPICalled" && p.type === "error") {
        const args = (p.args as { value?: unknown; description?: string }[]) ?? [];
        page.problems.push(
          `console.error: ${args.map((a) => a.value ?? a.description).join(" ").slice(0, 300)}`,
        );
      } else if (message.method === "Network.requestWillBeSent") {
        const url = (p.request as { url: string }).url;
        if (!url.startsWith(allowedOrigin) && !/^(data:|blob:|about:)/.test(url)) {
          page.problems.push(`request outside the lab: ${url.slice(0, 200)}`);
        }
      }
    });
    for (const domain of ["Runtime", "Page", "Network"]) {
      await devtools.send(`${domain}.enable`, {}, sessionId);
    }
    return page;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.devtools.send(method, params, this.sessionId);
  }

  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (reply.exceptionDetails) {
      throw new Error(`in the page: ${reply.exceptionDetails.text} (${expression.slice(0, 80)})`);
    }
    return reply.result.value;
  }

  /** Polls `expression` (a JSON string) until `done` holds; throws `what` after `timeoutMs`. */
  async waitFor<T>(
    expression: string,
    done: (value: T) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let value: T | undefined;
    while (Date.now() < deadline) {
      value = JSON.parse(await this.evaluate<string>(expression)) as T;
      if (done(value)) return value;
      await sleep(250);
    }
    throw new Error(
      `${what} did not happen within ${timeoutMs / 1000} s (last: ${
        JSON.stringify(value).slice(0, 600)
      })`,
    );
  }

  /** Clicks the element `element` (a page expression) evaluates to, scrolled into view. */
  async click(element: string): Promise<void> {
    const rect = JSON.parse(
      await this.evaluate<string>(`(() => {
      const el = ${element};
      if (!el) return "null";
      el.scrollIntoView({ block: "center" });
      const r = el.getBoundingClientRect();
      return JSON.stringify({ x: r.x + Math.min(8, r.width / 2), y: r.y + Math.min(8, r.height / 2) });
    })()`),
    ) as { x: number; y: number } | null;
    if (!rect) throw new Error(`nothing in the page is ${element}`);
    for (const type of ["mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", {
        type,
        x: rect.x,
        y: rect.y,
        button: "left",
        clickCount: 1,
      });
    }
  }

  /** Presses a key; `modifiers`: 2 = Ctrl, 8 = Shift (the DevTools protocol's bit mask). */
  async press(key: string, code: string, keyCode: number, modifiers = 0): Promise<void> {
    for (const type of ["rawKeyDown", "keyUp"]) {
      await this.send("Input.dispatchKeyEvent", {
        type,
        key,
        code,
        windowsVirtualKeyCode: keyCode,
        modifiers,
      });
    }
  }

  async screenshot(path: string): Promise<void> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" }) as {
      data: string;
    };
    await writeFileAtomic(path, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  }
}

/** Starts the lab and returns its URL, token, pids and a way to stop it. */
async function startLab(root: string, port: number, out: string) {
  // The test's own JupyterLab settings and workspaces: autosave off, so the cells it runs and
  // edits are never written back to notebooks/, and nothing of a user's lab setup applies.
  const settings = join(out, "user-settings");
  await Deno.remove(settings, { recursive: true }).catch(() => {});
  await writeFileAtomic(
    join(settings, "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"),
    JSON.stringify({ autosave: false }) + "\n",
  );
  const log = await Deno.open(join(out, "lab.log"), { write: true, create: true, truncate: true });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "tools/lab.ts"), "--no-browser", "--port", String(port)]
      .concat(["--scale", "smoke", "--", `--LabApp.user_settings_dir=${settings}`])
      .concat([`--LabApp.workspaces_dir=${join(out, "workspaces")}`]),
    cwd: root,
    env: {
      // Smoke models never go into runs/ (the same cache the smoke reproduce uses).
      CUTMIX_RUNS_DIR: join(root, ".cache/smoke/runs"),
      CUTMIX_REPORTS_DIR: join(root, ".cache/lab-test/reports"),
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logText = "";
  const stderrDone = (async () => {
    for await (const chunk of child.stderr) {
      logText += new TextDecoder().decode(chunk);
      await log.write(chunk);
    }
  })();
  const status = child.status;
  let exited = false;
  status.then(() => (exited = true));
  // stdout carries one line, the URL; the log (stderr) goes to lab.log.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  const deadline = Date.now() + 180_000;
  let url: string | undefined;
  let pending = reader.read();
  while (!url && !exited && Date.now() < deadline) {
    const next = await Promise.race([pending, sleep(1000).then(() => undefined)]);
    if (next === undefined) continue; // still waiting; the same read stays pending
    if (next.done) break;
    stdout += next.value;
    pending = reader.read();
    url = stdout.match(/^(http:\/\/127\.0\.0\.1:\d+\/lab\?token=\w+)$/m)?.[1];
  }
  (async () => {
    while (!(await pending).done) pending = reader.read();
  })().catch(() => {});
  const tail = () => logText.trim().split("\n").slice(-15).join("\n    ");
  let closed = false;
  const stop = async () => {
    if (!exited) {
      try {
        Deno.kill(child.pid, "SIGTERM");
      } catch { /* gone */ }
    }
    const timer = setTimeout(() => {
      if (!exited) Deno.kill(child.pid, "SIGKILL");
    }, 60_000);
    const result = await status;
    clearTimeout(timer);
    await stderrDone.catch(() => {});
    if (!closed) log.close();
    closed = true;
    return result;
  };
  if (!url) {
    await stop();
    throw new Error(`the lab did not print its URL:\n    ${tail()}`);
  }
  const serverPid = Number(logText.match(/JupyterLab \(pid (\d+)\)/)?.[1]);
  if (!Number.isInteger(serverPid)) {
    await stop();
    throw new Error(`the lab did not say its server's pid:\n    ${tail()}`);
  }
  return { url, pid: child.pid, serverPid, stop, tail };
}

/** How the stage ended (the shape tools/test/slurm_stage.ts reports too). */
export interface LabStageResult {
  readonly status: "passed" | "skipped" | "failed";
  readonly message: string;
}

/**
 * Runs the stage for the project at `root`, printing each step with `log`. Without JupyterLab or
 * Chromium it is skipped, or failed under `ci`.
 */
export async function labBrowserStage(options: {
  readonly root: string;
  readonly ci: boolean;
  readonly log?: (line: string) => void;
}): Promise<LabStageResult> {
  const { root, ci } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const unavailable = (reason: string): LabStageResult => ({
    status: ci ? "failed" : "skipped",
    message: `${reason}; see \`./run setup --for test\``,
  });
  try {
    await ensureJupyter(root, { lab: true });
  } catch (error) {
    return unavailable(`JupyterLab could not be installed: ${(error as Error).message}`);
  }
  const chromium = await findChromium();
  if (!chromium) return unavailable("no Chromium");

  const out = join(root, ".cache/lab-test");
  await Deno.mkdir(out, { recursive: true });
  for (const file of ["screenshot.png", "screenshot-top.png"]) {
    await Deno.remove(join(out, file)).catch(() => {});
  }
  const notebook = JSON.parse(
    await Deno.readTextFile(join(root, "notebooks", LAB_TEST_NOTEBOOK)),
  ) as { cells: NotebookCell[] };
  const plan = planLabTest(notebook.cells);
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const step = (message: string) => log(`  [${seconds().padStart(5)} s] ${message}`);

  let lab: Awaited<ReturnType<typeof startLab>> | undefined;
  let browser: Awaited<ReturnType<typeof startChromium>> | undefined;
  let failure: string | undefined;
  try {
    const port = freePort();
    lab = await startLab(root, port, out);
    const origin = `http://127.0.0.1:${port}`;
    step(`lab serving at ${origin} (pid ${lab.pid}, server pid ${lab.serverPid})`);
    browser = await startChromium(chromium.executable, { allowLoopback: true });
    const page = await Page.open(browser.devtools, origin);
    // Tall enough for a screenshot to hold a cell, its table and a chart.
    await page.send("Emulation.setDeviceMetricsOverride", {
      width: 1280,
      height: 1600,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const token = new URL(lab.url).searchParams.get("token")!;
    // `reset`: a fresh workspace, so no tab restored from an earlier session competes.
    await page.send("Page.navigate", {
      url: `${origin}/lab/tree/${LAB_TEST_NOTEBOOK}?reset&token=${token}`,
    });
    const opened = await page.waitFor<NotebookState>(
      STATE,
      (s) => s.cells === notebook.cells.length && s.kernel === "Deno" && s.status === "idle",
      `${LAB_TEST_NOTEBOOK} opening with an idle Deno kernel`,
      90_000,
    );
    step(`${LAB_TEST_NOTEBOOK} open: ${opened.cells} cells, kernel ${opened.kernel}`);

    // As a user would: click the first cell, then Shift+Enter through the cells.
    await page.click(`${CELLS}[0].querySelector(".jp-InputPrompt")`);
    for (let i = 0; i < plan.cellsToRun; i++) {
      await page.press("Enter", "Enter", 13, 8);
      await sleep(50);
    }
    const finished = (s: NotebookState) =>
      s.errors.length > 0 ||
      (s.status === "idle" &&
        s.prompts.slice(0, plan.cellsToRun).every((p) => p === null || /^\[\d+\]:$/.test(p)));
    const ran = await page.waitFor<NotebookState>(
      STATE,
      finished,
      `cells 1–${plan.cellsToRun} running`,
      180_000,
    );
    if (ran.errors.length) throw new Error(`a cell failed: ${ran.errors.join(" | ")}`);
    step(`ran cells 1–${plan.cellsToRun} through the UI`);

    // Give the renderers (vega-embed, plotly.js) a moment to draw after the outputs arrived.
    const rendered = await page.waitFor<Rendered>(
      RENDERED,
      (r) => r.drawnVegaCharts > 0 && r.drawnPlotlyCharts > 0 && r.brokenImages === 0,
      "the charts drawing",
      30_000,
    ).catch(async () => JSON.parse(await page.evaluate<string>(RENDERED)) as Rendered);
    const problems: string[] = [];
    if (rendered.backend !== "tensorflow") {
      problems.push(`the kernel's backend is ${rendered.backend}, not tensorflow`);
    }
    if (rendered.native !== "true") problems.push(`tensorflowNative is ${rendered.native}`);
    if (rendered.scale !== "smoke") problems.push(`the kernel's scale is ${rendered.scale}`);
    if (rendered.imageGrids === 0 || rendered.brokenImages > 0) {
      problems.push(
        `image grids: ${rendered.imageGrids}, ${rendered.brokenImages} of ${rendered.images} images broken`,
      );
    }
    if (rendered.vegaCharts === 0 || rendered.drawnVegaCharts < rendered.vegaCharts) {
      problems.push(`Vega-Lite: ${rendered.drawnVegaCharts} of ${rendered.vegaCharts} drawn`);
    }
    if (rendered.svgFallbacks > 0) {
      problems.push(`${rendered.svgFallbacks} chart(s) shown as the SVG fallback`);
    }
    if (rendered.plotlyCharts === 0 || rendered.drawnPlotlyCharts < rendered.plotlyCharts) {
      problems.push(`Plotly: ${rendered.drawnPlotlyCharts} of ${rendered.plotlyCharts} drawn`);
    }
    if (rendered.plotlyAsHtml > 0) {
      problems.push("Plotly fell back to text/html: the jupyterlab-plotly renderer did not load");
    }
    if (rendered.tables === 0) problems.push("no table rendered");
    if (problems.length) throw new Error(problems.join("; "));
    step(
      `backend ${rendered.backend} (native), scale ${rendered.scale}; ${rendered.tables} tables, ` +
        `${rendered.imageGrids} image grids (${rendered.images} images), ` +
        `${rendered.drawnVegaCharts} Vega-Lite charts (vega-embed), ` +
        `${rendered.drawnPlotlyCharts} Plotly chart (jupyterlab-plotly)`,
    );
    await page.evaluate(`${CELLS}[1].querySelector(".jp-OutputArea").scrollIntoView()`);
    await sleep(300);
    await page.screenshot(join(out, "screenshot-top.png"));

    // Change α as a user would, rerun that cell and the histogram after it, see the change.
    const stdOfDraws = `(() => {
      const table = ${CELLS}[${plan.editedCell}].querySelector("table.cutmix-table");
      const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
      return table.querySelectorAll("tbody tr")[0].children[heads.indexOf("std drawn λ")].textContent.trim();
    })()`;
    const chartImage = `${CELLS}[${
      plan.editedCell + 1
    }].querySelector(".vega-embed canvas").toDataURL()`;
    const stdBefore = Number(await page.evaluate<string>(stdOfDraws));
    const chartBefore = await page.evaluate<string>(chartImage);
    const promptBefore = ran.prompts[plan.editedCell + 1];
    await page.click(`${CELLS}[${plan.editedCell}].querySelector(".cm-content")`);
    await page.press("a", "KeyA", 65, 2);
    await page.send("Input.insertText", { text: plan.editedSource });
    await page.press("Enter", "Enter", 13, 8);
    await page.press("Enter", "Enter", 13, 8);
    const rerun = await page.waitFor<NotebookState>(
      STATE,
      (s) =>
        s.errors.length > 0 ||
        (s.status === "idle" && /^\[\d+\]:$/.test(s.prompts[plan.editedCell + 1] ?? "") &&
          s.prompts[plan.editedCell + 1] !== promptBefore),
      "the edited cells rerunning",
      60_000,
    );
    if (rerun.errors.length) throw new Error(`the edited cell failed: ${rerun.errors.join(" | ")}`);
    await sleep(500);
    const stdAfter = Number(await page.evaluate<string>(stdOfDraws));
    const chartAfter = await page.evaluate<string>(chartImage);
    // Beta(1, 1) has std 1/√12 ≈ 0.289, Beta(0.25, 0.25) ≈ 0.408; with thousands of draws the
    // sample std is within ±0.01 of either.
    if (!(Math.abs(stdBefore - 0.289) < 0.02 && Math.abs(stdAfter - 0.408) < 0.02)) {
      throw new Error(
        `after α 1 → 0.25 the std of the drawn λ went ${stdBefore} → ${stdAfter} ` +
          "(expected ≈ 0.289 → ≈ 0.408): the edit did not take effect",
      );
    }
    if (chartAfter === chartBefore) throw new Error("the histogram did not change after the edit");
    step(`edited α 1 → 0.25 and reran: std of λ ${stdBefore} → ${stdAfter}, new histogram drawn`);
    await page.evaluate(`(() => {
      const cell = ${CELLS}[${plan.editedCell}];
      cell.scrollIntoView();
      cell.querySelector(".cm-scroller").scrollLeft = 0; // typing left it scrolled to the end
    })()`);
    await sleep(300);
    await page.screenshot(join(out, "screenshot.png"));
    if (page.problems.length) {
      throw new Error(`the page reported: ${[...new Set(page.problems)].join(" | ")}`);
    }

    // Stop the lab by its pid; the server and the kernel it started must be gone after it.
    const kernels = kernelProcesses(labRuntimeDir(root, lab.pid));
    if (kernels.length === 0) throw new Error("no kernel process of the lab was found");
    const { code } = await lab.stop();
    const alive = [lab.serverPid, ...kernels].filter(processAlive);
    if (code !== 0) throw new Error(`the lab exited with ${code} on SIGTERM`);
    if (alive.length) throw new Error(`still running after the lab stopped: ${alive.join(", ")}`);
    step(`stopped the lab (pid ${lab.pid}): server and ${kernels.length} kernel(s) gone`);
    lab = undefined;
  } catch (error) {
    failure = (error as Error).message +
      (lab ? `\n  lab log (${join(out, "lab.log")}):\n    ${lab.tail()}` : "");
  } finally {
    browser?.devtools.close();
    await browser?.stop();
    await lab?.stop();
  }
  if (failure) return { status: "failed", message: failure };
  return { status: "passed", message: `ok in ${seconds()} s; screenshots in ${out}` };
}

if (import.meta.main) {
  const result = await labBrowserStage({
    root: join(import.meta.dirname!, "../.."),
    ci: Deno.env.get("CI") === "true",
  });
  console.log(`${result.status}: ${result.message}`);
  Deno.exit(result.status === "failed" ? 1 : 0);
}
