import assert from "node:assert/strict";
import {
  histogramChart,
  lineChart,
  VEGA_LITE_SCHEMA,
  vegaLiteChart,
} from "../../lib/reports/vegalite.ts";

Deno.test("vegaLiteChart sends the v5 spec and an in-process SVG", async () => {
  const chart = await vegaLiteChart({
    title: "errors",
    data: { values: [{ m: "a", e: 1 }, { m: "b", e: 2 }, { m: "c", e: 3 }] },
    mark: "bar",
    encoding: { x: { field: "m", type: "nominal" }, y: { field: "e", type: "quantitative" } },
  });
  const spec = chart.bundle["application/vnd.vegalite.v5+json"] as Record<string, unknown>;
  assert.equal(spec.$schema, VEGA_LITE_SCHEMA);
  assert.match(VEGA_LITE_SCHEMA, /vega-lite\/v5\.json$/);
  const svg = chart.bundle["image/svg+xml"] as string;
  assert.match(svg, /^<svg /);
  // One path per bar in the mark group.
  assert.equal((svg.match(/role-mark marks"/g) ?? []).length >= 1, true);
  assert.equal((svg.match(/aria-roledescription="bar"/g) ?? []).length, 3);
  assert.equal(chart.bundle["text/plain"], "Vega-Lite chart: errors");
});

Deno.test("histogramChart bins values into bars and validates binStep", async () => {
  const chart = await histogramChart([0.05, 0.15, 0.15, 0.95], { binStep: 0.1, extent: [0, 1] });
  const svg = chart.bundle["image/svg+xml"] as string;
  assert.equal((svg.match(/aria-roledescription="bar"/g) ?? []).length, 3); // three non-empty bins
  await assert.rejects(
    () => histogramChart([1], { binStep: 0 }),
    /binStep must be a finite number > 0, got 0/,
  );
});

Deno.test("lineChart draws one line per series", async () => {
  const chart = await lineChart([
    { x: 0, y: 1, series: "a" },
    { x: 1, y: 2, series: "a" },
    { x: 0, y: 2, series: "b" },
    { x: 1, y: 1, series: "b" },
  ]);
  const svg = chart.bundle["image/svg+xml"] as string;
  assert.equal((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 2);
});

Deno.test("vegaLiteChart rejects specs Vega-Lite cannot compile", async () => {
  await assert.rejects(() => vegaLiteChart(null as never), /spec must be a Vega-Lite spec object/);
});
