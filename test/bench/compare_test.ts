import assert from "node:assert/strict";
import {
  achievedGflops,
  aggregateImagesPerSecond,
  bestOf,
  concurrentSummary,
  evaluateTargets,
  memoryTarget,
  pairedRatios,
  withRatiosToBestTorch,
} from "../../bench/_compare.ts";
import type { Row } from "../../bench/_results.ts";

function row(variant: string, kind: Row["kind"], imagesPerSecond: number, batch = 64): Row {
  return {
    section: "train",
    model: "resnet20",
    batch,
    variant,
    label: variant,
    kind,
    imagesPerSecond,
    bestImagesPerSecond: imagesPerSecond,
    runs: 3,
    cpuMsPerImage: 1,
    errors: [],
  };
}

Deno.test("bestOf: the fastest, skipping failed (NaN, undefined, 0); undefined when all failed", () => {
  assert.equal(
    bestOf([
      { id: "a", imagesPerSecond: 300 },
      { id: "b", imagesPerSecond: NaN },
      { id: "c", imagesPerSecond: 440 },
      { id: "d", imagesPerSecond: undefined },
    ])?.id,
    "c",
  );
  assert.equal(bestOf([{ id: "a", imagesPerSecond: 5 }, { id: "b", imagesPerSecond: 5 }])?.id, "a");
  assert.equal(bestOf([{ imagesPerSecond: NaN }, { imagesPerSecond: 0 }]), undefined);
});

Deno.test("withRatiosToBestTorch: against the best PyTorch of each batch; a failed compile is skipped", () => {
  const rows = withRatiosToBestTorch([
    row("torch", "torch", 300),
    row("torch-cl", "torch", 400),
    row("torch-compile", "torch", NaN), // failed: compared against the best of the rest
    row("lib", "lib", 500),
    row("torch", "torch", 100, 128),
    row("lib", "lib", 150, 128),
  ]);
  const at = (v: string, b = 64) => rows.find((r) => r.variant === v && r.batch === b)!;
  assert.equal(at("lib").ratioToBestTorch, 1.25);
  assert.equal(at("lib").bestTorch, "torch-cl");
  assert.equal(at("torch").ratioToBestTorch, 0.75);
  assert.equal(at("torch-cl").ratioToBestTorch, 1);
  assert.equal(at("torch-compile").ratioToBestTorch, undefined);
  assert.equal(at("lib", 128).ratioToBestTorch, 1.5);
  assert.equal(at("lib", 128).bestTorch, "torch");
  // Without any PyTorch row there is no ratio.
  assert.equal(withRatiosToBestTorch([row("lib", "lib", 500)])[0].ratioToBestTorch, undefined);
});

Deno.test("pairedRatios: per-cycle ratios against the PyTorch configuration with the best median", () => {
  const runs = [
    [100, 200, 100], // torch: median 100
    [200, 100, 400], // torch-cl: median 200, the best
    [400, 300, 400], // lib: per cycle 2, 3, 1 → median 2
  ];
  const { bestTorchIndex, ratios } = pairedRatios(runs, [0, 1]);
  assert.equal(bestTorchIndex, 1);
  assert.deepEqual(ratios, [0.5, 1, 2]);
  assert.deepEqual(pairedRatios(runs, []).ratios, [undefined, undefined, undefined]);
});

Deno.test("aggregateImagesPerSecond and concurrentSummary: images over wall time, medians", () => {
  // Two processes of 192 images each in 1.5 s: 256 images/s together.
  assert.equal(aggregateImagesPerSecond([192, 192], 1500), 256);
  assert.throws(() => aggregateImagesPerSecond([1], 0), /wallMs/);
  const s = concurrentSummary([200, 100, 150], [300, 240, 250]);
  assert.deepEqual(s, { single: 150, aggregate: 250, scaling: 250 / 150 });
});

Deno.test("achievedGflops: images/s × FLOPs per image", () => {
  assert.equal(achievedGflops(500, 2e8), 100);
});

Deno.test("evaluateTargets: peak RSS against the fastest PyTorch row's, PyTorch's over ours", () => {
  const rows = withRatiosToBestTorch([
    { ...row("torch", "torch", 300), peakRssMiB: 300 },
    { ...row("torch-cl", "torch", 400), peakRssMiB: 500 }, // the fastest: the one compared with
    { ...row("lib", "lib", 500), peakRssMiB: 400 },
    { ...row("torch-cl", "torch", 400, 128), peakRssMiB: 600 },
    { ...row("lib", "lib", 440, 128), peakRssMiB: 750 },
    row("torch-cl", "torch", 400, 2), // no RSS figure
    { ...row("lib", "lib", 440, 2), peakRssMiB: 300 },
  ]);
  const targets = [64, 128, 2].map((batch) => ({
    name: `b${batch}`,
    section: "train",
    model: "resnet20",
    batch,
    atLeast: 1.0,
    measure: "peakRss",
  } as const));
  assert.deepEqual(
    evaluateTargets(rows, "lib", { targets }).map((t) => [t.ratio, t.verdict, t.detail]),
    [
      [1.25, "pass", "peak RSS 400 MiB, PyTorch's 500"],
      [0.8, "fail", "peak RSS 750 MiB, PyTorch's 600"],
      [undefined, "not measured", undefined],
    ],
  );
});

Deno.test("evaluateTargets: pass, fail and not measured; a stand-in only where measured", () => {
  const rows = withRatiosToBestTorch([
    row("torch-cl", "torch", 400),
    row("lib", "lib", 500), // 1.25× ≥ 1.2
    row("graph-spike", "script", 520),
    row("torch-cl", "torch", 400, 128),
    row("lib", "lib", 440, 128), // 1.1× < 1.2
  ]);
  const targets = [
    { name: "b64", section: "train", model: "resnet20", batch: 64, atLeast: 1.2 },
    { name: "b128", section: "train", model: "resnet20", batch: 128, atLeast: 1.2 },
    { name: "b2", section: "train", model: "resnet20", batch: 2, atLeast: 1.0 },
  ] as const;
  assert.deepEqual(
    evaluateTargets(rows, "lib", { targets }).map((t) => [t.name, t.verdict, t.bestTorch]),
    [["b64", "pass", "torch-cl"], ["b128", "fail", "torch-cl"], ["b2", "not measured", undefined]],
  );
  assert.deepEqual(
    evaluateTargets(rows, "graph-spike", { targets, onlyMeasured: true }).map((t) => t.ratio),
    [1.3],
  );
});

Deno.test("memoryTarget: RSS after the first run over after the last ≥ 0.98, tensors stable", () => {
  const base = { variant: "lib-compiled", label: "l", model: "resnet20", batch: 128, steps: 400 };
  const line = (rss: number[], numTensorsStable = true) =>
    memoryTarget({ ...base, rssAfterRunsMiB: rss, numTensorsStable });
  assert.deepEqual(line([500, 505, 510]), {
    name: "RSS flat over an epoch, resnet20 batch 128 (400 steps)",
    variant: "lib-compiled",
    atLeast: 0.98,
    ratio: 500 / 510,
    verdict: "pass",
    detail: "RSS 500 → 510 MiB, tensors stable",
  });
  assert.equal(line([500, 520]).verdict, "fail"); // 4 % growth
  assert.equal(line([500, 500], false).verdict, "fail");
  assert.equal(line([]).verdict, "not measured");
});
