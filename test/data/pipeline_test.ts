import assert from "node:assert/strict";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  type Batch,
  epochOrder,
  evalBatches,
  gatherBatch,
  imagesToTensor,
  measurePipeline,
  numBatches,
  trainBatches,
} from "../../lib/data/pipeline.ts";
import { handMadeDataset } from "./fixtures.ts";

/** Reads a batch into plain arrays and disposes its tensors. */
function drain(batch: Batch): { images: Float32Array; labels: number[]; indices: number[] } {
  const images = batch.imagesNHWC.dataSync() as Float32Array;
  const labels = Array.from(batch.labels.dataSync());
  batch.imagesNHWC.dispose();
  batch.labels.dispose();
  return { images, labels, indices: Array.from(batch.indices) };
}

Deno.test("epochOrder is a permutation fixed by (seed, epoch) alone", () => {
  const a = epochOrder(100, 7, 3);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  epochOrder(100, 7, 0); // running other epochs first changes nothing
  epochOrder(100, 7, 1);
  assert.deepEqual(epochOrder(100, 7, 3), a);
  assert.notDeepEqual(epochOrder(100, 7, 4), a);
  assert.notDeepEqual(epochOrder(100, 8, 3), a);
  assert.throws(() => epochOrder(10, 0, -1), /epoch must be an integer >= 0, got -1/);
  assert.throws(() => epochOrder(10, 0, 1.5), /epoch must be an integer >= 0, got 1.5/);
});

Deno.test("imagesToTensor gathers bytes / 255 in the given order", () => {
  const before = tf.memory().numTensors;
  const dataset = handMadeDataset(5);
  const images = imagesToTensor(dataset, [3, 0]);
  assert.deepEqual(images.shape, [2, 4, 4, 3]);
  const values = images.dataSync();
  assert.equal(values[0], Math.fround((3 * 16) / 255));
  assert.equal(values[47], Math.fround((3 * 16 + 47) / 255));
  assert.equal(values[48], 0);
  assert.equal(values[48 + 5], Math.fround(5 / 255));
  images.dispose();
  assert.throws(
    () => imagesToTensor(dataset, [5]),
    /indices\[0\] must be an integer in \[0, 5\), got 5/,
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("gatherBatch carries labels as int32 and the indices", () => {
  const before = tf.memory().numTensors;
  const batch = gatherBatch(handMadeDataset(6), [4, 5, 1]);
  assert.equal(batch.labels.dtype, "int32");
  assert.equal(batch.imagesNHWC.dtype, "float32");
  const { labels, indices } = drain(batch);
  assert.deepEqual(labels, [1, 2, 1]);
  assert.deepEqual(indices, [4, 5, 1]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("trainBatches visits every image once per epoch; last batch kept or dropped", () => {
  const before = tf.memory().numTensors;
  const dataset = handMadeDataset(10);
  const kept = [...trainBatches(dataset, { batchSize: 4, seed: 1, epoch: 0, augment: "none" })]
    .map(drain);
  assert.deepEqual(kept.map((b) => b.indices.length), [4, 4, 2]);
  assert.deepEqual(kept.flatMap((b) => b.indices), Array.from(epochOrder(10, 1, 0)));
  for (const batch of kept) {
    assert.deepEqual(batch.labels, batch.indices.map((i) => i % 3));
    batch.indices.forEach((index, k) => {
      assert.equal(batch.images[k * 48 + 1], Math.fround((index * 16 + 1) / 255));
    });
  }
  const dropped = [
    ...trainBatches(dataset, {
      batchSize: 4,
      seed: 1,
      epoch: 0,
      augment: "none",
      dropRemainder: true,
    }),
  ].map(drain);
  assert.deepEqual(dropped.map((b) => b.indices.length), [4, 4]);
  assert.equal(numBatches(10, 4), 3);
  assert.equal(numBatches(10, 4, true), 2);
  const ordered = [...trainBatches(dataset, {
    batchSize: 10,
    seed: 1,
    epoch: 0,
    augment: "none",
    shuffle: false,
  })].map(drain);
  assert.deepEqual(ordered[0].indices, Array.from({ length: 10 }, (_, i) => i));
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("trainBatches resumed at (epoch, startBatch) gives exactly the batches of a full run", () => {
  const before = tf.memory().numTensors;
  const dataset = handMadeDataset(40, 4, 8, 8);
  const options = { batchSize: 8, seed: 11, epoch: 2, padding: 2 } as const;
  const full = [...trainBatches(dataset, options)].map(drain);
  const resumed = [...trainBatches(dataset, { ...options, startBatch: 3 })].map(drain);
  assert.equal(resumed.length, 2);
  assert.deepEqual(resumed, full.slice(3));
  // The augmentation really changed something (crops shift pixels) but kept shapes and range.
  const plain = [...trainBatches(dataset, { ...options, augment: "none" })].map(drain);
  assert.deepEqual(plain.map((b) => b.indices), full.map((b) => b.indices));
  assert.notDeepEqual(plain.map((b) => b.images), full.map((b) => b.images));
  for (const batch of full) {
    assert.equal(batch.images.length, 8 * 8 * 8 * 3);
    assert.ok(batch.images.every((v) => v >= 0 && v <= 1));
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("baseline augmentation: padding 0 + flip probability 1 mirrors exactly; 0 + 0 is identity", () => {
  const before = tf.memory().numTensors;
  const dataset = handMadeDataset(3);
  const run = (flipProbability: number) =>
    drain(
      trainBatches(dataset, {
        batchSize: 3,
        seed: 0,
        epoch: 0,
        shuffle: false,
        padding: 0,
        flipProbability,
      }).next().value as Batch,
    );
  const identity = run(0);
  const mirrored = run(1);
  for (let i = 0; i < 3; i++) {
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          const byte = (i * 16 + (y * 4 + x) * 3 + c) & 0xff;
          const mirroredByte = (i * 16 + (y * 4 + 3 - x) * 3 + c) & 0xff;
          assert.equal(identity.images[((i * 4 + y) * 4 + x) * 3 + c], Math.fround(byte / 255));
          assert.equal(
            mirrored.images[((i * 4 + y) * 4 + x) * 3 + c],
            Math.fround(mirroredByte / 255),
          );
        }
      }
    }
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("trainBatches takes a custom augmentation and disposes what it replaces", () => {
  const before = tf.memory().numTensors;
  const dataset = handMadeDataset(4);
  const seen: number[] = [];
  const batches = trainBatches(dataset, {
    batchSize: 2,
    seed: 3,
    epoch: 1,
    augment: (images: Tensor4D, rng) => {
      seen.push(rng.nextUint32());
      return tf.tidy(() => tf.sub(1, images) as Tensor4D);
    },
  });
  const out = [...batches].map(drain);
  assert.equal(seen.length, 2);
  assert.notEqual(seen[0], seen[1]); // each batch has its own stream
  assert.equal(out[0].images[0], Math.fround(1 - Math.fround((out[0].indices[0] * 16) / 255)));
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("trainBatches validates its options before the first batch", () => {
  const dataset = handMadeDataset(4);
  assert.throws(
    () => trainBatches(dataset, { batchSize: 0, seed: 0, epoch: 0 }),
    /batchSize must be a positive integer, got 0/,
  );
  assert.throws(
    () => trainBatches(dataset, { batchSize: 2, seed: 0, epoch: -2 }),
    /epoch must be an integer >= 0, got -2/,
  );
  assert.throws(
    () => trainBatches(dataset, { batchSize: 2, seed: 0, epoch: 0, startBatch: 3 }),
    /startBatch must be an integer in \[0, 2\], got 3/,
  );
  assert.throws(
    () => trainBatches(dataset, { batchSize: 2, seed: 0, epoch: 0, flipProbability: 2 }),
    /flipProbability must be a probability in \[0, 1\], got 2/,
  );
  assert.throws(
    () => trainBatches(dataset, { batchSize: 2, seed: 0, epoch: 0, padding: -1 }),
    /padding must be an integer >= 0, got -1/,
  );
  assert.throws(
    () =>
      trainBatches({ ...dataset, pixelsNHWC: new Uint8Array(5) }, {
        batchSize: 2,
        seed: 0,
        epoch: 0,
      }),
    /pixelsNHWC has 5 bytes/,
  );
});

Deno.test("evalBatches yields every image once, in order, the last batch smaller", () => {
  const before = tf.memory().numTensors;
  const out = [...evalBatches(handMadeDataset(7), 3)].map(drain);
  assert.deepEqual(out.map((b) => b.indices), [[0, 1, 2], [3, 4, 5], [6]]);
  assert.equal(out[2].images[0], Math.fround(96 / 255));
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("measurePipeline counts the images it built and leaks nothing", () => {
  const before = tf.memory().numTensors;
  const result = measurePipeline(handMadeDataset(10, 3, 8, 8), {
    batchSize: 4,
    seed: 0,
    epoch: 0,
  }, 2);
  assert.equal(result.batches, 2);
  assert.equal(result.images, 8);
  assert.ok(result.imagesPerSecond > 0);
  assert.equal(tf.memory().numTensors, before);
});
