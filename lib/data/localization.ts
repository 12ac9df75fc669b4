/**
 * A localization set with ground-truth boxes, our stand-in for the paper's weakly-supervised
 * localization benchmarks (CUB-200-2011 and ImageNet boxes, Sec. 4.2, Table 9), which cannot be
 * fetched here: real CIFAR images pasted at random positions and scales onto larger canvases
 * (64×64 by default), each with its box.
 *
 * Sample i is built from its own stream `Random.derive(seed, "localization", i)`, so it is the
 * same whatever `count` is. Its class is `i mod numClasses` (the set is class-balanced) and its
 * object a random image of that class from the source split. The object is resized bilinearly
 * to h × w pixels (side 32 · scale, scale ~ U[minScale, maxScale], aspect ratio h/w ~
 * log-uniform on [1/maxAspect, maxAspect]) and placed uniformly at random fully inside the
 * canvas. The box `{ y0, x0, y1, x1 }` (half-open pixels) is the pasted image's extent —
 * including the CIFAR image's own background around its object, which CIFAR objects mostly fill.
 *
 * Backgrounds:
 * - `tiles` (default): the canvas is covered by `tileSize`² crops of random images of *other*
 *   classes, so the background is natural-image clutter with no evidence of the object's class;
 * - `texture`: a smooth random colour field (a 4×4 grid of random colours upsampled bilinearly)
 *   with mild pixel noise.
 *
 * Use the source's *test* split (never the images the model trained on).
 *
 * @example
 * ```ts
 * import { makeLocalizationSet } from "./localization.ts";
 * import { loadCifar } from "./cifar.ts";
 * const test = await loadCifar("cifar10", "test");
 * const loc = makeLocalizationSet(test, { count: 1000, seed: 0 });
 * console.log(loc.dataset.height, loc.boxes[0]); // 64 { y0: …, x0: …, y1: …, x1: … }
 * ```
 * @module
 */
import type { Box } from "../augment/box.ts";
import { Random, type Seed } from "../random.ts";
import type { ImageDataset } from "./dataset.ts";
import { checkPositiveInteger } from "../_validate.ts";

export type { Box };

/** Options of {@link makeLocalizationSet}. */
export interface LocalizationOptions {
  /** Number of canvases, a positive integer. */
  readonly count: number;
  /** Seed of every draw. */
  readonly seed: Seed;
  /** Canvas side in pixels (default 64); at least the source's side. */
  readonly canvasSize?: number;
  /** Smallest object scale relative to the source's side (default 0.75). */
  readonly minScale?: number;
  /** Largest object scale relative to the source's side (default 1.5). */
  readonly maxScale?: number;
  /** Largest aspect ratio h/w (or w/h) of the pasted object, ≥ 1 (default 4/3; 1 = square). */
  readonly maxAspect?: number;
  /** Background kind (default `tiles`). */
  readonly background?: "tiles" | "texture";
  /** Side of the background tiles in pixels (default 16; at most the source's side). */
  readonly tileSize?: number;
}

/** Canvases with one object each and its ground-truth box. */
export interface LocalizationSet {
  /** The canvases (NHWC bytes) and the class of each one's object. */
  readonly dataset: ImageDataset;
  /** The object's box on each canvas, half-open pixels. */
  readonly boxes: readonly Box[];
  /** Index in the source dataset of each canvas's object. */
  readonly sourceIndices: Int32Array;
  /** What the set is and how it was made, for reports. */
  readonly provenance: string;
}

/**
 * Bilinear resize of one HWC byte image (half-pixel centres, as `tf.image.resizeBilinear` with
 * `halfPixelCenters`), written into `out` at (top, left) of a canvas `canvasWidth` wide.
 */
function pasteResized(
  src: Uint8Array,
  srcH: number,
  srcW: number,
  channels: number,
  out: Uint8Array,
  canvasWidth: number,
  box: Box,
): void {
  const h = box.y1 - box.y0;
  const w = box.x1 - box.x0;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(srcH - 1, Math.max(0, (y + 0.5) * srcH / h - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(srcH - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(srcW - 1, Math.max(0, (x + 0.5) * srcW / w - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(srcW - 1, x0 + 1);
      const fx = sx - x0;
      const dst = ((box.y0 + y) * canvasWidth + box.x0 + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = src[(y0 * srcW + x0) * channels + c] * (1 - fx) +
          src[(y0 * srcW + x1) * channels + c] * fx;
        const bottom = src[(y1 * srcW + x0) * channels + c] * (1 - fx) +
          src[(y1 * srcW + x1) * channels + c] * fx;
        out[dst + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
}

/**
 * Builds a localization set from `source` (use a test split). See the module doc for how each
 * canvas is made.
 *
 * @throws Error naming the option and its value when an option is out of range, or when some
 *   class of `source` has no image.
 */
export function makeLocalizationSet(
  source: ImageDataset,
  options: LocalizationOptions,
): LocalizationSet {
  const { count, seed } = options;
  checkPositiveInteger(count, "count");
  const canvas = options.canvasSize ?? 64;
  const minScale = options.minScale ?? 0.75;
  const maxScale = options.maxScale ?? 1.5;
  const maxAspect = options.maxAspect ?? 4 / 3;
  const background = options.background ?? "tiles";
  const tile = options.tileSize ?? 16;
  const { height: srcH, width: srcW, channels } = source;
  checkPositiveInteger(canvas, "canvasSize");
  if (canvas < Math.max(srcH, srcW)) {
    throw new Error(`canvasSize must be at least the source's side ${srcH}, got ${canvas}`);
  }
  if (!(minScale > 0 && minScale <= maxScale)) {
    throw new Error(`minScale must be in (0, maxScale=${maxScale}], got ${minScale}`);
  }
  if (!(maxAspect >= 1) || !Number.isFinite(maxAspect)) {
    throw new Error(`maxAspect must be a finite number >= 1, got ${maxAspect}`);
  }
  if (background !== "tiles" && background !== "texture") {
    throw new Error(`background must be "tiles" or "texture", got ${JSON.stringify(background)}`);
  }
  checkPositiveInteger(tile, "tileSize");
  if (tile > Math.min(srcH, srcW)) {
    throw new Error(`tileSize must be at most the source's side ${srcH}, got ${tile}`);
  }
  const byClass: number[][] = Array.from({ length: source.numClasses }, () => []);
  for (let i = 0; i < source.labels.length; i++) byClass[source.labels[i]].push(i);
  const emptyClass = byClass.findIndex((members) => members.length === 0);
  if (emptyClass !== -1) {
    throw new Error(`source ${source.name} has no image of class ${emptyClass}`);
  }
  if (background === "tiles" && source.numClasses < 2) {
    throw new Error(`background "tiles" needs a source with at least 2 classes`);
  }

  const imageSize = srcH * srcW * channels;
  const canvasBytes = canvas * canvas * channels;
  const pixels = new Uint8Array(count * canvasBytes);
  const labels = new Int32Array(count);
  const sourceIndices = new Int32Array(count);
  const boxes: Box[] = [];
  const n = source.labels.length;
  for (let i = 0; i < count; i++) {
    const rng = Random.derive(seed, "localization", i);
    const label = i % source.numClasses;
    const members = byClass[label];
    const index = members[rng.int(members.length)];
    const out = pixels.subarray(i * canvasBytes, (i + 1) * canvasBytes);
    if (background === "tiles") {
      for (let ty = 0; ty < canvas; ty += tile) {
        for (let tx = 0; tx < canvas; tx += tile) {
          let other: number;
          do other = rng.int(n); while (source.labels[other] === label);
          const oy = rng.int(srcH - tile + 1);
          const ox = rng.int(srcW - tile + 1);
          const base = other * imageSize;
          for (let y = 0; y < tile && ty + y < canvas; y++) {
            for (let x = 0; x < tile && tx + x < canvas; x++) {
              const s = base + ((oy + y) * srcW + ox + x) * channels;
              const d = ((ty + y) * canvas + tx + x) * channels;
              for (let c = 0; c < channels; c++) out[d + c] = source.pixelsNHWC[s + c];
            }
          }
        }
      }
    } else {
      const grid = new Uint8Array(4 * 4 * channels);
      for (let g = 0; g < grid.length; g++) grid[g] = rng.int(256);
      pasteResized(grid, 4, 4, channels, out, canvas, { y0: 0, x0: 0, y1: canvas, x1: canvas });
      for (let p = 0; p < out.length; p++) {
        out[p] = Math.min(255, Math.max(0, out[p] + rng.int(17) - 8));
      }
    }
    const scale = rng.uniform(minScale, maxScale);
    const aspect = Math.exp(rng.uniform(-Math.log(maxAspect), Math.log(maxAspect)));
    const h = Math.min(canvas, Math.max(1, Math.round(srcH * scale * Math.sqrt(aspect))));
    const w = Math.min(canvas, Math.max(1, Math.round(srcW * scale / Math.sqrt(aspect))));
    const y0 = rng.int(canvas - h + 1);
    const x0 = rng.int(canvas - w + 1);
    const box: Box = Object.freeze({ y0, x0, y1: y0 + h, x1: x0 + w });
    pasteResized(
      source.pixelsNHWC.subarray(index * imageSize, (index + 1) * imageSize),
      srcH,
      srcW,
      channels,
      out,
      canvas,
      box,
    );
    boxes.push(box);
    labels[i] = label;
    sourceIndices[i] = index;
  }
  const backgroundText = background === "tiles"
    ? `backgrounds tiled from ${tile}×${tile} crops of ${source.name} images of other classes`
    : "backgrounds of smooth random colour fields with ±8/255 pixel noise";
  return {
    dataset: {
      name: `localization(${source.name}, ${count}×${canvas}²)`,
      height: canvas,
      width: canvas,
      channels,
      numClasses: source.numClasses,
      classNames: source.classNames,
      pixelsNHWC: pixels,
      labels,
    },
    boxes,
    sourceIndices,
    provenance: `Synthetic localization set (our stand-in for the CUB-200-2011 / ImageNet boxes ` +
      `of the paper's Sec. 4.2): ${count} ${canvas}×${canvas} canvases, each with one real ` +
      `${source.name} image resized bilinearly to scale ${minScale}–${maxScale} of ${srcH} px ` +
      `(aspect up to ${+maxAspect.toFixed(
        3,
      )}:1) at a uniform random position; ${backgroundText}; ` +
      `the ground-truth box is the pasted image's extent. Seed ${String(seed)}.`,
  };
}
