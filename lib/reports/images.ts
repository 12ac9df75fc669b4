/**
 * Image grids for notebooks and reports: a batch of NHWC images (a tensor or raw bytes) becomes
 * one PNG, enlarged by an integer factor with nearest-neighbour sampling (CIFAR's 32 × 32 pixels
 * stay crisp), with optional box outlines (e.g. CutMix's pasted region) and captions.
 *
 * The bundle holds `image/png` (the grid alone) and `text/html` (the grid as a `data:` URI inside
 * a figure with the captions), so the exported report is self-contained.
 *
 * @example
 * ```ts
 * import { imageGrid } from "./images.ts";
 * const pixels = new Uint8Array(2 * 4 * 4 * 3).fill(200); // two grey 4×4 RGB images
 * imageGrid({ pixelsNHWC: pixels, shape: [2, 4, 4, 3] }, {
 *   captions: ["a", "b"],
 *   boxes: [{ y0: 1, x0: 1, y1: 3, x1: 3 }, undefined],
 * });
 * ```
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { Box } from "../augment/box.ts";
import { type Displayable, displayable, escapeHtml } from "./mime.ts";
import { encodePng, toBase64 } from "./png.ts";

/** Images as plain bytes or floats: `pixelsNHWC` row-major with `shape` [N, H, W, C]. */
export interface RawImagesNHWC {
  /** uint8 in [0, 255], or float in [0, 1]. */
  pixelsNHWC: Uint8Array | Float32Array;
  /** [N, H, W, C]: N images of H × W pixels, C = 1 (grey) or 3 (RGB); N·H·W·C values in all. */
  shape: readonly [number, number, number, number];
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** One caption per image (shown under the grid cell in HTML). */
  captions?: readonly string[];
  /** One box per image (or undefined for none), in the image's pixels, half-open. */
  boxes?: readonly (Box | undefined)[];
  /** Images per row (default min(N, 8)). */
  columns?: number;
  /** Integer enlargement factor (default 3: a 32-pixel image shows at 96 pixels, 8 fit a page). */
  scale?: number;
  /** Box outline colour, RGB bytes (default yellow [255, 220, 0]). */
  boxColor?: readonly [number, number, number];
  /** Title shown above the grid. */
  title?: string;
}

const GAP = 2;

/** Reads a tensor or raw images into uint8 NHWC bytes (floats are taken as [0, 1]). */
export function toUint8Images(
  images: Tensor | RawImagesNHWC,
): { bytes: Uint8Array; shape: [number, number, number, number] } {
  let data: ArrayLike<number>;
  let shape: readonly number[];
  let isFloat: boolean;
  if ("pixelsNHWC" in images) {
    data = images.pixelsNHWC;
    shape = images.shape;
    isFloat = images.pixelsNHWC instanceof Float32Array;
  } else {
    shape = images.shape;
    isFloat = images.dtype === "float32";
    data = images.dataSync();
  }
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`images must be NHWC with positive sizes, got shape [${shape.join(", ")}]`);
  }
  const [n, h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new Error(`images must have 1 or 3 channels, got ${c}`);
  if (data.length !== n * h * w * c) {
    throw new Error(
      `images hold ${data.length} values, but shape [${shape.join(", ")}] needs ${n * h * w * c}`,
    );
  }
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = isFloat ? data[i] * 255 : data[i];
    bytes[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { bytes, shape: [n, h, w, c] };
}

/**
 * Lays out images in a grid as one RGB PNG, enlarged `scale`×, with box outlines; returns the
 * PNG and its size. Pure JS on bytes: this is display code, not a tensor op.
 */
export function renderImageGrid(
  images: Tensor | RawImagesNHWC,
  options: ImageGridOptions = {},
): { png: Uint8Array; width: number; height: number; columns: number; cell: number } {
  const { bytes, shape: [n, h, w, c] } = toUint8Images(images);
  const { scale = 3, boxColor = [255, 220, 0], boxes } = options;
  const columns = options.columns ?? Math.min(n, 8);
  if (!Number.isInteger(scale) || scale < 1 || scale > 32) {
    throw new Error(`options.scale must be an integer in [1, 32], got ${scale}`);
  }
  if (!Number.isInteger(columns) || columns < 1) {
    throw new Error(`options.columns must be a positive integer, got ${columns}`);
  }
  if (boxes !== undefined && boxes.length !== n) {
    throw new Error(`options.boxes must have one entry per image (${n}), got ${boxes.length}`);
  }
  const rows = Math.ceil(n / columns);
  const cellW = w * scale, cellH = h * scale;
  const width = columns * cellW + (columns - 1) * GAP;
  const height = rows * cellH + (rows - 1) * GAP;
  const out = new Uint8Array(width * height * 3).fill(255);
  for (let i = 0; i < n; i++) {
    const top = Math.floor(i / columns) * (cellH + GAP);
    const left = (i % columns) * (cellW + GAP);
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < cellW; x++) {
        const src = ((i * h + sy) * w + Math.floor(x / scale)) * c;
        const dst = ((top + y) * width + left + x) * 3;
        out[dst] = bytes[src];
        out[dst + 1] = bytes[src + (c === 3 ? 1 : 0)];
        out[dst + 2] = bytes[src + (c === 3 ? 2 : 0)];
      }
    }
    const box = boxes?.[i];
    if (box && box.y1 > box.y0 && box.x1 > box.x0) {
      const y0 = Math.max(0, box.y0) * scale, y1 = Math.min(h, box.y1) * scale - 1;
      const x0 = Math.max(0, box.x0) * scale, x1 = Math.min(w, box.x1) * scale - 1;
      const paint = (y: number, x: number) => {
        const dst = ((top + y) * width + left + x) * 3;
        out[dst] = boxColor[0];
        out[dst + 1] = boxColor[1];
        out[dst + 2] = boxColor[2];
      };
      for (let x = x0; x <= x1; x++) {
        paint(y0, x);
        paint(y1, x);
      }
      for (let y = y0; y <= y1; y++) {
        paint(y, x0);
        paint(y, x1);
      }
    }
  }
  return {
    png: encodePng(out, { width, height, channels: 3 }),
    width,
    height,
    columns,
    cell: cellW,
  };
}

/** A displayable grid of images (PNG + HTML figure with captions). */
export function imageGrid(
  images: Tensor | RawImagesNHWC,
  options: ImageGridOptions = {},
): Displayable {
  const { captions, title } = options;
  const { png, width, height, columns, cell } = renderImageGrid(images, options);
  const n = "pixelsNHWC" in images ? images.shape[0] : images.shape[0];
  if (captions !== undefined && captions.length !== n) {
    throw new Error(
      `options.captions must have one entry per image (${n}), got ${captions.length}`,
    );
  }
  const base64 = toBase64(png);
  const heading = title
    ? `<figcaption style="font-weight:bold">${escapeHtml(title)}</figcaption>`
    : "";
  let body: string;
  if (captions) {
    // One small PNG per image so each caption sits under its own image, however the grid wraps.
    const { bytes, shape: [, h, w, c] } = toUint8Images(images);
    const size = h * w * c;
    const cells = captions.map((text, i) => {
      const one = renderImageGrid(
        { pixelsNHWC: bytes.subarray(i * size, (i + 1) * size), shape: [1, h, w, c] },
        { ...options, columns: 1, boxes: options.boxes ? [options.boxes[i]] : undefined },
      );
      return `<figure style="margin:0;text-align:center;font:11px sans-serif">` +
        `<img src="data:image/png;base64,${
          toBase64(one.png)
        }" width="${one.width}" height="${one.height}" alt="${escapeHtml(text)}">` +
        `<figcaption>${escapeHtml(text)}</figcaption></figure>`;
    });
    body =
      `<div style="display:grid;grid-template-columns:repeat(${columns}, ${cell}px);gap:${GAP}px">` +
      cells.join("") + "</div>";
  } else {
    body = `<img src="data:image/png;base64,${base64}" width="${width}" height="${height}" alt="${
      escapeHtml(title ?? `${n} images`)
    }">`;
  }
  const htmlText = `<figure class="cutmix-images" style="margin:0">${heading}${body}</figure>`;
  return displayable({
    "image/png": base64,
    "text/html": htmlText,
    "text/plain": `${title ? `${title}: ` : ""}${n} images` +
      (captions ? ` (${captions.join(", ")})` : ""),
  });
}
