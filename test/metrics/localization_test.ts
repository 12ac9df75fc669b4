import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  boxArea,
  boxFromMap,
  DEFAULT_CAM_THRESHOLD,
  evaluateLocalization,
  type ForwardWithFeatures,
  intersectionOverUnion,
  type LocalizationBatch,
  localizationBatches,
  trivialLocalization,
} from "../../lib/metrics/localization.ts";

Deno.test("intersectionOverUnion: half-open boxes", () => {
  const a = { y0: 0, x0: 0, y1: 2, x1: 2 };
  assert.equal(intersectionOverUnion(a, a), 1);
  assert.equal(intersectionOverUnion(a, { y0: 0, x0: 2, y1: 2, x1: 4 }), 0); // touching edges
  assert.equal(intersectionOverUnion(a, { y0: 1, x0: 1, y1: 3, x1: 3 }), 1 / 7);
  assert.equal(intersectionOverUnion(a, { y0: 0, x0: 0, y1: 2, x1: 4 }), 0.5);
  assert.equal(intersectionOverUnion({ y0: 1, x0: 1, y1: 1, x1: 1 }, { ...a, y1: 0 }), 0);
  assert.equal(boxArea({ y0: 3, x0: 0, y1: 1, x1: 5 }), 0);
});

Deno.test("boxFromMap: 8-connectivity joins diagonal pixels", () => {
  // The 0.9 touches the L only through a corner: one 8-connected component of 4 pixels.
  const map = [
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0.9,
    0,
  ];
  assert.deepEqual(boxFromMap(map, 4, 4), { y0: 1, x0: 1, y1: 4, x1: 3 });
});

Deno.test("boxFromMap: the largest component wins; ties go to the first in raster order", () => {
  const largest = [
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    1,
    1,
  ];
  assert.deepEqual(boxFromMap(largest, 3, 5), { y0: 1, x0: 3, y1: 3, x1: 5 });
  const tie = [
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
  ];
  assert.deepEqual(boxFromMap(tie, 3, 4), { y0: 0, x0: 3, y1: 2, x1: 4 });
});

Deno.test("boxFromMap: strictly above σ · max; no foreground gives null", () => {
  // With the default σ = 0.2 (CAM's) and max 1, a pixel of exactly 0.2 is background, 0.2001
  // foreground.
  assert.equal(DEFAULT_CAM_THRESHOLD, 0.2);
  assert.deepEqual(boxFromMap([1, 0.2, 0, 0, 0, 0], 2, 3), { y0: 0, x0: 0, y1: 1, x1: 1 });
  assert.deepEqual(boxFromMap([1, 0.2001, 0, 0, 0, 0], 2, 3), { y0: 0, x0: 0, y1: 1, x1: 2 });
  assert.deepEqual(boxFromMap([1, 0.15, 0, 0, 0, 0], 2, 3, 0.15), { y0: 0, x0: 0, y1: 1, x1: 1 });
  assert.deepEqual(boxFromMap([1, 0.5, 0, 0, 0, 0], 2, 3, 0.6), { y0: 0, x0: 0, y1: 1, x1: 1 });
  assert.deepEqual(boxFromMap([2, 0.5, 0, 0, 0, 0], 2, 3, 0.2), { y0: 0, x0: 0, y1: 1, x1: 2 });
  assert.equal(boxFromMap(new Float32Array(6), 2, 3), null); // constant map, normalised to 0
  assert.deepEqual(boxFromMap([NaN, 0.5, 0, 1], 2, 2), { y0: 0, x0: 1, y1: 2, x1: 2 });
  assert.throws(() => boxFromMap([1, 2, 3], 2, 2), /map must have height × width = 4.*got 3/);
  assert.throws(
    () => boxFromMap([1], 1, 1, 1.5),
    /threshold must be a number in \[0, 1\], got 1.5/,
  );
});

Deno.test("boxFromMap: a 1000×1000 checkerboard is one 8-connected component (linear time)", () => {
  const size = 1000;
  const map = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) map[y * size + x] = (x + y) % 2;
  assert.deepEqual(boxFromMap(map, size, size), { y0: 0, x0: 0, y1: size, x1: size });
});

Deno.test("evaluateLocalization: top-1 and GT-known accuracy on hand-made images", async () => {
  const before = tf.memory().numTensors;
  // 4×4 images, 3 channels; the "network" uses the image itself as its features, and the
  // classifier reads channel 0 for class 0 and channel 1 for class 1 (global average pooling).
  const blank = () => Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => [0, 0, 0]));
  const paint = (
    img: number[][][],
    c: number,
    y0: number,
    x0: number,
    y1: number,
    x1: number,
    v: number,
  ) => {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) img[y][x][c] = v;
    return img;
  };
  // A: class-0 blob top-left, label 0 → right class, box exact.
  const a = paint(blank(), 0, 0, 0, 2, 2, 1);
  // B: weak class-0 blob top-right, strong class-1 blob bottom-right, label 0 → wrong class, but
  // the true class's CAM finds the top-right box.
  const b = paint(paint(blank(), 0, 0, 2, 2, 4, 0.5), 1, 2, 2, 4, 4, 1);
  // C: class-1 blob across the top, label 1, truth at the bottom → right class, IoU 0.
  const c = paint(blank(), 1, 0, 0, 2, 4, 1);
  const images = tf.tensor4d([a, b, c]) as Tensor4D;
  const kernel = tf.tensor2d([[1, 0], [0, 1], [0, 0]]);
  const forward: ForwardWithFeatures = (x) => ({
    featuresNHWC: x,
    logits: tf.matMul(tf.mean(x, [1, 2]), kernel) as Tensor2D,
  });
  const batches: LocalizationBatch[] = [
    {
      imagesNHWC: images,
      labels: new Int32Array([0, 0, 1]),
      boxes: [
        { y0: 0, x0: 0, y1: 2, x1: 2 },
        [{ y0: 3, x0: 0, y1: 4, x1: 1 }, { y0: 0, x0: 2, y1: 2, x1: 4 }],
        { y0: 2, x0: 0, y1: 4, x1: 4 },
      ],
    },
  ];
  const result = await evaluateLocalization(forward, kernel, batches);
  assert.deepEqual(result, {
    count: 3,
    top1LocalizationAccuracy: 1 / 3,
    gtKnownLocalizationAccuracy: 2 / 3,
    top1Accuracy: 2 / 3,
  });
  const strict = await evaluateLocalization(forward, kernel, batches, {
    interpolation: "bicubic",
    iouThreshold: 1,
  });
  assert.equal(strict.gtKnownLocalizationAccuracy, 2 / 3);
  await assert.rejects(
    () => evaluateLocalization(forward, kernel, [{ ...batches[0], boxes: [] }]),
    /batch.boxes must have one entry per image \(3\), got 0/,
  );
  tf.dispose([images, kernel]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("localizationBatches: boxes follow their images across batches", () => {
  const before = tf.memory().numTensors;
  const boxes = [0, 1, 2].map((i) => ({ y0: i, x0: 0, y1: i + 1, x1: 1 }));
  const set = {
    dataset: {
      name: "tiny",
      height: 1,
      width: 1,
      channels: 1,
      numClasses: 2,
      classNames: ["a", "b"],
      pixelsNHWC: new Uint8Array([0, 255, 0]),
      labels: new Int32Array([0, 1, 0]),
    },
    boxes,
    sourceIndices: new Int32Array([0, 1, 2]),
    provenance: "test",
  };
  const seen = [...localizationBatches(set, 2)].map((b) => b.boxes);
  assert.deepEqual(seen, [[boxes[0], boxes[1]], [boxes[2]]]);
  assert.throws(
    () => [...localizationBatches({ ...set, boxes: boxes.slice(1) }, 2)],
    /set.boxes must have one box per image \(3\), got 2/,
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("trivialLocalization: the whole image and the centred mean-size box, by hand", () => {
  const boxes = [
    { y0: 0, x0: 0, y1: 16, x1: 16 }, // whole 0.25, centred 64/448
    { y0: 8, x0: 8, y1: 24, x1: 24 }, // whole 0.25, centred 1
    { y0: 2, x0: 2, y1: 30, x1: 30 }, // whole 784/1024 ≥ 0.5, centred 256/784 < 0.5
    [{ y0: 0, x0: 0, y1: 4, x1: 4 }, { y0: 9, x0: 9, y1: 23, x1: 23 }], // centred vs 2nd: 196/256
  ];
  const result = trivialLocalization(boxes, 32, 32);
  // Mean size over the five true boxes: (16 + 16 + 28 + 4 + 14) / 5 = 15.6 → 16.
  assert.deepEqual(result.meanBox, { y0: 8, x0: 8, y1: 24, x1: 24 });
  assert.equal(result.wholeImage, 1 / 4);
  assert.equal(result.centredMeanBox, 2 / 4);
  assert.equal(trivialLocalization(boxes, 32, 32, 0.2).wholeImage, 3 / 4);
  assert.throws(() => trivialLocalization([], 32, 32), /boxes is empty/);
  assert.throws(() => trivialLocalization(boxes, 0, 32), /height must be an integer >= 1, got 0/);
});
