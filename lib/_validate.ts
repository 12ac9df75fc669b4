/**
 * Argument checks shared by lib/'s layers (private to the package: never re-exported). Each
 * throws an `Error` whose message names the argument and the bad value, so a mistake is reported
 * where it was made, not three ops later. Value first, then its name.
 * @module
 */
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !(value > 0)) {
    throw new Error(`${name} must be a finite number > 0, got ${value}`);
  }
  return value;
}

/** Throws unless `value` is a probability, a number in [0, 1]. */
export function checkProbability(value: number, name: string): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new Error(`${name} must be a probability in [0, 1], got ${value}`);
  }
  return value;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(value: number, name: string, min: number, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${name} must be an integer ${range}, got ${value}`);
  }
  return value;
}

/** Throws unless `value` is an integer ≥ 1. */
export function checkPositiveInteger(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max]. */
export function checkNumber(value: number, name: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Throws unless a tensor of shape `shape` has `rank` dimensions. */
export function checkRank(shape: readonly number[], name: string, rank: number): void {
  if (shape.length !== rank) {
    throw new Error(`${name} must have rank ${rank}, got shape [${shape.join(", ")}]`);
  }
}

/** Throws unless label smoothing ε is in [0, 1). */
export function checkLabelSmoothing(value: number, name = "labelSmoothing"): number {
  if (typeof value !== "number" || !(value >= 0 && value < 1)) {
    throw new Error(`${name} must be in [0, 1), got ${value}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(
  value: T,
  allowed: readonly T[],
  name: string,
): T {
  if (!allowed.includes(value)) {
    throw new Error(
      `${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(value: boolean, name: string): boolean {
  if (typeof value !== "boolean") {
    throw new Error(`${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The shape of a batch of images, read off a validated NHWC tensor. */
export interface BatchShape {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * Throws unless `images` is a 4-D float32 tensor with a non-empty batch and image (and, when
 * `channels` is given, that many channels).
 */
export function checkImages(images: Tensor4D, name = "imagesNHWC", channels?: number): BatchShape {
  if (images === null || typeof images !== "object" || !Array.isArray(images.shape)) {
    throw new Error(`${name} must be a tf.Tensor4D, got ${describeValue(images)}`);
  }
  if (images.isDisposed) throw new Error(`${name} has been disposed`);
  if (images.rank !== 4) {
    throw new Error(`${name} must be 4-D [N, H, W, C], got shape [${images.shape}]`);
  }
  if (images.dtype !== "float32") {
    throw new Error(`${name} must be float32, got ${images.dtype}`);
  }
  const [n, height, width, c] = images.shape;
  if (n < 1 || height < 1 || width < 1 || c < 1) {
    throw new Error(`${name} must have no empty dimension, got shape [${images.shape}]`);
  }
  if (channels !== undefined && c !== channels) {
    throw new Error(`${name} must be [N, H, W, ${channels}], got shape [${images.shape}]`);
  }
  return { n, height, width, channels: c };
}

/** What a labels tensor turned out to be. */
export interface LabelInfo {
  /** `indices`: int class ids [N]; `rows`: one-hot or soft rows [N, K]. */
  readonly kind: "indices" | "rows";
  /** K, the number of classes. */
  readonly numClasses: number;
  /** The labels' values as read for the checks: N class ids, or N·K row-major row entries. */
  readonly values: Int32Array | Float32Array;
}

/**
 * Throws unless `labels` is either int32 class indices [N] in [0, numClasses) or float32 rows
 * [N, K] that are non-negative and sum to 1 (± 1e-3), with K = numClasses when that is given.
 * Reads the labels' values (N or N·K numbers) to check them.
 */
export function checkLabels(
  labels: Tensor,
  batchSize: number,
  numClasses: number | undefined,
  name = "labels",
): LabelInfo {
  if (labels === null || typeof labels !== "object" || !Array.isArray(labels.shape)) {
    throw new Error(`${name} must be a tf.Tensor, got ${describeValue(labels)}`);
  }
  if (labels.isDisposed) throw new Error(`${name} has been disposed`);
  if (numClasses !== undefined) checkInteger(numClasses, "numClasses", 1);
  if (labels.rank === 1) {
    if (labels.dtype !== "int32") {
      throw new Error(`${name} as class indices must be int32, got ${labels.dtype}`);
    }
    if (labels.shape[0] !== batchSize) {
      throw new Error(
        `${name} has ${labels.shape[0]} entries but the batch has ${batchSize} images`,
      );
    }
    if (numClasses === undefined) {
      throw new Error(`numClasses is required when ${name} are class indices, got undefined`);
    }
    const values = labels.dataSync() as Int32Array;
    for (let i = 0; i < values.length; i++) {
      if (values[i] < 0 || values[i] >= numClasses) {
        throw new Error(
          `${name}[${i}] = ${values[i]} is not a class index in [0, numClasses = ${numClasses})`,
        );
      }
    }
    return { kind: "indices", numClasses, values };
  }
  if (labels.rank === 2) {
    if (labels.dtype !== "float32") {
      throw new Error(`${name} as one-hot/soft rows must be float32, got ${labels.dtype}`);
    }
    const [rows, k] = labels.shape;
    if (rows !== batchSize) {
      throw new Error(`${name} has ${rows} rows but the batch has ${batchSize} images`);
    }
    if (numClasses !== undefined && k !== numClasses) {
      throw new Error(`${name} has ${k} columns but numClasses = ${numClasses}`);
    }
    if (k < 1) {
      throw new Error(`${name} must have at least one column, got shape [${labels.shape}]`);
    }
    const values = labels.dataSync() as Float32Array;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const v = values[r * k + c];
        if (!(v >= 0)) {
          throw new Error(`${name}[${r}][${c}] = ${v} must be a non-negative probability`);
        }
        sum += v;
      }
      if (Math.abs(sum - 1) > 1e-3) {
        throw new Error(`${name}[${r}] sums to ${sum}, not 1`);
      }
    }
    return { kind: "rows", numClasses: k, values };
  }
  throw new Error(
    `${name} must be int32 class indices [N] or float32 rows [N, K], got shape [${labels.shape}]`,
  );
}

/** Throws if `options` holds a key that is not in `known` (catches typos such as `alhpa`). */
export function checkKnownKeys(
  options: object,
  known: readonly string[],
  name: string,
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${name} has an unknown option "${key}"; known: ${known.join(", ")}`);
    }
  }
}

/** A short description of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return `${typeof value} ${String(value)}`;
}
