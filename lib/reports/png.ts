/**
 * A minimal PNG encoder (8-bit grey, grey+alpha, RGB or RGBA; no interlacing) built on
 * `node:zlib`'s deflate, so reports need no image dependency.
 *
 * Layout (PNG spec, ISO/IEC 15948): the 8-byte signature, then chunks of
 * `length (u32 BE) | type (4 ASCII) | data | CRC-32 of type+data`: IHDR (width, height,
 * bit depth 8, colour type, compression 0, filter 0, interlace 0), one IDAT holding the zlib
 * stream of the scanlines (each prefixed with filter byte 0 = None), and an empty IEND.
 *
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const redPixel = encodePng(new Uint8Array([255, 0, 0]), { width: 1, height: 1, channels: 3 });
 * redPixel.length > 8; // true
 * ```
 * @module
 */
import { deflateSync } from "node:zlib";

/** Size and channel count of an interleaved uint8 image. */
export interface PngShape {
  /** Pixels per row, ≥ 1. */
  width: number;
  /** Rows, ≥ 1. */
  height: number;
  /** 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA. */
  channels: 1 | 2 | 3 | 4;
}

const COLOUR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of `bytes`, as PNG chunks use. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes interleaved uint8 pixels (row-major, `height × width × channels`) as a PNG file.
 * Throws if the shape is not positive integers, `channels` is not 1–4, or the pixel count
 * does not match.
 */
export function encodePng(pixels: Uint8Array, shape: PngShape): Uint8Array {
  const { width, height, channels } = shape;
  for (const [name, value] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (!(channels in COLOUR_TYPE)) throw new Error(`channels must be 1, 2, 3 or 4, got ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new Error(
      `pixels must hold width*height*channels = ${
        width * height * channels
      } bytes, got ${pixels.length}`,
    );
  }
  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = COLOUR_TYPE[channels];
  // compression 0, filter method 0, interlace 0 are already zero.
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: None
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Base64 of `bytes` (for `image/png` bundle entries and `data:` URIs). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}
