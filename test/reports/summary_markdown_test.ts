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
            { quantity: "final top-1 error, CutMix", paper: 2.88, ours: 24.03, sd: 0.404, n: 3 },
          ],
          claims: [
            {
              claim: "CutMix < baseline (final top-1 error)",
              paper: "yes",
              paperEvidence: "2.88 vs 3.85 %",
              source: "Table 7",
              verdict: "yes",
              ours: "yes, 2.83 ± 0.63 points (95 % CI, n = 3)",
              agreement: "agrees",
            },
            {
              claim: "premise: the baseline memorised",
              paper: null,
              verdict: "no",
              ours: "no: 45.00 % (seed 0)",
              agreement: null,
            },
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
  assert.ok(lines.includes("| final top-1 error, CutMix | 2.88 | 24.03 ± 0.40 |  |  |  |"));
  assert.ok(lines.includes("| claim | paper | ours | agrees? | source |"));
  assert.ok(
    lines.includes(
      "| CutMix < baseline (final top-1 error) | yes (2.88 vs 3.85 %) | yes, 2.83 ± 0.63 points (95 % CI, n = 3) | agrees | Table 7 |",
    ),
  );
  assert.ok(
    lines.includes("| premise: the baseline memorised | — | no: 45.00 % (seed 0) | — |  |"),
  );
  assert.ok(!markdown.includes("## 03"), "a notebook without results has no table");
  assert.ok(
    lines.includes(
      "Scale cpu, seeds —, backend tensorflow, recorded 2026-11-24T00:00:00Z (an earlier run: not re-run this time).",
    ),
  );
});

Deno.test("renderSummaryMarkdown: a notebook with claims only still gets its section", () => {
  const markdown = renderSummaryMarkdown({
    generatedAt: "2026-11-25T06:00:00Z",
    scale: "cpu",
    machine: "2 cores",
    entries: [{
      notebook: "04-feature-cutmix",
      html: "04-feature-cutmix.html",
      ok: true,
      seconds: 1,
      results: {
        notebook: "04-feature-cutmix",
        title: "Feature-level CutMix",
        scale: "cpu",
        seeds: [0, 1],
        backend: "tensorflow",
        recordedAt: "2026-11-25T05:59:00Z",
        rows: [],
        claims: [{
          claim: "level 1 < baseline",
          paper: "yes",
          verdict: "not resolved",
          ours: "not resolved at n = 2, level 1 − baseline = -0.50 ± 6.35 points (95 % CI, n = 2)",
          agreement: "not resolved",
        }],
      },
    }],
  });
  assert.ok(markdown.includes("## Feature-level CutMix (`04-feature-cutmix`)"));
  assert.ok(!markdown.includes("| quantity |"), "no empty rows table");
  assert.ok(
    markdown.includes(
      "| level 1 < baseline | yes | not resolved at n = 2, level 1 − baseline = -0.50 ± 6.35 points (95 % CI, n = 2) | not resolved |  |",
    ),
  );
});
