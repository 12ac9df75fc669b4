/**
 * Box masks: boolean tensors true inside boxes, built by broadcasting comparisons of iota ranges
 * against the box edges. Private to lib/augment (the ops use them).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { type Box, EMPTY_BOX } from "./box.ts";

/**
 * A boolean mask [B, H, W, C] that is true inside `boxes[b]` (B = boxes.length), on every one
 * of the C = `channels` channels. Built from iota ranges compared against the box edges
 * (broadcasting [B, H, 1, 1] rows against [B, 1, W, C] columns), no per-pixel loop. It has the
 * full shape of the batch it selects in, because `tf.where` is several times slower when it has
 * to broadcast its condition. The caller disposes it (or calls this inside `tf.tidy`).
 */
export function boxMask(
  boxes: readonly Box[],
  height: number,
  width: number,
  channels = 1,
): Tensor4D {
  return tf.tidy(() => {
    const b = boxes.length;
    const y0 = new Int32Array(b);
    const y1 = new Int32Array(b);
    const x0 = new Int32Array(b);
    const x1 = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      ({ y0: y0[i], y1: y1[i], x0: x0[i], x1: x1[i] } = boxes[i]);
    }
    const edge = (values: Int32Array) => tf.tensor4d(values, [b, 1, 1, 1], "int32");
    // Iota ranges: row index y at [0, y, 0, 0]; column index x at [0, 0, x, c] for every c.
    const rows = tf.tensor4d(iota(height, 1), [1, height, 1, 1], "int32");
    const cols = tf.tensor4d(iota(width, channels), [1, 1, width, channels], "int32");
    const inRows = tf.logicalAnd(tf.greaterEqual(rows, edge(y0)), tf.less(rows, edge(y1)));
    const inCols = tf.logicalAnd(tf.greaterEqual(cols, edge(x0)), tf.less(cols, edge(x1)));
    return tf.logicalAnd(inRows, inCols) as Tensor4D;
  });
}

/** 0, …, n−1, each repeated `repeat` times in a row (an iota range, built JS-side). */
function iota(n: number, repeat: number): Int32Array {
  const out = new Int32Array(n * repeat);
  for (let i = 0; i < n; i++) out.fill(i, i * repeat, (i + 1) * repeat);
  return out;
}

/**
 * A boolean mask [B, H, W, C], true inside any of each sample's boxes (`boxes[b]` lists sample
 * b's boxes; Cutout's holes). Empty lists give all-false rows.
 */
export function boxesUnionMask(
  boxes: readonly (readonly Box[])[],
  height: number,
  width: number,
  channels = 1,
): Tensor4D {
  return tf.tidy(() => {
    const most = Math.max(1, ...boxes.map((list) => list.length));
    let mask: Tensor4D | undefined;
    for (let k = 0; k < most; k++) {
      const layer = boxMask(boxes.map((list) => list[k] ?? EMPTY_BOX), height, width, channels);
      mask = mask === undefined ? layer : tf.logicalOr(mask, layer) as Tensor4D;
    }
    return mask!;
  });
}
