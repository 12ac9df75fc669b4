/**
 * tools/check_reports.ts in a real headless Chromium: a page made of lib/reports outputs passes;
 * a page with an empty chart, an undrawn Plotly div, a broken image, a console error and a CDN
 * script fails with each problem named. Needs Chromium (test/_skip.ts: skipped with a warning when
 * absent, failing under CI=true); `deno task setup --for test` installs it where it can.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { imageGrid } from "../../lib/reports/images.ts";
import { plotlyChart, resetPlotlyLibrary } from "../../lib/reports/plotly.ts";
import { histogramChart } from "../../lib/reports/vegalite.ts";
import { testWhen } from "../_skip.ts";

const chromium = Deno.env.get("CHROMIUM") ?? "chromium";
const hasChromium = (() => {
  try {
    return new Deno.Command(chromium, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
const tool = fileURLToPath(new URL("../../tools/check_reports.ts", import.meta.url));

async function check(dir: string): Promise<{ code: number; log: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", tool, "--dir", dir, "--settle-ms", "5000"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, log: new TextDecoder().decode(output.stderr) };
}

testWhen(
  hasChromium,
  `no Chromium (${chromium} --version failed): run ./run setup --for test, or set CHROMIUM`,
  {
    name: "check_reports passes a page of lib/reports outputs and names every fault of a bad one",
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "cutmix-check-test-" });
      try {
        resetPlotlyLibrary();
        const parts = [
          (await histogramChart([0.1, 0.2, 0.2, 0.9], { binStep: 0.1 })).bundle["image/svg+xml"],
          plotlyChart({ data: [{ type: "scatter", x: [1, 2], y: [2, 1] }] }).bundle["text/html"],
          imageGrid({ pixelsNHWC: new Uint8Array(2 * 4 * 4 * 3).fill(90), shape: [2, 4, 4, 3] })
            .bundle["text/html"],
        ];
        await Deno.writeTextFile(
          join(dir, "good.html"),
          `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${
            parts.join("")
          }</body></html>`,
        );
        const good = await check(dir);
        assert.equal(good.code, 0, good.log);
        assert.match(good.log, /good\.html: ok \(1 SVG charts, 1 Plotly, 1 images\)/);

        await Deno.writeTextFile(
          join(dir, "bad.html"),
          `<html><body><script>console.error("boom")</script>` +
            `<script src="https://cdn.example.invalid/x.js"></script>` +
            `<img src="data:image/png;base64,AAAA"><div class="cutmix-plotly" style="height:50px"></div>` +
            `<svg class="marks" width="0" height="0"></svg></body></html>`,
        );
        const bad = await check(dir);
        assert.equal(bad.code, 1, bad.log);
        for (
          const expected of [
            /bad\.html: FAILED/,
            /console\.error: boom/,
            /request outside the report: https:\/\/cdn\.example\.invalid\/x\.js/,
            /1 of 1 SVG figures are empty/,
            /1 of 1 Plotly charts did not draw/,
            /1 of 1 images did not decode/,
          ]
        ) assert.match(bad.log, expected);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
);
