import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { mixUpOrCutMix } from "../../lib/augment/mod.ts";
import { assertNoLeak, assertWithinSixSe, codedImages, cyclicLabels } from "./helpers.ts";

Deno.test("mixUpOrCutMix: each sample follows its own mode exactly (elem)", () => {
  assertNoLeak(() => {
    const n = 12;
    const [h, w, c] = [6, 5, 2];
    const images = codedImages(n, h, w, c);
    const labels = cyclicLabels(n, 4);
    const r = mixUpOrCutMix(images, labels, {
      numClasses: 4,
      seed: 21,
      granularity: "elem",
      switchProb: 0.5,
      prob: 0.8,
    });
    const modes = new Set(r.draw.modes);
    assert.ok(modes.has("cutmix") && modes.has("mixup"), `modes: ${[...modes]}`);
    const x = images.dataSync();
    const out = r.imagesNHWC.dataSync();
    const size = h * w * c;
    for (let i = 0; i < n; i++) {
      const p = r.draw.partners[i];
      const box = r.draw.boxes[i];
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          for (let k = 0; k < c; k++) {
            const j = (y * w + xx) * c + k;
            const got = out[i * size + j];
            const own = x[i * size + j];
            const other = x[p * size + j];
            if (r.draw.modes[i] === "cutmix") {
              const inside = y >= box!.y0 && y < box!.y1 && xx >= box!.x0 && xx < box!.x1;
              assert.equal(got, inside ? other : own);
            } else if (r.draw.modes[i] === "mixup") {
              const l = r.draw.lambdas[i];
              assert.ok(Math.abs(got - (l * own + (1 - l) * other)) <= 1e-6 * Math.max(1, own));
            } else {
              assert.equal(got, own);
            }
          }
        }
      }
    }
    tf.dispose([images, labels, r.imagesNHWC, r.targets]);
  });
});

Deno.test("mixUpOrCutMix: switchProb picks CutMix with that chance", () => {
  assertNoLeak(() => {
    const images = tf.zeros([400, 4, 4, 1]);
    const labels = tf.zeros([400], "int32");
    for (const [switchProb, expected] of [[0, 0], [1, 1], [0.3, 0.3]]) {
      const r = mixUpOrCutMix(images as never, labels, {
        numClasses: 2,
        seed: 5,
        switchProb,
        granularity: "elem",
      });
      const cut = r.draw.modes.filter((m) => m === "cutmix").length / 400;
      if (expected === 0 || expected === 1) assert.equal(cut, expected);
      else {assertWithinSixSe(
          cut,
          expected,
          Math.sqrt(expected * (1 - expected) / 400),
          "cut share",
        );}
      tf.dispose([r.imagesNHWC, r.targets]);
    }
    // Batch granularity: one mode for the whole batch.
    const r = mixUpOrCutMix(images as never, labels, { numClasses: 2, seed: 6 });
    assert.equal(new Set(r.draw.modes).size, 1);
    tf.dispose([images, labels, r.imagesNHWC, r.targets]);
  });
});

Deno.test("mixUpOrCutMix: bad switch options are named", () => {
  assertNoLeak(() => {
    const images = codedImages(2, 4, 4, 1);
    const labels = cyclicLabels(2, 2);
    const base = { numClasses: 2, seed: 1 };
    assert.throws(() => mixUpOrCutMix(images, labels, { ...base, switchProb: -1 }), /switchProb/);
    assert.throws(() => mixUpOrCutMix(images, labels, { ...base, mixupAlpha: 0 }), /mixupAlpha/);
    assert.throws(() => mixUpOrCutMix(images, labels, { ...base, cutmixAlpha: -2 }), /cutmixAlpha/);
    tf.dispose([images, labels]);
  });
});
