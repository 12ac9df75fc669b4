import assert from "node:assert/strict";
import { byScale, parseScale } from "../../lib/experiments/scale.ts";

Deno.test("parseScale defaults to cpu, ignores case and blanks, names a bad value's source", () => {
  assert.equal(parseScale(undefined), "cpu");
  assert.equal(parseScale(" Smoke "), "smoke");
  assert.equal(parseScale("paper"), "paper");
  assert.throws(() => parseScale("huge", "CUTMIX_SCALE"), /CUTMIX_SCALE="huge" is not a scale/);
});

Deno.test("byScale picks the given scale's choice", () => {
  const choices = { smoke: 1, cpu: 30, paper: 300 };
  assert.equal(byScale(choices, "smoke"), 1);
  assert.equal(byScale(choices, "paper"), 300);
});
