import assert from "node:assert/strict";
import { formatDuration, ProgressDisplay } from "../../lib/training/progress.ts";
import type { TrainProgress } from "../../lib/training/loop.ts";

const p = (step: number): TrainProgress => ({
  epoch: 0,
  epochs: 2,
  step,
  stepsPerEpoch: 10,
  loss: 1.23456,
  lr: 0.25,
  imagesPerSecond: 100,
  etaSeconds: 3725,
});

const epochLine = {
  epoch: 1,
  trainLoss: 1,
  testLoss: 1,
  testTop1Error: 0.1234,
  testTop5Error: null,
  lr: 0.25,
  imagesPerSecond: 100,
  seconds: 65,
};

Deno.test("formatDuration", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Infinity), "?");
});

Deno.test("TTY: redraws one line in place, ends it before an epoch line", () => {
  let out = "";
  let now = 0;
  const display = new ProgressDisplay({ tty: true, write: (t) => (out += t), now: () => now });
  display.update(p(1));
  now += 10;
  display.update(p(2)); // within 100 ms: skipped
  now += 200;
  display.update(p(3));
  display.epoch(epochLine);
  display.close();
  assert.equal(
    out,
    "\repoch 1/2 step 1/10 loss 1.2346 lr 0.250 100.0 img/s ETA 1:02:05\x1b[K" +
      "\repoch 1/2 step 3/10 loss 1.2346 lr 0.250 100.0 img/s ETA 1:02:05\x1b[K\n" +
      "epoch 1 done: train loss 1.0000, test top-1 error 12.34%, top-5 –, 100.0 img/s, 1:05\n",
  );
});

Deno.test("not a TTY: plain lines at most every intervalSeconds", () => {
  const lines: string[] = [];
  let now = 0;
  const display = new ProgressDisplay({
    tty: false,
    write: (t) => lines.push(t),
    now: () => now,
    intervalSeconds: 5,
  });
  for (let step = 1; step <= 10; step++) {
    display.update(p(step));
    now += 2000;
  }
  // steps 1, 4, 7, 10 (at 0 s, 6 s, 12 s, 18 s)
  assert.deepEqual(lines.map((l) => l.split(" ")[3]), ["1/10", "4/10", "7/10", "10/10"]);
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("\r")));
});
