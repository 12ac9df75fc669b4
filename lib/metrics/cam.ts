/**
 * Class activation maps (Zhou et al., "Learning Deep Features for Discriminative Localization",
 * CVPR 2016) for networks that end in global average pooling and one linear classifier.
 *
 * For image n and class k, with last-stage features f_c(x, y) and classifier kernel w [C, K]:
 *
 *     CAM_k(x, y) = Σ_c w[c, k] · f_c(x, y)
 *
 * (the classifier bias adds a constant and vanishes in the min-max normalisation). The map is
 * upsampled to the image size and min-max normalised to [0, 1] per image; a constant or NaN map
 * becomes all zeros, as in `normalize_scoremap` of clovaai/wsolevaluation (Choe et al., CVPR 2020).
 *
 * Upsampling, `interpolation`:
 * - `"bilinear"` (default): OpenCV's `cv2.resize` default `INTER_LINEAR`, which the CAM authors'
 *   reference code (`returnCAM` in zhoubolei/CAM) uses.
 * - `"bicubic"`: OpenCV's `INTER_CUBIC` (Keys kernel with a = −0.75), which clovaai/wsolevaluation
 *   `inference.py` uses.
 * Both use pixel-centre alignment (source = (dst + 0.5)·in/out − 0.5) and replicate the border,
 * exactly as OpenCV does, and are computed as two matrix products (rows, then columns).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { classActivationMaps } from "./cam.ts";
 * const features = tf.ones([1, 2, 2, 3]) as import("@tensorflow/tfjs-core").Tensor4D; // [N, h, w, C]
 * const kernel = tf.ones([3, 10]) as import("@tensorflow/tfjs-core").Tensor2D; // [C, K]
 * const maps = classActivationMaps(features, kernel, new Int32Array([7]), {
 *   height: 32, width: 32,
 * }); // [1, 32, 32], each image min-max normalised to [0, 1]
 * tf.dispose([features, kernel, maps]);
 * ```
 * @module
 */
import type { Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { type Labels, labelTensor } from "./types.ts";
import { checkInteger, checkRank } from "../_validate.ts";

/** How a low-resolution map is resized to the image (see the module doc). */
export type Interpolation = "bilinear" | "bicubic";

const INTERPOLATIONS: readonly Interpolation[] = ["bilinear", "bicubic"];

/** OpenCV's cubic-convolution parameter for `INTER_CUBIC`. */
const CUBIC_A = -0.75;

/**
 * The [outSize, inSize] row-major matrix R with resized = R · signal, for OpenCV-compatible
 * `"bilinear"` or `"bicubic"` resizing along one axis (half-pixel centres, border replicated).
 */
export function interpolationMatrix(
  inSize: number,
  outSize: number,
  interpolation: Interpolation,
): Float32Array {
  checkInteger(inSize, "inSize", 1);
  checkInteger(outSize, "outSize", 1);
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw new Error(
      `interpolation must be one of ${INTERPOLATIONS.join(", ")}, got ${interpolation}`,
    );
  }
  const matrix = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  for (let out = 0; out < outSize; out++) {
    const source = (out + 0.5) * scale - 0.5;
    const base = Math.floor(source);
    const t = source - base;
    const row = out * inSize;
    if (interpolation === "bilinear") {
      matrix[row + clamp(base)] += 1 - t;
      matrix[row + clamp(base + 1)] += t;
    } else {
      const a = CUBIC_A;
      const w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
      const w1 = ((a + 2) * t - (a + 3)) * t * t + 1;
      const w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
      const w3 = 1 - w0 - w1 - w2;
      matrix[row + clamp(base - 1)] += w0;
      matrix[row + clamp(base)] += w1;
      matrix[row + clamp(base + 1)] += w2;
      matrix[row + clamp(base + 2)] += w3;
    }
  }
  return Float32Array.from(matrix);
}

/**
 * Resizes maps [N, h, w] to [N, height, width] (OpenCV-compatible, see the module doc).
 * The caller disposes the result.
 */
export function resizeMaps(
  maps: Tensor3D,
  height: number,
  width: number,
  interpolation: Interpolation = "bilinear",
): Tensor3D {
  checkRank(maps.shape, "maps", 3);
  checkInteger(height, "height", 1);
  checkInteger(width, "width", 1);
  const [n, h, w] = maps.shape;
  const rows = interpolationMatrix(h, height, interpolation); // [height, h]
  const cols = interpolationMatrix(w, width, interpolation); // [width, w]
  return tf.tidy(() => {
    const colsT = tf.transpose(tf.tensor2d(cols, [width, w])); // [w, width]
    const rowsT = tf.transpose(tf.tensor2d(rows, [height, h])); // [h, height]
    const wide = tf.reshape(tf.matMul(tf.reshape(maps, [n * h, w]), colsT), [n, h, width]);
    const byColumn = tf.reshape(tf.transpose(wide, [0, 2, 1]), [n * width, h]);
    const tall = tf.reshape(tf.matMul(byColumn, rowsT), [n, width, height]);
    return tf.transpose(tall, [0, 2, 1]) as Tensor3D;
  });
}

/**
 * Min-max normalises each map of [N, H, W] to [0, 1]; a constant map or one holding a NaN becomes
 * all zeros (as wsolevaluation's `normalize_scoremap`). The caller disposes the result.
 */
export function normalizeMaps(maps: Tensor3D): Tensor3D {
  checkRank(maps.shape, "maps", 3);
  return tf.tidy(() => {
    const low = tf.min(maps, [1, 2], true);
    const high = tf.max(maps, [1, 2], true);
    const range = tf.sub(high, low);
    const valid = tf.logicalAnd(
      tf.greater(range, 0),
      tf.logicalNot(tf.any(tf.isNaN(maps), [1, 2], true)),
    );
    const safeRange = tf.where(valid, range, tf.onesLike(range));
    const scaled = tf.div(tf.sub(maps, low), safeRange);
    return tf.where(tf.broadcastTo(valid, maps.shape), scaled, tf.zerosLike(maps)) as Tensor3D;
  });
}

/**
 * Raw class activation maps [N, h, w] at the feature resolution: image n's map for class
 * `classIndices[n]`. The caller disposes the result.
 *
 * @param featuresNHWC last-stage features [N, h, w, C] (before global average pooling).
 * @param classifierKernel the final dense layer's kernel [C, K] (logits = pooled · kernel + bias).
 * @param classIndices int32 [N] in [0, K): which class's map to compute for each image.
 */
export function rawClassActivationMaps(
  featuresNHWC: Tensor4D,
  classifierKernel: Tensor2D,
  classIndices: Labels,
): Tensor3D {
  checkRank(featuresNHWC.shape, "featuresNHWC", 4);
  checkRank(classifierKernel.shape, "classifierKernel", 2);
  const [n, , , c] = featuresNHWC.shape;
  const [kernelC, numClasses] = classifierKernel.shape;
  if (kernelC !== c) {
    throw new Error(
      `classifierKernel must be [${c}, K] to match featuresNHWC's ${c} channels, ` +
        `got [${classifierKernel.shape.join(", ")}]`,
    );
  }
  return tf.tidy(() => {
    const k = labelTensor(classIndices, n, numClasses);
    const weights = tf.transpose(tf.gather(classifierKernel, k, 1)); // [N, C]
    return tf.sum(tf.mul(featuresNHWC, tf.reshape(weights, [n, 1, 1, c])), 3) as Tensor3D;
  });
}

/** Options of {@link classActivationMaps}. */
export interface CamOptions {
  /** Output height in pixels (the image height). */
  readonly height: number;
  /** Output width in pixels (the image width). */
  readonly width: number;
  /** Upsampling kernel; default `"bilinear"` (see the module doc). */
  readonly interpolation?: Interpolation;
}

/**
 * Class activation maps upsampled to the image size and min-max normalised per image:
 * [N, height, width] in [0, 1]. The caller disposes the result.
 *
 * @param featuresNHWC last-stage features [N, h, w, C].
 * @param classifierKernel final dense kernel [C, K].
 * @param classIndices int32 [N]: the class whose map to draw for each image (the predicted class
 *   for top-1 localization, the true class for GT-known localization).
 */
export function classActivationMaps(
  featuresNHWC: Tensor4D,
  classifierKernel: Tensor2D,
  classIndices: Labels,
  options: CamOptions,
): Tensor3D {
  const interpolation = options.interpolation ?? "bilinear";
  return tf.tidy(() => {
    const raw = rawClassActivationMaps(featuresNHWC, classifierKernel, classIndices);
    return normalizeMaps(resizeMaps(raw, options.height, options.width, interpolation));
  });
}

/**
 * The share of each map's mass that lies inside its box: Σ_{(y,x) ∈ box} m / Σ m, per image.
 * Used for Figure 1's question ("does the partner class's CAM point at the pasted patch?"): with
 * min-max normalised maps the mass is non-negative, and a map that ignores the box entirely scores
 * 0, one that sits only inside it scores 1; a flat map scores the box's area fraction (chance).
 * A map with no mass (all zero) or an image without a box (`null`) gives `NaN`.
 *
 * @param mapsNHW non-negative maps [N, H, W] (e.g. {@link classActivationMaps}' output).
 * @param boxes one half-open box in the maps' pixel grid per image, or `null`.
 * @returns N shares in [0, 1].
 * @throws Error when the box count differs from N or a box leaves the map.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { mapMassInBoxes } from "./cam.ts";
 * const maps = tf.tensor3d([[[1, 1], [0, 2]]]); // total mass 4; column 1 holds 1 + 2
 * const [share] = mapMassInBoxes(maps, [{ y0: 0, x0: 1, y1: 2, x1: 2 }]); // 3 / 4
 * maps.dispose();
 * ```
 */
export function mapMassInBoxes(
  mapsNHW: Tensor3D,
  boxes: readonly ({ y0: number; x0: number; y1: number; x1: number } | null)[],
): Float64Array {
  const [n, height, width] = mapsNHW.shape;
  if (boxes.length !== n) {
    throw new Error(`mapMassInBoxes: ${boxes.length} boxes for ${n} maps`);
  }
  const data = mapsNHW.dataSync();
  const shares = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const box = boxes[i];
    if (box === null) {
      shares[i] = Number.NaN;
      continue;
    }
    const { y0, x0, y1, x1 } = box;
    if (!(0 <= y0 && y0 <= y1 && y1 <= height && 0 <= x0 && x0 <= x1 && x1 <= width)) {
      throw new Error(
        `mapMassInBoxes: box ${i} {y0: ${y0}, x0: ${x0}, y1: ${y1}, x1: ${x1}} is not inside the ${height}×${width} map`,
      );
    }
    let total = 0;
    let inside = 0;
    const offset = i * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const value = data[offset + y * width + x];
        total += value;
        if (y >= y0 && y < y1 && x >= x0 && x < x1) inside += value;
      }
    }
    shares[i] = total > 0 ? inside / total : Number.NaN;
  }
  return shares;
}
