/**
 * `deno task pilot` — the baseline-only pilot behind the cpu-scale regime (lib/experiments/regime.ts):
 * trains one baseline candidate (training-subset size × schedule length) and records its
 * **training** curve: the loop's training loss (on augmented batches) for every epoch, and the
 * top-1 error and loss on the un-augmented training subset every `--every` epochs. No test error
 * is read or written here (the rule must not see one).
 *
 *     deno task pilot --per-class 500 --epochs 80 [--seed 0] [--every 10] [--out reports/pilot]
 *
 * The run is an ordinary run of the runs cache (resumable: start the same command again). The
 * record goes to `<out>/baseline-<perClass>pc-<epochs>ep-seed<seed>.json`, written atomically
 * after every measurement, so an interrupted pilot keeps what it measured.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../lib/io/atomic_write.ts";
import { configHash, resolveRunConfig } from "../lib/training/config.ts";
import { evaluateClassifier } from "../lib/training/evaluate.ts";
import { loadRunData, trainRun } from "../lib/training/loop.ts";
import type { EpochMetrics } from "../lib/training/run_dir.ts";
import { formatDuration, formatProgress } from "../lib/training/progress.ts";
import { runDirectory } from "../lib/training/runs.ts";
import type { PilotPoint, PilotRecord } from "../lib/experiments/pilot.ts";
import { experimentSettingsFromEnv } from "./experiment_env.ts";
import { useBackendFromEnv } from "./backend_env.ts";
import { cifarLocationFromEnv } from "./data_env.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "per-class": { type: "string" },
    epochs: { type: "string" },
    seed: { type: "string", default: "0" },
    every: { type: "string", default: "10" },
    out: { type: "string", default: "reports/pilot" },
    "runs-dir": { type: "string" },
  },
});

function positiveInteger(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 0 || (n === 0 && name !== "seed")) {
    throw new Error(
      `--${name} must be a ${name === "seed" ? "non-negative" : "positive"} integer, got ${raw}`,
    );
  }
  return n;
}

const perClass = positiveInteger("per-class", values["per-class"]);
const epochs = positiveInteger("epochs", values.epochs);
const seed = positiveInteger("seed", values.seed);
const every = positiveInteger("every", values.every);
if (epochs % every !== 0) throw new Error(`--every (${every}) must divide --epochs (${epochs})`);

// The cpu scale's recipe (ResNet-20, batch 64, lr 0.1 ÷10 at 50 % and 75 %, the paper's SGD),
// baseline augmentation only; the test set is evaluated once, by the loop, at the end.
const config = resolveRunConfig({
  model: { arch: "resnet", depth: 20 },
  dataset: "cifar10",
  trainPerClass: perClass,
  testPerClass: null,
  epochs,
  batchSize: 64,
  lr: 0.1,
  schedule: { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 },
  augmentation: { kind: "none", numClasses: 10 },
  seed,
  evalEvery: epochs,
  checkpointEvery: every,
});
const runDir = runDirectory(config, values["runs-dir"] ?? experimentSettingsFromEnv().runsDir);
const outPath = join(values.out, `baseline-${perClass}pc-${epochs}ep-seed${seed}.json`);
await Deno.mkdir(values.out, { recursive: true });

const backendInfo = await useBackendFromEnv();
const cifar = cifarLocationFromEnv();
const { train } = await loadRunData(config, undefined, cifar);
// A restarted pilot keeps the points it measured before.
let points: PilotPoint[] = [];
try {
  points = JSON.parse(await Deno.readTextFile(outPath)).points ?? [];
} catch (error) {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}
let epochMetrics: EpochMetrics[] = [];
const started = performance.now();
console.log(
  `[pilot] ${perClass}/class × ${epochs} epochs, seed ${seed}, run ${configHash(config)} ` +
    `(${backendInfo.name}); measuring the clean training error every ${every} epochs`,
);
for (let stop = every; stop <= epochs; stop += every) {
  if (points.some((p) => p.epoch === stop)) continue;
  let lastLine = 0;
  const result = await trainRun(config, {
    runDir,
    cifar,
    stopAfterEpochs: stop,
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastLine > 30_000) {
        lastLine = now;
        console.log(`[pilot] ${formatProgress(p)}`);
      }
    },
  });
  try {
    epochMetrics = result.metrics;
    if (result.metrics.length !== stop) {
      // The checkpoint is past this point (the record was lost): the model of this epoch is gone.
      console.log(
        `[pilot] epoch ${stop}: no longer measurable (the run is at ${result.metrics.length})`,
      );
      continue;
    }
    const evaluation = evaluateClassifier(result.model, train, config.evalBatchSize);
    points.push({
      epoch: stop,
      cleanTrainError: evaluation.top1Error,
      cleanTrainLoss: evaluation.loss,
    });
    console.log(
      `[pilot] epoch ${stop}/${epochs}: clean training error ${
        (evaluation.top1Error * 100).toFixed(2)
      } %, ` +
        `loss ${evaluation.loss.toFixed(4)} (${
          formatDuration((performance.now() - started) / 1000)
        } so far)`,
    );
  } finally {
    result.model.dispose();
  }
  // The format lib/experiments/pilot.ts reads back.
  const record: PilotRecord = {
    kind: "baseline pilot",
    configHash: configHash(config),
    perClass,
    epochs,
    seed,
    model: "resnet20",
    backend: backendInfo.name,
    points,
    // The loop's per-epoch training loss on augmented batches, and lr; test fields dropped.
    epochsTrainLoss: epochMetrics.map((m) => ({
      epoch: m.epoch,
      trainLoss: m.trainLoss,
      lr: m.lr,
    })),
    finalTrainError: stop === epochs ? points[points.length - 1].cleanTrainError : null,
  };
  await writeFileAtomic(outPath, JSON.stringify(record, null, 2) + "\n");
}
console.log(`[pilot] wrote ${outPath}`);
