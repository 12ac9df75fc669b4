import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../_backend.ts";
import type { ImageDataset } from "../../lib/data/dataset.ts";
import { Random } from "../../lib/random.ts";
import { readCheckpoint } from "../../lib/training/checkpoint.ts";
import { configHash, resolveRunConfig, type RunConfigInput } from "../../lib/training/config.ts";
import { trainRun } from "../../lib/training/loop.ts";
import { trainOrLoad } from "../../lib/training/runs.ts";
import { type EpochMetrics, RunDamagedError } from "../../lib/training/run_dir.ts";

/** 8×8 RGB images of 4 classes: class c is brighter in channel c % 3, plus noise. */
function tinyDataset(name: string, perClass: number, seed: number): ImageDataset {
  const rng = new Random(seed);
  const n = perClass * 4;
  const pixels = new Uint8Array(n * 8 * 8 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    for (let p = 0; p < 64; p++) {
      for (let ch = 0; ch < 3; ch++) {
        const base = ch === c % 3 ? (c < 3 ? 180 : 120) : 60;
        pixels[(i * 64 + p) * 3 + ch] = Math.max(
          0,
          Math.min(255, Math.round(base + rng.normal(0, 30))),
        );
      }
    }
  }
  return {
    name,
    height: 8,
    width: 8,
    channels: 3,
    numClasses: 4,
    classNames: ["a", "b", "c", "d"],
    pixelsNHWC: pixels,
    labels,
  };
}

const data = { train: tinyDataset("tiny/train", 12, 1), test: tinyDataset("tiny/test", 5, 2) };

function tinyConfig(overrides: Partial<RunConfigInput> = {}) {
  return resolveRunConfig({
    model: { arch: "resnet", depth: 8, widths: [4, 8, 8] },
    dataset: "tiny",
    numClasses: 4,
    epochs: 3,
    batchSize: 16,
    lr: 0.1,
    augmentation: { kind: "cutmix", numClasses: 4, alpha: 1, prob: 0.5 },
    seed: 7,
    evalBatchSize: 8,
    ...overrides,
  });
}

async function weights(runDir: string): Promise<Map<string, number[]>> {
  const { tensors } = await readCheckpoint(join(runDir, "checkpoint.bin"));
  return new Map([...tensors].map(([k, v]) => [k, Array.from(v.values)]));
}

function comparable(m: EpochMetrics[]) {
  return m.map(({ epoch, trainLoss, testLoss, testTop1Error, testTop5Error, lr }) => ({
    epoch,
    trainLoss,
    testLoss,
    testTop1Error,
    testTop5Error,
    lr,
  }));
}

Deno.test("a killed run resumes from its checkpoint and ends bit-for-bit as an uninterrupted one", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-loop-" });
  try {
    const config = tinyConfig({
      model: { arch: "pyramidnet", depth: 8, alpha: 4, shakeDrop: 0.5 },
      augmentation: { kind: "cutmix", numClasses: 4, alpha: 1, prob: 0.5 },
    });
    const counts: number[] = [];
    const whole = await trainRun(config, {
      runDir: join(root, "whole"),
      data,
      onEpoch: () => counts.push(tf.memory().numTensors),
    });
    // No tensors are created and kept from one epoch to the next.
    assert.equal(new Set(counts).size, 1, `numTensors per epoch: ${counts}`);
    whole.model.dispose();

    // Kill in the middle of epoch 2 (after its first step): the checkpoint holds epoch 1.
    const killedDir = join(root, "killed");
    await assert.rejects(
      trainRun(config, {
        runDir: killedDir,
        data,
        onProgress: (p) => {
          if (p.epoch === 1 && p.step === 1) throw new Error("simulated kill");
        },
      }),
      /simulated kill/,
    );
    const resumed = await trainRun(config, { runDir: killedDir, data });
    resumed.model.dispose();
    assert.deepEqual(comparable(resumed.metrics), comparable(whole.metrics));
    assert.deepEqual(resumed.final!.test, whole.final!.test);
    assert.deepEqual(await weights(killedDir), await weights(join(root, "whole")));
    assert.equal(whole.metrics.length, 3);
    assert.ok(whole.metrics.every((m) => Number.isFinite(m.trainLoss) && m.testTop1Error !== null));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("stopAfterEpochs then resume equals one run; files are as documented", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-loop-" });
  try {
    const config = tinyConfig({
      augmentation: {
        kind: "feature-cutmix",
        numClasses: 4,
        layer: 3,
        featureSize: { height: 4, width: 4 },
      },
      schedule: { kind: "cosine" },
      epochs: 2,
    });
    const dir = join(root, "run");
    const first = await trainRun(config, { runDir: dir, data, stopAfterEpochs: 1 });
    first.model.dispose();
    assert.equal(first.final, undefined);
    assert.equal(first.metrics.length, 1);
    const second = await trainRun(config, { runDir: dir, data });
    second.model.dispose();
    const straight = await trainRun(config, { runDir: join(root, "straight"), data });
    straight.model.dispose();
    assert.deepEqual(comparable(second.metrics), comparable(straight.metrics));
    const lines = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n");
    assert.equal(lines.length, 2);
    const line = JSON.parse(lines[1]);
    for (
      const key of [
        "epoch",
        "trainLoss",
        "testTop1Error",
        "testTop5Error",
        "lr",
        "imagesPerSecond",
        "seconds",
      ]
    ) {
      assert.ok(key in line, key);
    }
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))), config);
    const final = JSON.parse(await Deno.readTextFile(join(dir, "final.json")));
    assert.equal(final.configHash, configHash(config));
    assert.equal(final.epochs, 2);
    // A directory never trains a different config.
    await assert.rejects(
      trainRun({ ...config, lr: 0.2 }, { runDir: dir, data }),
      /different run's config/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("trainOrLoad trains once, then loads the same model from the cache", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-runs-" });
  try {
    const input = {
      model: { arch: "resnet", depth: 8, widths: [4, 8, 8] },
      dataset: "tiny",
      numClasses: 4,
      epochs: 1,
      batchSize: 16,
      lr: 0.05,
      seed: 3,
    } as RunConfigInput;
    let steps = 0;
    const first = await trainOrLoad(input, { runsDir: root, data, onProgress: () => steps++ });
    assert.equal(first.cached, false);
    assert.equal(steps, 3);
    assert.equal(first.runDir, join(root, first.hash));
    const before = tf.memory().numTensors;
    const second = await trainOrLoad(input, { runsDir: root, data, onProgress: () => steps++ });
    assert.equal(second.cached, true);
    assert.equal(steps, 3);
    assert.deepEqual(second.final, first.final);
    for (const [name, v] of first.model.parameters.all()) {
      assert.deepEqual(
        Array.from(second.model.parameters.all().get(name)!.dataSync()),
        Array.from(v.dataSync()),
        name,
      );
    }
    second.model.dispose();
    assert.equal(tf.memory().numTensors, before);
    first.model.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the loop learns: a tiny separable problem goes well below chance", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-learn-" });
  try {
    const config = tinyConfig({
      augmentation: { kind: "none", numClasses: 4 },
      baselineAugment: "none",
      epochs: 6,
      batchSize: 8,
      lr: 0.05,
      schedule: { kind: "cosine" },
    });
    const { model, metrics, final } = await trainRun(config, { runDir: join(root, "run"), data });
    model.dispose();
    // Chance is 75% top-1 error on 4 balanced classes; the classes differ by colour.
    assert.ok(final!.test.top1Error <= 0.25, `test top-1 error ${final!.test.top1Error}`);
    assert.ok(metrics.at(-1)!.trainLoss < metrics[0].trainLoss);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run directory is locked while it trains; a stale lock is taken over", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-lock-" });
  try {
    const config = tinyConfig({ epochs: 1 });
    const dir = join(root, "run");
    await Deno.mkdir(dir);
    const lock = join(dir, "lock");
    await Deno.writeTextFile(
      lock,
      JSON.stringify({ pid: Deno.pid, host: Deno.hostname(), startedAt: "now", token: "a" }),
    );
    await assert.rejects(
      trainRun(config, { runDir: dir, data }),
      /lock is held by process \d+ on .* since now/,
    );
    // A process id that cannot exist on this host: the lock is stale.
    await Deno.writeTextFile(
      lock,
      JSON.stringify({ pid: 2 ** 30, host: Deno.hostname(), startedAt: "then", token: "b" }),
    );
    const { model } = await trainRun(config, { runDir: dir, data });
    model.dispose();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "checkpoint.bin",
      "config.json",
      "final.json",
      "metrics.jsonl",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a truncated or foreign checkpoint is refused with what to do, or retrained on request", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-damaged-" });
  try {
    const config = tinyConfig({ epochs: 2 });
    const dir = join(root, "run");
    const first = await trainRun(config, { runDir: dir, data, stopAfterEpochs: 1 });
    first.model.dispose();
    const checkpoint = join(dir, "checkpoint.bin");
    const bytes = await Deno.readFile(checkpoint);
    await Deno.writeFile(checkpoint, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(
      trainRun(config, { runDir: dir, data }),
      (e: unknown) =>
        e instanceof RunDamagedError && e.file === checkpoint &&
        e.message.includes(`${checkpoint} is damaged: `) &&
        e.message.includes("(truncated") &&
        e.message.includes(`delete ${dir} to train it from scratch`) &&
        e.message.includes("--retrain-corrupt"),
    );
    // Another run's checkpoint in this directory (its recorded hash differs).
    const other = tinyConfig({ epochs: 2, seed: 8 });
    const otherRun = await trainRun(other, {
      runDir: join(root, "other"),
      data,
      stopAfterEpochs: 1,
    });
    otherRun.model.dispose();
    await Deno.copyFile(join(root, "other", "checkpoint.bin"), checkpoint);
    await assert.rejects(
      trainRun(config, { runDir: dir, data }),
      new RegExp(`belongs to run "${configHash(other)}", not to ${configHash(config)}`),
    );
    const warnings: string[] = [];
    const retrained = await trainRun(config, {
      runDir: dir,
      data,
      retrainCorrupt: true,
      runDirectory: { warn: (line) => warnings.push(line) },
    });
    retrained.model.dispose();
    assert.match(warnings.join("\n"), /belongs to run .*; retraining from scratch/);
    const straight = await trainRun(config, { runDir: join(root, "straight"), data });
    straight.model.dispose();
    assert.deepEqual(comparable(retrained.metrics), comparable(straight.metrics));
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.ok(names.some((n) => n.startsWith("checkpoint.bin.damaged-")), names.join());
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("trainOrLoad: a finished run with a damaged checkpoint throws, or retrains with retrainCorrupt", async () => {
  const runsDir = await Deno.makeTempDir({ prefix: "cutmix-damaged-cache-" });
  try {
    const config = tinyConfig({ epochs: 1 });
    const first = await trainOrLoad(config, { runsDir, data });
    first.model.dispose();
    const checkpoint = join(first.runDir, "checkpoint.bin");
    await Deno.writeFile(checkpoint, new Uint8Array(10));
    await assert.rejects(trainOrLoad(config, { runsDir, data }), RunDamagedError);
    const again = await trainOrLoad(config, {
      runsDir,
      data,
      retrainCorrupt: true,
    });
    again.model.dispose();
    assert.equal(again.cached, false);
    assert.deepEqual(again.final.test, first.final.test);
  } finally {
    await Deno.remove(runsDir, { recursive: true });
  }
});
