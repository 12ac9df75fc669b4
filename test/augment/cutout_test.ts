import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { cutout } from "../../lib/augment/mod.ts";
import { assertNoLeak, codedImages, cyclicLabels } from "./helpers.ts";

Deno.test("cutout: holes are filled, everything else untouched, labels unmixed", () => {
  assertNoLeak(() => {
    const [n, h, w, c] = [6, 10, 9, 3];
    const images = codedImages(n, h, w, c);
    const labels = cyclicLabels(n, 4);
    for (const [holes, fill] of [[1, 0], [2, [0.25, 0.5, 0.75]], [3, -1]] as const) {
      const before = tf.memory().numTensors;
      const r = cutout(images, labels, { numClasses: 4, seed: 3, size: 4, holes, fill });
      assert.equal(tf.memory().numTensors, before + 2);
      const x = images.dataSync();
      const out = r.imagesNHWC.dataSync();
      for (let i = 0; i < n; i++) {
        assert.equal(r.draw.holes[i].length, holes);
        let kept = 0;
        for (let y = 0; y < h; y++) {
          for (let xx = 0; xx < w; xx++) {
            const inside = r.draw.holes[i].some((b) =>
              y >= b.y0 && y < b.y1 && xx >= b.x0 && xx < b.x1
            );
            if (!inside) kept++;
            for (let k = 0; k < c; k++) {
              const at = ((i * h + y) * w + xx) * c + k;
              const want = inside ? (typeof fill === "number" ? fill : fill[k]) : x[at];
              assert.equal(out[at], want);
            }
          }
        }
        assert.equal(r.draw.keptFractions[i], kept / (h * w));
        for (const b of r.draw.holes[i]) {
          assert.ok(b.y1 - b.y0 <= 4 && b.x1 - b.x0 <= 4 && b.y0 >= 0 && b.y1 <= h);
        }
      }
      const t = r.targets.arraySync() as number[][];
      for (let i = 0; i < n; i++) assert.equal(t[i][i % 4], 1);
      tf.dispose([r.imagesNHWC, r.targets]);
    }
    tf.dispose([images, labels]);
  });
});

Deno.test("cutout: prob 0 is the identity; seeds repeat; bad options are named", () => {
  assertNoLeak(() => {
    const images = codedImages(3, 8, 8, 3);
    const labels = cyclicLabels(3, 3);
    const r = cutout(images, labels, { numClasses: 3, seed: 1, prob: 0, size: 4 });
    assert.deepEqual(r.imagesNHWC.dataSync(), images.dataSync());
    assert.deepEqual(r.draw.applied, [false, false, false]);
    const a = cutout(images, labels, { numClasses: 3, seed: 4, size: 3 });
    const b = cutout(images, labels, { numClasses: 3, seed: 4, size: 3 });
    assert.deepEqual(a.draw, b.draw);
    const base = { numClasses: 3, seed: 1, size: 4 };
    assert.throws(() => cutout(images, labels, { ...base, size: 9 }), /fixedSize 9×9 does not fit/);
    assert.throws(() => cutout(images, labels, { ...base, size: 0 }), /whole pixels/);
    assert.throws(() => cutout(images, labels, { ...base, holes: -1 }), /holes/);
    assert.throws(() => cutout(images, labels, { ...base, fill: [0, 0] }), /fill must be/);
    assert.throws(() => cutout(images, labels, { ...base, prob: 3 }), /prob/);
    tf.dispose([
      images,
      labels,
      r.imagesNHWC,
      r.targets,
      a.imagesNHWC,
      a.targets,
      b.imagesNHWC,
      b.targets,
    ]);
  });
});
