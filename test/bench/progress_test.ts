import assert from "node:assert/strict";
import { JobProgress } from "../../bench/_progress.ts";

Deno.test("JobProgress: ETA from the mean time per finished job", () => {
  let now = 1000;
  const p = new JobProgress(3, () => now);
  now += 20_000;
  assert.equal(p.tick(), "[1/3, ETA 0:40]");
  now += 40_000; // 60 s for 2 jobs: 30 s each, one left
  assert.equal(p.tick(), "[2/3, ETA 0:30]");
  now += 10_000;
  assert.equal(p.tick(), "[3/3, ETA 0:00]");
  assert.equal(p.tick(), "[3/3, ETA 0:00]"); // never past the total
  assert.throws(() => new JobProgress(-1), /total must be an integer ≥ 0, got -1/);
});
