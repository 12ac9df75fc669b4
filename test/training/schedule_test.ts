import assert from "node:assert/strict";
import { learningRate, validateSchedule } from "../../lib/training/schedule.ts";

const PAPER = { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 } as const;

Deno.test("step schedule equals the official adjust_learning_rate for every epoch", () => {
  for (const epochs of [1, 2, 3, 5, 7, 10, 300]) {
    for (let epoch = 0; epoch < epochs; epoch++) {
      // clovaai/CutMix-PyTorch: lr * 0.1 ** (epoch // (E * 0.5)) * 0.1 ** (epoch // (E * 0.75))
      const official = 0.25 * 0.1 ** Math.floor(epoch / (epochs * 0.5)) *
        0.1 ** Math.floor(epoch / (epochs * 0.75));
      const ours = learningRate(PAPER, 0.25, { epoch, step: 3, stepsPerEpoch: 10, epochs });
      assert.ok(
        Math.abs(ours - official) < 1e-15,
        `E=${epochs} e=${epoch}: ${ours} vs ${official}`,
      );
    }
  }
  const at = (epoch: number) =>
    learningRate(PAPER, 0.25, { epoch, step: 0, stepsPerEpoch: 782, epochs: 300 });
  assert.equal(at(149), 0.25);
  assert.ok(Math.abs(at(150) - 0.025) < 1e-15);
  assert.ok(Math.abs(at(225) - 0.0025) < 1e-15);
});

Deno.test("cosine schedule: base at the start, midpoint halfway, final at the end", () => {
  const cosine = { kind: "cosine", finalLr: 0.01 } as const;
  const lr = (epoch: number, step: number) =>
    learningRate(cosine, 0.21, { epoch, step, stepsPerEpoch: 4, epochs: 2 });
  assert.equal(lr(0, 0), 0.21);
  assert.ok(Math.abs(lr(1, 0) - 0.11) < 1e-12);
  assert.ok(Math.abs(lr(2, 0) - 0.01) < 1e-12);
  assert.ok(lr(0, 1) < 0.21 && lr(0, 1) > lr(0, 2));
});

Deno.test("validateSchedule names the bad field", () => {
  assert.throws(
    () => validateSchedule({ kind: "step", milestones: [0.75, 0.5], gamma: 0.1 }),
    /milestones/,
  );
  assert.throws(
    () => validateSchedule({ kind: "step", milestones: [0.5], gamma: 0 }),
    /gamma must be in \(0, 1\], got 0/,
  );
  assert.throws(() => validateSchedule({ kind: "cosine", finalLr: -1 }), /finalLr .* got -1/);
  assert.throws(
    () => validateSchedule({ kind: "linear" } as never),
    /kind must be "step" or "cosine", got "linear"/,
  );
});
