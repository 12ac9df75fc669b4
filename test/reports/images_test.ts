import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { tf } from "../_backend.ts";
import { imageGrid, renderImageGrid, toUint8Images } from "../../lib/reports/images.ts";

/** Decodes the RGB pixels of a PNG written by encodePng (single IDAT, filter 0). */
function decode(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset);
  const width = view.getUint32(16), height = view.getUint32(20);
  const idatLength = view.getUint32(33);
  const raw = new Uint8Array(inflateSync(png.subarray(41, 41 + idatLength)));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    rgb.set(raw.subarray(y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1)), y * width * 3);
  }
  return { width, height, rgb };
}

Deno.test("toUint8Images scales float tensors from [0, 1] and clamps, without leaking", () => {
  const before = tf.memory().numTensors;
  const images = tf.tensor4d([0, 0.5, 1, 1.5, -1, 0.2], [1, 1, 2, 3]);
  const { bytes, shape } = toUint8Images(images);
  images.dispose();
  assert.deepEqual([...bytes], [0, 128, 255, 255, 0, 51]);
  assert.deepEqual(shape, [1, 1, 2, 3]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("renderImageGrid enlarges nearest-neighbour, lays out a grid and outlines boxes", () => {
  // Two 2×2 grey images: values 10 and 200.
  const pixels = new Uint8Array(2 * 2 * 2 * 3);
  pixels.fill(10, 0, 12);
  pixels.fill(200, 12);
  const grid = renderImageGrid({ pixelsNHWC: pixels, shape: [2, 2, 2, 3] }, {
    scale: 3,
    columns: 2,
    boxes: [undefined, { y0: 0, x0: 0, y1: 1, x1: 1 }],
    boxColor: [1, 2, 3],
  });
  assert.equal(grid.width, 2 * 6 + 2);
  assert.equal(grid.height, 6);
  const { rgb, width } = decode(grid.png);
  const at = (
    y: number,
    x: number,
  ) => [...rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
  assert.deepEqual(at(0, 0), [10, 10, 10]);
  assert.deepEqual(at(5, 5), [10, 10, 10]);
  assert.deepEqual(at(0, 6), [255, 255, 255]); // gap
  // Second image starts at x = 8; its box covers enlarged pixels [0, 3) × [0, 3): outline only.
  assert.deepEqual(at(0, 8), [1, 2, 3]);
  assert.deepEqual(at(2, 10), [1, 2, 3]);
  assert.deepEqual(at(1, 9), [200, 200, 200]); // inside the outline
  assert.deepEqual(at(4, 12), [200, 200, 200]);
});

Deno.test("imageGrid bundles a PNG and an HTML figure with captions", () => {
  const pixels = new Uint8Array(3 * 4 * 4 * 1).fill(7);
  const shown = imageGrid({ pixelsNHWC: pixels, shape: [3, 4, 4, 1] }, {
    captions: ["cat", "dog", "<x>"],
    title: "T",
  });
  assert.match(shown.bundle["image/png"] as string, /^iVBORw0KGgo/);
  const htmlText = shown.bundle["text/html"] as string;
  assert.equal((htmlText.match(/<img /g) ?? []).length, 3);
  assert.ok(htmlText.includes("<figcaption>&lt;x&gt;</figcaption>"));
  assert.equal(shown.bundle["text/plain"], "T: 3 images (cat, dog, <x>)");
  assert.throws(
    () => imageGrid({ pixelsNHWC: pixels, shape: [3, 4, 4, 1] }, { captions: ["a"] }),
    /one entry per image \(3\), got 1/,
  );
  assert.throws(
    () => imageGrid({ pixelsNHWC: pixels, shape: [3, 4, 4, 2] as never }),
    /1 or 3 channels, got 2/,
  );
  assert.throws(
    () => imageGrid({ pixelsNHWC: pixels, shape: [3, 4, 4, 1] }, { scale: 0 }),
    /scale must be an integer in \[1, 32\], got 0/,
  );
});
