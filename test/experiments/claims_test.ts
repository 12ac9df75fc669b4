import assert from "node:assert/strict";
import {
  agreement,
  armValues,
  checkClaim,
  compareArms,
  formatInterval,
  judgeAll,
  judgeClaim,
  memorisationCheck,
  paperSide,
  summarizeArm,
} from "../../lib/experiments/claims.ts";
import { TABLE5_CIFAR100, TABLE8_VARIANTS_CIFAR100 } from "../../lib/experiments/paper.ts";
import { pairedDifference } from "../../lib/experiments/paired.ts";
import { validateResults } from "../../lib/reports/results.ts";

/** Hand-made top-1 errors (%) of three seeds, given out of seed order on purpose. */
const runs = [
  { label: "baseline", seed: 2, error: 27.5 },
  { label: "baseline", seed: 0, error: 26.9 },
  { label: "baseline", seed: 1, error: 26.2 },
  { label: "cutmix", seed: 0, error: 24.1 },
  { label: "cutmix", seed: 1, error: 23.6 },
  { label: "cutmix", seed: 2, error: 24.4 },
  { label: "mixup", seed: 0, error: 28.0 },
  { label: "mixup", seed: 1, error: 27.5 },
  { label: "mixup", seed: 2, error: 28.5 },
  { label: "cutout", seed: 0, error: 25.0 },
  { label: "cutout", seed: 1, error: 27.0 },
  { label: "cutout", seed: 2, error: 26.0 },
];
const values = armValues(runs, (r) => r.error);
const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

Deno.test("armValues groups by label with seeds ascending; summarizeArm gives mean ± sd", () => {
  assert.deepEqual([...values.keys()], ["baseline", "cutmix", "mixup", "cutout"]);
  assert.deepEqual(values.get("baseline"), [
    { seed: 0, value: 26.9 },
    { seed: 1, value: 26.2 },
    { seed: 2, value: 27.5 },
  ]);
  const baseline = summarizeArm(values, "baseline");
  close(baseline.mean, 26.866666666666667);
  // Deviations 0.0333, −0.6667, 0.6333: ss = 0.84667, sd = √(0.84667 / 2) = 0.650641…
  close(baseline.sd!, 0.6506407098647712, 1e-12);
  assert.deepEqual(baseline.seeds, [0, 1, 2]);
  assert.equal(baseline.n, 3);
  const one = summarizeArm(armValues([{ label: "a", seed: 0 }], () => 5), "a");
  assert.deepEqual(one, { arm: "a", seeds: [0], n: 1, mean: 5, sd: null });
});

Deno.test("compareArms pairs by seed, on the seeds both arms have", () => {
  const c = compareArms(values, "cutmix", "baseline");
  assert.deepEqual(c.seeds, [0, 1, 2]);
  assert.deepEqual(c.difference.differences.map((d) => Number(d.toFixed(10))), [-2.8, -2.6, -3.1]);
  // An ablation with seeds 0 and 1 against a three-seed baseline pairs on 0 and 1.
  const ablation = armValues([
    ...runs,
    { label: "level 1", seed: 1, error: 25.2 },
    { label: "level 1", seed: 0, error: 25.9 },
  ], (r) => r.error);
  const short = compareArms(ablation, "level 1", "baseline");
  assert.deepEqual(short.seeds, [0, 1]);
  assert.deepEqual(short.difference.differences.map((d) => Number(d.toFixed(10))), [-1, -1]);
  assert.throws(
    () =>
      compareArms(armValues([{ label: "x", seed: 5 }, { label: "y", seed: 6 }], () => 1), "x", "y"),
    /"x" \(seeds 5\) and "y" \(seeds 6\) share no seed/,
  );
  assert.throws(
    () => compareArms(values, "cutmix", "manifold"),
    /no values for "manifold" \(arms: baseline, cutmix/,
  );
});

Deno.test("judgeClaim at n = 3: yes, no and not resolved, in the issue's wording, with the interval", () => {
  const yes = judgeClaim(values, {
    a: "cutmix",
    b: "baseline",
    aName: "CutMix",
    bName: "baseline",
    paper: "yes",
    paperEvidence: "2.88 vs 3.85 %",
    source: "Table 7",
    suffix: " (final top-1 error)",
  });
  assert.equal(yes.claim, "CutMix < baseline (final top-1 error)");
  assert.equal(yes.verdict, "yes");
  assert.equal(yes.ours, "yes, 2.83 ± 0.63 points (95 % CI, n = 3)");
  assert.equal(yes.agreement, "agrees");
  assert.equal(yes.source, "Table 7");
  const interval = yes.interval!;
  assert.deepEqual(interval.seeds, [0, 1, 2]);
  close(interval.mean, -2.833333333, 1e-8);
  close(interval.halfWidth!, 4.302652730 * 0.251661148 / Math.sqrt(3), 1e-7);
  close(interval.high!, interval.mean + interval.halfWidth!, 1e-12);
  assert.equal(interval.level, 0.95);
  assert.equal(interval.unit, "points");

  const no = judgeClaim(values, { a: "mixup", b: "baseline", aName: "Mixup", paper: "yes" });
  assert.equal(no.verdict, "no");
  assert.match(no.ours, /^no, Mixup is higher by 1\.13 ± 0\.38 points \(95 % CI, n = 3\)$/);
  assert.equal(no.agreement, "disagrees");

  const unclear = judgeClaim(values, { a: "cutout", b: "baseline", paper: "yes" });
  assert.equal(unclear.verdict, "not resolved");
  assert.match(
    unclear.ours,
    /^not resolved at n = 3, -0\.87 ± \d+\.\d\d points \(95 % CI, n = 3\)$/,
  );
  assert.equal(unclear.agreement, "not resolved");

  // The saved form passes the results check (no NaN anywhere).
  validateResults({
    notebook: "02-x",
    title: "t",
    scale: "cpu",
    seeds: [0, 1, 2],
    backend: "tensorflow",
    rows: [],
    claims: [yes, no, unclear],
  });
});

Deno.test("judgeClaim at n = 1 and n = 2: not resolved, with null bounds that JSON can hold", () => {
  const single = armValues(
    [{ label: "a", seed: 0, v: 20 }, { label: "b", seed: 0, v: 25 }],
    (r) => r.v,
  );
  const one = judgeClaim(single, { a: "a", b: "b", paper: "yes" });
  assert.equal(one.verdict, "not resolved");
  assert.equal(one.ours, "not resolved at n = 1 (no interval; difference -5.00 points)");
  assert.deepEqual(one.interval, {
    seeds: [0],
    differences: [-5],
    mean: -5,
    sd: null,
    halfWidth: null,
    low: null,
    high: null,
    level: 0.95,
    unit: "points",
  });
  assert.equal(JSON.parse(JSON.stringify(one)).interval.halfWidth, null);
  // n = 2: differences −1 and −3, mean −2, sd √2, t(0.975, 1) = 12.706: half-width 12.706.
  const two = armValues([
    { label: "a", seed: 0, v: 20 },
    { label: "a", seed: 1, v: 21 },
    { label: "b", seed: 0, v: 21 },
    { label: "b", seed: 1, v: 24 },
  ], (r) => r.v);
  const pair = judgeClaim(two, { a: "a", b: "b", paper: "yes" });
  assert.equal(pair.verdict, "not resolved");
  assert.equal(pair.ours, "not resolved at n = 2, -2.00 ± 12.71 points (95 % CI, n = 2)");
  close(pair.interval!.halfWidth!, 12.706204736, 1e-7);
});

Deno.test("judgeAll: yes only when every part holds, no when one is the opposite", () => {
  const parts = (names: string[]) =>
    names.map((name) =>
      judgeClaim(values, { a: "cutmix", b: name, aName: "CutMix", paper: "yes" })
    );
  const all = judgeAll(
    { claim: "CutMix beats the others", paper: "yes" },
    parts(["baseline", "mixup"]),
  );
  assert.equal(all.verdict, "yes");
  assert.equal(all.ours, "yes: all 2 hold (every interval below 0)");
  assert.equal(all.agreement, "agrees");
  assert.equal(all.interval, undefined);
  const some = judgeAll({ claim: "every one beats the baseline", paper: "yes" }, [
    judgeClaim(values, { a: "cutmix", b: "baseline", paper: "yes" }),
    judgeClaim(values, { a: "cutout", b: "baseline", paper: "yes" }),
  ]);
  assert.equal(some.verdict, "not resolved");
  assert.equal(some.ours, "not resolved at n = 3: 1 of 2 hold, 1 not resolved, none the opposite");
  const failed = judgeAll({ claim: "every one beats the baseline", paper: "yes" }, [
    judgeClaim(values, { a: "cutmix", b: "baseline", paper: "yes" }),
    judgeClaim(values, { a: "mixup", b: "baseline", paper: "yes" }),
    judgeClaim(values, { a: "cutout", b: "baseline", paper: "yes" }),
  ]);
  assert.equal(failed.verdict, "no");
  assert.equal(failed.ours, "no: 1 of 3 are the opposite (mixup < baseline)");
  assert.equal(failed.agreement, "disagrees");
  assert.throws(() => judgeAll({ claim: "x", paper: "yes" }, []), /"x" has no parts/);
});

Deno.test("agreement, checkClaim, formatInterval", () => {
  assert.equal(agreement("no", "no"), "agrees");
  assert.equal(agreement("no", "yes"), "disagrees");
  assert.equal(agreement("yes", "not resolved"), "not resolved");
  assert.equal(agreement(null, "yes"), null);
  assert.deepEqual(checkClaim("level 0 = CutMix", true, "equal on seed 0"), {
    claim: "level 0 = CutMix",
    paper: null,
    verdict: "yes",
    ours: "yes: equal on seed 0",
    agreement: null,
  });
  assert.equal(checkClaim("c", undefined, "not recorded").ours, "unknown: not recorded");
  assert.equal(
    formatInterval(pairedDifference([24.1, 23.6, 24.4], [26.9, 26.2, 27.5])),
    "-2.83 [-3.46, -2.21]",
  );
  assert.equal(formatInterval(pairedDifference([3], [1])), "2.00 (no interval at n = 1)");
});

Deno.test("memorisationCheck: every seed at most the threshold; old runs without the record", () => {
  const ok = memorisationCheck(
    "baseline",
    [{ seed: 0, value: 0.008 }, { seed: 1, value: 0.02 }],
    0.02,
  );
  assert.equal(ok.verdict, "yes");
  assert.equal(
    ok.claim,
    "premise: the baseline memorised its training subset (final clean training error ≤ 2.0 % on every seed)",
  );
  assert.equal(ok.ours, "yes: 0.80 % (seed 0), 2.00 % (seed 1)");
  const not = memorisationCheck(
    "baseline",
    [{ seed: 0, value: 0.008 }, { seed: 1, value: 0.3 }],
    0.02,
  );
  assert.equal(not.verdict, "no");
  assert.match(not.ours, /^no: 0\.80 % \(seed 0\), 30\.00 % \(seed 1\): not memorised/);
  const old = memorisationCheck(
    "baseline",
    [{ seed: 0, value: undefined }, { seed: 1, value: 0 }],
    0.02,
  );
  assert.equal(old.verdict, "not resolved");
  assert.match(old.ours, /^unknown: seed\(s\) 0 finished before/);
  assert.throws(() => memorisationCheck("baseline", [], 0.02), /no runs of baseline/);
  assert.throws(
    () => memorisationCheck("baseline", [{ seed: 0, value: 0 }], 2),
    /maxTrainError must be in \[0, 1\], got 2/,
  );
});

Deno.test("armValues names bad input", () => {
  assert.throws(
    () => armValues([{ label: "a", seed: 0 }], () => NaN),
    /a seed 0 has a non-finite value NaN/,
  );
  assert.throws(
    () => armValues([{ label: "a", seed: 0 }, { label: "a", seed: 0 }], () => 1),
    /a has seed 0 twice/,
  );
});

Deno.test("paperSide reads the paper's verdict and numbers from its table", () => {
  assert.deepEqual(paperSide(TABLE5_CIFAR100, "cutmix", "baseline"), {
    paper: "yes",
    paperEvidence: "14.47 vs 16.45 %",
    source: "Table 5",
  });
  // On CIFAR-100, Cutout (16.53) is worse than the baseline (16.45).
  assert.equal(paperSide(TABLE5_CIFAR100, "cutout", "baseline").paper, "no");
  assert.equal(
    paperSide(TABLE8_VARIANTS_CIFAR100, "CutMix", "Scheduled CutMix").paperEvidence,
    "14.47 vs 14.72 %",
  );
  assert.throws(() => paperSide(TABLE5_CIFAR100, "manifold", "baseline"), /no row for "manifold"/);
});
