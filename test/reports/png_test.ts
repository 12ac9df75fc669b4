import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { crc32, encodePng, toBase64 } from "../../lib/reports/png.ts";

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("encodePng writes signature, IHDR, IDAT with filtered scanlines and IEND", () => {
  const pixels = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]); // 2×2 RGB
  const png = encodePng(pixels, { width: 2, height: 2, channels: 3 });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  const chunks: { type: string; data: Uint8Array }[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(
      view.getUint32(offset + 8 + length),
      crc32(png.subarray(offset + 4, offset + 8 + length)),
    );
    chunks.push({ type, data });
    offset += 12 + length;
  }
  assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  assert.deepEqual([...chunks[0].data], [0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const raw = new Uint8Array(inflateSync(chunks[1].data));
  assert.deepEqual([...raw], [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 10, 20, 30]);
});

Deno.test("encodePng rejects mismatched sizes and channels", () => {
  assert.throws(
    () => encodePng(new Uint8Array(5), { width: 2, height: 1, channels: 3 }),
    /6 bytes, got 5/,
  );
  assert.throws(() => encodePng(new Uint8Array(0), { width: 0, height: 1, channels: 3 }), /width/);
  assert.throws(
    () => encodePng(new Uint8Array(5), { width: 1, height: 1, channels: 5 as 3 }),
    /channels must be 1, 2, 3 or 4, got 5/,
  );
});

Deno.test("toBase64 matches btoa on small and chunk-crossing inputs", () => {
  assert.equal(toBase64(new Uint8Array([0, 1, 2, 253, 254, 255])), "AAEC/f7/");
  const big = new Uint8Array(0x8000 * 2 + 7).map((_, i) => (i * 31) & 255);
  assert.equal(
    toBase64(big),
    btoa(
      String.fromCharCode(...big.subarray(0, 0x8000)) +
        String.fromCharCode(...big.subarray(0x8000, 0x10000)) +
        String.fromCharCode(...big.subarray(0x10000)),
    ),
  );
});
