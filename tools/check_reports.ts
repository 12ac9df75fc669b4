/**
 * `deno task check-reports [--dir reports] [--chromium PATH] [--settle-ms 15000]`
 *
 * Opens every exported report (`<dir>/*.html`) in headless Chromium, offline, and fails unless:
 * - every Vega-Lite figure (an inline SVG) drew marks and has a non-empty size;
 * - every Plotly chart (`div.cutmix-plotly`) was drawn by plotly.js (a non-empty `svg.main-svg`);
 * - every inline image decoded (`naturalWidth > 0`);
 * - the page logged no console error, threw no exception, and asked for nothing outside the file
 *   itself (`file:`/`data:`/`blob:` only: a report must be self-contained);
 * - the executed notebook beside it (`<dir>/executed/NN-name.ipynb`) has no error output and
 *   as many SVG and Plotly charts as the page shows;
 * - `index.html` links only to files that exist and lists no failed notebook.
 * Before the reports it runs one self-test page: a Plotly chart under a page-wide AMD `define`
 * (what nbconvert's require.js provides), which must still draw — the case lib/reports/plotly.ts
 * guards against.
 *
 * Chromium is driven over the DevTools protocol (a WebSocket; Deno has one built in), started as
 * `chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
 * --disable-component-update --disable-sync --user-data-dir=<fresh> --remote-debugging-port=0`
 * with every host name mapped to nothing. Debian: `apt-get install -y chromium`.
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { plotlyChart, resetPlotlyLibrary } from "../lib/reports/plotly.ts";

/** What the in-page probe found. */
export interface PageFindings {
  vegaFigures: number;
  emptyVegaFigures: number;
  plotlyCharts: number;
  undrawnPlotlyCharts: number;
  images: number;
  brokenImages: number;
  links: string[];
  /** Notebooks the reports index marks failed (`data-status="failed"`). */
  failedNotebooks: number;
}

/** The result of checking one page. */
export interface PageCheck {
  file: string;
  findings: PageFindings;
  /** Console errors, exceptions, outside requests, undrawn figures. Empty = pass. */
  problems: string[];
}

/** Runs in the page: counts figures and whether each one drew. */
const PROBE = `(() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const vega = [...document.querySelectorAll("svg.marks")];
  const emptyVega = vega.filter((svg) => !visible(svg) || svg.querySelectorAll("g.mark-rect path, g.mark-line path, g.mark-symbol path, g.mark-area path, g.mark-rule line, g.mark-text text, path, rect").length === 0);
  const plotly = [...document.querySelectorAll("div.cutmix-plotly")];
  const undrawn = plotly.filter((div) => { const svg = div.querySelector("svg.main-svg"); return !svg || !visible(svg) || !div.querySelector(".plot .trace, .scatterlayer .trace, .barlayer .trace, .trace"); });
  const images = [...document.querySelectorAll("img")];
  const broken = images.filter((img) => !img.complete || img.naturalWidth === 0);
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"));
  const failedNotebooks = document.querySelectorAll("td[data-status=failed]").length;
  return JSON.stringify({ vegaFigures: vega.length, emptyVegaFigures: emptyVega.length, plotlyCharts: plotly.length,
    undrawnPlotlyCharts: undrawn.length, images: images.length, brokenImages: broken.length, links, failedNotebooks });
})()`;

/** Waits until plotly charts are drawn (they poll for window.Plotly) or a time limit passes. */
const SETTLED =
  `(() => [...document.querySelectorAll("div.cutmix-plotly")].every((d) => d.querySelector("svg.main-svg")))()`;

/** One DevTools-protocol message: a reply (`id`) or an event (`method`). */
export type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
};

/** A minimal DevTools-protocol client over one browser WebSocket (flattened sessions). */
export class DevTools {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  #listeners: ((message: Message) => void)[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as Message;
      if (message.id !== undefined && this.#pending.has(message.id)) {
        const waiter = this.#pending.get(message.id)!;
        this.#pending.delete(message.id);
        if (message.error) waiter.reject(new Error(message.error.message));
        else waiter.resolve(message.result ?? {});
      } else {
        for (const listener of this.#listeners) listener(message);
      }
    };
  }

  static connect(url: string): Promise<DevTools> {
    return new Promise((resolvePromise, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolvePromise(new DevTools(socket));
      socket.onerror = () => reject(new Error(`cannot connect to Chromium's DevTools at ${url}`));
    });
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolvePromise, reject) =>
      this.#pending.set(id, { resolve: resolvePromise, reject })
    );
  }

  /** Opens a blank tab and attaches to it: its target, and the session its commands go to. */
  async openTab(): Promise<{ targetId: string; sessionId: string }> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true }) as {
      sessionId: string;
    };
    return { targetId, sessionId };
  }

  on(listener: (message: Message) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  close(): void {
    this.#socket.close();
  }
}

/**
 * Starts headless Chromium with a fresh profile, every host name mapped to nothing (and, with
 * `allowLoopback`, 127.0.0.1 still reachable, for pages a test serves); returns the DevTools
 * client and a stopper.
 */
export async function startChromium(
  executable: string,
  options: { allowLoopback?: boolean } = {},
): Promise<{ devtools: DevTools; stop: () => Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix: "cutmix-chromium-" });
  const child = new Deno.Command(executable, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--disable-dev-shm-usage",
      `--host-resolver-rules=MAP * ~NOTFOUND${options.allowLoopback ? ", EXCLUDE 127.0.0.1" : ""}`,
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "--window-size=1280,1000",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  // Chromium prints "DevTools listening on ws://…" on stderr once it is ready.
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    url = seen.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
  }
  // Keep draining stderr so Chromium never blocks on a full pipe.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  if (!url) {
    await stop();
    throw new Error(`Chromium (${executable}) did not start: ${seen.slice(-600)}`);
  }
  return { devtools: await DevTools.connect(url), stop };
}

/** Loads one page in a new tab and probes it. */
async function checkPage(devtools: DevTools, file: string, settleMs: number): Promise<PageCheck> {
  const { targetId, sessionId } = await devtools.openTab();
  const problems: string[] = [];
  const pageUrl = pathToFileURL(file).href;
  let loaded!: () => void;
  const loadedPromise = new Promise<void>((r) => (loaded = r));
  const off = devtools.on((message) => {
    if (message.sessionId !== sessionId) return;
    const p = message.params ?? {};
    if (
      message.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")
    ) {
      const args = (p.args as { value?: unknown; description?: string }[]) ?? [];
      problems.push(
        `console.${p.type}: ${args.map((a) => a.value ?? a.description).join(" ").slice(0, 300)}`,
      );
    } else if (message.method === "Runtime.exceptionThrown") {
      const details = p.exceptionDetails as { text?: string; exception?: { description?: string } };
      problems.push(
        `uncaught exception: ${
          (details.exception?.description ?? details.text ?? "").slice(0, 300)
        }`,
      );
    } else if (message.method === "Log.entryAdded") {
      const entry = p.entry as { level: string; text: string; url?: string };
      if (entry.level === "error") {
        problems.push(`browser error: ${entry.text} ${entry.url ?? ""}`.trim());
      }
    } else if (message.method === "Network.requestWillBeSent") {
      const url = (p.request as { url: string }).url;
      if (!/^(file:|data:|blob:|about:)/.test(url)) {
        problems.push(`request outside the report: ${url.slice(0, 200)}`);
      }
    } else if (message.method === "Page.loadEventFired") {
      loaded();
    }
  });
  try {
    for (const domain of ["Runtime", "Log", "Network", "Page"]) {
      await devtools.send(`${domain}.enable`, {}, sessionId);
    }
    await devtools.send("Page.navigate", { url: pageUrl }, sessionId);
    const timeout = new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error("page did not load in 60 s")), 60_000)
    );
    await Promise.race([loadedPromise, timeout]);
    const until = Date.now() + settleMs;
    while (Date.now() < until) {
      const { result } = await devtools.send("Runtime.evaluate", {
        expression: SETTLED,
        returnByValue: true,
      }, sessionId) as { result: { value: boolean } };
      if (result.value) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Let late console errors arrive.
    await new Promise((r) => setTimeout(r, 300));
    const { result } = await devtools.send("Runtime.evaluate", {
      expression: PROBE,
      returnByValue: true,
    }, sessionId) as { result: { value: string } };
    const findings = JSON.parse(result.value) as PageFindings;
    if (findings.emptyVegaFigures) {
      problems.push(
        `${findings.emptyVegaFigures} of ${findings.vegaFigures} SVG figures are empty`,
      );
    }
    if (findings.undrawnPlotlyCharts) {
      problems.push(
        `${findings.undrawnPlotlyCharts} of ${findings.plotlyCharts} Plotly charts did not draw`,
      );
    }
    if (findings.brokenImages) {
      problems.push(`${findings.brokenImages} of ${findings.images} images did not decode`);
    }
    return { file, findings, problems };
  } finally {
    off();
    await devtools.send("Target.closeTarget", { targetId }).catch(() => {});
  }
}

/**
 * How many SVG charts and Plotly charts the executed notebook holds (outputs carrying
 * `image/svg+xml` without `text/html`, and outputs carrying the Plotly MIME type), or undefined
 * when there is no executed notebook beside the report.
 */
async function expectedFigures(
  executed: string,
): Promise<{ svg: number; plotly: number; errors: string[] } | undefined> {
  type Output = {
    output_type?: string;
    ename?: string;
    evalue?: string;
    data?: Record<string, unknown>;
  };
  let notebook: { cells: { cell_type: string; outputs?: Output[] }[] };
  try {
    notebook = JSON.parse(await Deno.readTextFile(executed));
  } catch {
    return undefined;
  }
  let svg = 0, plotly = 0;
  const errors: string[] = [];
  for (const cell of notebook.cells) {
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        errors.push(`${output.ename}: ${output.evalue}`.slice(0, 300));
      }
      const data = output.data ?? {};
      if ("image/svg+xml" in data && !("text/html" in data)) svg++;
      if ("application/vnd.plotly.v1+json" in data) plotly++;
    }
  }
  return { svg, plotly, errors };
}

/** The AMD self-test page: a global `define` like require.js's, then a Plotly chart. */
function amdSelfTestPage(): string {
  resetPlotlyLibrary();
  const chart = plotlyChart({
    data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }],
    layout: { title: { text: "AMD self-test" } },
  }, {
    includeLibrary: "always",
  });
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>AMD self-test</title>
<script>window.define = function () { window.__amdCalls = (window.__amdCalls || 0) + 1; }; window.define.amd = {};</script>
</head><body>${chart.bundle["text/html"]}</body></html>`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      dir: { type: "string", default: "reports" },
      chromium: { type: "string", default: Deno.env.get("CHROMIUM") ?? "chromium" },
      "settle-ms": { type: "string", default: "15000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "deno task check-reports [--dir reports] [--chromium PATH] [--settle-ms 15000]\n" +
        "Opens every <dir>/*.html in headless Chromium, offline; fails unless every chart drew,\n" +
        "every image decoded, nothing was requested from outside and the console stayed clean.",
    );
    return 0;
  }
  const dir = resolve(values.dir!);
  const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".html")).map((
    e,
  ) => e.name).sort();
  if (files.length === 0) {
    throw new Error(`no .html reports in ${dir}; run \`deno task reproduce\` first`);
  }
  const settleMs = Number(values["settle-ms"]);

  const selfTest = join(await Deno.makeTempDir({ prefix: "cutmix-amd-" }), "amd.html");
  await Deno.writeTextFile(selfTest, amdSelfTestPage());

  const { devtools, stop } = await startChromium(values.chromium!);
  const failures: string[] = [];
  try {
    const amd = await checkPage(devtools, selfTest, settleMs);
    const amdOk = amd.problems.length === 0 && amd.findings.plotlyCharts === 1 &&
      amd.findings.undrawnPlotlyCharts === 0;
    console.error(
      `[check] AMD self-test (plotly.js under a global define): ${
        amdOk ? "ok" : "FAILED " + amd.problems.join("; ")
      }`,
    );
    if (!amdOk) failures.push("AMD self-test");
    for (const name of files) {
      const check = await checkPage(devtools, join(dir, name), settleMs);
      const f = check.findings;
      const expected = await expectedFigures(
        join(dir, "executed", name.replace(/\.html$/, ".ipynb")),
      );
      if (expected) {
        for (const error of expected.errors) check.problems.push(`the notebook raised ${error}`);
        if (f.vegaFigures !== expected.svg) {
          check.problems.push(
            `the notebook produced ${expected.svg} SVG charts, the page shows ${f.vegaFigures}`,
          );
        }
        if (f.plotlyCharts !== expected.plotly) {
          check.problems.push(
            `the notebook produced ${expected.plotly} Plotly charts, the page shows ${f.plotlyCharts}`,
          );
        }
      }
      if (name === "index.html") {
        if (f.failedNotebooks) {
          check.problems.push(`index.html lists ${f.failedNotebooks} failed notebook(s)`);
        }
        for (const link of f.links) {
          if (/^[a-z]+:/i.test(link) || link.startsWith("#")) continue;
          try {
            Deno.statSync(join(dir, link));
          } catch {
            check.problems.push(`index.html links to missing ${link}`);
          }
        }
      }
      console.error(
        `[check] ${name}: ${
          check.problems.length ? "FAILED" : "ok"
        } (${f.vegaFigures} SVG charts, ${f.plotlyCharts} Plotly, ${f.images} images)` +
          check.problems.map((p) => `\n  - ${p}`).join(""),
      );
      if (check.problems.length) failures.push(name);
    }
  } finally {
    devtools.close();
    await stop();
    await Deno.remove(selfTest.replace(/\/amd\.html$/, ""), { recursive: true }).catch(() => {});
  }
  console.error(
    `[check] ${
      files.length - failures.filter((f) => f !== "AMD self-test").length
    }/${files.length} report(s) ok`,
  );
  return failures.length ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`[check] ${(error as Error).message}`);
    Deno.exit(2);
  }
}
