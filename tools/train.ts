/**
 * `deno task train` — trains one run (or loads it from the runs cache) and prints its metrics.
 *
 *     deno task train --model resnet20 --augment cutmix --epochs 2 --train-per-class 500
 *     deno task train --config my-run.json
 *     deno task train --help
 *
 * The run lives in `runs/<config hash>/` (config.json, checkpoint.bin, metrics.jsonl, final.json);
 * an interrupted run resumes where its last checkpoint left it when started again with the same
 * options.
 * @module
 */
import { parseArgs } from "node:util";
import type { AugmentationConfig } from "../lib/augment/config.ts";
import type { MixLayer } from "../lib/augment/types.ts";
import { parseModelName } from "../lib/models/mod.ts";
import { configHash, resolveRunConfig, type RunConfigInput } from "../lib/training/config.ts";
import { defaultEngine, parseEngineKind } from "../lib/training/engine.ts";
import { trainRun } from "../lib/training/loop.ts";
import { formatDuration, ProgressDisplay } from "../lib/training/progress.ts";
import { runDirectory } from "../lib/training/runs.ts";
import { useBackendFromEnv } from "./backend_env.ts";
import { trainEngineFromEnv } from "./engine_env.ts";
import { cifarLocationFromEnv } from "./data_env.ts";
import { experimentSettingsFromEnv } from "./experiment_env.ts";

const USAGE = `Usage: deno task train [options]

Trains one CutMix-paper CIFAR run (defaults: the paper's recipe) or resumes / loads it from the
runs cache, keyed by a hash of the resolved configuration.

Model and data
  --model NAME            resnet<depth>[-w<a>-<b>-<c>][-A] | pyramidnet<depth>-a<alpha>[-bottleneck]
                          [-shakedrop<p>]  (default resnet20; e.g. resnet110,
                          pyramidnet200-a240-bottleneck)
  --dataset NAME          cifar10 | cifar100 (default cifar10)
  --train-per-class N     train on a class-balanced subset of N images per class (default: all)
  --test-per-class N      evaluate on N test images per class (default: all)

Augmentation (after the baseline random crop + flip)
  --augment KIND          none | cutmix | mixup | cutout | feature-cutmix | mix (default none)
  --alpha A               Beta(α, α) of CutMix / Mixup (default 1)
  --prob P                chance to mix a batch (default 0.5 for cutmix, 1 otherwise)
  --layer L               feature-cutmix: 0 image, 1 stem, 2..4 after stage 1..3 (default 0)
  --cutout-size S         cutout: hole side in pixels (default 16)
  --no-baseline           no random crop / flip

Optimisation
  --epochs N              (default 300)        --batch-size N   (default 64)
  --lr LR                 (default 0.25)       --schedule step|cosine (default step: ×0.1 at 50%, 75%)
  --momentum M            (default 0.9)        --no-nesterov    classic momentum
  --weight-decay WD       (default 1e-4)       --seed N         (default 0)

Run
  --config FILE           read a RunConfig JSON (the options above then override its fields)
  --eval-every N          evaluate every N epochs (default 1)
  --checkpoint-every N    checkpoint every N epochs (default 1)
  --runs-dir DIR          the runs cache (default: runs/ in the project, or CUTMIX_RUNS_DIR)
  --stop-after-epochs N   stop after N epochs (resume later by running the same command)
  --retrain-corrupt       if the run's checkpoint is damaged, move it aside and train from scratch
  --dry-run               print the resolved config and its run directory, train nothing
  --engine E              compiled | eager: the train-step engine (default CUTMIX_ENGINE, else
                          compiled on native TensorFlow, eager on pure JS; not part of the run's
                          config). The compiled engine's threads come from
                          TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS.
  -h, --help              this text`;

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new Error(`--${name} must be a number, got "${value}"`);
  }
  return n;
}

/** The augmentation a CLI user asked for. */
export function augmentationFromArgs(
  kind: string,
  numClasses: number,
  options: { alpha?: number; prob?: number; layer?: number; cutoutSize?: number },
): AugmentationConfig {
  const { alpha, prob, layer, cutoutSize } = options;
  switch (kind) {
    case "none":
      return { kind, numClasses };
    case "cutmix":
      return { kind, numClasses, alpha: alpha ?? 1, prob: prob ?? 0.5 };
    case "mixup":
      return { kind, numClasses, alpha: alpha ?? 1, prob: prob ?? 1 };
    case "cutout":
      return { kind, numClasses, size: cutoutSize ?? 16, prob: prob ?? 1 };
    case "feature-cutmix":
      return {
        kind,
        numClasses,
        layer: (layer ?? 0) as MixLayer,
        alpha: alpha ?? 1,
        prob: prob ?? 0.5,
      };
    case "mix":
      return { kind, numClasses, ...(prob !== undefined ? { prob } : {}) };
    default:
      throw new Error(
        `--augment must be none, cutmix, mixup, cutout, feature-cutmix or mix, got "${kind}"`,
      );
  }
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: "string" },
      dataset: { type: "string" },
      "train-per-class": { type: "string" },
      "test-per-class": { type: "string" },
      augment: { type: "string" },
      alpha: { type: "string" },
      prob: { type: "string" },
      layer: { type: "string" },
      "cutout-size": { type: "string" },
      "no-baseline": { type: "boolean" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      schedule: { type: "string" },
      momentum: { type: "string" },
      "no-nesterov": { type: "boolean" },
      "weight-decay": { type: "string" },
      seed: { type: "string" },
      config: { type: "string" },
      "eval-every": { type: "string" },
      "checkpoint-every": { type: "string" },
      "runs-dir": { type: "string" },
      "stop-after-epochs": { type: "string" },
      "dry-run": { type: "boolean" },
      "retrain-corrupt": { type: "boolean" },
      engine: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const base: Partial<RunConfigInput> = values.config
    ? JSON.parse(await Deno.readTextFile(values.config))
    : {};
  const dataset = values.dataset ?? base.dataset ?? "cifar10";
  const numClasses = dataset === "cifar100" ? 100 : dataset === "cifar10" ? 10 : base.numClasses;
  if (numClasses === undefined) {
    throw new Error(`--dataset must be cifar10 or cifar100, got "${dataset}"`);
  }
  const input: Record<string, unknown> = { ...base, dataset, numClasses };
  if (values.model !== undefined || base.model === undefined) {
    input.model = parseModelName(values.model ?? "resnet20", numClasses);
  }
  const setNumber = (key: string, flag: string) => {
    const n = numberOption(flag, values[flag as keyof typeof values] as string | undefined);
    if (n !== undefined) input[key] = n;
  };
  setNumber("trainPerClass", "train-per-class");
  setNumber("testPerClass", "test-per-class");
  setNumber("epochs", "epochs");
  setNumber("batchSize", "batch-size");
  setNumber("lr", "lr");
  setNumber("momentum", "momentum");
  setNumber("weightDecay", "weight-decay");
  setNumber("seed", "seed");
  setNumber("evalEvery", "eval-every");
  setNumber("checkpointEvery", "checkpoint-every");
  if (values["no-nesterov"]) input.nesterov = false;
  if (values["no-baseline"]) input.baselineAugment = "none";
  if (values.schedule !== undefined) {
    if (values.schedule === "step") {
      input.schedule = { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 };
    } else if (values.schedule === "cosine") input.schedule = { kind: "cosine" };
    else throw new Error(`--schedule must be step or cosine, got "${values.schedule}"`);
  }
  if (values.augment !== undefined || base.augmentation === undefined) {
    input.augmentation = augmentationFromArgs(values.augment ?? "none", numClasses, {
      alpha: numberOption("alpha", values.alpha),
      prob: numberOption("prob", values.prob),
      layer: numberOption("layer", values.layer),
      cutoutSize: numberOption("cutout-size", values["cutout-size"]),
    });
  }
  const config = resolveRunConfig(input as unknown as RunConfigInput);
  const runDir = runDirectory(config, values["runs-dir"] ?? experimentSettingsFromEnv().runsDir);
  const fromEnv = trainEngineFromEnv();
  const engine = parseEngineKind(values.engine, "--engine") ?? fromEnv.engine;
  if (values["dry-run"]) {
    console.error(`run ${configHash(config)} in ${runDir}`);
    console.log(JSON.stringify(config, null, 2));
    return 0;
  }
  const backend = await useBackendFromEnv();
  console.error(
    `run ${configHash(config)} in ${runDir} (backend ${backend.name}, engine ${
      engine ?? defaultEngine()
    })`,
  );
  const display = new ProgressDisplay();
  const result = await trainRun(config, {
    runDir,
    cifar: cifarLocationFromEnv(),
    onProgress: (p) => display.update(p),
    onEpoch: (m) => display.epoch(m),
    stopAfterEpochs: numberOption("stop-after-epochs", values["stop-after-epochs"]),
    retrainCorrupt: values["retrain-corrupt"],
    engine,
    threads: fromEnv.threads,
    jit: fromEnv.jit,
  });
  display.close();
  result.model.dispose();
  if (result.final === undefined) {
    console.error(`stopped after ${result.metrics.length} epochs; run the same command to resume`);
    return 0;
  }
  const { test, trainSeconds, model, parameterCount } = result.final;
  console.log(
    `${model} (${parameterCount.toLocaleString("en-US")} parameters): test top-1 error ` +
      `${(100 * test.top1Error).toFixed(2)}%, top-5 ${(100 * test.top5Error).toFixed(2)}% ` +
      `after ${config.epochs} epochs, ${formatDuration(trainSeconds)}; ${runDir}/final.json`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
}
