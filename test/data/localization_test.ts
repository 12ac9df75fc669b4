import assert from "node:assert/strict";
import type { ImageDataset } from "../../lib/data/dataset.ts";
import { LOCALIZATION_DEFAULTS, makeLocalizationSet } from "../../lib/data/localization.ts";

const SIDE = 32;
const BYTES = SIDE * SIDE * 3;

/** 32×32 RGB images of `numClasses` classes (image i has class i mod numClasses), bytes from `fill`. */
function dataset(
  n: number,
  fill: (image: number, y: number, x: number, c: number) => number,
  numClasses = 3,
): ImageDataset {
  const pixels = new Uint8Array(n * BYTES);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        for (let c = 0; c < 3; c++) pixels[i * BYTES + (y * SIDE + x) * 3 + c] = fill(i, y, x, c);
      }
    }
  }
  return {
    name: "hand-made",
    height: SIDE,
    width: SIDE,
    channels: 3,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, k) => `k${k}`),
    pixelsNHWC: pixels,
    labels: Int32Array.from({ length: n }, (_, i) => i % numClasses),
  };
}

const canvasByte = (
  set: ReturnType<typeof makeLocalizationSet>,
  i: number,
  y: number,
  x: number,
  c: number,
) => set.dataset.pixelsNHWC[i * BYTES + (y * SIDE + x) * 3 + c];

Deno.test("at scale 1 and aspect 1 the canvas is the source image, byte for byte", () => {
  const source = dataset(9, (i, y, x, c) => (i * 37 + y * 7 + x * 3 + c) & 0xff);
  const set = makeLocalizationSet(source, {
    count: 6,
    seed: 3,
    minScale: 1,
    maxScale: 1,
    maxAspect: 1,
  });
  assert.deepEqual([set.dataset.height, set.dataset.width, set.dataset.channels], [32, 32, 3]);
  set.boxes.forEach((box, i) => {
    assert.deepEqual(box, { y0: 0, x0: 0, y1: 32, x1: 32 });
    const src = set.sourceIndices[i];
    assert.deepEqual(
      set.dataset.pixelsNHWC.subarray(i * BYTES, (i + 1) * BYTES),
      source.pixelsNHWC.subarray(src * BYTES, (src + 1) * BYTES),
    );
  });
});

Deno.test("at scale 1/2 each object pixel is the mean of its 2×2 source block", () => {
  // 100 + 40·(y odd) + 20·(x odd) + c: every 2×2 block averages to 100 + 20 + 10 + c = 130 + c.
  const source = dataset(3, (_, y, x, c) => 100 + 40 * (y % 2) + 20 * (x % 2) + c);
  const set = makeLocalizationSet(source, {
    count: 5,
    seed: 11,
    minScale: 0.5,
    maxScale: 0.5,
    maxAspect: 1,
  });
  set.boxes.forEach((box, i) => {
    assert.deepEqual([box.y1 - box.y0, box.x1 - box.x0], [16, 16]);
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        for (let c = 0; c < 3; c++) assert.equal(canvasByte(set, i, y, x, c), 130 + c);
      }
    }
  });
});

Deno.test("area resampling keeps a constant object constant and an image's mean", () => {
  const flat = makeLocalizationSet(dataset(3, () => 77), { count: 30, seed: 5 });
  flat.boxes.forEach((box, i) => {
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) assert.equal(canvasByte(flat, i, y, x, 0), 77);
    }
  });
  // A vertical ramp 0, 8, …, 248: any area-resampled copy has the same mean (up to rounding).
  const ramp = makeLocalizationSet(dataset(3, (_, y) => 8 * y), { count: 30, seed: 5 });
  ramp.boxes.forEach((box, i) => {
    let sum = 0;
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) sum += canvasByte(ramp, i, y, x, 0);
    }
    const mean = sum / ((box.y1 - box.y0) * (box.x1 - box.x0));
    assert.ok(Math.abs(mean - 124) <= 0.5, `canvas ${i}: mean ${mean}, source mean 124`);
  });
});

Deno.test("the true box is exactly the pixels the object decides; the background ignores it", () => {
  // Two sources that differ only in their pixels (0 vs 255): same draws, so every canvas pixel
  // that differs between the two sets is an object pixel, and every object pixel differs.
  const options = { count: 40, seed: 9, background: "random-field" } as const;
  const dark = makeLocalizationSet(dataset(30, () => 0), options);
  const light = makeLocalizationSet(dataset(30, () => 255), options);
  assert.deepEqual(dark.boxes, light.boxes);
  dark.boxes.forEach((box, i) => {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const inside = y >= box.y0 && y < box.y1 && x >= box.x0 && x < box.x1;
        for (let c = 0; c < 3; c++) {
          const [a, b] = [canvasByte(dark, i, y, x, c), canvasByte(light, i, y, x, c)];
          if (inside) assert.deepEqual([a, b], [0, 255], `canvas ${i} (${y}, ${x}) inside`);
          else assert.equal(a, b, `canvas ${i} (${y}, ${x}) outside`);
        }
      }
    }
  });
});

Deno.test("a random field is smooth: neighbours differ by the noise and the gradient only", () => {
  // Tiny objects leave most of the canvas to the background. A 4×4 grid upsampled to 32 moves by
  // at most 255/8 per pixel, and the noise adds at most 2·8 between neighbours.
  const set = makeLocalizationSet(dataset(3, () => 0), {
    count: 20,
    seed: 2,
    minScale: 1 / 32,
    maxScale: 1 / 32,
    maxAspect: 1,
    background: "random-field",
  });
  let spread = 0;
  set.boxes.forEach((box, i) => {
    const values: number[] = [];
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x + 1 < SIDE; x++) {
        if (y >= box.y0 && y < box.y1 && x + 1 >= box.x0 && x < box.x1) continue;
        const step = Math.abs(canvasByte(set, i, y, x, 0) - canvasByte(set, i, y, x + 1, 0));
        assert.ok(step <= Math.ceil(255 / 8) + 16, `canvas ${i} (${y}, ${x}): step ${step}`);
        values.push(canvasByte(set, i, y, x, 0));
      }
    }
    spread += Math.max(...values) - Math.min(...values);
  });
  assert.ok(spread / set.boxes.length > 64, `mean spread ${spread / set.boxes.length}: not flat`);
});

Deno.test("flat and pixel-field backgrounds: the mean colour, source pixels; the same boxes", () => {
  // Channel c is 40 + 80c on image 0 and 60 + 80c on the other five: the mean colour is
  // (40 + 5 · 60) / 6 + 80c, rounded.
  const source = dataset(6, (i, _y, _x, c) => (i === 0 ? 40 : 60) + 80 * c);
  const mean = [0, 1, 2].map((c) => Math.round((40 + 5 * 60) / 6 + 80 * c));
  const flat = makeLocalizationSet(source, { count: 12, seed: 6, background: "flat" });
  const pixel = makeLocalizationSet(source, { count: 12, seed: 6, background: "pixel-field" });
  const random = makeLocalizationSet(source, { count: 12, seed: 6, background: "random-field" });
  assert.deepEqual(flat.boxes, pixel.boxes);
  assert.deepEqual(flat.boxes, random.boxes);
  let randomFar = 0;
  flat.boxes.forEach((box, i) => {
    const object = source.pixelsNHWC[flat.sourceIndices[i] * BYTES];
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        if (y >= box.y0 && y < box.y1 && x >= box.x0 && x < box.x1) {
          assert.equal(canvasByte(flat, i, y, x, 0), object);
          continue;
        }
        for (let c = 0; c < 3; c++) {
          const f = canvasByte(flat, i, y, x, c);
          assert.ok(Math.abs(f - mean[c]) <= 8, `flat ${i} (${y}, ${x}, ${c}): ${f}`);
          // A field of source pixels stays within the source's colours (40…60 + 80c) ± noise.
          const p = canvasByte(pixel, i, y, x, c);
          assert.ok(
            p >= 40 + 80 * c - 8 && p <= 60 + 80 * c + 8,
            `pixel ${i} (${y}, ${x}, ${c}): ${p}`,
          );
          if (Math.abs(canvasByte(random, i, y, x, c) - mean[c]) > 30) randomFar++;
        }
      }
    }
  });
  assert.ok(randomFar > 1000, `random field far from the mean only ${randomFar} times`);
  assert.match(flat.provenance, /on the source's mean colour with ±8\/255 noise/);
});

Deno.test("classes are balanced, objects do not repeat, and sample i does not depend on count", () => {
  const source = dataset(60, (i) => i, 10); // 6 images per class
  const big = makeLocalizationSet(source, { count: 60, seed: 1 });
  assert.deepEqual([...big.dataset.labels], Array.from({ length: 60 }, (_, i) => i % 10));
  big.sourceIndices.forEach((src, i) => assert.equal(source.labels[src], i % 10));
  assert.equal(new Set(big.sourceIndices).size, 60); // each class's 6 images once each
  const small = makeLocalizationSet(source, { count: 7, seed: 1 });
  assert.deepEqual(small.boxes, big.boxes.slice(0, 7));
  assert.deepEqual(small.sourceIndices, big.sourceIndices.subarray(0, 7));
  assert.deepEqual(small.dataset.pixelsNHWC, big.dataset.pixelsNHWC.subarray(0, 7 * BYTES));
  const other = makeLocalizationSet(source, { count: 7, seed: 2 });
  assert.notDeepEqual(other.boxes, small.boxes);
  assert.match(big.provenance, /stand-in for the CUB-200-2011 \/ ImageNet boxes/);
  assert.match(big.provenance, /60 32×32 canvases/);
});

Deno.test("box sides follow the scale and aspect ranges and never exceed the source's", () => {
  const source = dataset(30, () => 0);
  const set = makeLocalizationSet(source, { count: 500, seed: 4 });
  const { minScale, maxScale, maxAspect } = LOCALIZATION_DEFAULTS;
  const lo = Math.floor(32 * minScale / Math.sqrt(maxAspect));
  const hi = Math.min(32, Math.ceil(32 * maxScale * Math.sqrt(maxAspect)));
  let sawTall = false, sawWide = false;
  for (const box of set.boxes) {
    const [h, w] = [box.y1 - box.y0, box.x1 - box.x0];
    for (const side of [h, w]) assert.ok(side >= lo && side <= hi, `side ${side} ∉ [${lo}, ${hi}]`);
    const area = h * w / 1024;
    assert.ok(area >= (minScale - 0.05) ** 2 && area <= (maxScale + 0.05) ** 2, `area ${area}`);
    assert.ok(box.y0 >= 0 && box.x0 >= 0 && box.y1 <= 32 && box.x1 <= 32);
    sawTall ||= h > w;
    sawWide ||= w > h;
  }
  assert.ok(sawTall && sawWide);
  const square = makeLocalizationSet(source, { count: 50, seed: 4, maxAspect: 1, maxScale: 1 });
  assert.ok(square.boxes.every((b) => b.y1 - b.y0 === b.x1 - b.x0));
});

Deno.test("bad options and sources are named", () => {
  const source = dataset(6, () => 0);
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, maxScale: 1 }),
    /maxScale · √maxAspect must be at most 1 .*got maxScale 1 with maxAspect 1.333/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, minScale: 0.8, maxScale: 0.6 }),
    /minScale must be in \(0, maxScale=0.6\], got 0.8/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, maxAspect: 0.5 }),
    /maxAspect must be a finite number >= 1, got 0.5/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 1, seed: 0, background: "sky" as "flat" }),
    /background must be one of random-field, pixel-field, flat, got "sky"/,
  );
  assert.throws(
    () => makeLocalizationSet(source, { count: 0, seed: 0 }),
    /count must be a positive integer, got 0/,
  );
  assert.throws(
    () => makeLocalizationSet({ ...source, labels: new Int32Array(6) }, { count: 1, seed: 0 }),
    /source hand-made has no image of class 1/,
  );
  assert.throws(
    () => makeLocalizationSet({ ...source, width: 16 }, { count: 1, seed: 0 }),
    /must have square images, got 32×16/,
  );
});
