import assert from "node:assert/strict";
import {
  agreement,
  armValues,
  checkClaim,
  compareArms,
  comparisonRow,
  curveMean,
  formatInterval,
  formatSummary,
  judgeAgainst,
  judgeAll,
  judgeClaim,
  memorisationCheck,
  paperSide,
  requirePreconditions,
  summarizeArm,
} from "../../lib/experiments/claims.ts";
import {
  TABLE11_FGSM,
  TABLE12_OOD,
  TABLE5_CIFAR100,
  TABLE8_VARIANTS_CIFAR100,
  TABLE9_WSOL,
} from "../../lib/experiments/paper.ts";
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
    /^not resolved at n = 3, cutout − baseline = -0\.87 ± \d+\.\d\d points \(95 % CI, n = 3\)$/,
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
  assert.equal(one.ours, "not resolved at n = 1 (no interval; a − b = -5.00 points)");
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
  assert.equal(pair.ours, "not resolved at n = 2, a − b = -2.00 ± 12.71 points (95 % CI, n = 2)");
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

/** The same seeds as accuracies (100 − error): higher is better. */
const accuracies = armValues(runs, (r) => 100 - r.error);

Deno.test("judgeClaim 'a > b' on a higher-is-better number: the verdicts mirror 'a < b'", () => {
  const yes = judgeClaim(accuracies, {
    a: "cutmix",
    b: "baseline",
    aName: "CutMix",
    direction: "greater",
    ...paperSide(TABLE11_FGSM, "cutmix", "baseline", {
      column: "top1Accuracy",
      direction: "greater",
      unit: "% on ImageNet",
    }),
    suffix: " (FGSM top-1 accuracy)",
  });
  assert.equal(yes.claim, "CutMix > baseline (FGSM top-1 accuracy)");
  assert.equal(yes.verdict, "yes");
  assert.equal(yes.ours, "yes, 2.83 ± 0.63 points (95 % CI, n = 3)");
  assert.equal(yes.paper, "yes");
  assert.equal(yes.paperEvidence, "31.00 vs 8.20 % on ImageNet");
  assert.equal(yes.source, "Table 11");
  assert.equal(yes.agreement, "agrees");
  // The saved interval is always a − b: here positive, CutMix's accuracy above the baseline's.
  assert.deepEqual(yes.interval!.differences.map((d) => Number(d.toFixed(10))), [2.8, 2.6, 3.1]);
  close(yes.interval!.low!, 2.833333333 - 0.625163, 1e-5);

  const no = judgeClaim(accuracies, {
    a: "mixup",
    b: "baseline",
    direction: "greater",
    paper: "yes",
  });
  assert.equal(no.claim, "mixup > baseline");
  assert.equal(no.verdict, "no");
  assert.match(no.ours, /^no, mixup is lower by 1\.13 ± 0\.38 points \(95 % CI, n = 3\)$/);
  assert.equal(no.agreement, "disagrees");
});

Deno.test("paperSide in both directions, on the tables of notebooks 05–07", () => {
  // Table 12, AUROC: Mixup (49.3) below the baseline (87.3): "Mixup < baseline" is the paper's.
  assert.deepEqual(paperSide(TABLE12_OOD, "mixup", "baseline", { column: "auroc" }), {
    paper: "yes",
    paperEvidence: "49.30 vs 87.30 %",
    source: "Table 12",
  });
  assert.equal(
    paperSide(TABLE12_OOD, "mixup", "baseline", { column: "auroc", direction: "greater" }).paper,
    "no",
  );
  // Table 9, CUB: CutMix 54.81 > Mixup 49.30.
  assert.equal(
    paperSide(TABLE9_WSOL, "cutmix", "mixup", { column: "cubLocAcc", direction: "greater" }).paper,
    "yes",
  );
  assert.throws(
    () => paperSide(TABLE11_FGSM, "cutmix", "baseline"),
    /Table 11.*top1Error/,
  );
});

Deno.test("a claim the paper gives no verdict on: agreement null, the reason kept", () => {
  const c = judgeClaim(values, {
    a: "cutmix",
    b: "baseline",
    paper: null,
    paperEvidence: "not in the paper",
  });
  assert.equal(c.paper, null);
  assert.equal(c.paperEvidence, "not in the paper");
  assert.equal(c.verdict, "yes");
  assert.equal(c.agreement, null);
});

Deno.test("curveMean: the mean over a closed range, on a computed grid", () => {
  // FGSM accuracies (%) over ε = k/255; the claims' range is ε ∈ [¼, 8]/255 (all ε > 0).
  const eps = [0, 0.25, 0.5, 1, 2, 4, 8].map((k) => k / 255);
  const acc = [80, 60, 50, 40, 20, 10, 0];
  const curve = eps.map((x, i) => ({ x, y: acc[i] }));
  assert.equal(curveMean(curve, { from: 0.25 / 255, to: 8 / 255 }), 30);
  // Both ends count; a point just outside does not.
  assert.equal(curveMean(curve, { from: 1 / 255, to: 2 / 255 }), 30);
  assert.equal(curveMean(curve, { from: 1.5 / 255, to: 2 / 255 }), 20);
  // λ = i / 10 leaves 3 * 0.1 = 0.30000000000000004 and 0.7 inside [0.3, 0.7].
  const lambdas = Array.from({ length: 11 }, (_, i) => ({ x: (3 * i) / 30, y: i }));
  assert.equal(curveMean(lambdas, { from: 0.1 * 3, to: 0.7 }), 5);
  assert.throws(() => curveMean(curve, { from: 0.5, to: 0.9 }), /no point in 0.5–0.9 \(x: 0, /);
  assert.throws(() => curveMean(curve, { from: 2, to: 1 }), /from ≤ to, got 2–1/);
  assert.throws(() => curveMean([{ x: 1, y: NaN }], { from: 0, to: 2 }), /y at x = 1 is NaN/);
});

Deno.test("judgeAgainst: an arm against a fixed number, per seed", () => {
  // GT-known accuracies 60, 62, 64 % against a trivial box at 50 %: differences 10, 12, 14,
  // mean 12, sd 2, half-width 4.3027 · 2 / √3 = 4.968.
  const loc = armValues(
    [0, 1, 2].map((seed) => ({ label: "cutmix", seed, acc: 60 + 2 * seed })),
    (r) => r.acc,
  );
  const beats = judgeAgainst(loc, {
    a: "cutmix",
    aName: "CutMix",
    reference: "the whole image",
    value: 50,
    direction: "greater",
    suffix: " (GT-known loc.)",
  });
  assert.equal(beats.claim, "CutMix > the whole image (GT-known loc.)");
  assert.equal(beats.ours, "yes, 12.00 ± 4.97 points (95 % CI, n = 3)");
  assert.equal(beats.paper, null);
  assert.equal(beats.agreement, null);
  assert.deepEqual(beats.interval!.differences, [10, 12, 14]);
  assert.deepEqual(beats.interval!.seeds, [0, 1, 2]);
  // Above the reference on average (mean 1) but not beyond the spread over seeds.
  const close61 = judgeAgainst(loc, {
    a: "cutmix",
    reference: "61 %",
    value: 61,
    direction: "greater",
  });
  assert.equal(close61.verdict, "not resolved");
  assert.equal(
    close61.ours,
    "not resolved at n = 3, cutmix − 61 % = 1.00 ± 4.97 points (95 % CI, n = 3)",
  );
  // The values passed in are left as they were.
  assert.deepEqual([...loc.keys()], ["cutmix"]);
  assert.throws(
    () => judgeAgainst(loc, { a: "cutmix", reference: "x", value: NaN }),
    /x must be a finite number, got NaN/,
  );
});

Deno.test("requirePreconditions: 'not tested' where a condition fails, the interval kept", () => {
  const claim = judgeClaim(values, { a: "cutmix", b: "baseline", aName: "CutMix", paper: "yes" });
  assert.equal(requirePreconditions(claim, [{ holds: true, unmet: "x" }]), claim);
  const untested = requirePreconditions(claim, [
    { holds: false, unmet: "the set fails its criterion" },
    { holds: true, unmet: "never shown" },
    { holds: false, unmet: "CutMix does not beat the trivial boxes" },
  ]);
  assert.equal(untested.verdict, "not tested");
  assert.equal(
    untested.ours,
    "not tested (the set fails its criterion; CutMix does not beat the trivial boxes); " +
      "the interval alone: yes, 2.83 ± 0.63 points (95 % CI, n = 3)",
  );
  assert.equal(untested.agreement, "not tested");
  assert.deepEqual(untested.interval, claim.interval);
  const check = requirePreconditions(checkClaim("c", true, "e"), [{ holds: false, unmet: "u" }]);
  assert.equal(check.agreement, null);
  validateResults({
    notebook: "07-x",
    title: "t",
    scale: "cpu",
    seeds: [0, 1, 2],
    backend: "tensorflow",
    rows: [],
    claims: [untested, check],
  });
});

Deno.test("judgeAll with 'a > b' parts and with parts not tested", () => {
  const greater = (name: string) =>
    judgeClaim(accuracies, { a: "cutmix", b: name, direction: "greater", paper: "yes" });
  const all = judgeAll({ claim: "CutMix is the most accurate", paper: "yes" }, [
    greater("baseline"),
    greater("mixup"),
  ]);
  assert.equal(all.verdict, "yes");
  assert.equal(all.ours, "yes: all 2 hold (every interval above 0)");
  const gate = [{ holds: false, unmet: "no test" }];
  const none = judgeAll({ claim: "every one", paper: "yes" }, [
    requirePreconditions(greater("baseline"), gate),
    requirePreconditions(greater("mixup"), gate),
  ]);
  assert.equal(none.verdict, "not tested");
  assert.equal(none.ours, "not tested: none of the 2 parts is tested");
  assert.equal(none.agreement, "not tested");
  const some = judgeAll({ claim: "every one", paper: null }, [
    greater("baseline"),
    requirePreconditions(greater("mixup"), gate),
    judgeClaim(values, { a: "cutout", b: "baseline", paper: "yes" }),
  ]);
  assert.equal(some.verdict, "not resolved");
  assert.equal(
    some.ours,
    "not resolved at n = 3: 1 of 3 hold, 1 not resolved, 1 not tested, none the opposite",
  );
  assert.equal(some.agreement, null);
});

Deno.test("formatSummary and comparisonRow: a table row of means ± sd and paired intervals", () => {
  assert.equal(formatSummary(summarizeArm(values, "baseline")), "26.87 ± 0.65");
  assert.equal(
    formatSummary(summarizeArm(armValues([{ label: "a", seed: 0 }], () => 5), "a")),
    "5.00",
  );
  const row = comparisonRow(values, {
    arms: ["baseline", "cutmix"],
    pairs: [["cutmix", "baseline"]],
    names: { cutmix: "CutMix" },
    unit: "% err.",
  });
  assert.deepEqual(row, {
    "baseline (% err.)": "26.87 ± 0.65",
    "CutMix (% err.)": "24.03 ± 0.40",
    "CutMix − baseline [95 % CI]": "-2.83 [-3.46, -2.21]",
  });
  assert.throws(
    () => comparisonRow(values, { arms: ["manifold"], pairs: [], unit: "%" }),
    /no values for "manifold"/,
  );
});
