import assert from "node:assert/strict";
import { join } from "node:path";
import { loadResults, type NotebookResults, saveResults } from "../../lib/reports/results.ts";
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
