import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { Random } from "../../lib/random.ts";
import { evaluateOod, maxSoftmaxProbability, oodMetrics } from "../../lib/metrics/ood.ts";

const IN = [0.9, 0.8, 0.7, 0.6];
const OUT = [0.75, 0.5, 0.6];

function close(actual: number, expected: number, tol = 1e-12) {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);
}

Deno.test("oodMetrics: a hand-computed example with a tie", () => {
  const m = oodMetrics(IN, OUT);
  assert.equal(m.inCount, 4);
  assert.equal(m.outCount, 3);
  // Wins of each in-score over the out-scores: 3, 3, 2, 1 + ½ (0.6 = 0.6) → 9.5 of 12.
  close(m.auroc, 9.5 / 12);
  // Thresholds 0.9, 0.8, 0.75, 0.7, 0.6, 0.5 give ½(TPR + TNR) = .625, .75, .583, .708, .667, .5.
  close(m.detectionAccuracy, 0.75);
  // TPR first reaches 0.95 at t = 0.6, where 2 of 3 out-scores are ≥ t.
  close(m.tnrAtTpr95, 1 / 3);
  // AP(in) = .25·1 + .25·1 + .25·(3/4) + .25·(4/6).
  close(m.auprIn, 0.25 + 0.25 + 0.1875 + 0.25 * (4 / 6));
  // AP(out), scores negated: 1/3·1 + 1/3·(2/3) + 1/3·(3/5).
  close(m.auprOut, 34 / 45);
  close(oodMetrics(IN, OUT, { tpr: 0.5 }).tnrAtTpr95, 1); // t = 0.8
});

Deno.test("oodMetrics: separable, reversed and all-tied scores", () => {
  const perfect = oodMetrics([0.9, 0.8], [0.1, 0.2, 0.3]);
  assert.deepEqual(
    [perfect.auroc, perfect.detectionAccuracy, perfect.tnrAtTpr95, perfect.auprIn, perfect.auprOut],
    [1, 1, 1, 1, 1],
  );
  const reversed = oodMetrics([0.1, 0.2], [0.8, 0.9]);
  assert.equal(reversed.auroc, 0);
  assert.equal(reversed.detectionAccuracy, 0.5); // t = +∞ or −∞: ½(0 + 1) = ½(1 + 0)
  assert.equal(reversed.tnrAtTpr95, 0);
  const tied = oodMetrics([0.5, 0.5, 0.5], [0.5, 0.5]);
  assert.equal(tied.auroc, 0.5);
  assert.equal(tied.detectionAccuracy, 0.5);
  assert.equal(tied.auprIn, 3 / 5);
  assert.equal(tied.auprOut, 2 / 5);
  assert.throws(() => oodMetrics([], [1]), /inScores must not be empty/);
  assert.throws(() => oodMetrics([1], [NaN]), /NaN at negative\[0\]/);
});

Deno.test("oodMetrics: AUROC equals the brute-force Mann–Whitney count with many ties", () => {
  const rng = new Random(11);
  const inScores = Array.from({ length: 300 }, () => rng.int(20) + 5);
  const outScores = Array.from({ length: 200 }, () => rng.int(20));
  let wins = 0;
  for (const a of inScores) for (const b of outScores) wins += a > b ? 1 : a === b ? 0.5 : 0;
  const m = oodMetrics(inScores, outScores);
  close(m.auroc, wins / (300 * 200));
  // Brute-force detection accuracy and TNR at TPR 95% over every candidate threshold.
  let best = 0.5, tnrAt95 = NaN;
  const thresholds = [...new Set([...inScores, ...outScores])].sort((a, b) => b - a);
  for (const t of thresholds) {
    const tpr = inScores.filter((s) => s >= t).length / 300;
    const tnr = outScores.filter((s) => s < t).length / 200;
    best = Math.max(best, 0.5 * (tpr + tnr));
    if (Number.isNaN(tnrAt95) && tpr >= 0.95) tnrAt95 = tnr;
  }
  close(m.detectionAccuracy, best);
  close(m.tnrAtTpr95, tnrAt95);
});

Deno.test("evaluateOod: a fixed-logit model gives the metrics of its softmax scores", async () => {
  const before = tf.memory().numTensors;
  // logits = [4·p, 0] for pixel value p: MSP = sigmoid(4p) is increasing in p ≥ 0, so the
  // metrics equal those of the pixel values themselves (ties preserved).
  const model = (x: Tensor4D) =>
    tf.tidy(() => {
      const p = tf.reshape(x, [x.shape[0], 1]);
      return tf.concat([tf.mul(p, 4), tf.zerosLike(p)], 1) as Tensor2D;
    });
  const inImages = tf.tensor4d(IN, [4, 1, 1, 1]);
  const outImages = tf.tensor4d(OUT, [3, 1, 1, 1]);
  const logits = model(inImages);
  const msp = maxSoftmaxProbability(logits);
  const expected = IN.map((p) => 1 / (1 + Math.exp(-4 * p)));
  msp.dataSync().forEach((v, i) => close(v, expected[i], 1e-6));
  const m = await evaluateOod(model, [{ imagesNHWC: inImages }], [{ imagesNHWC: outImages }]);
  close(m.auroc, 9.5 / 12);
  close(m.detectionAccuracy, 0.75);
  close(m.tnrAtTpr95, 1 / 3);
  tf.dispose([inImages, outImages, logits, msp]);
  assert.equal(tf.memory().numTensors, before);
});
