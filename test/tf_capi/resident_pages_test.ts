import assert from "node:assert/strict";
import { testWhen } from "../_skip.ts";
import { backendInfo, tf } from "../_backend.ts";
import { releasableMappings, releaseLibraryPages } from "../../lib/tf_capi/resident_pages.ts";

/** One smaps entry: the header line and its kB fields. */
function entry(range: string, perms: string, path: string, kb: Record<string, number>): string {
  return [
    `${range} ${perms} 00000000 103:02 1234    ${path}`,
    ...Object.entries(kb).map(([name, v]) => `${name}:${" ".repeat(16 - name.length)}${v} kB`),
    "VmFlags: rd mr mw me",
  ].join("\n");
}

const LIB = "/opt/tf/libtensorflow_cc.so.2";
const clean = { Size: 400, Rss: 120, Private_Dirty: 0, Anonymous: 0 };

Deno.test("releasableMappings: read-only, wholly clean, resident mappings of the named file only", () => {
  const smaps = [
    entry("7f0000000000-7f0000064000", "r--p", LIB, clean),
    entry("7f0000064000-7f00000c8000", "r-xp", LIB, { ...clean, Rss: 96 }),
    // Relocated data (RELRO): private copies, which dropping would turn back into the file's bytes.
    entry("7f00000c8000-7f00000ca000", "r--p", LIB, {
      Size: 8,
      Rss: 8,
      Private_Dirty: 8,
      Anonymous: 8,
    }),
    entry("7f00000ca000-7f00000cc000", "rw-p", LIB, {
      Size: 8,
      Rss: 4,
      Private_Dirty: 0,
      Anonymous: 0,
    }),
    entry("7f00000cc000-7f00000d0000", "r--p", LIB, { ...clean, Rss: 0 }),
    entry("7f1000000000-7f1000064000", "r-xp", "/usr/lib/libc.so.6", clean),
    entry("7f2000000000-7f2000001000", "rw-p", "", {
      Size: 4,
      Rss: 4,
      Private_Dirty: 4,
      Anonymous: 4,
    }),
  ].join("\n");
  assert.deepEqual(releasableMappings(smaps, "libtensorflow"), [
    { start: 0x7f0000000000n, end: 0x7f0000064000n, residentBytes: 120 * 1024 },
    { start: 0x7f0000064000n, end: 0x7f00000c8000n, residentBytes: 96 * 1024 },
  ]);
  assert.deepEqual(releasableMappings(smaps, "libcuda"), []);
  assert.deepEqual(releasableMappings("", "libtensorflow"), []);
  assert.throws(
    () => releasableMappings(entry("7f00-7f01", "r--p", LIB, { Rss: 4, Anonymous: 0 }), "lib"),
    /the mapping of "\/opt\/tf\/libtensorflow_cc.so.2" has no Private_Dirty line/,
  );
});

testWhen(
  backendInfo.native && Deno.build.os === "linux",
  "native TensorFlow on Linux (the pages released are its library's)",
  {
    name: "releaseLibraryPages: TensorFlow's clean pages leave the process; it computes as before",
    fn() {
      const resident = () =>
        releasableMappings(Deno.readTextFileSync("/proc/self/smaps"), "libtensorflow")
          .reduce((sum, m) => sum + m.residentBytes, 0);
      // The tests before this one ran TensorFlow's kernels, which mapped some pages back.
      tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync());
      const before = resident();
      assert.ok(before > 1 << 20, `only ${before} bytes of TensorFlow's library resident`);
      const released = releaseLibraryPages();
      assert.ok(released >= before * 0.9, `released ${released} of ${before} bytes`);
      assert.ok(resident() < before / 10, `${resident()} of ${before} bytes still resident`);
      const product = tf.tidy(() =>
        tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).dataSync()
      );
      assert.deepEqual([...product], [19, 22, 43, 50]);
    },
  },
);
