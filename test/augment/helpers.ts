/**
 * Shared fixtures for the augmentation tests: images whose every value is distinct, so a pixel's
 * origin (image, row, column, channel) can be read back from its value.
 * @module
 */
import { tf } from "../_backend.ts";
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";

/** Value of image i at (y, x, c): a distinct integer, exact in float32 below 2^24. */
export function codeOf(
  i: number,
  y: number,
  x: number,
  c: number,
  h: number,
  w: number,
  ch: number,
) {
  return ((i * h + y) * w + x) * ch + c;
}

/** A batch [n, h, w, ch] whose value at (i, y, x, c) is `codeOf(i, y, x, c)`. */
export function codedImages(n: number, h: number, w: number, ch: number): Tensor4D {
  return tf.tidy(() =>
    tf.range(0, n * h * w * ch, 1, "float32").reshape([n, h, w, ch]) as Tensor4D
  );
}

/** int32 labels [n] with label i % numClasses. */
export function cyclicLabels(n: number, numClasses: number): Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, (_, i) => i % numClasses), "int32");
}

/** Runs `body` and asserts it left no tensor behind (after it disposes what it made). */
export function assertNoLeak(body: () => void): void {
  const before = tf.memory().numTensors;
  body();
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
}

/** Mean and standard error of the mean. */
export function meanAndSe(
  values: ArrayLike<number>,
): { mean: number; se: number; variance: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  const variance = sq / (n - 1);
  return { mean, se: Math.sqrt(variance / n), variance };
}

/** Sample variance and its standard error, sqrt((m4 − s⁴) / n). */
export function varianceAndSe(values: ArrayLike<number>): { variance: number; se: number } {
  const n = values.length;
  const { mean, variance } = meanAndSe(values);
  let m4 = 0;
  for (let i = 0; i < n; i++) m4 += (values[i] - mean) ** 4;
  m4 /= n;
  return { variance, se: Math.sqrt(Math.max(m4 - variance * variance, 0) / n) };
}

/** Asserts |actual − expected| ≤ 6·se (a flake chance below 1e-8 per check). */
export function assertWithinSixSe(actual: number, expected: number, se: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= 6 * se,
    `${what}: ${actual} is not within 6·se = ${6 * se} of ${expected}`,
  );
}
