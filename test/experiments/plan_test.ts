import assert from "node:assert/strict";
import { join } from "node:path";
import {
  estimateRate,
  planSweep,
  poolSpeedup,
  readPlanFile,
  readThroughput,
  recordThroughput,
  runCost,
  runsToRestore,
  runsToTrain,
  type ThroughputSample,
  writePlanFile,
} from "../../lib/experiments/plan.ts";
import { notebookRuns, sweepRuns } from "../../lib/experiments/run_list.ts";
import { canonicalJson, configHash } from "../../lib/training/config.ts";

Deno.test("run lists: notebooks share runs by hash, and a sweep trains each once", () => {
  const main = notebookRuns("02", "cpu");
  assert.equal(main.length, 12); // 4 methods × seeds 0, 1, 2
  assert.deepEqual(main.map((r) => `${r.label}/${r.seed}`).slice(0, 4), [
    "baseline/0",
    "baseline/1",
    "baseline/2",
    "cutout/0",
  ]);
  for (const r of main) assert.equal(r.hash, configHash(r.config));
  assert.deepEqual(notebookRuns("05", "cpu").map((r) => r.hash), main.map((r) => r.hash));
  // Table 8's "CutMix" and α = 1 are notebook 02's CutMix (seed 0).
  const cutmix0 = main.find((r) => r.label === "cutmix" && r.seed === 0)!.hash;
  assert.equal(
    notebookRuns("03", "cpu", "variants").find((r) => r.label === "CutMix")!.hash,
    cutmix0,
  );
  assert.equal(notebookRuns("03", "cpu", "alpha").find((r) => r.label === "α=1")!.hash, cutmix0);
  // Level 0 feature-level CutMix is a run of its own (another kind), though it mixes the same:
  // smoke trains it as a check; cpu takes CutMix's model for level 0 and trains levels 1-4.
  const smokeCutmix0 = notebookRuns("02", "smoke").find((r) => r.label === "cutmix")!.hash;
  assert.notEqual(
    notebookRuns("04", "smoke", "levels").find((r) => r.label === "level 0")!.hash,
    smokeCutmix0,
  );
  assert.deepEqual(
    notebookRuns("04", "cpu", "levels").map((r) => r.label),
    ["level 1", "level 1", "level 2", "level 2", "level 3", "level 3", "level 4", "level 4"],
  );
  // 12 of notebook 02, then at seeds 0 and 1: 5 variants, α 0.1, 0.25, 0.5, 2, 4, levels 1-4.
  assert.equal(sweepRuns("cpu").length, 40);
  assert.equal(sweepRuns("smoke").length, 13);
  assert.equal(sweepRuns("cpu", ["02", "05"]).length, 12);
  const shared = sweepRuns("cpu").find((r) => r.hash === cutmix0)!;
  assert.deepEqual(
    shared.uses.map((u) => `${u.notebook}:${u.group}:${u.label}`),
    [
      "01:cam:cutmix",
      "02:methods:cutmix",
      "03:variants:CutMix",
      "03:alpha:α=1",
      "04:references:CutMix",
      "05:methods:cutmix",
      "06:methods:cutmix",
      "07:methods:cutmix",
      "08:methods:cutmix",
    ],
  );
  assert.throws(
    () => notebookRuns("09", "cpu"),
    /notebook "09" declares no runs \(notebooks with runs: 01, 02/,
  );
  assert.throws(
    () => notebookRuns("03", "cpu", "nope"),
    /no run group "nope" \(groups: variants, alpha\)/,
  );
});

Deno.test("runCost counts the images a run trains and evaluates", () => {
  const [smoke] = notebookRuns("02", "smoke");
  assert.deepEqual(runCost(smoke.config), {
    trainImages: 500, // 50 per class × 10
    testImages: 200,
    evaluations: 1, // every 2 epochs of 2
    imagesToTrain: 1000,
  });
  const [cpu] = notebookRuns("02", "cpu");
  assert.deepEqual(runCost(cpu.config), {
    trainImages: 5000,
    testImages: 10_000,
    evaluations: 10,
    imagesToTrain: 500_000,
  });
  assert.equal(runCost({ ...cpu.config, epochs: 31 }).evaluations, 4); // 3 + the last
  assert.throws(
    () => runCost({ ...cpu.config, dataset: "tiny" }),
    /size of dataset "tiny" is unknown/,
  );
});

const sample = (over: Partial<ThroughputSample>): ThroughputSample => ({
  model: "m",
  batchSize: 64,
  threads: 1,
  concurrent: 2,
  imagesPerSecond: 100,
  host: "h",
  at: "2026-12-03T00:00:00Z",
  ...over,
});

Deno.test("poolSpeedup: the pool's per-worker median × workers over one all-core process's", () => {
  const [run] = notebookRuns("02", "smoke");
  const model = canonicalJson(run.config.model);
  const samples = [
    sample({ model, imagesPerSecond: 500 }),
    sample({ model, imagesPerSecond: 520 }),
    sample({ model, imagesPerSecond: 540 }),
    sample({ model, threads: 2, concurrent: 1, imagesPerSecond: 800 }),
    // Neither setup: another width, a one-thread run alone, another batch size.
    sample({ model, concurrent: 4, imagesPerSecond: 1 }),
    sample({ model, concurrent: 1, imagesPerSecond: 1 }),
    sample({ model, threads: 2, concurrent: 1, batchSize: 128, imagesPerSecond: 1 }),
  ];
  assert.deepEqual(poolSpeedup(samples, run.config, { workers: 2, threads: 1, cores: 2 }), {
    perWorker: 520,
    pool: 1040,
    single: 800,
    speedup: 1.3,
    poolRuns: 3,
    singleRuns: 1,
  });
  // No sample at the pool's own width, or none alone: no factor (never a fallback tier).
  assert.equal(poolSpeedup(samples, run.config, { workers: 3, threads: 1, cores: 2 }), undefined);
  assert.equal(
    poolSpeedup(samples.slice(0, 3), run.config, { workers: 2, threads: 1, cores: 2 }),
    undefined,
  );
  // A "pool" of one process with every core is the reference itself.
  assert.equal(poolSpeedup(samples, run.config, { workers: 1, threads: 2, cores: 2 }), undefined);
});

Deno.test("estimateRate takes the median of the closest samples, or none", () => {
  const [run] = notebookRuns("02", "smoke");
  const model = canonicalJson(run.config.model);
  const samples = [
    sample({ model, imagesPerSecond: 240 }),
    sample({ model, imagesPerSecond: 260 }),
    sample({ model, imagesPerSecond: 250 }),
    sample({ model, threads: 2, concurrent: 1, imagesPerSecond: 350 }),
    sample({ model, batchSize: 128, imagesPerSecond: 999 }),
    sample({ imagesPerSecond: 5 }),
  ];
  assert.deepEqual(estimateRate(samples, run.config, { threads: 1, concurrent: 2 }), {
    imagesPerSecond: 250,
    source: "median of 3 run(s), 1 thread(s), 2 concurrent",
  });
  assert.equal(
    estimateRate(samples, run.config, { threads: 2, concurrent: 1 })!.imagesPerSecond,
    350,
  );
  assert.match(
    estimateRate(samples, run.config, { threads: 1, concurrent: 4 })!.source,
    /other concurrency/,
  );
  assert.equal(
    estimateRate(samples, run.config, { threads: 4, concurrent: 1 })!.imagesPerSecond,
    255,
  );
  assert.equal(estimateRate([], run.config, { threads: 1, concurrent: 1 }), undefined);
});

Deno.test("planSweep: cached, partial and missing runs, with minutes from the recorded rate", async () => {
  const runsDir = await Deno.makeTempDir({ prefix: "cutmix-plan-" });
  try {
    const runs = sweepRuns("smoke", ["02"]);
    const [done, partial] = runs;
    await Deno.mkdir(join(runsDir, done.hash));
    await Deno.writeTextFile(join(runsDir, done.hash, "final.json"), "{}");
    await Deno.mkdir(join(runsDir, partial.hash));
    await Deno.writeTextFile(join(runsDir, partial.hash, "checkpoint.bin"), "x");
    await Deno.writeTextFile(join(runsDir, partial.hash, "metrics.jsonl"), '{"epoch":1}\n');
    const model = canonicalJson(done.config.model);
    await recordThroughput(runsDir, sample({ model, imagesPerSecond: 50 }));
    await Deno.writeTextFile(join(runsDir, "throughput.jsonl"), '{"cut short', { append: true });
    assert.equal((await readThroughput(runsDir)).length, 1);
    const plan = await planSweep(runs, { runsDir, threads: 1, concurrent: 2 });
    assert.deepEqual(plan.entries.map((e) => [e.state, e.epochsLogged, e.imagesRemaining]), [
      ["done", 0, 0],
      ["partial", 1, 500],
      ["empty", 0, 1000],
      ["empty", 0, 1000],
    ]);
    assert.ok(plan.entries.every((e) => !e.recorded));
    assert.deepEqual(runsToTrain(plan).map((e) => e.hash), runs.slice(1).map((r) => r.hash));
    assert.equal(plan.entries[0].minutes, 0);
    // 500 images + one evaluation of 200 test images at a third of a training image's cost.
    assert.equal(plan.entries[1].minutes, (500 + 200 / 3) / 50 / 60);
    assert.equal(plan.entries[2].minutes, (1000 + 200 / 3) / 50 / 60);
    const path = join(runsDir, "sweeps", "x", "plan.json");
    await writePlanFile(path, runsDir, plan.entries.slice(1));
    const file = await readPlanFile(path);
    assert.deepEqual(file.runs.map((r) => r.hash), runs.slice(1).map((r) => r.hash));
    assert.deepEqual(file.runs[0].config, partial.config);
  } finally {
    await Deno.remove(runsDir, { recursive: true });
  }
});

Deno.test("planSweep with records: a recorded run is restored, not trained; the plan file says where workers export", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-plan-" });
  try {
    const runsDir = join(root, "runs");
    const recordsDir = join(root, "records");
    const runs = sweepRuns("smoke", ["02"]);
    const [done, partial, recorded] = runs;
    await Deno.mkdir(join(runsDir, done.hash), { recursive: true });
    await Deno.writeTextFile(join(runsDir, done.hash, "final.json"), "{}");
    await Deno.mkdir(join(runsDir, partial.hash));
    await Deno.writeTextFile(join(runsDir, partial.hash, "checkpoint.bin"), "x");
    await Deno.writeTextFile(join(runsDir, partial.hash, "metrics.jsonl"), '{"epoch":1}\n');
    // Records of the done run and of the partial one and of a third (the plan reads headers'
    // presence only; restoring verifies them, test/training/run_record_test.ts).
    for (const run of [done, partial, recorded]) {
      await Deno.mkdir(join(recordsDir, run.hash), { recursive: true });
      await Deno.writeTextFile(join(recordsDir, run.hash, "record.json"), "{}");
    }
    const plan = await planSweep(runs, { runsDir, recordsDir, threads: 1, concurrent: 2 });
    assert.equal(plan.recordsDir, recordsDir);
    assert.deepEqual(
      plan.entries.map((e) => [e.state, e.recorded, e.imagesRemaining, e.minutes]),
      [
        ["done", true, 0, undefined],
        ["partial", true, 0, undefined],
        ["empty", true, 0, undefined],
        ["empty", false, 1000, undefined],
      ],
    );
    assert.deepEqual(runsToRestore(plan).map((e) => e.hash), [partial.hash, recorded.hash]);
    assert.deepEqual(runsToTrain(plan).map((e) => e.hash), [runs[3].hash]);
    const path = join(root, "plan.json");
    await writePlanFile(path, runsDir, runsToTrain(plan), recordsDir);
    assert.equal((await readPlanFile(path)).recordsDir, recordsDir);
    await writePlanFile(path, runsDir, runsToTrain(plan));
    assert.equal("recordsDir" in (await readPlanFile(path)), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
