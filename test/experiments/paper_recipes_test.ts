import assert from "node:assert/strict";
import {
  PAPER_METHODS,
  paperValue,
  paperValueFor,
  TABLE10_TRANSFER,
  TABLE11_FGSM,
  TABLE12_OOD,
  TABLE5_CIFAR100,
  TABLE6_LIGHTER,
  TABLE7_CIFAR10,
  TABLE8_VARIANTS_CIFAR100,
  TABLE9_WSOL,
} from "../../lib/experiments/paper.ts";
import { cifarRecipe, paperMethods } from "../../lib/experiments/recipes.ts";
import { meanStd } from "../../lib/experiments/stats.ts";
import { TABLE8_VARIANTS } from "../../lib/augment/config.ts";
import { resolveRunConfig } from "../../lib/training/config.ts";
import { validateAugmentationConfig } from "../../lib/augment/config.ts";

Deno.test("paperValue reads the transcribed tables and names what is missing", () => {
  assert.equal(paperValue(TABLE5_CIFAR100, "+ CutMix", "top1Error"), 14.47);
  assert.equal(paperValue(TABLE5_CIFAR100, "Baseline", "top5Error"), 3.69);
  assert.equal(paperValue(TABLE6_LIGHTER, "ResNet-110 + CutMix", "top1Error"), 20.11);
  assert.equal(paperValue(TABLE7_CIFAR10, "+ CutMix", "top1Error"), 2.88);
  assert.equal(paperValue(TABLE8_VARIANTS_CIFAR100, "Scheduled CutMix", "top1Error"), 14.72);
  assert.equal(paperValue(TABLE9_WSOL, "ResNet-50 + CutMix", "cubLocAcc"), 54.81);
  assert.equal(paperValue(TABLE11_FGSM, "CutMix", "top1Accuracy"), 31.0);
  assert.equal(paperValue(TABLE12_OOD, "CutMix", "auroc"), 94.4);
  assert.throws(
    () => paperValue(TABLE7_CIFAR10, "CutMix", "top1Error"),
    /Table 7 has no row "CutMix"/,
  );
  assert.throws(
    () => paperValue(TABLE7_CIFAR10, "Baseline", "top5Error"),
    /no number in column "top5Error"/,
  );
});

Deno.test("the paper's CIFAR-100 baseline and CutMix agree across Tables 5 and 8", () => {
  for (const [t5, t8] of [["Baseline", "Baseline"], ["+ CutMix", "Proposed (CutMix)"]]) {
    for (const column of ["top1Error", "top5Error"]) {
      assert.equal(
        paperValue(TABLE5_CIFAR100, t5, column),
        paperValue(TABLE8_VARIANTS_CIFAR100, t8, column),
      );
    }
  }
});

Deno.test("every scale's recipe and method resolves to a valid run config", () => {
  for (const scale of ["smoke", "cpu", "paper"] as const) {
    const recipe = cifarRecipe(scale);
    for (const augmentation of Object.values(paperMethods(recipe.numClasses))) {
      validateAugmentationConfig(augmentation);
      const config = resolveRunConfig({ ...recipe.config, augmentation, seed: recipe.seeds[0] });
      assert.equal(config.numClasses, recipe.numClasses);
    }
  }
  assert.equal(cifarRecipe("paper").dataset, "cifar100");
  assert.equal(cifarRecipe("smoke").dataset, "cifar10");
  assert.throws(
    () => cifarRecipe("huge" as never),
    /scale must be one of smoke, cpu, paper, got huge/,
  );
});

Deno.test("meanStd", () => {
  assert.deepEqual(meanStd([2]), { mean: 2, std: 0 });
  const { mean, std } = meanStd([1, 2, 3]);
  assert.equal(mean, 2);
  assert.equal(std, 1);
  assert.throws(() => meanStd([]), /at least one value/);
});

Deno.test("paperValueFor: our method keys name a row of every table that has the methods", () => {
  assert.equal(paperValueFor(TABLE7_CIFAR10, "cutmix", "top1Error"), 2.88);
  assert.equal(paperValueFor(TABLE5_CIFAR100, "mixup", "top1Error"), 15.63);
  assert.equal(paperValueFor(TABLE9_WSOL, "baseline", "cubLocAcc"), 49.41);
  assert.equal(paperValueFor(TABLE11_FGSM, "cutout", "top1Accuracy"), 11.5);
  assert.equal(paperValueFor(TABLE12_OOD, "mixup", "auroc"), 49.3);
  assert.equal(paperValueFor(TABLE10_TRANSFER, "cutmix", "ssdMap"), 77.6);
  assert.equal(paperValueFor(TABLE8_VARIANTS_CIFAR100, "CutMix", "top1Error"), 14.47);
  for (const table of [TABLE5_CIFAR100, TABLE7_CIFAR10, TABLE9_WSOL, TABLE11_FGSM, TABLE12_OOD]) {
    for (const method of PAPER_METHODS) {
      assert.ok(
        table.rows.some((r) => r.method === table.keys[method]),
        `${table.table} ${method}`,
      );
    }
  }
  for (const variant of Object.keys(TABLE8_VARIANTS)) {
    assert.ok(
      TABLE8_VARIANTS_CIFAR100.rows.some((r) =>
        r.method === TABLE8_VARIANTS_CIFAR100.keys[variant]
      ),
      variant,
    );
  }
  assert.throws(
    () => paperValueFor(TABLE6_LIGHTER, "cutmix", "top1Error"),
    /Table 6 has no row for "cutmix" \(keys: \)/,
  );
});
