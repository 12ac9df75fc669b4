import assert from "node:assert/strict";
import { byScale, reproductionScale } from "../../lib/reports/scale.ts";

const env = (value?: string) => ({
  get: (name: string) => (name === "CUTMIX_SCALE" ? value : undefined),
});

Deno.test("reproductionScale reads CUTMIX_SCALE, defaults to cpu and rejects others", () => {
  assert.equal(reproductionScale(env()), "cpu");
  assert.equal(reproductionScale(env(" Smoke ")), "smoke");
  assert.equal(reproductionScale(env("paper")), "paper");
  assert.throws(() => reproductionScale(env("huge")), /CUTMIX_SCALE="huge" is not a scale/);
});

Deno.test("byScale picks the current scale's choice", () => {
  const choices = { smoke: 1, cpu: 30, paper: 300 };
  assert.equal(byScale(choices, "smoke"), 1);
  assert.equal(byScale(choices, "paper"), 300);
});
