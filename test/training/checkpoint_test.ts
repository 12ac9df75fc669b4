import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../_backend.ts";
import {
  CheckpointDamagedError,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  snapshotTensors,
  writeCheckpoint,
} from "../../lib/training/checkpoint.ts";

Deno.test("checkpoints round-trip exactly and are written atomically", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-ckpt-" });
  try {
    const a = tf.tensor2d([[1.5, -2], [Math.PI, 1e-30]]);
    const b = tf.tensor1d([7]);
    const before = tf.memory().numTensors;
    const tensors = snapshotTensors([["model/a", a], ["sgd/b", b]]);
    assert.equal(tf.memory().numTensors, before);
    const path = join(dir, "checkpoint.bin");
    await writeCheckpoint(path, { epochsDone: 4, note: "é" }, tensors);
    await writeCheckpoint(path, { epochsDone: 5, note: "é" }, tensors); // overwrite in place
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["checkpoint.bin"]);
    const { meta, tensors: read } = await readCheckpoint<{ epochsDone: number; note: string }>(
      path,
    );
    assert.deepEqual(meta, { epochsDone: 5, note: "é" });
    assert.deepEqual(read.get("model/a")!.shape, [2, 2]);
    assert.deepEqual(Array.from(read.get("model/a")!.values), Array.from(a.dataSync()));
    assert.deepEqual(Array.from(read.get("sgd/b")!.values), [7]);
    tf.dispose([a, b]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("damaged checkpoints are refused with the file named and what is wrong", () => {
  assert.throws(
    () => decodeCheckpoint(new Uint8Array(20), "x.bin"),
    (e: unknown) =>
      e instanceof CheckpointDamagedError && e.path === "x.bin" &&
      /x.bin is damaged: not a checkpoint \(20 bytes, no CMXCKPT1 header\)/.test(e.message),
  );
  const bytes = encodeCheckpoint({}, new Map([["w", { shape: [3], values: new Float32Array(3) }]]));
  // 12 + a 59-byte header, padded to 72; then 12 bytes of data: 84 in all.
  assert.equal(bytes.length, 84);
  assert.throws(
    () => decodeCheckpoint(bytes.slice(0, bytes.length - 4), "y.bin"),
    /y.bin is damaged: 80 bytes where its header needs 84 \(truncated/,
  );
  assert.throws(
    () => decodeCheckpoint(bytes.slice(0, 30), "z.bin"),
    /z.bin is damaged: its 59-byte header runs past the end of the 30-byte file \(truncated\?\)/,
  );
  const garbled = bytes.slice();
  garbled[13] = 0x7b; // "{" where the first key's opening quote was
  assert.throws(() => decodeCheckpoint(garbled, "h.bin"), /h.bin is damaged: unreadable header/);
  assert.throws(
    () => encodeCheckpoint({}, new Map([["w", { shape: [2], values: new Float32Array(3) }]])),
    /shape \[2\] does not hold 3 values/,
  );
});
