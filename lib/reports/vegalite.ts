/**
 * Vega-Lite charts for notebooks and reports.
 *
 * A chart is a Vega-Lite v5 spec (JupyterLab renders v5 natively, not v6) sent twice: as
 * `application/vnd.vegalite.v5+json` for live frontends, and as `image/svg+xml` rendered here, in
 * process, by the Vega runtime (`renderer: "none"`, no browser), because nbconvert's HTML export
 * drops the Vega-Lite type. The SVG is the figure the HTML report shows.
 *
 * @example
 * ```ts
 * import { histogramChart, vegaLiteChart } from "./vegalite.ts";
 * const bars = await vegaLiteChart({
 *   data: { values: [{ method: "baseline", error: 16.45 }, { method: "CutMix", error: 14.47 }] },
 *   mark: "bar",
 *   encoding: { x: { field: "method", type: "nominal" }, y: { field: "error", type: "quantitative" } },
 * });
 * const lambdas = await histogramChart([0.1, 0.5, 0.52, 0.9], { title: "λ", binStep: 0.1 });
 * ```
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import { type Displayable, displayable } from "./mime.ts";

/** A Vega-Lite v5 top-level spec (the `$schema` is filled in if absent). */
export type VegaLiteSpec = TopLevelSpec;

/** The schema every spec is tagged with: Vega-Lite 5, what JupyterLab's renderer accepts. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Renders a Vega-Lite spec to a standalone SVG string with the Vega runtime (no browser). */
export async function renderVegaLiteSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function describeSpec(spec: VegaLiteSpec): string {
  const title = (spec as { title?: unknown }).title;
  const text = typeof title === "string"
    ? title
    : typeof title === "object" && title !== null && "text" in title
    ? String((title as { text: unknown }).text)
    : undefined;
  return `Vega-Lite chart${text ? `: ${text}` : ""}`;
}

/**
 * A displayable Vega-Lite chart: `application/vnd.vegalite.v5+json` (the spec) and
 * `image/svg+xml` (rendered now). Throws if Vega-Lite cannot compile the spec.
 */
export async function vegaLiteChart(spec: VegaLiteSpec): Promise<Displayable> {
  if (typeof spec !== "object" || spec === null) {
    throw new Error(`spec must be a Vega-Lite spec object, got ${String(spec)}`);
  }
  const tagged = { $schema: VEGA_LITE_SCHEMA, ...spec } as VegaLiteSpec;
  const svg = await renderVegaLiteSvg(tagged);
  return displayable({
    "application/vnd.vegalite.v5+json": tagged,
    "image/svg+xml": svg,
    "text/plain": describeSpec(tagged),
  });
}

/** Options of {@link histogramChart}. */
export interface HistogramOptions {
  /** Chart title. */
  title?: string;
  /** Axis title for the values (default "value"). */
  xTitle?: string;
  /** Bin width; default: Vega-Lite's automatic binning (about 10 bins). */
  binStep?: number;
  /** Bin range [min, max] (default: the data's extent). */
  extent?: [number, number];
  /** Plot width in pixels (default 360). */
  width?: number;
  /** Plot height in pixels (default 200). */
  height?: number;
}

/** A histogram of `values` (counts per bin, or densities). */
export async function histogramChart(
  values: ArrayLike<number>,
  options: HistogramOptions = {},
): Promise<Displayable> {
  const { title, xTitle = "value", binStep, extent, width = 360, height = 200 } = options;
  if (binStep !== undefined && !(Number.isFinite(binStep) && binStep > 0)) {
    throw new Error(`options.binStep must be a finite number > 0, got ${binStep}`);
  }
  const data = Array.from(values, (v) => ({ v }));
  const bin = binStep !== undefined || extent !== undefined
    ? { ...(binStep !== undefined ? { step: binStep } : {}), ...(extent ? { extent } : {}) }
    : true;
  const spec: Record<string, unknown> = {
    ...(title ? { title } : {}),
    width,
    height,
    data: { values: data },
    mark: "bar",
    encoding: {
      x: { field: "v", type: "quantitative", bin, title: xTitle },
      y: { aggregate: "count", type: "quantitative", title: "count" },
    },
  };
  return await vegaLiteChart(spec as unknown as VegaLiteSpec);
}

/** One point of a {@link lineChart}: x, y and the series it belongs to. */
export interface LinePoint {
  /** Position on the horizontal axis, e.g. the epoch. */
  x: number;
  /** Value on the vertical axis, e.g. the test error in %; > 0 with `logY`. */
  y: number;
  /** The line it belongs to: the legend entry and colour, e.g. the method. */
  series: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** Chart title (none by default). */
  title?: string;
  /** Horizontal axis title (default "x"). */
  xTitle?: string;
  /** Vertical axis title (default "y"). */
  yTitle?: string;
  /** Plot width in pixels (default 420). */
  width?: number;
  /** Plot height in pixels (default 240). */
  height?: number;
  /** Use a logarithmic y axis. */
  logY?: boolean;
}

/** Lines of y against x, one colour per series (e.g. test error per epoch for each method). */
export async function lineChart(
  points: readonly LinePoint[],
  options: LineChartOptions = {},
): Promise<Displayable> {
  const { title, xTitle = "x", yTitle = "y", width = 420, height = 240, logY } = options;
  return await vegaLiteChart({
    ...(title ? { title } : {}),
    width,
    height,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: "line", point: points.length <= 60 },
    encoding: {
      x: { field: "x", type: "quantitative", title: xTitle },
      y: {
        field: "y",
        type: "quantitative",
        title: yTitle,
        ...(logY ? { scale: { type: "log" } } : {}),
      },
      color: { field: "series", type: "nominal", title: null, legend: { labelLimit: 320 } },
    },
  } as VegaLiteSpec);
}
