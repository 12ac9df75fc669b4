/**
 * Plotly charts for notebooks and reports (interactive: hover, zoom, 3-D).
 *
 * A chart is sent as `application/vnd.plotly.v1+json` (`{data, layout, config}`, rendered by
 * JupyterLab's plotly extension) and as `text/html`: a `<div>` plus a script that draws it with
 * plotly.js. nbconvert's HTML export keeps only the HTML, and a report must work offline, so the
 * plotly.js bundle is inlined into the HTML of the first Plotly chart of a kernel session only;
 * later charts wait for `window.Plotly`. The bundle is plotly's official cartesian partial build
 * (npm `plotly.js-cartesian-dist-min`, pinned in deno.json, 1.4 MB instead of the full 4.8 MB, so a
 * report stays small enough to commit): it draws the trace types in {@link PLOTLY_TRACE_TYPES}, and
 * `plotlyChart` rejects any other type rather than leave an empty chart in the HTML export.
 *
 * nbconvert's templates load require.js, and a UMD bundle that sees a global AMD `define`
 * registers itself as an anonymous module instead of setting `window.Plotly`, so nothing draws.
 * The inlined bundle therefore runs inside `(function (define, module, exports) {…})` called
 * with all three undefined, which hides the loaders from it.
 *
 * @example
 * ```ts
 * import { plotlyChart } from "./plotly.ts";
 * const chart = plotlyChart({
 *   data: [{ type: "scatter", x: [1, 2, 3], y: [3, 1, 2], name: "loss" }],
 *   layout: { title: { text: "Training loss" } },
 * });
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { type Displayable, displayable, jsonForScript } from "./mime.ts";

/** The trace types the inlined bundle can draw (its README's list); a trace without `type` is a scatter. */
export const PLOTLY_TRACE_TYPES: readonly string[] = Object.freeze([
  "bar",
  "box",
  "contour",
  "heatmap",
  "histogram",
  "histogram2d",
  "histogram2dcontour",
  "image",
  "pie",
  "scatter",
  "scatterternary",
  "violin",
]);

/** A Plotly figure: traces, layout and config as plotly.js takes them. */
export interface PlotlyFigure {
  /** The traces (e.g. `{ type: "scatter", x, y, name }`). */
  data: readonly Record<string, unknown>[];
  /** Layout (title, axes, size…). */
  layout?: Record<string, unknown>;
  /** Config (e.g. `{ displaylogo: false }`). */
  config?: Record<string, unknown>;
}

/** When to inline plotly.js into a chart's HTML. */
export type PlotlyLibraryMode =
  /** On the first chart of this session (the default); later charts rely on it. */
  | "auto"
  /** On this chart regardless (e.g. a chart meant to be copied out on its own). */
  | "always"
  /** Never (the page provides `window.Plotly` itself). */
  | "never";

/** Options of {@link plotlyChart}. */
export interface PlotlyChartOptions {
  /** When to inline plotly.js (default "auto"). */
  includeLibrary?: PlotlyLibraryMode;
  /** Height of the chart's div in pixels (default: `layout.height`, else 420). */
  height?: number;
}

let libraryEmitted = false;
let libraryText: string | undefined;

/** Makes the next "auto" chart inline plotly.js again (e.g. when starting a new report). */
export function resetPlotlyLibrary(): void {
  libraryEmitted = false;
}

/** The plotly.js bundle's source, read once from the pinned npm package. */
export function plotlyLibrarySource(): string {
  if (libraryText === undefined) {
    const path = createRequire(import.meta.url).resolve("plotly.js-cartesian-dist-min");
    const text = Deno.readTextFileSync(path);
    if (/<\/script/i.test(text)) {
      throw new Error(`${path} contains "</script", which would end an inline script early`);
    }
    libraryText = text;
  }
  return libraryText;
}

/** The `<script>` that defines `window.Plotly`, with AMD/CommonJS loaders hidden from it. */
export function plotlyLibraryScript(): string {
  return '<script type="text/javascript">(function (define, module, exports) {\n' +
    plotlyLibrarySource() +
    "\n}).call(window, undefined, undefined, undefined);</script>";
}

const VALID_MODES: readonly PlotlyLibraryMode[] = ["auto", "always", "never"];

/**
 * A displayable Plotly chart (`application/vnd.plotly.v1+json` + self-drawing `text/html`).
 * Throws if `figure.data` is not an array, a trace's type is not in {@link PLOTLY_TRACE_TYPES},
 * or an option is out of range.
 */
export function plotlyChart(figure: PlotlyFigure, options: PlotlyChartOptions = {}): Displayable {
  const { includeLibrary = "auto" } = options;
  if (!VALID_MODES.includes(includeLibrary)) {
    throw new Error(
      `options.includeLibrary must be one of ${VALID_MODES.join(", ")}, got ${includeLibrary}`,
    );
  }
  if (!Array.isArray(figure?.data)) {
    throw new Error(`figure.data must be an array of traces, got ${String(figure?.data)}`);
  }
  figure.data.forEach((trace, i) => {
    const type = trace.type ?? "scatter";
    if (typeof type !== "string" || !PLOTLY_TRACE_TYPES.includes(type)) {
      throw new Error(
        `figure.data[${i}].type ${JSON.stringify(type)} is not drawn by the inlined plotly.js ` +
          `cartesian bundle; use one of ${PLOTLY_TRACE_TYPES.join(", ")}`,
      );
    }
  });
  const layoutHeight = figure.layout?.height;
  const height = options.height ?? (typeof layoutHeight === "number" ? layoutHeight : 420);
  if (!(Number.isFinite(height) && height > 0)) {
    throw new Error(`options.height must be a positive number of pixels, got ${height}`);
  }
  const plain = {
    data: figure.data,
    layout: figure.layout ?? {},
    config: { displaylogo: false, responsive: true, ...figure.config },
  };
  const withLibrary = includeLibrary === "always" || (includeLibrary === "auto" && !libraryEmitted);
  const library = withLibrary ? plotlyLibraryScript() : "";
  if (withLibrary) libraryEmitted = true;
  const id = `cutmix-plotly-${crypto.randomUUID()}`;
  // Waits (up to 10 s) for window.Plotly, which an earlier output of the page defines.
  const draw = `<script type="text/javascript">(function () {
  var figure = ${jsonForScript(plain)};
  var tries = 0;
  function draw() {
    var element = document.getElementById(${JSON.stringify(id)});
    if (!element) return;
    if (window.Plotly) {
      window.Plotly.newPlot(element, figure.data, figure.layout, figure.config);
    } else if (tries++ < 200) {
      setTimeout(draw, 50);
    } else {
      element.textContent = "plotly.js did not load: run the notebook from its first Plotly chart.";
    }
  }
  draw();
})();</script>`;
  const title = figure.layout?.title as { text?: string } | string | undefined;
  const titleText = typeof title === "string" ? title : title?.text;
  return displayable({
    "application/vnd.plotly.v1+json": plain,
    "text/html":
      `${library}<div id="${id}" class="cutmix-plotly" style="width:100%;height:${height}px;"></div>${draw}`,
    "text/plain": `Plotly chart${titleText ? `: ${titleText}` : ""} (${figure.data.length} traces)`,
  });
}
