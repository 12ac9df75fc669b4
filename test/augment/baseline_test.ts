import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { Random } from "../../lib/random.ts";
import {
  CIFAR100_MEAN,
  CIFAR100_STD,
  CIFAR10_MEAN,
  CIFAR10_STD,
  normalizePerChannel,
  randomCropWithPadding,
  randomHorizontalFlip,
} from "../../lib/augment/mod.ts";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { assertNoLeak, codedImages } from "./helpers.ts";

/** The (dy, dx) ∈ [0, 2p]² whose shifted, zero-padded crop equals `out` image i, or null. */
function findOffset(
  x: Float32Array | Int32Array | Uint8Array,
  out: Float32Array | Int32Array | Uint8Array,
  i: number,
  h: number,
  w: number,
  c: number,
  p: number,
): [number, number] | null {
  for (let dy = 0; dy <= 2 * p; dy++) {
    search: for (let dx = 0; dx <= 2 * p; dx++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const sy = y + dy - p;
          const sx = xx + dx - p;
          for (let k = 0; k < c; k++) {
            const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            const want = inside ? x[((i * h + sy) * w + sx) * c + k] : 0;
            if (out[((i * h + y) * w + xx) * c + k] !== want) continue search;
          }
        }
      }
      return [dy, dx];
    }
  }
  return null;
}

Deno.test("randomCropWithPadding: each image is an exact zero-padded shift, offsets uniform", () => {
  assertNoLeak(() => {
    const [n, h, w, c, p] = [40, 6, 7, 2, 2];
    // Values start at 1 so that padding zeros are distinguishable from pixels.
    const images = tf.tidy(() => codedImages(n, h, w, c).add(1)) as Tensor4D;
    const rng = new Random(1);
    const counts = new Map<string, number>();
    const x = images.dataSync();
    for (let round = 0; round < 5; round++) {
      const before = tf.memory().numTensors;
      const out = randomCropWithPadding(images, rng, p);
      assert.equal(tf.memory().numTensors, before + 1);
      assert.deepEqual(out.shape, images.shape);
      const o = out.dataSync();
      for (let i = 0; i < n; i++) {
        const offset = findOffset(x, o, i, h, w, c, p);
        assert.ok(offset !== null, `image ${i} is a shifted crop`);
        counts.set(offset.join(","), (counts.get(offset.join(",")) ?? 0) + 1);
      }
      out.dispose();
    }
    assert.equal(counts.size, 25, "all 25 offsets occur in 200 draws");
    const same = randomCropWithPadding(images, new Random(9), p);
    const again = randomCropWithPadding(images, new Random(9), p);
    assert.deepEqual(same.dataSync(), again.dataSync());
    const none = randomCropWithPadding(images, rng, 0);
    assert.deepEqual(none.dataSync(), x);
    assert.throws(() => randomCropWithPadding(images, rng, -1), /padding/);
    assert.throws(() => randomCropWithPadding(images, rng, 1.5), /padding/);
    tf.dispose([images, same, again, none]);
  });
});

Deno.test("randomHorizontalFlip: each image mirrored or kept, about half mirrored", () => {
  assertNoLeak(() => {
    const [n, h, w, c] = [200, 3, 5, 2];
    const images = codedImages(n, h, w, c);
    const out = randomHorizontalFlip(images, new Random(3));
    const x = images.dataSync();
    const o = out.dataSync();
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      let same = true;
      let mirrored = true;
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          for (let k = 0; k < c; k++) {
            const v = o[((i * h + y) * w + xx) * c + k];
            if (v !== x[((i * h + y) * w + xx) * c + k]) same = false;
            if (v !== x[((i * h + y) * w + (w - 1 - xx)) * c + k]) mirrored = false;
          }
        }
      }
      assert.ok(same !== mirrored, `image ${i} is exactly kept or mirrored`);
      if (mirrored) flipped++;
    }
    assert.ok(Math.abs(flipped / n - 0.5) <= 6 * Math.sqrt(0.25 / n), `${flipped} of ${n}`);
    const never = randomHorizontalFlip(images, new Random(3), 0);
    assert.deepEqual(never.dataSync(), x);
    const always = randomHorizontalFlip(images, new Random(3), 1);
    const reversed = tf.reverse(images, 2);
    assert.deepEqual(always.dataSync(), reversed.dataSync());
    assert.throws(() => randomHorizontalFlip(images, new Random(3), 1.1), /probability/);
    tf.dispose([images, out, never, always, reversed]);
  });
});

Deno.test("normalizePerChannel: (x − mean) / std per channel; constants are the standard ones", () => {
  assertNoLeak(() => {
    const images = tf.tensor4d([0, 0.5, 1, 0.25, 0.75, 0.5], [1, 1, 2, 3]);
    const out = normalizePerChannel(images, [0.5, 0.5, 0.25], [0.5, 0.25, 0.5]);
    assert.deepEqual(Array.from(out.dataSync()), [-1, 0, 1.5, -0.5, 1, 0.5]);
    assert.throws(() => normalizePerChannel(images, [0, 0], [1, 1, 1]), /mean must be 3/);
    assert.throws(() => normalizePerChannel(images, [0, 0, 0], [1, 0, 1]), /std must be 3.*> 0/);
    tf.dispose([images, out]);
    // The official CutMix code's CIFAR statistics, [125.3, 123.0, 113.9] / 255 and
    // [63.0, 62.1, 66.7] / 255, agree with ours to 3 decimals.
    [125.3, 123.0, 113.9].forEach((v, k) => assert.ok(Math.abs(v / 255 - CIFAR10_MEAN[k]) < 1e-3));
    [63.0, 62.1, 66.7].forEach((v, k) => assert.ok(Math.abs(v / 255 - CIFAR10_STD[k]) < 1e-3));
    assert.equal(CIFAR100_MEAN.length, 3);
    assert.ok(CIFAR100_STD.every((s) => s > 0.25 && s < 0.28));
  });
});
