/**
 * What each reproduction scale trains: the model, data, schedule and seeds behind every
 * notebook's numbers, and the paper's four methods (baseline, Cutout, Mixup, CutMix) with the
 * settings of Sec. 4.1.2. Which runs each notebook trains from these is lib/experiments/run_list.ts;
 * notebooks that share a recipe share trained models through the runs cache (notebook 05 reuses
 * what notebook 02 trained).
 *
 * | scale | model | data | epochs | seeds (ablations) | time on 2 CPU cores |
 * |---|---|---|---|---|---|
 * | smoke | ResNet-20 | CIFAR-10, 50 train + 20 test images per class | 2 | 0 (0) | ≈ 10 s per model |
 * | cpu | ResNet-20 | CIFAR-10, 500 train per class, full test set | 100 | 0, 1, 2 (0, 1) | ≈ 17 min per model, two at once |
 * | paper | PyramidNet-200 (α̃ = 240, bottleneck) | full CIFAR-100 (Table 5) | 300 | 0, 1, 2 (0, 1, 2) | GPU-days |
 *
 * The cpu scale is the regime that lib/experiments/regime.ts's rule picked from the baseline-only
 * pilot (docs/reproduction.md, reports/pilot/): the largest subset whose baseline memorises it
 * (clean training error ≤ 2 % at the end: 1.0 % at 500/class × 100 epochs) while the whole sweep
 * fits 8 hours of two one-thread training processes. The paper's claims are about models that fit
 * their training set; a shorter schedule leaves the baseline underfitted, where no regulariser can
 * help (the earlier 30-epoch scale did exactly that).
 *
 * @example
 * ```ts
 * import { cifarRecipe, paperMethods } from "./recipes.ts";
 * const recipe = cifarRecipe("smoke");
 * const methods = paperMethods(recipe.numClasses);
 * const config = { ...recipe.config, augmentation: methods.cutmix, seed: recipe.seeds[0] };
 * ```
 * @module
 */
import type { AugmentationConfig } from "../augment/config.ts";
import type { CifarLocation } from "../data/cifar.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { resolveRunConfig, type RunConfigInput } from "../training/config.ts";
import { loadRunData } from "../training/loop.ts";
import type { PaperMethod } from "./paper.ts";
import { type ReproductionScale, SCALES } from "./scale.ts";

/** A scale's training recipe for CIFAR experiments. */
export interface CifarRecipe {
  /** The scale this is the recipe of. */
  readonly scale: ReproductionScale;
  /** "cifar10" or "cifar100". */
  readonly dataset: string;
  /** Classes of `dataset`: 10 or 100 (the augmentations' `numClasses`). */
  readonly numClasses: number;
  /** Everything but the augmentation and the seed. */
  readonly config: Omit<RunConfigInput, "augmentation" | "seed">;
  /** The seeds each method of the main comparison (notebook 02) is trained with. */
  readonly seeds: readonly number[];
  /** The seeds of the ablations (notebook 03): fewer than `seeds` where time is short. */
  readonly ablationSeeds: readonly number[];
  /** One line on how this differs from the paper, for the report. */
  readonly description: string;
}

/**
 * The CIFAR recipe of a scale. `dataset` defaults to CIFAR-10 at smoke and cpu scale (the set
 * our machines have) and CIFAR-100 at paper scale (Tables 5, 8, 12).
 */
export function cifarRecipe(
  scale: ReproductionScale,
  dataset?: "cifar10" | "cifar100",
): CifarRecipe {
  if (!SCALES.includes(scale)) {
    throw new Error(`scale must be one of ${SCALES.join(", ")}, got ${scale}`);
  }
  const data = dataset ?? (scale === "paper" ? "cifar100" : "cifar10");
  const numClasses = data === "cifar100" ? 100 : 10;
  if (scale === "smoke") {
    return {
      scale,
      dataset: data,
      numClasses,
      seeds: [0],
      ablationSeeds: [0],
      config: {
        model: { arch: "resnet", depth: 20 },
        dataset: data,
        trainPerClass: 50,
        testPerClass: 20,
        epochs: 2,
        batchSize: 64,
        lr: 0.1,
        evalEvery: 2,
        checkpointEvery: 2,
      },
      description:
        `ResNet-20, ${data}: 50 training and 20 test images per class, 2 epochs, lr 0.1 — a code-path check; errors are near chance`,
    };
  }
  if (scale === "cpu") {
    return {
      scale,
      dataset: data,
      numClasses,
      seeds: [0, 1, 2],
      ablationSeeds: [0, 1],
      config: {
        model: { arch: "resnet", depth: 20 },
        dataset: data,
        trainPerClass: 500,
        testPerClass: null,
        epochs: 100,
        batchSize: 64,
        lr: 0.1,
        schedule: { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 },
        evalEvery: 10,
        checkpointEvery: 1,
      },
      description:
        `ResNet-20 (0.27M params), ${data}: 500 training images per class, full test set, 100 epochs (the baseline memorises its subset), lr 0.1 ÷10 at epochs 50 and 75, batch 64, seeds 0–2 (ablations: 0 and 1)`,
    };
  }
  return {
    scale,
    dataset: data,
    numClasses,
    seeds: [0, 1, 2],
    ablationSeeds: [0, 1, 2],
    config: {
      model: { arch: "pyramidnet", depth: 200, alpha: 240, bottleneck: true },
      dataset: data,
      epochs: 300,
      batchSize: 64,
      lr: 0.25,
      schedule: { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 },
      evalEvery: 1,
    },
    description:
      `the paper's recipe (Sec. 4.1.2): PyramidNet-200 (α̃ = 240), full ${data}, 300 epochs, batch 64, lr 0.25 ÷10 at epochs 150 and 225, three seeds`,
  };
}

/**
 * The methods' augmentation configs with the paper's CIFAR settings: Cutout 16 × 16 (Sec. 4.1.2),
 * Mixup α = 1 on every batch, CutMix α = 1 applied to a batch with probability 0.5 (the official
 * CIFAR command line, `--cutmix_prob 0.5`).
 */
export function paperMethods(numClasses: number): Record<PaperMethod, AugmentationConfig> {
  return {
    baseline: { kind: "none", numClasses },
    cutout: { kind: "cutout", numClasses, size: 16 },
    mixup: { kind: "mixup", numClasses, alpha: 1 },
    cutmix: { kind: "cutmix", numClasses, alpha: 1, prob: 0.5 },
  };
}

/**
 * The test images a recipe evaluates on: the same class-balanced subset the training loop
 * evaluated (drawn with the recipe's first seed), or the full test set when the recipe uses it.
 */
export async function recipeTestSet(
  recipe: CifarRecipe,
  cifar: CifarLocation = {},
): Promise<ImageDataset> {
  const config = resolveRunConfig({ ...recipe.config, seed: recipe.seeds[0] });
  return (await loadRunData(config, undefined, cifar)).test;
}
