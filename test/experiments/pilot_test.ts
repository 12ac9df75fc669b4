import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CPU_SWEEP_BUDGET,
  loadPilotRecords,
  parsePilotRecord,
  pilotCandidates,
  pilotLabel,
} from "../../lib/experiments/pilot.ts";
import { chooseRegime } from "../../lib/experiments/regime.ts";
import { sweepRuns } from "../../lib/experiments/run_list.ts";
import { cifarRecipe } from "../../lib/experiments/recipes.ts";

const record = (perClass: number, epochs: number, final: number | null) => ({
  kind: "baseline pilot",
  configHash: "0123456789abcdef",
  perClass,
  epochs,
  seed: 0,
  model: "resnet20",
  backend: "tensorflow",
  points: [
    { epoch: epochs, cleanTrainError: final ?? 0.5, cleanTrainLoss: 0.1 },
    { epoch: 1, cleanTrainError: 0.8, cleanTrainLoss: 2.1 },
  ],
  epochsTrainLoss: [{ epoch: 1, trainLoss: 2.0, lr: 0.1 }],
  finalTrainError: final,
});

Deno.test("loadPilotRecords reads a folder's records, ordered; unfinished ones are no candidates", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "b.json"), JSON.stringify(record(500, 80, 0.0254)));
    await Deno.writeTextFile(join(dir, "a.json"), JSON.stringify(record(500, 60, null)));
    await Deno.writeTextFile(join(dir, "c.json"), JSON.stringify(record(250, 90, 0.0676)));
    await Deno.writeTextFile(join(dir, "notes.txt"), "not a record");
    const records = await loadPilotRecords(dir);
    assert.deepEqual(records.map(pilotLabel), [
      "250/class × 90 epochs",
      "500/class × 60 epochs",
      "500/class × 80 epochs",
    ]);
    assert.deepEqual(records[0].points.map((p) => p.epoch), [1, 90], "points sorted by epoch");
    assert.deepEqual(pilotCandidates(records), [
      { perClass: 250, epochs: 90, finalTrainError: 0.0676 },
      { perClass: 500, epochs: 80, finalTrainError: 0.0254 },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the committed pilot, judged by the rule, picks the cpu scale's regime", async () => {
  const records = await loadPilotRecords();
  assert.equal(records.length, 5);
  const choice = chooseRegime(pilotCandidates(records), {
    numClasses: 10,
    runs: sweepRuns("cpu").length,
    ...CPU_SWEEP_BUDGET,
  });
  const cpu = cifarRecipe("cpu").config;
  assert.deepEqual(
    { perClass: choice.chosen?.perClass, epochs: choice.chosen?.epochs },
    { perClass: cpu.trainPerClass, epochs: cpu.epochs },
  );
  assert.equal(choice.candidates.filter((c) => c.memorised).length, 1);
});

Deno.test("parsePilotRecord names the file, the field and the value", () => {
  assert.throws(
    () => parsePilotRecord({ ...record(500, 80, 0.1), kind: "pilot" }, "x.json"),
    /x\.json: kind must be "baseline pilot", got "pilot"/,
  );
  assert.throws(
    () => parsePilotRecord({ ...record(500, 80, 0.1), perClass: 0 }, "x.json"),
    /perClass must be a positive integer, got 0/,
  );
  assert.throws(
    () =>
      parsePilotRecord({
        ...record(500, 80, 0.1),
        points: [{ epoch: 81, cleanTrainError: 0.1, cleanTrainLoss: 0.2 }],
      }, "x.json"),
    /points\[0\]\.epoch must be an integer in \[1, 80\], got 81/,
  );
  assert.throws(
    () => parsePilotRecord({ ...record(500, 80, 0.1), finalTrainError: 1.5 }, "x.json"),
    /finalTrainError must be in \[0, 1\] or null, got 1.5/,
  );
  assert.throws(() => parsePilotRecord(null, "x.json"), /x\.json: not a JSON object/);
});

Deno.test("loadPilotRecords: an empty folder and a broken file are named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => loadPilotRecords(dir), /no pilot records \(\*\.json\) in /);
    await Deno.writeTextFile(join(dir, "bad.json"), "{");
    await assert.rejects(() => loadPilotRecords(dir), /bad\.json: not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
