import assert from "node:assert/strict";
import { renderSummaryMarkdown } from "../../lib/reports/summary_markdown.ts";

Deno.test("renderSummaryMarkdown: one table per notebook with results, failures named", () => {
  const markdown = renderSummaryMarkdown({
    generatedAt: "2026-11-25T06:00:00Z",
    scale: "cpu",
    machine: "AMD EPYC, 2 cores",
    entries: [
      {
        notebook: "02-cifar-classification",
        html: "02-cifar-classification.html",
        ok: true,
        seconds: 10,
        results: {
          notebook: "02-cifar-classification",
          title: "CIFAR classification",
          scale: "cpu",
          seeds: [0, 1],
          backend: "tensorflow",
          recordedAt: "2026-11-25T05:59:00Z",
          rows: [
            {
              quantity: "top-1 error, CutMix",
              paper: 2.88,
              ours: 34.115,
              unit: "%",
              source: "Table 7",
            },
            { quantity: "a | b", paper: null, ours: null },
          ],
          notes: ["ResNet-20, 30 epochs."],
        },
      },
      { notebook: "03-ablations", html: "03-ablations.html", ok: false, seconds: 3 },
      {
        notebook: "05-robustness",
        html: "05-robustness.html",
        ok: true,
        seconds: 0,
        earlier: true,
        results: {
          notebook: "05-robustness",
          title: "Robustness",
          scale: "cpu",
          seeds: [],
          backend: "tensorflow",
          recordedAt: "2026-11-24T00:00:00Z",
          rows: [{ quantity: "FGSM", paper: 8.3, ours: 12 }],
        },
      },
    ],
  });
  const lines = markdown.split("\n");
  assert.ok(
    lines[2].startsWith(
      "Produced by `deno task reproduce --scale cpu` on 2026-11-25T06:00:00Z; machine: AMD EPYC, 2 cores.",
    ),
  );
  assert.ok(lines.includes("**Failed:** 03-ablations"));
  assert.ok(lines.includes("## CIFAR classification (`02-cifar-classification`)"));
  assert.ok(
    lines.includes(
      "Scale cpu, seeds 0, 1, backend tensorflow, recorded 2026-11-25T05:59:00Z.",
    ),
  );
  assert.ok(lines.includes("| top-1 error, CutMix | 2.88 | 34.12 | % | Table 7 |  |"));
  assert.ok(lines.includes("| a \\| b | — | — |  |  |  |"), "pipes escaped, nulls as dashes");
  assert.ok(lines.includes("- ResNet-20, 30 epochs."));
  assert.ok(!markdown.includes("## 03"), "a notebook without results has no table");
  assert.ok(
    lines.includes(
      "Scale cpu, seeds —, backend tensorflow, recorded 2026-11-24T00:00:00Z (an earlier run: not re-run this time).",
    ),
  );
});
