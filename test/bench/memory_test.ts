import assert from "node:assert/strict";
import { epochSteps } from "../../bench/_sections/memory.ts";

Deno.test("epochSteps: CIFAR-10's 50,000 images in whole batches, the last one short", () => {
  assert.equal(epochSteps(128), 391);
  assert.equal(epochSteps(64), 782);
  assert.equal(epochSteps(100, 1000), 10);
});
