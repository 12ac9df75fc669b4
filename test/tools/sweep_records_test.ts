/**
 * `deno task sweep` with run records, end to end on CIFAR-10's smoke runs of notebook 01: recorded
 * runs are restored, not trained; the one run without a record is trained and exported; `plan`,
 * `status` and `export` say so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../_backend.ts";
import { testWhen } from "../_skip.ts";
import { handMadeDataset } from "../data/fixtures.ts";
import { CIFAR10_FORMAT } from "../../lib/data/cifar_format.ts";
import { isCifarPresent } from "../../lib/data/cifar_prepare.ts";
import { defaultDataDir } from "../../lib/data/paths.ts";
import { sweepRuns } from "../../lib/experiments/run_list.ts";
import { trainRun } from "../../lib/training/loop.ts";
import { readRunFiles } from "../../lib/training/run_dir.ts";
import { exportRunRecord, listRunRecords } from "../../lib/training/run_record.ts";
import { cifarLocationFromEnv } from "../../tools/data_env.ts";
import { exportTarget } from "../../tools/sweep.ts";

const root = join(import.meta.dirname!, "..", "..");

async function sweep(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "tools/sweep.ts"), ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: text(stdout), err: text(stderr) };
}

Deno.test("sweep run exports records at every scale but smoke, where --export-records asks", () => {
  assert.equal(exportTarget({}, "cpu", "/r"), "/r");
  assert.equal(exportTarget({}, "paper", "/r"), "/r");
  assert.equal(exportTarget({}, "smoke", "/r"), undefined);
  assert.equal(exportTarget({ "export-records": true }, "smoke", "/r"), "/r");
});

const location = cifarLocationFromEnv();
const cifar = isCifarPresent(CIFAR10_FORMAT, location.dataDir ?? defaultDataDir()) ||
  location.archives?.cifar10 !== undefined;

testWhen(cifar, "CIFAR-10 is not in data/ (`./run data cifar10`)", {
  name: "sweep: recorded runs are restored, not retrained; a trained run is exported",
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "cutmix-sweep-records-" });
    const tensorsBefore = tf.memory().numTensors;
    try {
      const runsDir = join(work, "runs");
      const recordsDir = join(work, "records");
      const runs = sweepRuns("smoke", ["01"]);
      assert.equal(runs.length, 4);
      // Records of three of the runs, trained (cheaply) on hand-made 8×8 images of 10 classes;
      // the sweep trains the fourth, Cutout (whose 16×16 hole needs CIFAR's 32×32 images).
      const data = { train: handMadeDataset(500, 10, 8, 8), test: handMadeDataset(200, 10, 8, 8) };
      const sources = new Map<string, string>();
      const toTrain = runs.find((r) => r.config.augmentation.kind === "cutout")!;
      for (const run of runs.filter((r) => r !== toTrain)) {
        const runDir = join(work, "elsewhere", run.hash);
        const { model } = await trainRun(run.config, { runDir, data });
        model.dispose();
        await exportRunRecord(runDir, { recordsDir, test: data.test });
        sources.set(run.hash, runDir);
      }
      const common = [
        "--scale",
        "smoke",
        "--only",
        "01",
        "--runs-dir",
        runsDir,
        "--records-dir",
        recordsDir,
      ];

      const plan = await sweep(["plan", ...common]);
      assert.equal(plan.code, 0, plan.err);
      for (const run of runs) {
        const row = plan.out.split("\n").find((l) => l.includes(run.hash))!;
        assert.match(row, sources.has(run.hash) ? / recorded +yes / : / empty +resnet20 /, row);
      }
      assert.match(
        plan.out,
        /4 runs: 0 in the runs cache \(.*\), 3 to restore from their records, 1 to train/,
      );

      const ran = await sweep(["run", ...common, "--workers", "1", "--export-records"]);
      assert.equal(ran.code, 0, ran.err);
      assert.equal(ran.err.match(/restored .* from its record, not trained/g)?.length, 3, ran.err);
      assert.match(ran.err, /1 of 4 runs to train with 1 worker/);
      for (const run of runs) {
        const files = await readRunFiles(join(runsDir, run.hash), run.hash);
        assert.equal(files.epochsDone, run.config.epochs);
        if (sources.has(run.hash)) {
          const source = await readRunFiles(sources.get(run.hash)!, run.hash);
          assert.deepEqual(files.final, source.final);
          assert.ok(![...files.tensors!.keys()].some((k) => k.startsWith("sgd/")));
        }
      }
      const listed = await listRunRecords(recordsDir);
      assert.deepEqual(listed.map((l) => l.hash).sort(), runs.map((r) => r.hash).sort());
      const trained = listed.find((l) => l.hash === toTrain.hash)!.header!;
      assert.ok(trained.float16Check.passed);
      assert.equal(trained.float16Check.float16.count, 200);

      const status = await sweep(["status", ...common]);
      assert.equal(status.code, 0, status.err);
      assert.match(status.out, /Records: 4 of 4 runs in /);
      assert.match(status.out, /4 record\(s\) in .* in all/);

      // Exporting every finished run into a fresh folder: the real run passes; the three trained
      // on hand-made images fail the check on CIFAR-10's test images, and say why.
      const again = await sweep([
        "export",
        ...common.slice(0, 6),
        "--records-dir",
        join(work, "r2"),
      ]);
      assert.equal(again.code, 1, again.err);
      assert.match(again.err, new RegExp(`exported .*\\(${toTrain.hash}\\): test top-1 error`));
      assert.equal(again.err.match(/NOT exported .*beyond the tolerance/g)?.length, 3, again.err);
      assert.match(again.err, /1\/4 exported/);
      assert.equal(tf.memory().numTensors, tensorsBefore);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
