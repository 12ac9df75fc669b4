import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../_backend.ts";
import { handMadeDataset } from "../data/fixtures.ts";
import { loadRuns } from "../../lib/experiments/load_runs.ts";
import { roundToFloat16 } from "../../lib/io/float16.ts";
import { createModel } from "../../lib/models/mod.ts";
import { readCheckpoint } from "../../lib/training/checkpoint.ts";
import { configHash, resolveRunConfig } from "../../lib/training/config.ts";
import { evaluateClassifier } from "../../lib/training/evaluate.ts";
import { assignModelWeights, trainRun } from "../../lib/training/loop.ts";
import { readRunFiles } from "../../lib/training/run_dir.ts";
import {
  checkFloat16,
  exportRunRecord,
  hasRunRecord,
  listRunRecords,
  readRunRecord,
  RECORD_FILES,
  restoreRunRecord,
} from "../../lib/training/run_record.ts";
import { trainOrLoad } from "../../lib/training/runs.ts";

// A ResNet-20 (the cpu scale's model, 4 classes here) on 8×8 hand-made images, 2 epochs.
const data = { train: handMadeDataset(48, 4, 8, 8), test: handMadeDataset(64, 4, 8, 8) };
const config = resolveRunConfig({
  model: { arch: "resnet", depth: 20 },
  dataset: "hand-made",
  numClasses: 4,
  epochs: 2,
  batchSize: 16,
  augmentation: { kind: "cutmix", numClasses: 4, alpha: 1, prob: 0.5 },
  seed: 3,
  evalBatchSize: 32,
});
const hash = configHash(config);

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a run's record restores a complete run directory that trainOrLoad loads, untrained", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-record-" });
  try {
    const runsDir = join(root, "runs");
    const recordsDir = join(root, "records");
    const trained = await trainOrLoad(config, { runsDir, data });
    trained.model.dispose();
    const original = await readCheckpoint(join(trained.runDir, "checkpoint.bin"));
    const before = tf.memory().numTensors;

    const header = await exportRunRecord(trained.runDir, { recordsDir, test: data.test });
    assert.equal(tf.memory().numTensors, before);
    const modelNames = [...original.tensors.keys()].filter((k) => k.startsWith("model/"));
    assert.ok([...original.tensors.keys()].some((k) => k.startsWith("sgd/")));
    assert.ok(modelNames.some((k) => k.endsWith(".movingVariance"))); // batch-norm statistics
    assert.deepEqual(header.weights.tensors.map((t) => t.name), modelNames); // and no sgd/…
    const values = modelNames.reduce((s, n) => s + original.tensors.get(n)!.values.length, 0);
    assert.equal(header.weights.byteLength, 2 * values);
    assert.equal(
      (await Deno.stat(join(recordsDir, hash, RECORD_FILES.weights))).size,
      header.weights.byteLength,
    );
    assert.equal(header.hash, hash);
    assert.ok(header.float16Check.passed);
    assert.deepEqual(header.float16Check.float32, trained.final.test);
    assert.equal(header.float16Check.float16.count, 64);
    assert.ok(await hasRunRecord(recordsDir, hash));
    assert.deepEqual((await listRunRecords(recordsDir)).map((l) => [l.hash, l.header?.hash]), [
      [hash, hash],
    ]);
    await assert.rejects(
      exportRunRecord(trained.runDir, { recordsDir, test: data.test }),
      new RegExp(`run ${hash} already has a record`),
    );

    // A clean clone: no runs cache, only the records.
    await Deno.remove(runsDir, { recursive: true });
    const lines: string[] = [];
    const restored = await trainOrLoad(config, {
      runsDir,
      recordsDir,
      data,
      log: (l) => lines.push(l),
    });
    assert.equal(restored.restored, true);
    assert.equal(restored.cached, true);
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`run ${hash} restored from its record in ${recordsDir}`));
    assert.deepEqual(restored.final, trained.final);
    assert.deepEqual(restored.metrics, trained.metrics);

    // The checkpoint verifies (meta { configHash, epochsDone = epochs }) and holds the float16
    // values of the trained weights, nothing else.
    const files = await readRunFiles(restored.runDir, hash);
    assert.equal(files.epochsDone, config.epochs);
    assert.deepEqual([...files.tensors!.keys()], modelNames);
    for (const name of modelNames) {
      assert.deepEqual(
        files.tensors!.get(name)!.values,
        roundToFloat16(original.tensors.get(name)!.values),
      );
    }

    // Its logits are exactly those of the float16-rounded weights, and so is its evaluation.
    const reference = createModel(config.model, config.seed);
    const rounded = new Map(
      modelNames.map((n) => {
        const t = original.tensors.get(n)!;
        return [n, { shape: t.shape, values: roundToFloat16(t.values) }];
      }),
    );
    assignModelWeights(reference, rounded, "reference");
    const images = tf.tensor4d(
      data.test.pixelsNHWC.slice(0, 16 * 8 * 8 * 3),
      [16, 8, 8, 3],
      "float32",
    );
    const logitsOf = (m: typeof reference) => {
      const { logits, featuresNHWC } = m.forward(images, { training: false });
      const out = Array.from(logits.dataSync());
      tf.dispose([logits, featuresNHWC]);
      return out;
    };
    assert.deepEqual(logitsOf(restored.model), logitsOf(reference));
    assert.deepEqual(
      evaluateClassifier(restored.model, data.test, config.evalBatchSize),
      header.float16Check.float16,
    );
    images.dispose();
    reference.dispose();
    restored.model.dispose();

    // From now on it is a cached run; trainRun on it returns without training (no SGD state).
    const again = await trainOrLoad(config, {
      runsDir,
      recordsDir,
      data,
      log: (l) => lines.push(l),
    });
    assert.equal(again.restored, false);
    again.model.dispose();
    const rerun = await trainRun(config, { runDir: restored.runDir, data });
    assert.deepEqual(rerun.final, trained.final);
    rerun.model.dispose();
    assert.equal(lines.length, 1);

    // loadRuns restores too, and says so instead of "training it here".
    await Deno.remove(runsDir, { recursive: true });
    const log: string[] = [];
    const [run] = await loadRuns(
      [{ notebook: "xx", group: "g", label: "cutmix", seed: 3, config, hash }],
      { runsDir, recordsDir, log: (l) => log.push(l) },
    );
    run.model.dispose();
    assert.equal(run.cached, true);
    assert.deepEqual(log, [
      `[cutmix seed 3] run ${hash} restored from its record in ${recordsDir} into ` +
      `${join(runsDir, hash)} (float16 weights; not trained)`,
      "1 run(s): 1 from the runs cache (1 restored from records), 0 trained here",
    ]);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("damaged or foreign records are refused, naming what is wrong; nothing is restored", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-record-" });
  try {
    const runsDir = join(root, "runs");
    const recordsDir = join(root, "records");
    const trained = await trainRun(config, { runDir: join(root, "source", hash), data });
    trained.model.dispose();
    await exportRunRecord(trained.runDir, { recordsDir, test: data.test });
    const good = join(recordsDir, hash);
    const damaged = async (name: string, damage: (dir: string) => Promise<void>) => {
      const dir = join(root, name);
      await copyDir(good, join(dir, hash));
      await damage(join(dir, hash));
      return dir;
    };
    const refused = async (records: string, pattern: RegExp) => {
      await assert.rejects(readRunRecord(records, hash), pattern);
      await assert.rejects(restoreRunRecord(records, hash, runsDir), pattern);
      await assert.rejects(trainOrLoad(config, { runsDir, recordsDir: records, data }), pattern);
      assert.equal(await exists(join(runsDir, hash)), false, "nothing restored");
    };

    // Another run's record under this hash.
    const other = "0123456789abcdef";
    await copyDir(good, join(root, "renamed", other));
    await assert.rejects(
      readRunRecord(join(root, "renamed"), other),
      new RegExp(`holds the record of run ${hash}, not of ${other}`),
    );
    const weightsPath = (dir: string) => join(dir, RECORD_FILES.weights);
    await refused(
      await damaged("truncated", async (dir) => {
        const bytes = await Deno.readFile(weightsPath(dir));
        await Deno.writeFile(weightsPath(dir), bytes.slice(0, bytes.length - 10));
      }),
      /weights\.f16 has \d+ bytes, record\.json says \d+ \(truncated/,
    );
    await refused(
      await damaged("flipped", async (dir) => {
        const bytes = await Deno.readFile(weightsPath(dir));
        bytes[100] ^= 1;
        await Deno.writeFile(weightsPath(dir), bytes);
      }),
      /weights\.f16 is damaged: its SHA-256/,
    );
    await refused(
      await damaged("config", async (dir) => {
        const c = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
        await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...c, seed: 4 }));
      }),
      new RegExp(`config\\.json is run [0-9a-f]{16}'s, not ${hash}'s`),
    );
    await refused(
      await damaged("metrics", async (dir) => {
        const lines = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).split("\n");
        await Deno.writeTextFile(join(dir, "metrics.jsonl"), lines[0] + "\n");
      }),
      /metrics\.jsonl has 1 line\(s\) where the run has 2 epochs/,
    );
    const header = await damaged(
      "header",
      (dir) => Deno.writeTextFile(join(dir, "record.json"), "{"),
    );
    await refused(header, /record\.json is damaged/);
    assert.match((await listRunRecords(header))[0].problem!, /record\.json is damaged/);
    await assert.rejects(readRunRecord(join(root, "none"), hash), /no run record \(record\.json\)/);
    // A clean record still restores.
    await restoreRunRecord(recordsDir, hash, runsDir);
    assert.equal((await readRunFiles(join(runsDir, hash), hash)).epochsDone, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("export refuses an unfinished run, another test set and float16 metrics that moved", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-record-" });
  try {
    const recordsDir = join(root, "records");
    await Deno.mkdir(recordsDir);
    const runDir = join(root, "runs", hash);
    const half = await trainRun(config, { runDir, data, stopAfterEpochs: 1 });
    half.model.dispose();
    await assert.rejects(
      exportRunRecord(runDir, { recordsDir, test: data.test }),
      /the run is not finished \(1 of 2 epochs in its checkpoint, no final\.json\)/,
    );
    const done = await trainRun(config, { runDir, data });
    done.model.dispose();
    await assert.rejects(
      exportRunRecord(runDir, { recordsDir, test: handMadeDataset(60, 4, 8, 8) }),
      /the run was tested on 64 images, options\.test \(hand-made\) has 60/,
    );
    await assert.rejects(
      exportRunRecord(join(root, "nothing"), { recordsDir, test: data.test }),
      /no config\.json: not a run directory/,
    );
    // final.json's float32 error 2 images (3.125 points) away from what the (float16) weights
    // measure; on 64 images the limit is one image, 1.5625 points.
    const finalPath = join(runDir, "final.json");
    const final = JSON.parse(await Deno.readTextFile(finalPath));
    const before = tf.memory().numTensors;
    await Deno.writeTextFile(
      finalPath,
      JSON.stringify({
        ...final,
        test: { ...final.test, top1Error: final.test.top1Error + 2 / 64 },
      }),
    );
    await assert.rejects(
      exportRunRecord(runDir, { recordsDir, test: data.test }),
      /float16 weights change the test metrics beyond the tolerance \(top-1 error .*-3\.125 points, limit 1\.563; .*no record written/,
    );
    assert.equal(tf.memory().numTensors, before);
    // Nothing half-written: no record, no temporary directory.
    assert.deepEqual([...Deno.readDirSync(recordsDir)], []);
    assert.deepEqual(await listRunRecords(recordsDir), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("checkFloat16: at most 0.1 points (or one image) of top-1 error and 1 % of loss, on as many images", () => {
  const f32 = { count: 10_000, loss: 1, top1Error: 0.31, top5Error: 0.05 };
  const at = (over: Partial<typeof f32>) => checkFloat16(f32, { ...f32, ...over });
  assert.equal(at({}).passed, true);
  assert.equal(at({ top1Error: 0.311 }).passed, true); // 10 images of 10,000: 0.1 points
  assert.equal(at({ top1Error: 0.309 }).passed, true);
  assert.equal(at({ top1Error: 0.3111 }).passed, false);
  assert.equal(at({ loss: 1.01 }).passed, true);
  assert.equal(at({ loss: 0.9899 }).passed, false);
  assert.equal(at({ count: 9_999 }).passed, false);
  assert.equal(at({ loss: NaN }).passed, false);
  const check = at({ top1Error: 0.3105, loss: 1.002 });
  assert.ok(Math.abs(check.top1DeltaPoints - 0.05) < 1e-12);
  assert.ok(Math.abs(check.lossRelativeChange - 0.002) < 1e-12);
  assert.deepEqual(check.tolerance, { top1Points: 0.1, top1Images: 1, lossRelative: 0.01 });
  // On 200 images 0.1 points is a fifth of an image: one image (0.5 points) may flip, not two.
  const small = { count: 200, loss: 1, top1Error: 0.795, top5Error: 0.3 };
  assert.equal(checkFloat16(small, { ...small, top1Error: 0.79 }).passed, true);
  assert.equal(checkFloat16(small, { ...small, top1Error: 0.8 }).passed, true);
  assert.equal(checkFloat16(small, { ...small, top1Error: 0.805 }).passed, false);
});
