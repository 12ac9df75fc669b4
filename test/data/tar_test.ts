import assert from "node:assert/strict";
import { readTar, writeTar } from "../../lib/data/tar.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Rewrites the type flag of the header at `offset` and fixes its checksum. */
function retype(tar: Uint8Array, offset: number, typeFlag: string): void {
  const header = tar.subarray(offset, offset + 512);
  header[156] = typeFlag.charCodeAt(0);
  header.fill(32, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.set(encoder.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
}

Deno.test("readTar reads back what writeTar wrote, sizes not multiples of 512 included", () => {
  const files = [
    { name: "dir/a.bin", data: new Uint8Array([1, 2, 3]) },
    { name: "dir/empty.txt", data: new Uint8Array(0) },
    { name: "dir/block.bin", data: new Uint8Array(513).fill(7) },
  ];
  const entries = readTar(writeTar(files), "t.tar");
  assert.deepEqual(entries.map((e) => [e.name, e.type, Array.from(e.data)]), [
    ["dir/a.bin", "file", [1, 2, 3]],
    ["dir/empty.txt", "file", []],
    ["dir/block.bin", "file", Array.from(new Uint8Array(513).fill(7))],
  ]);
});

Deno.test("readTar takes a GNU long name (L entry) for names over 100 bytes", () => {
  const long = `${"d".repeat(80)}/${"f".repeat(60)}.bin`;
  const [entry] = readTar(writeTar([{ name: long, data: encoder.encode("x") }]), "t.tar");
  assert.equal(entry.name, long);
  assert.equal(decoder.decode(entry.data), "x");
});

Deno.test("readTar takes a pax header's path= record and skips global pax headers", () => {
  const path = "cifar-10-batches-bin/test_batch.bin";
  const record = (key: string, value: string) => {
    const body = ` ${key}=${value}\n`;
    let length = body.length + 1; // a record's length counts its own digits
    while (String(length).length + body.length !== length) length++;
    return `${length}${body}`;
  };
  const paxBody = encoder.encode(record("mtime", "1.5") + record("path", path));
  const tar = writeTar([
    { name: "pax_global_header", data: encoder.encode(record("comment", "x")) },
    { name: "PaxHeaders/short", data: paxBody },
    { name: "short", data: encoder.encode("payload") },
  ]);
  retype(tar, 0, "g");
  retype(tar, 1024, "x");
  const entries = readTar(tar, "t.tar");
  assert.equal(entries.length, 1);
  assert.equal(entries[0].name, path);
  assert.equal(decoder.decode(entries[0].data), "payload");
});

Deno.test("readTar strips ./, keeps directories, skips links", () => {
  const tar = writeTar([
    { name: "./d/", data: new Uint8Array(0) },
    { name: "./d/link", data: new Uint8Array(0) },
    { name: "./d/f", data: encoder.encode("z") },
  ]);
  retype(tar, 0, "5");
  retype(tar, 512, "2");
  assert.deepEqual(readTar(tar, "t.tar").map((e) => [e.name, e.type]), [
    ["d", "directory"],
    ["d/f", "file"],
  ]);
});

Deno.test("readTar rejects a bad checksum, naming the archive and the offset", () => {
  const tar = writeTar([{ name: "a", data: encoder.encode("abc") }]);
  tar[0] = "b".charCodeAt(0);
  assert.throws(() => readTar(tar, "bad.tar"), /bad\.tar: tar header at byte 0: checksum/);
});

Deno.test("readTar rejects a truncated archive, naming the member", () => {
  const tar = writeTar([{ name: "dir/data.bin", data: new Uint8Array(2000) }]);
  assert.throws(
    () => readTar(tar.subarray(0, 1200), "cut.tar"),
    /cut\.tar: member "dir\/data\.bin" needs 2000 bytes .*truncated/,
  );
  assert.throws(() => readTar(tar.subarray(0, 300), "cut.tar"), /cut\.tar: 300 stray bytes/);
});

Deno.test("readTar refuses members that escape the archive", () => {
  const tar = writeTar([{ name: "../evil", data: encoder.encode("x") }]);
  assert.throws(() => readTar(tar, "evil.tar"), /evil\.tar: member "\.\.\/evil" escapes/);
  const abs = writeTar([{ name: "/etc/x", data: encoder.encode("x") }]);
  assert.throws(() => readTar(abs, "abs.tar"), /escapes/);
});
