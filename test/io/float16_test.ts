import assert from "node:assert/strict";
import {
  decodeFloat16,
  encodeFloat16,
  float16Bits,
  float16Value,
  roundToFloat16,
} from "../../lib/io/float16.ts";

Deno.test("float16Bits: hand-made exact cases (normals, subnormals, zeros, infinities, NaN)", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [1 / 3, 0x3555], // 0.333251953125
    [65504, 0x7bff], // the largest half
    [65519.99, 0x7bff], // just below the overflow midpoint
    [65520, 0x7c00], // the midpoint: ties to even → 2^16 = ∞
    [-1e6, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [NaN, 0x7e00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: a tie, to even (0)
    [1.5 * 2 ** -24, 0x0002], // a tie between 1 and 2 steps: to even (2)
    [2.5 * 2 ** -24, 0x0002], // between 2 and 3: to even (2)
    [2 ** -25 + 2 ** -40, 0x0001], // just above the tie
    [-(2 ** -26), 0x8000], // underflows to −0
    [1023.5 * 2 ** -24, 0x0400], // the largest subnormal's tie rounds up into the normals
    // Ties in the normal range: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
    [1 + 2 ** -11, 0x3c00], // to even (mantissa 0)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between mantissa 1 and 2: to 2
    [1 + 2 ** -11 + 2 ** -30, 0x3c01], // just above the tie
    [2 - 2 ** -12, 0x4000], // rounds up to the next power of two
    [0.1, 0x2e66],
    [-0.0999755859375, 0xae66],
  ];
  for (const [value, bits] of cases) {
    assert.equal(float16Bits(value), bits, `${value} → 0x${float16Bits(value).toString(16)}`);
  }
});

Deno.test("float16Value inverts float16Bits on every finite pattern, and decodes the specials", () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const exponent = (bits >> 10) & 0x1f;
    const value = float16Value(bits);
    if (exponent === 0x1f && (bits & 0x3ff) !== 0) {
      assert.ok(Number.isNaN(value));
      continue;
    }
    assert.equal(float16Bits(value), bits, `0x${bits.toString(16)}`);
  }
  assert.equal(float16Value(0x0001), 2 ** -24);
  assert.equal(float16Value(0x3bff), 1 - 2 ** -11);
  assert.ok(Object.is(float16Value(0x8000), -0));
  assert.equal(float16Value(0xfc00), -Infinity);
});

Deno.test("float16 agrees with the runtime's Math.f16round on float32 values (when it has one)", () => {
  const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;
  if (f16round === undefined) return; // the hand-made cases above still pin the codec
  // Every 97th float32 bit pattern: all exponents, signs, NaNs and ties' neighbourhoods.
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  let checked = 0;
  for (let pattern = 0; pattern < 2 ** 32; pattern += 97 * 65537) {
    bits[0] = pattern;
    const x = asFloat[0];
    const expected = f16round(x);
    const got = float16Value(float16Bits(x));
    if (Number.isNaN(expected)) assert.ok(Number.isNaN(got));
    else assert.ok(Object.is(got, expected), `${x}: ${got} vs ${expected}`);
    checked++;
  }
  assert.ok(checked > 600);
});

Deno.test("encodeFloat16 / decodeFloat16 / roundToFloat16 on arrays", () => {
  const values = new Float32Array([0.1, -3, 1e-7, 1e6, -0, NaN]);
  const halves = encodeFloat16(values);
  assert.deepEqual([...halves], [0x2e66, 0xc200, 0x0002, 0x7c00, 0x8000, 0x7e00]);
  const back = decodeFloat16(halves);
  assert.ok(back instanceof Float32Array);
  assert.deepEqual([...back.slice(0, 4)], [0.0999755859375, -3, 2 ** -23, Infinity]);
  assert.ok(Object.is(back[4], -0) && Number.isNaN(back[5]));
  assert.deepEqual([...roundToFloat16(values).slice(0, 4)], [...back.slice(0, 4)]);
});
