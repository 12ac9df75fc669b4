import assert from "node:assert/strict";
import {
  judgeGreater,
  judgeLess,
  meanAndSd,
  pairedDifference,
  studentTCdf,
  studentTQuantile,
} from "../../lib/experiments/paired.ts";

Deno.test("studentTQuantile matches published t tables", () => {
  // Two-sided 95 % critical values (the 0.975 quantile), from standard tables.
  const table: [number, number][] = [
    [1, 12.706204736],
    [2, 4.302652730],
    [3, 3.182446305],
    [4, 2.776445105],
    [9, 2.262157163],
    [30, 2.042272456],
  ];
  for (const [df, expected] of table) {
    assert.ok(
      Math.abs(studentTQuantile(0.975, df) - expected) < 1e-7,
      `df ${df}: ${studentTQuantile(0.975, df)} vs ${expected}`,
    );
  }
  // 0.995 with df 4 (99 % two-sided): 4.604094871.
  assert.ok(Math.abs(studentTQuantile(0.995, 4) - 4.604094871) < 1e-7);
  assert.equal(studentTQuantile(0.5, 3), 0);
  assert.ok(Math.abs(studentTQuantile(0.025, 2) + 4.302652730) < 1e-7);
});

Deno.test("studentTCdf: df = 1 is the Cauchy distribution", () => {
  for (const t of [-3, -0.5, 0, 0.7, 2, 10]) {
    const cauchy = 0.5 + Math.atan(t) / Math.PI;
    assert.ok(Math.abs(studentTCdf(t, 1) - cauchy) < 1e-12, `t = ${t}`);
  }
});

Deno.test("pairedDifference: a hand-computed case", () => {
  const d = pairedDifference([24.1, 23.6, 24.4], [26.9, 26.2, 27.5]);
  // Differences −2.8, −2.6, −3.1: mean −2.8333…, sd √(0.12667 / 2) = 0.251661…
  assert.deepEqual(d.differences.map((x) => Number(x.toFixed(10))), [-2.8, -2.6, -3.1]);
  assert.ok(Math.abs(d.mean - -2.833333333) < 1e-9);
  assert.ok(Math.abs(d.sd - 0.251661148) < 1e-8);
  const half = 4.302652730 * 0.251661148 / Math.sqrt(3);
  assert.ok(Math.abs(d.halfWidth - half) < 1e-7);
  assert.ok(Math.abs(d.high - (d.mean + half)) < 1e-7);
  assert.equal(d.n, 3);
});

Deno.test("judgeLess: yes, no and not resolved", () => {
  const better = judgeLess(
    "CutMix",
    "baseline",
    pairedDifference([24.1, 23.6, 24.4], [26.9, 26.2, 27.5]),
  );
  assert.equal(better.verdict, "yes");
  assert.equal(better.text, "CutMix < baseline: yes, 2.83 ± 0.63 points (95 % CI, n = 3)");
  const worse = judgeLess("Mixup", "baseline", pairedDifference([27, 28, 27.5], [26, 26.5, 26.2]));
  assert.equal(worse.verdict, "no");
  assert.match(worse.text, /^Mixup < baseline: no, Mixup is higher by 1\.27 ± /);
  const unclear = judgeLess("Cutout", "baseline", pairedDifference([25, 27, 26], [26, 26, 26]));
  assert.equal(unclear.verdict, "not resolved");
  assert.match(
    unclear.text,
    /^Cutout < baseline: not resolved at n = 3, Cutout − baseline = 0\.00 ± \d+\.\d\d points/,
  );
  const single = judgeLess("A", "B", pairedDifference([1], [2]));
  assert.equal(single.verdict, "not resolved");
  assert.match(single.text, /not resolved at n = 1 \(no interval/);
});

Deno.test("judgeGreater: the mirror image of judgeLess, for higher-is-better numbers", () => {
  // Accuracies (%): CutMix above the baseline by 2.8, 2.6, 3.1 points.
  const better = judgeGreater(
    "CutMix",
    "baseline",
    pairedDifference([75.9, 76.4, 75.6], [73.1, 73.8, 72.5]),
  );
  assert.equal(better.verdict, "yes");
  assert.equal(better.text, "CutMix > baseline: yes, 2.83 ± 0.63 points (95 % CI, n = 3)");
  // The same numbers the other way round: the claim fails, and the text says which way.
  const worse = judgeGreater(
    "baseline",
    "CutMix",
    pairedDifference([73.1, 73.8, 72.5], [75.9, 76.4, 75.6]),
  );
  assert.equal(worse.verdict, "no");
  assert.equal(
    worse.text,
    "baseline > CutMix: no, baseline is lower by 2.83 ± 0.63 points (95 % CI, n = 3)",
  );
  const unclear = judgeGreater("Cutout", "baseline", pairedDifference([25, 27, 26], [26, 26, 26]));
  assert.equal(unclear.verdict, "not resolved");
  assert.match(
    unclear.text,
    /^Cutout > baseline: not resolved at n = 3, Cutout − baseline = 0\.00 ± \d+\.\d\d points/,
  );
  const single = judgeGreater("A", "B", pairedDifference([3], [1]), "% AUROC");
  assert.equal(single.verdict, "not resolved");
  assert.equal(
    single.text,
    "A > B: not resolved at n = 1 (no interval; A − B = 2.00 % AUROC)",
  );
});

Deno.test("bad input is named", () => {
  assert.throws(() => pairedDifference([1, 2], [1]), /a has 2 values, b has 1/);
  assert.throws(() => pairedDifference([1, 2], [1, 2], 1), /level must be in \(0, 1\), got 1/);
  assert.throws(() => meanAndSd([]), /empty/);
  assert.throws(() => meanAndSd([1, NaN]), /finite, got NaN/);
  assert.throws(() => studentTQuantile(0.9, 0.5), /df must be a finite number ≥ 1, got 0.5/);
  assert.throws(() => studentTQuantile(1, 3), /p must be in \(0, 1\), got 1/);
});
