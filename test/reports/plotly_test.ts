import assert from "node:assert/strict";
import { plotlyChart, plotlyLibrarySource, resetPlotlyLibrary } from "../../lib/reports/plotly.ts";

const figure = {
  data: [{ type: "scatter", x: [1, 2], y: [3, 4] }],
  layout: { title: { text: "t" } },
};

Deno.test("plotly.js is inlined once per session, with AMD/CommonJS hidden", () => {
  resetPlotlyLibrary();
  const first = plotlyChart(figure).bundle["text/html"] as string;
  const second = plotlyChart(figure).bundle["text/html"] as string;
  const library = plotlyLibrarySource();
  assert.ok(library.length > 1_000_000, "the real plotly.js bundle");
  assert.ok(first.includes(library));
  assert.match(
    first,
    /^<script type="text\/javascript">\(function \(define, module, exports\) \{\n/,
  );
  assert.ok(first.includes("}).call(window, undefined, undefined, undefined);</script>"));
  assert.ok(!second.includes(library));
  assert.ok(second.length < 5_000);
  assert.ok(
    plotlyChart(figure, { includeLibrary: "always" }).bundle["text/html"]!.toString().includes(
      library,
    ),
  );
  assert.ok(
    !plotlyChart(figure, { includeLibrary: "never" }).bundle["text/html"]!.toString().includes(
      library,
    ),
  );
  resetPlotlyLibrary();
  assert.ok((plotlyChart(figure).bundle["text/html"] as string).includes(library));
});

Deno.test("plotlyChart sends the figure as plotly JSON and draws it in its own div", () => {
  const chart = plotlyChart(figure, { includeLibrary: "never", height: 300 });
  const json = chart.bundle["application/vnd.plotly.v1+json"] as Record<string, unknown>;
  assert.deepEqual(json.data, figure.data);
  assert.deepEqual(json.layout, figure.layout);
  assert.equal((json.config as Record<string, unknown>).displaylogo, false);
  const htmlText = chart.bundle["text/html"] as string;
  const id = htmlText.match(/<div id="(cutmix-plotly-[0-9a-f-]+)"/)![1];
  assert.ok(htmlText.includes(`document.getElementById("${id}")`));
  assert.ok(htmlText.includes("height:300px"));
  assert.equal(chart.bundle["text/plain"], "Plotly chart: t (1 traces)");
});

Deno.test("plotlyChart validates its arguments", () => {
  assert.throws(() => plotlyChart({ data: 3 as never }), /figure.data must be an array/);
  assert.throws(
    () =>
      plotlyChart({ data: [{ x: [1], y: [1] }, { type: "scatter3d", x: [1], y: [1], z: [1] }] }),
    /figure.data\[1\].type "scatter3d" is not drawn by the inlined plotly.js cartesian bundle; use one of bar, .*violin/,
  );
  assert.throws(
    () => plotlyChart(figure, { includeLibrary: "once" as never }),
    /includeLibrary.*got once/,
  );
  assert.throws(() => plotlyChart(figure, { height: -1 }), /height.*got -1/);
});
