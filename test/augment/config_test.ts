import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { Random } from "../../lib/random.ts";
import {
  type AugmentationConfig,
  createBatchAugmentation,
  cutMix,
  TABLE8_VARIANTS,
} from "../../lib/augment/mod.ts";
import { assertNoLeak, codedImages, cyclicLabels } from "./helpers.ts";

const context = (seed: number, trainingProgress = 0.5) => ({
  rng: new Random(seed),
  trainingProgress,
});

Deno.test("createBatchAugmentation: every kind builds, names itself and returns owned tensors", () => {
  assertNoLeak(() => {
    const configs: [AugmentationConfig, string][] = [
      [{ kind: "none", numClasses: 4 }, "none"],
      [{ kind: "mixup", numClasses: 4, alpha: 0.2 }, "mixup(α=0.2, p=1)"],
      [{ kind: "cutout", numClasses: 4, size: 4 }, "cutout(4×4, p=1)"],
      [{ kind: "cutmix", numClasses: 4, prob: 0.5 }, "cutmix(α=1, p=0.5)"],
      [
        { kind: "cutmix", numClasses: 4, probSchedule: "linear", target: "one-hot" },
        "cutmix(α=1, p=1·progress, target=one-hot)",
      ],
      [{ kind: "feature-cutmix", numClasses: 4, layer: 3 }, "feature-cutmix(layer=3, α=1, p=1)"],
      [
        { kind: "mix", numClasses: 4, granularity: "elem", labelSmoothing: 0.1 },
        "mixup|cutmix(α=0.8|1, switch=0.5, p=1, ε=0.1, per elem)",
      ],
    ];
    const images = codedImages(6, 8, 8, 3);
    const labels = cyclicLabels(6, 4);
    for (const [config, name] of configs) {
      const augmentation = createBatchAugmentation(config);
      assert.equal(augmentation.name, name);
      const before = tf.memory().numTensors;
      const batch = augmentation.apply(images, labels, context(1));
      assert.equal(tf.memory().numTensors, before + 2, `${name}: two new tensors`);
      assert.deepEqual(batch.imagesNHWC.shape, images.shape);
      assert.deepEqual(batch.targets.shape, [6, 4]);
      const sums = tf.tidy(() => batch.targets.sum(1).arraySync() as number[]);
      sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-6));
      assert.equal(batch.featureMix !== undefined, config.kind === "feature-cutmix");
      // Disposing the outputs must leave the inputs alive.
      tf.dispose([batch.imagesNHWC, batch.targets]);
      assert.ok(!images.isDisposed && !labels.isDisposed);
    }
    tf.dispose([images, labels]);
  });
});

Deno.test("createBatchAugmentation: cutmix config draws exactly what cutMix draws", () => {
  assertNoLeak(() => {
    const images = codedImages(5, 8, 8, 1);
    const labels = cyclicLabels(5, 3);
    const augmentation = createBatchAugmentation({
      kind: "cutmix",
      numClasses: 3,
      ...TABLE8_VARIANTS["Scheduled CutMix"],
    });
    const viaConfig = augmentation.apply(images, labels, context(7, 0.6));
    const direct = cutMix(images, labels, {
      numClasses: 3,
      rng: new Random(7),
      probSchedule: "linear",
      trainingProgress: 0.6,
    });
    assert.deepEqual(viaConfig.imagesNHWC.dataSync(), direct.imagesNHWC.dataSync());
    assert.deepEqual(viaConfig.targets.dataSync(), direct.targets.dataSync());
    // trainingProgress 0 under the linear schedule: nothing is mixed.
    const early = augmentation.apply(images, labels, context(7, 0));
    assert.deepEqual(early.imagesNHWC.dataSync(), images.dataSync());
    assert.throws(
      () => augmentation.apply(images, labels, { rng: new Random(1), trainingProgress: 2 }),
      /context.trainingProgress/,
    );
    tf.dispose([
      images,
      labels,
      viaConfig.imagesNHWC,
      viaConfig.targets,
      direct.imagesNHWC,
      direct.targets,
      early.imagesNHWC,
      early.targets,
    ]);
  });
});

Deno.test("createBatchAugmentation: Table 8 presets are valid cutmix configs", () => {
  for (const [name, variant] of Object.entries(TABLE8_VARIANTS)) {
    const augmentation = createBatchAugmentation({ kind: "cutmix", numClasses: 10, ...variant });
    assert.ok(augmentation.name.startsWith("cutmix("), name);
  }
});

Deno.test("createBatchAugmentation: invalid configs throw naming the field and value", () => {
  const bad: [unknown, RegExp][] = [
    [{ kind: "cutmixx", numClasses: 10 }, /config.kind must be one of.*"cutmixx"/],
    [{ kind: "cutmix", numClasses: 0 }, /config.numClasses must be an integer >= 1, got 0/],
    [
      { kind: "cutmix", numClasses: 10, alpha: 0 },
      /config.alpha must be a finite number > 0, got 0/,
    ],
    [{ kind: "cutmix", numClasses: 10, alhpa: 1 }, /unknown option "alhpa"/],
    [
      { kind: "cutmix", numClasses: 10, prob: 1.5 },
      /config.prob must be a probability in \[0, 1\], got 1.5/,
    ],
    [{ kind: "cutmix", numClasses: 10, probSchedule: "cosine" }, /config.probSchedule/],
    [{ kind: "cutmix", numClasses: 10, minMax: [0.5, 0.2] }, /minMax/],
    [{ kind: "mixup", numClasses: 10, alpha: -1 }, /config.alpha/],
    [{ kind: "mixup", numClasses: 10, layer: 2 }, /unknown option "layer"/],
    [{ kind: "cutout", numClasses: 10, size: 0 }, /config.size/],
    [{ kind: "cutout", numClasses: 10, fill: "black" }, /config.fill/],
    [{ kind: "feature-cutmix", numClasses: 10, layer: 7 }, /layer must be one of/],
    [{ kind: "mix", numClasses: 10, switchProb: 2 }, /config.switchProb/],
    [{ kind: "none", numClasses: 10, labelSmoothing: 1 }, /config.labelSmoothing/],
    [null, /must be an object/],
  ];
  for (const [config, pattern] of bad) {
    assert.throws(
      () => createBatchAugmentation(config as AugmentationConfig),
      pattern,
      JSON.stringify(config),
    );
  }
});
