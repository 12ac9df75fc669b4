import assert from "node:assert/strict";
import { median } from "../../bench/stats.ts";

Deno.test("median: odd and even counts, unsorted input left untouched, empty is NaN", () => {
  const values = [5, 1, 3];
  assert.equal(median(values), 3);
  assert.deepEqual(values, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});
