/**
 * Reports, rendering only: MIME bundles for Deno's Jupyter kernel (charts, tables, images), saved
 * results and the reports index. What is trained and compared (scales, recipes, the paper's
 * tables, run lists) is lib/experiments.
 *
 * @example
 * ```ts
 * import { histogramChart, table } from "./mod.ts";
 * const chart = await histogramChart([0.2, 0.4, 0.9], { title: "λ" });
 * const summary = table([{ epochs: 30 }]);
 * ```
 * @module
 */
export {
  type Displayable,
  displayable,
  escapeHtml,
  html,
  jsonForScript,
  JUPYTER_DISPLAY,
  markdown,
  type MimeBundle,
} from "./mime.ts";
export { crc32, encodePng, type PngShape, toBase64 } from "./png.ts";
export {
  histogramChart,
  type HistogramOptions,
  lineChart,
  type LineChartOptions,
  type LinePoint,
  renderVegaLiteSvg,
  VEGA_LITE_SCHEMA,
  vegaLiteChart,
  type VegaLiteSpec,
} from "./vegalite.ts";
export {
  PLOTLY_TRACE_TYPES,
  plotlyChart,
  type PlotlyChartOptions,
  type PlotlyFigure,
  type PlotlyLibraryMode,
  plotlyLibraryScript,
  plotlyLibrarySource,
  resetPlotlyLibrary,
} from "./plotly.ts";
export { formatCell, table, type TableOptions, type TableRow } from "./table.ts";
export {
  imageGrid,
  type ImageGridOptions,
  type RawImagesNHWC,
  renderImageGrid,
  toUint8Images,
} from "./images.ts";
export {
  type ClaimInterval,
  claimPaperText,
  type ClaimResult,
  type ClaimVerdict,
  loadResults,
  type NotebookResults,
  type ResultRow,
  resultsTable,
  type SavedResults,
  saveResults,
  validateResults,
} from "./results.ts";
export {
  cpuLabel,
  cpuModelName,
  describeMachine,
  type MachineDescription,
  vectorExtensions,
} from "./machine.ts";
export { type IndexEntry, type IndexPage, renderIndexPage } from "./index_page.ts";
export { renderSummaryMarkdown } from "./summary_markdown.ts";
