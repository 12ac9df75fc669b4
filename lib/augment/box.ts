/**
 * CutMix boxes: how one is drawn (JS-side, from a {@link Random}), clipped and rescaled to another
 * resolution. Pure JS, no tensors (the masks built from boxes are in `_box_mask.ts`).
 *
 * The paper (Sec. 3.1): box centre (r_x, r_y) ~ Unif(0, W) × Unif(0, H), sides
 * r_w = W·√(1−λ), r_h = H·√(1−λ), box clipped to the image. Here the sides are rounded to whole
 * pixels, the box is placed at `round(centre − side/2)`, and then clipped to [0, H] × [0, W] (the
 * official code's clip; the paper's pseudo-code line 13 says `min=H`, a typo).
 *
 * @example
 * ```ts
 * import { Random } from "../random.ts";
 * import { boxArea, sampleBox } from "./box.ts";
 * const { box } = sampleBox(32, 32, 0.75, {}, new Random(1)); // a ≈16×16 box, maybe clipped
 * const lambda = 1 - boxArea(box) / (32 * 32); // λ from the exact pasted area
 * ```
 * @module
 */
import type { Random } from "../random.ts";

/**
 * A box in pixels, half-open: rows y0 ≤ y < y1, columns x0 ≤ x < x1. Empty when y0 = y1 or
 * x0 = x1.
 */
export interface Box {
  /** First row inside the box (its top edge), whole pixels. */
  readonly y0: number;
  /** First column inside the box (its left edge), whole pixels. */
  readonly x0: number;
  /** The row just below the box (excluded): the box is `y1 − y0` rows tall. */
  readonly y1: number;
  /** The column just right of the box (excluded): the box is `x1 − x0` columns wide. */
  readonly x1: number;
}

/** A point in continuous pixel coordinates (pixel i covers [i, i+1)). */
export interface Point {
  /** Vertical coordinate, from the top edge (0) to the image height. */
  readonly y: number;
  /** Horizontal coordinate, from the left edge (0) to the image width. */
  readonly x: number;
}

/** The empty box. */
export const EMPTY_BOX: Box = Object.freeze({ y0: 0, x0: 0, y1: 0, x1: 0 });

/** Number of pixels inside `box`. */
export function boxArea(box: Box): number {
  return Math.max(0, box.y1 - box.y0) * Math.max(0, box.x1 - box.x0);
}

/** How the box centre is drawn. */
export type BoxCenter = "uniform" | "gaussian";

/**
 * Defaults of {@link BoxSampling}: the paper's uniform centre; σ = 0.25 of the side for a Gaussian
 * one, so that ±2σ spans the image (the paper does not state its σ).
 */
export const BOX_DEFAULTS: Readonly<{ center: BoxCenter; centerStd: number }> = Object.freeze({
  center: "uniform",
  centerStd: 0.25,
});

/**
 * How a box is sized and placed; every field optional (defaults: the paper's CutMix, with
 * {@link BOX_DEFAULTS}).
 */
export interface BoxSampling {
  /**
   * `uniform` (the paper): centre ~ Unif over the image. `gaussian` (Table 8, "Center Gaussian
   * CutMix"): centre ~ N(image centre, (σ·H)², (σ·W)²) with σ = `centerStd`, truncated to the
   * image by redrawing. Default `BOX_DEFAULTS.center`.
   */
  readonly center?: BoxCenter;
  /** σ of the Gaussian centre as a fraction of the side, > 0. Default `BOX_DEFAULTS.centerStd`. */
  readonly centerStd?: number;
  /**
   * Fixed box size in pixels (Table 8, "Fixed-size CutMix", 16×16 on 32×32 CIFAR): λ no longer
   * sizes the box; it is the kept fraction after clipping.
   */
  readonly fixedSize?: { readonly height: number; readonly width: number };
  /**
   * timm's `cutmix_minmax`: each side is an integer drawn uniformly from
   * [ceil(min·side), floor(max·side)], independently for height and width, instead of from λ
   * (so the box-area ratio before clipping lies in [min², max²]). λ is then the kept fraction.
   */
  readonly minMax?: readonly [number, number];
}

/** The draw behind one box: its centre, its size before clipping, the clipped box. */
export interface BoxDraw {
  /** The drawn centre, before the box is rounded to whole pixels and clipped. */
  readonly center: Point;
  /** Box height in whole pixels before clipping (from λ, `fixedSize` or `minMax`). */
  readonly height: number;
  /** Box width in whole pixels before clipping. */
  readonly width: number;
  /** The clipped box, in pixels. */
  readonly box: Box;
}

/**
 * Checks a {@link BoxSampling} against an image size; throws naming the bad field. Called once at
 * the boundary (and again per call only for the image size, which can change).
 */
export function checkBoxSampling(
  sampling: BoxSampling,
  height?: number,
  width?: number,
  name = "box",
): void {
  const {
    center = BOX_DEFAULTS.center,
    centerStd = BOX_DEFAULTS.centerStd,
    fixedSize,
    minMax,
  } = sampling;
  if (center !== "uniform" && center !== "gaussian") {
    throw new Error(
      `${name}.center must be "uniform" or "gaussian", got ${JSON.stringify(center)}`,
    );
  }
  if (!(Number.isFinite(centerStd) && centerStd > 0)) {
    throw new Error(`${name}.centerStd must be a finite number > 0, got ${centerStd}`);
  }
  if (fixedSize !== undefined && minMax !== undefined) {
    throw new Error(`${name}: fixedSize and minMax both size the box; give at most one`);
  }
  if (fixedSize !== undefined) {
    const { height: fh, width: fw } = fixedSize;
    if (!Number.isInteger(fh) || fh < 1 || !Number.isInteger(fw) || fw < 1) {
      throw new Error(
        `${name}.fixedSize must be whole pixels >= 1, got ${fh}×${fw}`,
      );
    }
    if (height !== undefined && width !== undefined && (fh > height || fw > width)) {
      throw new Error(
        `${name}.fixedSize ${fh}×${fw} does not fit in the ${height}×${width} image`,
      );
    }
  }
  if (minMax !== undefined) {
    if (!Array.isArray(minMax) || minMax.length !== 2) {
      throw new Error(`${name}.minMax must be a pair [min, max], got ${JSON.stringify(minMax)}`);
    }
    const [lo, hi] = minMax;
    if (!(lo > 0 && lo <= hi && hi <= 1)) {
      throw new Error(`${name}.minMax must satisfy 0 < min <= max <= 1, got [${lo}, ${hi}]`);
    }
    if (height !== undefined && width !== undefined) {
      for (const [side, size] of [["height", height], ["width", width]] as const) {
        if (Math.ceil(lo * size) > Math.floor(hi * size)) {
          throw new Error(
            `${name}.minMax [${lo}, ${hi}] admits no whole-pixel ${side} for ${side} ${size}`,
          );
        }
      }
    }
  }
}

function sideFromLambda(size: number, lambda: number): number {
  return Math.round(size * Math.sqrt(1 - lambda));
}

function drawCenterCoordinate(size: number, sampling: BoxSampling, rng: Random): number {
  if ((sampling.center ?? BOX_DEFAULTS.center) === "uniform") return rng.uniform(0, size);
  const std = (sampling.centerStd ?? BOX_DEFAULTS.centerStd) * size;
  for (;;) {
    const c = rng.normal(size / 2, std);
    if (c >= 0 && c < size) return c;
  }
}

/**
 * Draws one box for an image of `height` × `width` whose kept fraction should be `lambda`
 * (ignored when `sampling` fixes the size or gives `minMax`). Draw order: the sides (only with
 * `minMax`: height then width), then the centre (y then x).
 */
export function sampleBox(
  height: number,
  width: number,
  lambda: number,
  sampling: BoxSampling,
  rng: Random,
): BoxDraw {
  let boxHeight: number;
  let boxWidth: number;
  if (sampling.fixedSize !== undefined) {
    boxHeight = sampling.fixedSize.height;
    boxWidth = sampling.fixedSize.width;
  } else if (sampling.minMax !== undefined) {
    const [lo, hi] = sampling.minMax;
    const hLo = Math.ceil(lo * height);
    const wLo = Math.ceil(lo * width);
    boxHeight = hLo + rng.int(Math.floor(hi * height) - hLo + 1);
    boxWidth = wLo + rng.int(Math.floor(hi * width) - wLo + 1);
  } else {
    boxHeight = sideFromLambda(height, lambda);
    boxWidth = sideFromLambda(width, lambda);
  }
  const cy = drawCenterCoordinate(height, sampling, rng);
  const cx = drawCenterCoordinate(width, sampling, rng);
  const top = Math.round(cy - boxHeight / 2);
  const left = Math.round(cx - boxWidth / 2);
  const box = clipBox(
    { y0: top, x0: left, y1: top + boxHeight, x1: left + boxWidth },
    height,
    width,
  );
  return { center: { y: cy, x: cx }, height: boxHeight, width: boxWidth, box };
}

/** Clips `box` to [0, height] × [0, width]; a box wholly outside becomes empty. */
export function clipBox(box: Box, height: number, width: number): Box {
  const y0 = Math.min(Math.max(box.y0, 0), height);
  const x0 = Math.min(Math.max(box.x0, 0), width);
  const y1 = Math.min(Math.max(box.y1, y0), height);
  const x1 = Math.min(Math.max(box.x1, x0), width);
  return { y0, x0, y1, x1 };
}

/**
 * Rescales a box drawn on a `fromHeight` × `fromWidth` grid to a `toHeight` × `toWidth` grid
 * (a feature map): each edge goes to the nearest grid line, `round(edge · to / from)`. The box
 * may shrink to empty on a coarse map; its area there is what the model sees.
 */
export function scaleBox(
  box: Box,
  fromHeight: number,
  fromWidth: number,
  toHeight: number,
  toWidth: number,
): Box {
  const sy = toHeight / fromHeight;
  const sx = toWidth / fromWidth;
  return clipBox(
    {
      y0: Math.round(box.y0 * sy),
      x0: Math.round(box.x0 * sx),
      y1: Math.round(box.y1 * sy),
      x1: Math.round(box.x1 * sx),
    },
    toHeight,
    toWidth,
  );
}
