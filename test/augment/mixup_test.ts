import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { type MixResult, mixUp, toSoftTargets } from "../../lib/augment/mod.ts";
// Not public: it takes labels already read by the private checkLabels.
import { targetsFromLabels } from "../../lib/augment/targets.ts";
import { checkLabels } from "../../lib/_validate.ts";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import {
  assertNoLeak,
  assertWithinSixSe,
  codedImages,
  cyclicLabels,
  meanAndSe,
  varianceAndSe,
} from "./helpers.ts";

/** Checks x̃ = λ·x + (1 − λ)·x_B and ỹ = λ·y + (1 − λ)·y_B against the draw. */
function checkMixUp(images: Tensor4D, labels: ArrayLike<number>, k: number, r: MixResult) {
  const [n, h, w, c] = images.shape;
  const size = h * w * c;
  const input = images.dataSync();
  const output = r.imagesNHWC.dataSync();
  const targets = r.targets.arraySync() as number[][];
  for (let i = 0; i < n; i++) {
    const lambda = r.draw.lambdas[i];
    const p = r.draw.partners[i];
    assert.equal(r.draw.boxes[i], null);
    for (let j = 0; j < size; j++) {
      const want = lambda * input[i * size + j] + (1 - lambda) * input[p * size + j];
      assert.ok(
        Math.abs(output[i * size + j] - want) <= 1e-6 * Math.max(1, Math.abs(want)),
        `sample ${i} value ${j}: ${output[i * size + j]} vs ${want}`,
      );
    }
    const expected = new Array(k).fill(0);
    expected[labels[i]] += lambda;
    expected[labels[p]] += 1 - lambda;
    for (let j = 0; j < k; j++) assert.ok(Math.abs(targets[i][j] - expected[j]) < 1e-6);
  }
}

Deno.test("mixUp: blends images and labels with λ, per batch / pair / elem", () => {
  assertNoLeak(() => {
    for (const granularity of ["batch", "pair", "elem"] as const) {
      for (const n of [1, 5, 8]) {
        const images = codedImages(n, 4, 3, 2);
        const labels = cyclicLabels(n, 3);
        const before = tf.memory().numTensors;
        const r = mixUp(images, labels, { numClasses: 3, seed: n, granularity });
        assert.equal(tf.memory().numTensors, before + 2);
        checkMixUp(images, labels.dataSync(), 3, r);
        if (granularity === "batch") {
          assert.ok(r.draw.lambdas.every((l) => l === r.draw.lambdas[0]));
        }
        if (granularity === "pair") {
          for (let i = 0; i < n; i++) assert.equal(r.draw.partners[r.draw.partners[i]], i);
        }
        tf.dispose([images, labels, r.imagesNHWC, r.targets]);
      }
    }
  });
});

Deno.test("mixUp: prob 0 is the identity; same seed same draw; λ moments", () => {
  assertNoLeak(() => {
    const images = codedImages(4, 3, 3, 1);
    const labels = cyclicLabels(4, 2);
    const r = mixUp(images, labels, { numClasses: 2, seed: 1, prob: 0 });
    assert.deepEqual(r.imagesNHWC.dataSync(), images.dataSync());
    const a = mixUp(images, labels, { numClasses: 2, seed: 9, granularity: "elem" });
    const b = mixUp(images, labels, { numClasses: 2, seed: 9, granularity: "elem" });
    assert.deepEqual(a.draw, b.draw);
    assert.deepEqual(a.imagesNHWC.dataSync(), b.imagesNHWC.dataSync());
    tf.dispose([
      images,
      labels,
      r.imagesNHWC,
      r.targets,
      a.imagesNHWC,
      a.targets,
      b.imagesNHWC,
      b.targets,
    ]);

    const big = tf.zeros([500, 1, 1, 1]) as Tensor4D;
    const bigLabels = tf.zeros([500], "int32");
    const lambdas: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      const m = mixUp(big, bigLabels, { numClasses: 2, seed, alpha: 0.2, granularity: "elem" });
      lambdas.push(...m.draw.lambdas);
      tf.dispose([m.imagesNHWC, m.targets]);
    }
    const { mean, se } = meanAndSe(lambdas);
    assertWithinSixSe(mean, 0.5, se, "mean λ, α = 0.2");
    const { variance, se: vse } = varianceAndSe(lambdas);
    assertWithinSixSe(variance, 1 / (4 * 1.4), vse, "var λ, α = 0.2");
    tf.dispose([big, bigLabels]);
  });
});

Deno.test("mixUp: bad α and prob are named", () => {
  assertNoLeak(() => {
    const images = codedImages(2, 2, 2, 1);
    const labels = cyclicLabels(2, 2);
    assert.throws(() => mixUp(images, labels, { numClasses: 2, seed: 1, alpha: 0 }), /alpha/);
    assert.throws(() => mixUp(images, labels, { numClasses: 2, seed: 1, prob: 2 }), /prob/);
    tf.dispose([images, labels]);
  });
});

Deno.test("toSoftTargets and targetsFromLabels agree on smoothed one-hot rows", () => {
  assertNoLeak(() => {
    const labels = tf.tensor1d([0, 2, 1], "int32");
    const viaTensors = toSoftTargets(labels, 3, 0.3);
    const viaJs = targetsFromLabels(checkLabels(labels, 3, 3), 0.3);
    const want = [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]].flat();
    for (const t of [viaTensors, viaJs]) {
      Array.from(t.dataSync()).forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-6));
    }
    const mixed = targetsFromLabels(
      checkLabels(labels, 3, 3),
      0,
      new Int32Array([1, 0, 2]),
      new Float64Array([0.75, 0.5, 0.2]),
    );
    assert.deepEqual(
      Array.from(mixed.dataSync()),
      [0.75, 0, 0.25, 0.5, 0, 0.5, 0, 1, 0].map((v) => Math.fround(v)),
    );
    tf.dispose([labels, viaTensors, viaJs, mixed]);
  });
});
