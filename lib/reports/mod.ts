/**
 * Reports: MIME bundles for Deno's Jupyter kernel (charts, tables, images), the reproduction
 * scale, saved results and the reports index.
 *
 * @example
 * ```ts
 * import { byScale, histogramChart, table } from "./mod.ts";
 * const epochs = byScale({ smoke: 1, cpu: 30, paper: 300 });
 * const chart = await histogramChart([0.2, 0.4, 0.9], { title: "λ" });
 * const summary = table([{ epochs }]);
 * ```
 * @module
 */
export * from "./mime.ts";
export * from "./png.ts";
export * from "./vegalite.ts";
export * from "./plotly.ts";
export * from "./table.ts";
export * from "./images.ts";
export * from "./scale.ts";
export * from "./results.ts";
export * from "./machine.ts";
export * from "./index_page.ts";
export * from "./summary_markdown.ts";
export * from "./paper.ts";
export * from "./recipes.ts";
