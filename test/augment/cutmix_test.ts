import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { Random } from "../../lib/random.ts";
import { type Box, cutMix, type CutMixOptions, type MixResult } from "../../lib/augment/mod.ts";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import {
  assertNoLeak,
  assertWithinSixSe,
  codedImages,
  cyclicLabels,
  meanAndSe,
  varianceAndSe,
} from "./helpers.ts";

function inBox(box: Box | null, y: number, x: number): boolean {
  return box !== null && y >= box.y0 && y < box.y1 && x >= box.x0 && x < box.x1;
}

/**
 * Checks a CutMix result pixel by pixel against its draw: inside sample i's box the partner's
 * value, elsewhere its own; λ = exact kept fraction; targets = λ-weighted one-hot rows.
 */
function checkCutMix(
  images: Tensor4D,
  labelValues: ArrayLike<number>,
  numClasses: number,
  result: MixResult,
): void {
  const [n, h, w, c] = images.shape;
  const input = images.dataSync();
  const output = result.imagesNHWC.dataSync();
  assert.deepEqual(result.imagesNHWC.shape, images.shape);
  const { partners, boxes, lambdas, targetWeights, modes } = result.draw;
  for (let i = 0; i < n; i++) {
    const box = boxes[i];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const source = inBox(box, y, x) ? partners[i] : i;
        for (let k = 0; k < c; k++) {
          const at = ((i * h + y) * w + x) * c + k;
          const from = ((source * h + y) * w + x) * c + k;
          if (output[at] !== input[from]) {
            assert.fail(
              `sample ${i} pixel (${y},${x},${k}): got ${output[at]}, want ${input[from]}`,
            );
          }
        }
      }
    }
    const area = box === null ? 0 : (box.y1 - box.y0) * (box.x1 - box.x0);
    assert.equal(lambdas[i], (h * w - area) / (h * w), `λ of sample ${i} is the kept fraction`);
    if (modes[i] === "none") assert.equal(box, null);
  }
  const targets = result.targets.arraySync() as number[][];
  assert.deepEqual(result.targets.shape, [n, numClasses]);
  for (let i = 0; i < n; i++) {
    const expected = new Array(numClasses).fill(0);
    expected[labelValues[i]] += targetWeights[i];
    expected[labelValues[partners[i]]] += 1 - targetWeights[i];
    const sum = targets[i].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `targets[${i}] sums to ${sum}`);
    for (let k = 0; k < numClasses; k++) {
      assert.ok(
        Math.abs(targets[i][k] - expected[k]) < 1e-6,
        `targets[${i}][${k}] = ${targets[i][k]}, want ${expected[k]}`,
      );
    }
  }
}

function run(
  n: number,
  h: number,
  w: number,
  c: number,
  options: Omit<CutMixOptions, "numClasses">,
  numClasses = 5,
): MixResult {
  const images = codedImages(n, h, w, c);
  const labels = cyclicLabels(n, numClasses);
  const before = tf.memory().numTensors;
  const result = cutMix(images, labels, { numClasses, ...options });
  assert.equal(tf.memory().numTensors, before + 2, "only the two result tensors are new");
  checkCutMix(images, labels.dataSync(), numClasses, result);
  // Inputs untouched.
  const fresh = codedImages(n, h, w, c);
  assert.deepEqual(images.dataSync(), fresh.dataSync());
  tf.dispose([images, labels, fresh]);
  return result;
}

function disposeResult(result: MixResult) {
  tf.dispose([result.imagesNHWC, result.targets]);
}

Deno.test("cutMix: pasted box holds the partner's pixels, the rest is untouched, λ exact", () => {
  assertNoLeak(() => {
    for (const granularity of ["batch", "pair", "elem"] as const) {
      for (let seed = 0; seed < 6; seed++) {
        disposeResult(run(7, 9, 11, 2, { seed, granularity }));
      }
    }
  });
});

Deno.test("cutMix: a hand-computed draw (seed replayed) matches the paper's recipe", () => {
  assertNoLeak(() => {
    const result = run(4, 8, 8, 1, { seed: 11 });
    // Replay the documented draw order: permutation, coin, λ ~ Beta(1, 1), centre y, centre x.
    const rng = new Random(11);
    const perm = rng.permutation(4);
    assert.ok(rng.float() < 1);
    const lambda = rng.beta(1, 1);
    const side = Math.round(8 * Math.sqrt(1 - lambda));
    const cy = rng.uniform(0, 8);
    const cx = rng.uniform(0, 8);
    const top = Math.round(cy - side / 2);
    const left = Math.round(cx - side / 2);
    const box = {
      y0: Math.max(0, top),
      x0: Math.max(0, left),
      y1: Math.min(8, top + side),
      x1: Math.min(8, left + side),
    };
    assert.deepEqual(Array.from(result.draw.partners), Array.from(perm));
    assert.equal(result.draw.drawnLambdas[0], lambda);
    for (let i = 0; i < 4; i++) assert.deepEqual(result.draw.boxes[i], box);
    assert.deepEqual(result.draw.centers[0], { y: cy, x: cx });
    disposeResult(result);
  });
});

Deno.test("cutMix: batch granularity shares one λ and box; pair swaps within pairs; elem varies", () => {
  assertNoLeak(() => {
    const batch = run(16, 8, 8, 1, { seed: 3, granularity: "batch" });
    assert.ok(
      batch.draw.boxes.every((b) => JSON.stringify(b) === JSON.stringify(batch.draw.boxes[0])),
    );
    assert.ok(batch.draw.lambdas.every((l) => l === batch.draw.lambdas[0]));
    assert.deepEqual(
      Array.from(batch.draw.partners).sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i),
      "partners are a permutation",
    );
    disposeResult(batch);

    for (const n of [9, 10]) {
      const pair = run(n, 8, 8, 1, { seed: 4, granularity: "pair" });
      const { partners, boxes } = pair.draw;
      let selfPaired = 0;
      for (let i = 0; i < n; i++) {
        assert.equal(partners[partners[i]], i, "partners are mutual");
        assert.deepEqual(boxes[i], boxes[partners[i]], "a pair shares its box");
        if (partners[i] === i) selfPaired++;
      }
      assert.equal(selfPaired, n % 2, "only an odd batch leaves one sample paired with itself");
      disposeResult(pair);
    }

    const elem = run(32, 8, 8, 1, { seed: 5, granularity: "elem" });
    const distinct = new Set(elem.draw.boxes.map((b) => JSON.stringify(b)));
    assert.ok(distinct.size > 10, `per-sample boxes vary (${distinct.size} distinct)`);
    disposeResult(elem);
  });
});

Deno.test("cutMix: batch of one and odd batches work (a sample mixed with itself is unchanged)", () => {
  assertNoLeak(() => {
    for (const granularity of ["batch", "pair", "elem"] as const) {
      const one = run(1, 5, 5, 3, { seed: 1, granularity });
      assert.deepEqual(Array.from(one.draw.partners), [0]);
      const images = codedImages(1, 5, 5, 3);
      assert.deepEqual(one.imagesNHWC.dataSync(), images.dataSync());
      assert.deepEqual(Array.from(one.targets.dataSync()), [1, 0, 0, 0, 0]);
      tf.dispose(images);
      disposeResult(one);
      disposeResult(run(3, 5, 5, 3, { seed: 2, granularity }));
    }
  });
});

Deno.test("cutMix: borders clip the box, and λ follows the clipped area", () => {
  assertNoLeak(() => {
    let clipped = 0;
    for (let seed = 0; seed < 60; seed++) {
      const result = run(2, 10, 10, 1, { seed, granularity: "elem" });
      for (let i = 0; i < 2; i++) {
        const box = result.draw.boxes[i]!;
        assert.ok(box.y0 >= 0 && box.x0 >= 0 && box.y1 <= 10 && box.x1 <= 10);
        const side = Math.round(10 * Math.sqrt(1 - result.draw.drawnLambdas[i]));
        if (box.y1 - box.y0 < side || box.x1 - box.x0 < side) {
          clipped++;
          assert.ok(result.draw.lambdas[i] > result.draw.drawnLambdas[i] - 1e-12);
        }
      }
      disposeResult(result);
    }
    assert.ok(clipped > 10, `the border clipped ${clipped} of 120 boxes`);
  });
});

Deno.test("cutMix: correctLambda false keeps the drawn λ in the targets", () => {
  assertNoLeak(() => {
    const result = run(6, 8, 8, 1, { seed: 9, granularity: "elem", correctLambda: false });
    for (let i = 0; i < 6; i++) {
      assert.equal(result.draw.targetWeights[i], result.draw.drawnLambdas[i]);
    }
    disposeResult(result);
  });
});

Deno.test("cutMix: prob 0 leaves the batch alone; prob is per group", () => {
  assertNoLeak(() => {
    const none = run(5, 6, 6, 1, { seed: 1, prob: 0 });
    assert.ok(none.draw.modes.every((m) => m === "none"));
    const images = codedImages(5, 6, 6, 1);
    assert.deepEqual(none.imagesNHWC.dataSync(), images.dataSync());
    tf.dispose(images);
    disposeResult(none);

    // Per-sample coins: the applied fraction is ≈ prob.
    const applied: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      const r = run(100, 4, 4, 1, { seed, prob: 0.3, granularity: "elem" });
      for (const m of r.draw.modes) applied.push(m === "cutmix" ? 1 : 0);
      disposeResult(r);
    }
    const { mean } = meanAndSe(applied);
    assertWithinSixSe(mean, 0.3, Math.sqrt(0.3 * 0.7 / applied.length), "applied fraction");
  });
});

Deno.test("cutMix: label smoothing is applied before mixing; soft-row labels are accepted", () => {
  assertNoLeak(() => {
    const images = codedImages(4, 6, 6, 1);
    const labels = tf.tensor1d([0, 1, 2, 3], "int32");
    const eps = 0.1;
    const r = cutMix(images, labels, { numClasses: 4, seed: 2, labelSmoothing: eps });
    const t = r.targets.arraySync() as number[][];
    for (let i = 0; i < 4; i++) {
      const w = r.draw.targetWeights[i];
      const p = r.draw.partners[i];
      for (let k = 0; k < 4; k++) {
        const own = (k === i ? 1 - eps : 0) + eps / 4;
        const other = (k === p ? 1 - eps : 0) + eps / 4;
        assert.ok(Math.abs(t[i][k] - (w * own + (1 - w) * other)) < 1e-6);
      }
    }
    // The same draw from one-hot rows gives the same result as from indices.
    const rows = tf.tidy(() => tf.oneHot(labels, 4).toFloat());
    const r2 = cutMix(images, rows, { seed: 2, labelSmoothing: eps });
    assert.deepEqual(r2.targets.dataSync(), r.targets.dataSync());
    assert.deepEqual(r2.imagesNHWC.dataSync(), r.imagesNHWC.dataSync());
    tf.dispose([images, labels, rows, r.imagesNHWC, r.targets, r2.imagesNHWC, r2.targets]);
  });
});

Deno.test("cutMix: same seed gives the same result, different seeds differ; rng advances", () => {
  assertNoLeak(() => {
    const a = run(8, 16, 16, 3, { seed: 42, granularity: "elem" });
    const b = run(8, 16, 16, 3, { seed: 42, granularity: "elem" });
    const c = run(8, 16, 16, 3, { seed: 43, granularity: "elem" });
    assert.deepEqual(a.imagesNHWC.dataSync(), b.imagesNHWC.dataSync());
    assert.deepEqual(a.draw, b.draw);
    assert.notDeepEqual(a.draw.boxes, c.draw.boxes);
    const rng = new Random(5);
    const d = run(8, 16, 16, 3, { rng, granularity: "elem" });
    const e = run(8, 16, 16, 3, { rng, granularity: "elem" });
    assert.notDeepEqual(d.draw.boxes, e.draw.boxes, "a shared rng advances between calls");
    [a, b, c, d, e].forEach(disposeResult);
  });
});

/** Many per-sample draws from small batches (elem granularity): every draw reported. */
function manyDraws(alpha: number, total: number, extra: Partial<CutMixOptions> = {}) {
  const images = tf.zeros([250, 32, 32, 1]) as Tensor4D;
  const labels = tf.zeros([250], "int32");
  const rng = new Random(`many-${alpha}-${JSON.stringify(extra)}`);
  const drawn: number[] = [];
  const lambdas: number[] = [];
  const cy: number[] = [];
  const cx: number[] = [];
  const boxes: Box[] = [];
  for (let done = 0; done < total; done += 250) {
    const r = cutMix(images, labels as Tensor, {
      numClasses: 1,
      rng,
      alpha,
      granularity: "elem",
      ...extra,
    });
    for (let i = 0; i < 250; i++) {
      drawn.push(r.draw.drawnLambdas[i]);
      lambdas.push(r.draw.lambdas[i]);
      cy.push(r.draw.centers[i]!.y);
      cx.push(r.draw.centers[i]!.x);
      boxes.push(r.draw.boxes[i]!);
    }
    tf.dispose([r.imagesNHWC, r.targets]);
  }
  tf.dispose([images, labels]);
  return { drawn, lambdas, cy, cx, boxes };
}

Deno.test("cutMix statistics: λ ~ Beta(α, α) moments for α = 1, 0.25, 4", () => {
  assertNoLeak(() => {
    for (const alpha of [1, 0.25, 4]) {
      const { drawn } = manyDraws(alpha, 10000);
      const { mean, se } = meanAndSe(drawn);
      assertWithinSixSe(mean, 0.5, se, `mean λ for α=${alpha}`);
      const { variance, se: vse } = varianceAndSe(drawn);
      const expected = 1 / (4 * (2 * alpha + 1));
      assertWithinSixSe(variance, expected, vse, `var λ for α=${alpha}`);
    }
    // The bug this guards against (Gamma with α as a rate) gives variance 1/12 for every α.
    const { variance } = varianceAndSe(manyDraws(0.25, 2000).drawn);
    assert.ok(variance > 0.13, `α=0.25 must be U-shaped, variance ${variance}`);
  });
});

Deno.test("cutMix statistics: centres uniform over the image; box area ≈ 1 − λ before clipping", () => {
  assertNoLeak(() => {
    const { drawn, cy, cx, boxes } = manyDraws(1, 10000);
    for (const [name, values] of [["y", cy], ["x", cx]] as const) {
      const scaled = values.map((v) => v / 32);
      assert.ok(scaled.every((v) => v >= 0 && v < 1), `${name} centres inside`);
      // Each of 8 bins holds 1/8 of the centres (binomial se).
      const counts = new Array(8).fill(0);
      for (const v of scaled) counts[Math.floor(v * 8)]++;
      const se = Math.sqrt(scaled.length * (1 / 8) * (7 / 8));
      counts.forEach((count, bin) =>
        assertWithinSixSe(count, scaled.length / 8, se, `${name}-centre bin ${bin}`)
      );
    }
    // Before clipping the side is round(32·√(1−λ)): area ratio within rounding of 1 − λ.
    const diffs: number[] = [];
    for (let i = 0; i < drawn.length; i++) {
      const exact = 32 * Math.sqrt(1 - drawn[i]);
      const side = Math.round(exact);
      assert.ok(Math.abs(side - exact) <= 0.5);
      diffs.push(side * side / 1024 - (1 - drawn[i]));
      const box = boxes[i];
      assert.ok(box.y1 - box.y0 <= side && box.x1 - box.x0 <= side);
      // An unclipped box is centred on the drawn centre within half a pixel.
      if (box.y0 > 0 && box.y1 < 32) assert.equal(box.y1 - box.y0, side);
      if (box.y0 > 0 && box.y1 < 32) {
        assert.ok(Math.abs((box.y0 + box.y1) / 2 - cy[i]) <= 0.5 + 1e-9);
      }
    }
    const { mean, se } = meanAndSe(diffs);
    assertWithinSixSe(mean, 0, se, "mean(area ratio − (1 − λ)) before clipping");
  });
});

Deno.test("Table 8: Center Gaussian CutMix draws centres around the image centre", () => {
  assertNoLeak(() => {
    const { cy, cx } = manyDraws(1, 5000, { center: "gaussian", centerStd: 0.25 });
    for (const values of [cy, cx]) {
      assert.ok(values.every((v) => v >= 0 && v < 32), "truncated to the image");
      const { mean, se } = meanAndSe(values);
      assertWithinSixSe(mean, 16, se, "gaussian centre mean");
      // N(16, 8²) truncated to ±2σ has std 8·0.8796; its variance 40.37·… check via the se.
      const { variance, se: vse } = varianceAndSe(values);
      assertWithinSixSe(variance, (8 * 0.87962) ** 2, vse, "truncated gaussian variance");
      // Uniform centres would put half in the middle half; the Gaussian puts 71.5% there.
      const middle = values.filter((v) => v >= 8 && v < 24).length / values.length;
      assertWithinSixSe(middle, 0.715, Math.sqrt(0.715 * 0.285 / values.length), "middle half");
    }
  });
});

Deno.test("Table 8: Fixed-size CutMix pastes a 16×16 box (clipped at borders)", () => {
  assertNoLeak(() => {
    const result = run(40, 32, 32, 1, {
      seed: 8,
      granularity: "elem",
      fixedSize: { height: 16, width: 16 },
    });
    let interior = 0;
    for (let i = 0; i < 40; i++) {
      const box = result.draw.boxes[i]!;
      assert.ok(box.y1 - box.y0 <= 16 && box.x1 - box.x0 <= 16);
      assert.ok(Number.isNaN(result.draw.drawnLambdas[i]), "λ is not drawn for a fixed box");
      if (box.y0 > 0 && box.x0 > 0 && box.y1 < 32 && box.x1 < 32) {
        interior++;
        assert.equal(box.y1 - box.y0, 16);
        assert.equal(box.x1 - box.x0, 16);
        assert.equal(result.draw.lambdas[i], 0.75);
      }
    }
    assert.ok(interior > 0);
    disposeResult(result);
  });
});

Deno.test("Table 8: Scheduled CutMix applies with chance prob × trainingProgress", () => {
  assertNoLeak(() => {
    const at = (progress: number) => {
      const applied: number[] = [];
      for (let seed = 0; seed < 5; seed++) {
        const r = run(200, 4, 4, 1, {
          seed,
          granularity: "elem",
          probSchedule: "linear",
          trainingProgress: progress,
        });
        for (const m of r.draw.modes) applied.push(m === "cutmix" ? 1 : 0);
        assert.equal(r.draw.probability, progress);
        disposeResult(r);
      }
      return meanAndSe(applied).mean;
    };
    assert.equal(at(0), 0);
    assert.equal(at(1), 1);
    assertWithinSixSe(at(0.4), 0.4, Math.sqrt(0.24 / 1000), "applied fraction at 40%");
    const images = codedImages(2, 4, 4, 1);
    const labels = cyclicLabels(2, 2);
    assert.throws(
      () => cutMix(images, labels, { numClasses: 2, seed: 1, probSchedule: "linear" }),
      /trainingProgress/,
    );
    assert.throws(
      () =>
        cutMix(images, labels, {
          numClasses: 2,
          seed: 1,
          probSchedule: "linear",
          trainingProgress: 1.2,
        }),
      /trainingProgress must be a probability in \[0, 1\], got 1.2/,
    );
    tf.dispose([images, labels]);
  });
});

Deno.test("Table 8: One-hot CutMix targets the label of the larger area", () => {
  assertNoLeak(() => {
    let sawOwn = false;
    let sawPartner = false;
    for (let seed = 0; seed < 10; seed++) {
      const r = run(6, 8, 8, 1, { seed, granularity: "elem", target: "one-hot" });
      for (let i = 0; i < 6; i++) {
        const own = r.draw.lambdas[i] >= 0.5;
        assert.equal(r.draw.targetWeights[i], own ? 1 : 0);
        if (r.draw.partners[i] !== i) own ? (sawOwn = true) : (sawPartner = true);
      }
      disposeResult(r);
    }
    assert.ok(sawOwn && sawPartner);
  });
});

Deno.test("Table 8: Complete-label CutMix targets 0.5 / 0.5 whatever λ", () => {
  assertNoLeak(() => {
    const r = run(6, 8, 8, 1, { seed: 3, granularity: "elem", target: "complete" });
    for (let i = 0; i < 6; i++) assert.equal(r.draw.targetWeights[i], 0.5);
    const t = r.targets.arraySync() as number[][];
    for (let i = 0; i < 6; i++) {
      if (r.draw.partners[i] % 5 !== i % 5) {
        assert.ok(Math.abs(t[i][i % 5] - 0.5) < 1e-7);
      }
    }
    disposeResult(r);
  });
});

Deno.test("cutMix: minMax (timm's cutmix_minmax) bounds each side; λ from the box", () => {
  assertNoLeak(() => {
    const r = run(50, 20, 20, 1, { seed: 6, granularity: "elem", minMax: [0.2, 0.5] });
    let interior = 0;
    for (const box of r.draw.boxes) {
      assert.ok(box!.y1 - box!.y0 <= 10 && box!.x1 - box!.x0 <= 10);
      if (box!.y0 > 0 && box!.y1 < 20) {
        interior++;
        assert.ok(box!.y1 - box!.y0 >= 4);
      }
    }
    assert.ok(interior > 0);
    disposeResult(r);
  });
});

Deno.test("cutMix: bad input throws an Error naming the argument", () => {
  assertNoLeak(() => {
    const images = codedImages(3, 8, 8, 1);
    const labels = cyclicLabels(3, 4);
    const ok = { numClasses: 4, seed: 1 };
    const bad: [Partial<CutMixOptions>, RegExp][] = [
      [{ alpha: 0 }, /alpha/],
      [{ alpha: -1 }, /alpha/],
      [{ alpha: Number.NaN }, /alpha/],
      [{ alpha: Infinity }, /alpha/],
      [{ prob: 1.5 }, /prob/],
      [{ prob: -0.1 }, /prob/],
      [{ labelSmoothing: 1 }, /labelSmoothing/],
      [{ granularity: "row" as "batch" }, /granularity/],
      [{ minMax: [0.6, 0.5] }, /minMax/],
      [{ minMax: [0, 0.5] }, /minMax/],
      [{ minMax: [0.3, 0.35] }, /minMax.*no whole-pixel/],
      [{ fixedSize: { height: 9, width: 2 } }, /fixedSize/],
      [{ fixedSize: { height: 16, width: 16 }, minMax: [0.1, 0.5] }, /fixedSize and minMax/],
      [{ center: "corner" as "uniform" }, /center/],
      [{ target: "hard" as "mixed" }, /target/],
      [{ numClasses: 2 }, /labels\[2\] = 2 is not a class index in \[0, numClasses = 2\)/],
      [{ numClasses: undefined }, /numClasses is required/],
      [{ seed: undefined }, /rng.*seed/],
    ];
    for (const [override, pattern] of bad) {
      assert.throws(
        () => cutMix(images, labels, { ...ok, ...override }),
        pattern,
        `options ${JSON.stringify(override)} must throw ${pattern}`,
      );
    }
    const shortLabels = cyclicLabels(2, 4);
    assert.throws(
      () => cutMix(images, shortLabels, ok),
      /labels has 2 entries but the batch has 3/,
    );
    const floatLabels = tf.tensor1d([0, 1, 2]);
    assert.throws(() => cutMix(images, floatLabels, ok), /int32/);
    const rows = tf.tidy(() => tf.oneHot(cyclicLabels(3, 4), 4).toFloat());
    assert.throws(
      () => cutMix(images, rows, { ...ok, numClasses: 5 }),
      /4 columns but numClasses = 5/,
    );
    const unnormalised = rows.mul(2);
    assert.throws(() => cutMix(images, unnormalised, { seed: 1 }), /sums to 2/);
    const rank3 = tf.zeros([3, 8, 8]);
    assert.throws(() => cutMix(rank3 as Tensor4D, labels, ok), /imagesNHWC must be 4-D/);
    const ints = tf.zeros([3, 8, 8, 1], "int32");
    assert.throws(() => cutMix(ints as Tensor4D, labels, ok), /imagesNHWC must be float32/);
    tf.dispose([images, labels, shortLabels, floatLabels, rows, unnormalised, rank3, ints]);
  });
});
