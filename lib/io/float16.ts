/**
 * IEEE 754 binary16 ("half", float16) encoding of numbers, for storing model weights at half the
 * size of float32: round to nearest, ties to even, exactly (from the double value, so a float32
 * input is rounded once); subnormals, ±0 and ±∞ kept; finite values of magnitude ≥ 65520 (the
 * midpoint above the largest half, 65504) overflow to ±∞; every NaN becomes the quiet NaN 0x7e00.
 *
 * Plain arithmetic only (no `Math.f16round` / `Float16Array`, which Node 20 lacks).
 *
 * @example
 * ```ts
 * import { decodeFloat16, encodeFloat16, float16Bits } from "./float16.ts";
 * console.log(float16Bits(1) === 0x3c00, float16Bits(65504) === 0x7bff); // true true
 * const halves = encodeFloat16(new Float32Array([0.1, 1e-7, 1e6]));
 * console.log(decodeFloat16(halves)); // Float32Array [0.0999755859375, 1.1920928955078125e-7, Infinity]
 * ```
 * @module
 */

/** 2^-24: the smallest positive subnormal half. */
const SUBNORMAL_STEP = 2 ** -24;
/** 2^-14: the smallest positive normal half. */
const MIN_NORMAL = 2 ** -14;
/** Magnitudes from here up round to infinity (halfway between 65504 and 2^16, tie to even). */
const OVERFLOW = 65520;

/** `q` rounded to the nearest integer, ties to even (q ≥ 0, below 2^52, so `q - floor` is exact). */
function roundHalfEven(q: number): number {
  const floor = Math.floor(q);
  const rest = q - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The float16 bit pattern (0..0xffff) nearest to `value` (see the module doc for the rules). */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= OVERFLOW) return sign | 0x7c00;
  // Scaling by powers of two is exact, so each quotient below is the exact value in half units.
  if (magnitude < MIN_NORMAL) return sign | roundHalfEven(magnitude / SUBNORMAL_STEP); // 0x400: 2^-14
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 may be off by one next to a power of two; fix it so 2^exponent ≤ magnitude < 2^(exponent+1).
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) { // rounded up to the next power of two
    mantissa = 0;
    exponent++;
  }
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** The value of the float16 bit pattern `bits` (its low 16 bits). */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * SUBNORMAL_STEP;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Every value of `values` as float16 bit patterns. */
export function encodeFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
  return out;
}

/** Float16 bit patterns back to float32 (exact: every half is a float32). */
export function decodeFloat16(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16Value(bits[i]);
  return out;
}

/** `values` rounded to float16 and back: what a float16 store keeps of them. */
export function roundToFloat16(values: ArrayLike<number>): Float32Array {
  return decodeFloat16(encodeFloat16(values));
}
