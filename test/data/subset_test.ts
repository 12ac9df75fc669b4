import assert from "node:assert/strict";
import { Random } from "../../lib/random.ts";
import { balancedSubset, subsetByIndices } from "../../lib/data/subset.ts";
import { handMadeDataset } from "./fixtures.ts";

Deno.test("balancedSubset takes perClass images of every class, seeded, in source order", () => {
  const dataset = handMadeDataset(30, 3); // 10 images per class
  const subset = balancedSubset(dataset, 4, new Random(5));
  assert.equal(subset.labels.length, 12);
  assert.equal(subset.name, "hand-made[4/class]");
  const perClass = [0, 0, 0];
  for (const label of subset.labels) perClass[label]++;
  assert.deepEqual(perClass, [4, 4, 4]);
  const indices = Array.from(subset.sourceIndices);
  assert.deepEqual(indices, [...indices].sort((a, b) => a - b));
  assert.equal(new Set(indices).size, 12);
  indices.forEach((source, i) => {
    assert.equal(subset.labels[i], dataset.labels[source]);
    assert.deepEqual(
      subset.pixelsNHWC.subarray(i * 48, (i + 1) * 48),
      dataset.pixelsNHWC.subarray(source * 48, (source + 1) * 48),
    );
  });
  assert.deepEqual(balancedSubset(dataset, 4, new Random(5)).sourceIndices, subset.sourceIndices);
  assert.notDeepEqual(
    balancedSubset(dataset, 4, new Random(6)).sourceIndices,
    subset.sourceIndices,
  );
});

Deno.test("balancedSubset rejects a bad perClass, naming the value and the short class", () => {
  const dataset = handMadeDataset(7, 3); // classes of 3, 2, 2 images
  assert.throws(
    () => balancedSubset(dataset, 0, new Random(0)),
    /perClass must be a positive integer, got 0/,
  );
  assert.throws(
    () => balancedSubset(dataset, 3, new Random(0)),
    /perClass=3 but class 1 \(c1\) of hand-made has only 2 images/,
  );
});

Deno.test("subsetByIndices copies the chosen images in order and checks indices", () => {
  const dataset = handMadeDataset(5);
  const subset = subsetByIndices(dataset, [4, 4, 0]);
  assert.deepEqual(Array.from(subset.labels), [1, 1, 0]);
  assert.equal(subset.pixelsNHWC[48], 64);
  assert.equal(subset.pixelsNHWC[96], 0);
  assert.throws(
    () => subsetByIndices(dataset, [1, 9]),
    /indices\[1\] must be an integer in \[0, 5\), got 9/,
  );
});
