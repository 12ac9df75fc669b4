import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import {
  evaluateTopKErrors,
  topKCorrect,
  topKErrorCount,
  topKErrorRate,
} from "../../lib/metrics/classification.ts";
import { sliceBatches } from "../../lib/metrics/types.ts";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";

// Six classes; label ranks chosen by hand.
const LOGITS = [
  [9, 8, 7, 6, 5, 4], // label 0: rank 0
  [9, 8, 7, 6, 5, 4], // label 4: rank 4 (in top 5, not top 1)
  [9, 8, 7, 6, 5, 4], // label 5: rank 5 (not in top 5)
  [1, 1, 1, 1, 1, 1], // label 0: all tied → rank 0 (ties go to the lower index)
  [1, 1, 1, 1, 1, 1], // label 5: all tied → rank 5
  [0, 2, 2, 0, 0, 0], // label 2: one tie before it → rank 1
];
const LABELS = new Int32Array([0, 4, 5, 0, 5, 2]);

Deno.test("topKCorrect: hand-made ranks with ties to the lower index", () => {
  const before = tf.memory().numTensors;
  const logits = tf.tensor2d(LOGITS);
  const top1 = topKCorrect(logits, LABELS, 1);
  const top2 = topKCorrect(logits, LABELS, 2);
  const top5 = topKCorrect(logits, LABELS, 5);
  assert.deepEqual(Array.from(top1.dataSync()), [1, 0, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(top2.dataSync()), [1, 0, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(top5.dataSync()), [1, 1, 0, 1, 0, 1]);
  assert.equal(topKErrorCount(logits, LABELS, 1), 4);
  assert.equal(topKErrorRate(logits, LABELS, 5), 2 / 6);
  assert.equal(topKErrorRate(logits, LABELS, 6), 0);
  tf.dispose([logits, top1, top2, top5]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("topKCorrect: agrees with tf.topk's tie order on random integer logits", () => {
  const before = tf.memory().numTensors;
  // Small integer logits make many ties.
  const values: number[][] = [];
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) % 4;
  for (let i = 0; i < 64; i++) values.push(Array.from({ length: 10 }, next));
  const labels = new Int32Array(64).map(() => next() * 2 + (next() % 2));
  const logits = tf.tensor2d(values);
  for (const k of [1, 3, 5]) {
    const correct = topKCorrect(logits, labels, k);
    const { values: topValues, indices } = tf.topk(logits, k);
    const topIdx = indices.arraySync() as number[][];
    const expected = topIdx.map((row, i) => (row.includes(labels[i]) ? 1 : 0));
    assert.deepEqual(Array.from(correct.dataSync()), expected);
    tf.dispose([correct, topValues, indices]);
  }
  logits.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("topKCorrect: a NaN anywhere in a row is an error; labels are validated", () => {
  const before = tf.memory().numTensors;
  const logits = tf.tensor2d([[5, NaN, 0], [NaN, 1, 2], [1, 2, 3]]);
  const correct = topKCorrect(logits, new Int32Array([0, 0, 2]), 3);
  assert.deepEqual(Array.from(correct.dataSync()), [0, 0, 1]);
  assert.throws(() => topKCorrect(logits, new Int32Array([0, 3, 0]), 1), /labels\[1\].*got 3/);
  assert.throws(() => topKCorrect(logits, new Int32Array([0, 1]), 1), /length 3.*got 2/);
  assert.throws(() => topKCorrect(logits, new Int32Array([0, 1, 2]), 4), /k must be.*got 4/);
  tf.dispose([logits, correct]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluateTopKErrors: batches through a fixed-logit model", async () => {
  const before = tf.memory().numTensors;
  // Image i holds the value i everywhere; the model looks up row i of LOGITS.
  const images = tf.tidy(() => tf.range(0, 6).reshape([6, 1, 1, 1]).tile([1, 2, 2, 3])) as Tensor4D;
  const table = tf.tensor2d(LOGITS);
  const model = (x: Tensor4D) =>
    tf.tidy(() => {
      const index = tf.cast(x.slice([0, 0, 0, 0], [-1, 1, 1, 1]).reshape([-1]), "int32");
      return tf.gather(table, index) as Tensor2D;
    });
  const result = await evaluateTopKErrors(model, sliceBatches(images, LABELS, 4), {
    ks: [1, 5],
  });
  assert.equal(result.count, 6);
  assert.equal(result.errors[1], 4 / 6);
  assert.equal(result.errors[5], 2 / 6);
  await assert.rejects(() => evaluateTopKErrors(model, [], {}), /at least one image/);
  tf.dispose([images, table]);
  assert.equal(tf.memory().numTensors, before);
});
