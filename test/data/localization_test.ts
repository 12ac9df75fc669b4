import assert from "node:assert/strict";
import type { ImageDataset } from "../../lib/data/dataset.ts";
import { makeLocalizationSet } from "../../lib/data/localization.ts";

/** 32×32 RGB images; class k's images are the constant byte 10 + 50k; image i has class i mod 3. */
function constantClasses(n: number, numClasses = 3): ImageDataset {
  const pixels = new Uint8Array(n * 3072);
  const labels = Int32Array.from({ length: n }, (_, i) => i % numClasses);
  labels.forEach((label, i) => pixels.fill(10 + 50 * label, i * 3072, (i + 1) * 3072));
  return {
    name: "constant",
    height: 32,
    width: 32,
    channels: 3,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => `k${i}`),
    pixelsNHWC: pixels,
    labels,
  };
}

/** 32×32 RGB images whose bytes all differ: (i·37 + p) mod 256. */
function patterned(n: number): ImageDataset {
  const pixels = new Uint8Array(n * 3072).map((_, q) => (Math.floor(q / 3072) * 37 + q) & 0xff);
  return { ...constantClasses(n), name: "patterned", pixelsNHWC: pixels };
}

Deno.test("at scale 1 and aspect 1 the object is pasted byte for byte inside its box", () => {
  const source = patterned(9);
  const set = makeLocalizationSet(source, {
    count: 6,
    seed: 3,
    minScale: 1,
    maxScale: 1,
    maxAspect: 1,
  });
  assert.deepEqual([set.dataset.height, set.dataset.width], [64, 64]);
  set.boxes.forEach((box, i) => {
    assert.equal(box.y1 - box.y0, 32);
    assert.equal(box.x1 - box.x0, 32);
    assert.ok(box.y0 >= 0 && box.x0 >= 0 && box.y1 <= 64 && box.x1 <= 64);
    const src = set.sourceIndices[i];
    assert.equal(set.dataset.labels[i], i % 3);
    assert.equal(source.labels[src], i % 3);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) {
          const canvas = ((i * 64 + box.y0 + y) * 64 + box.x0 + x) * 3 + c;
          assert.equal(
            set.dataset.pixelsNHWC[canvas],
            source.pixelsNHWC[src * 3072 + (y * 32 + x) * 3 + c],
          );
        }
      }
    }
  });
});

Deno.test("tiled backgrounds come only from other classes; the box holds exactly the object", () => {
  const source = constantClasses(30);
  const set = makeLocalizationSet(source, { count: 12, seed: 7 });
  set.boxes.forEach((box, i) => {
    const object = 10 + 50 * set.dataset.labels[i];
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const value = set.dataset.pixelsNHWC[((i * 64 + y) * 64 + x) * 3];
        const inside = y >= box.y0 && y < box.y1 && x >= box.x0 && x < box.x1;
        if (inside) assert.equal(value, object, `canvas ${i} (${y}, ${x}) inside`);
        else assert.notEqual(value, object, `canvas ${i} (${y}, ${x}) outside`);
      }
    }
  });
});

Deno.test("box sizes follow the scale and aspect ranges; sample i does not depend on count", () => {
  const source = patterned(30);
  const big = makeLocalizationSet(source, { count: 200, seed: 1 });
  const lo = Math.floor(32 * 0.75 / Math.sqrt(4 / 3));
  const hi = Math.ceil(32 * 1.5 * Math.sqrt(4 / 3));
  for (const box of big.boxes) {
    for (const side of [box.y1 - box.y0, box.x1 - box.x0]) {
      assert.ok(side >= lo && side <= hi, `side ${side} outside [${lo}, ${hi}]`);
    }
    assert.ok(box.y0 >= 0 && box.x0 >= 0 && box.y1 <= 64 && box.x1 <= 64);
  }
  const small = makeLocalizationSet(source, { count: 3, seed: 1 });
  assert.deepEqual(small.boxes, big.boxes.slice(0, 3));
  assert.deepEqual(small.dataset.pixelsNHWC, big.dataset.pixelsNHWC.subarray(0, 3 * 64 * 64 * 3));
  assert.match(big.provenance, /stand-in for the CUB-200-2011 \/ ImageNet boxes/);
});

Deno.test("texture backgrounds and other canvas sizes work; bad options are named", () => {
  const source = patterned(6);
  const set = makeLocalizationSet(source, {
    count: 2,
    seed: 0,
    background: "texture",
    canvasSize: 48,
  });
  assert.equal(set.dataset.pixelsNHWC.length, 2 * 48 * 48 * 3);
  assert.ok(set.boxes.every((b) => b.y1 <= 48 && b.x1 <= 48));
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, canvasSize: 16 }),
    /canvasSize must be at least the source's side 32, got 16/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, minScale: 2, maxScale: 1 }),
    /minScale must be in \(0, maxScale=1\], got 2/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, background: "sky" as "tiles" }),
    /background must be "tiles" or "texture", got "sky"/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 0, seed: 0 }),
    /count must be a positive integer, got 0/,
  );
});
