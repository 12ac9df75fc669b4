import assert from "node:assert/strict";
import { join } from "node:path";
import {
  claimPaperText,
  type ClaimResult,
  loadResults,
  type NotebookResults,
  saveResults,
  validateResults,
} from "../../lib/reports/results.ts";
import { renderIndexPage } from "../../lib/reports/index_page.ts";

const results: NotebookResults = {
  notebook: "02-cifar-classification",
  title: "CIFAR classification",
  scale: "smoke",
  seeds: [0, 1],
  backend: "tensorflow",
  rows: [{ quantity: "CIFAR-10 err", paper: 2.88, ours: 71.25, unit: "%", source: "Table 6" }],
  notes: ["1 epoch"],
};

Deno.test("saveResults writes JSON atomically and returns the table to display", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shown = await saveResults(results, dir);
    assert.equal(shown.path, join(dir, "02-cifar-classification.results.json"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "02-cifar-classification.results.json",
    ]);
    const loaded = await loadResults(shown.path);
    assert.deepEqual({ ...loaded, recordedAt: "" }, { ...results, recordedAt: "" });
    assert.match(
      shown.bundle["text/markdown"] as string,
      /\| CIFAR-10 err \| 2\.88 \| 71\.25 \| % \| Table 6 \|/,
    );
    const shownBundle = (shown as unknown as Record<symbol, () => unknown>)
      [Symbol.for("Jupyter.display")]();
    assert.equal(shownBundle, shown.bundle);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveResults rejects malformed results naming the field", async () => {
  await assert.rejects(
    () => saveResults({ ...results, notebook: "cifar" }, "/nonexistent"),
    /results.notebook.*"cifar"/,
  );
  await assert.rejects(
    () => saveResults({ ...results, scale: "Big!" }, "/nonexistent"),
    /results.scale must be a scale's name, got "Big!"/,
  );
  await assert.rejects(
    () =>
      saveResults({ ...results, rows: [{ quantity: "x", paper: NaN, ours: 1 }] }, "/nonexistent"),
    /results.rows\[0\].paper must be a finite number or null, got NaN/,
  );
});

Deno.test("renderIndexPage links reports, marks failures and lists paper vs ours", () => {
  const page = renderIndexPage({
    generatedAt: "2026-11-25T03:00:00Z",
    scale: "smoke",
    machine: "CPU <x>, 2 cores",
    entries: [
      { notebook: "01-a", html: "01-a.html", ok: false, seconds: 3, error: "cell 4 raised" },
      {
        notebook: "02-cifar-classification",
        html: "02-cifar-classification.html",
        ok: true,
        seconds: 61.4,
        results: { ...results, recordedAt: "2026-11-25T02:59:00Z" },
      },
    ],
  });
  assert.ok(page.includes('<a href="01-a.html">01-a</a>'));
  assert.equal((page.match(/data-status="failed"/g) ?? []).length, 1);
  assert.equal((page.match(/data-status="ok"/g) ?? []).length, 1);
  assert.ok(
    page.includes("FAILED") && page.includes("cell 4 raised") &&
      page.includes("1 notebook(s) failed"),
  );
  assert.ok(page.includes("CPU &lt;x&gt;, 2 cores"));
  assert.ok(page.includes('<td class="num">2.88</td><td class="num">71.25</td>'));
});

const claim: ClaimResult = {
  claim: "CutMix < baseline (final top-1 error)",
  paper: "yes",
  paperEvidence: "2.88 vs 3.85 %",
  source: "Table 7",
  verdict: "yes",
  ours: "yes, 2.83 ± 0.63 points (95 % CI, n = 3)",
  agreement: "agrees",
  interval: {
    seeds: [0, 1, 2],
    differences: [-2.8, -2.6, -3.1],
    mean: -2.8333,
    sd: 0.2517,
    halfWidth: 0.6252,
    low: -3.4585,
    high: -2.2082,
    level: 0.95,
    unit: "points",
  },
};

Deno.test("results carry claims with their intervals and rows with their spread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const withClaims: NotebookResults = {
      ...results,
      rows: [{ ...results.rows[0], sd: 0.4, n: 3 }],
      claims: [claim, {
        claim: "premise",
        paper: null,
        verdict: "not resolved",
        ours: "unknown: not recorded",
        agreement: null,
      }],
    };
    const loaded = await loadResults((await saveResults(withClaims, dir)).path);
    assert.deepEqual(loaded.claims, withClaims.claims);
    assert.equal(loaded.rows[0].sd, 0.4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validateResults names a malformed claim or spread", () => {
  const bad = (claims: unknown[], rows = results.rows) => () =>
    validateResults({ ...results, rows, claims: claims as ClaimResult[] });
  assert.throws(
    bad([{ ...claim, verdict: "maybe" }]),
    /claims\[0\]\.verdict must be one of yes, no, not resolved, not tested, got "maybe"/,
  );
  assert.throws(
    bad([{ ...claim, paper: "perhaps" }]),
    /claims\[0\]\.paper must be "yes", "no" or null/,
  );
  assert.throws(bad([{ ...claim, agreement: "sort of" }]), /claims\[0\]\.agreement must be/);
  assert.throws(bad([{ ...claim, ours: "" }]), /claims\[0\]\.ours must be a non-empty string/);
  assert.throws(
    bad([{ ...claim, interval: { ...claim.interval!, halfWidth: NaN } }]),
    /claims\[0\]\.interval\.halfWidth must be a finite number or null, got NaN/,
  );
  assert.throws(
    bad([{ ...claim, interval: { ...claim.interval!, differences: [1] } }]),
    /claims\[0\]\.interval\.differences must be 3 finite numbers/,
  );
  assert.throws(
    bad([], [{ ...results.rows[0], sd: -1 }]),
    /rows\[0\]\.sd must be a number ≥ 0 or null, got -1/,
  );
  assert.throws(
    bad([], [{ ...results.rows[0], n: 0 }]),
    /rows\[0\]\.n must be a positive integer, got 0/,
  );
});

Deno.test("a claim not tested, and one without a paper verdict, validate and read in a table", () => {
  const untested: ClaimResult = {
    ...claim,
    verdict: "not tested",
    ours: "not tested (the set fails its criterion); the interval alone: yes, 2.83 ± 0.63 points",
    agreement: "not tested",
  };
  const noPaper: ClaimResult = {
    claim: "Cutout < baseline (occlusion error)",
    paper: null,
    paperEvidence: "Fig. 5a: plot only",
    verdict: "yes",
    ours: "yes, 1.00 ± 0.50 points (95 % CI, n = 3)",
    agreement: null,
  };
  validateResults({ ...results, claims: [untested, noPaper] });
  assert.equal(claimPaperText(untested), "yes (2.88 vs 3.85 %)");
  assert.equal(claimPaperText(noPaper), "— (Fig. 5a: plot only)");
  assert.equal(claimPaperText({ ...noPaper, paperEvidence: undefined }), "—");
});

Deno.test("renderIndexPage shows a notebook's claims and ours ± sd", () => {
  const page = renderIndexPage({
    generatedAt: "2026-11-25T03:00:00Z",
    scale: "cpu",
    machine: "2 cores",
    entries: [{
      notebook: "02-cifar-classification",
      html: "02-cifar-classification.html",
      ok: true,
      seconds: 1,
      results: {
        ...results,
        rows: [{ ...results.rows[0], sd: 0.4 }],
        claims: [claim],
        recordedAt: "2026-11-25T02:59:00Z",
      },
    }],
  });
  assert.ok(page.includes('<td class="num">71.25 ± 0.40</td>'));
  assert.ok(
    page.includes(
      "<td>CutMix &lt; baseline (final top-1 error)</td><td>yes (2.88 vs 3.85 %)</td>" +
        "<td>yes, 2.83 ± 0.63 points (95 % CI, n = 3)</td>" +
        '<td data-agreement="agrees">agrees</td><td>Table 7</td>',
    ),
  );
});
