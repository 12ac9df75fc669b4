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
export * from "./mime.ts";
export * from "./png.ts";
export * from "./vegalite.ts";
export * from "./plotly.ts";
export * from "./table.ts";
export * from "./images.ts";
export * from "./results.ts";
export * from "./machine.ts";
export * from "./index_page.ts";
export * from "./summary_markdown.ts";
