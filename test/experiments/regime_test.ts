import assert from "node:assert/strict";
import { chooseRegime } from "../../lib/experiments/regime.ts";

const budget = { numClasses: 10, runs: 40, imagesPerSecond: 500, budgetSeconds: 8 * 3600 };

Deno.test("chooseRegime: the largest memorising subset that fits, then the shortest schedule", () => {
  const choice = chooseRegime([
    { perClass: 500, epochs: 60, finalTrainError: 0.03 }, // not memorised
    { perClass: 500, epochs: 70, finalTrainError: 0.015 }, // 14M images: 7.8 h, fits
    { perClass: 500, epochs: 90, finalTrainError: 0.004 }, // fits? 18M / 500 = 10 h: no
    { perClass: 1000, epochs: 60, finalTrainError: 0.05 }, // not memorised
    { perClass: 250, epochs: 60, finalTrainError: 0.0 }, // smaller
  ], budget);
  assert.deepEqual(choice.chosen, { perClass: 500, epochs: 70, finalTrainError: 0.015 });
  const byKey = new Map(choice.candidates.map((c) => [`${c.perClass}/${c.epochs}`, c]));
  assert.equal(byKey.get("500/70")!.sweepSeconds, 40 * 500 * 10 * 70 / 500);
  assert.equal(byKey.get("500/90")!.fits, false);
  assert.equal(byKey.get("500/60")!.memorised, false);
  assert.match(
    choice.reason,
    /^500 images per class, 70 epochs: .*1\.5 % ≤ 2\.0 %.*7\.8 h ≤ 8\.0 h/,
  );
});

Deno.test("chooseRegime: the threshold is inclusive and configurable; nothing eligible is said", () => {
  const at = chooseRegime([{ perClass: 100, epochs: 10, finalTrainError: 0.02 }], budget);
  assert.equal(at.chosen?.perClass, 100);
  const strict = chooseRegime([{ perClass: 100, epochs: 10, finalTrainError: 0.02 }], {
    ...budget,
    maxTrainError: 0.01,
  });
  assert.equal(strict.chosen, undefined);
  assert.match(
    strict.reason,
    /no candidate both memorised \(final training error ≤ 1\.0 %\) and fit 8\.0 h/,
  );
});

Deno.test("chooseRegime: bad input is named", () => {
  assert.throws(() => chooseRegime([], budget), /no pilot candidates/);
  assert.throws(
    () => chooseRegime([{ perClass: 1, epochs: 1, finalTrainError: 0 }], { ...budget, runs: 0 }),
    /budget.runs must be a positive number, got 0/,
  );
  assert.throws(
    () => chooseRegime([{ perClass: 1.5, epochs: 1, finalTrainError: 0 }], budget),
    /perClass and epochs must be positive integers, got 1.5, 1/,
  );
  assert.throws(
    () => chooseRegime([{ perClass: 1, epochs: 1, finalTrainError: 2 }], budget),
    /finalTrainError must be in \[0, 1\], got 2/,
  );
});
