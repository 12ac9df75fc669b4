import assert from "node:assert/strict";
import { writeFileAtomic } from "../../lib/io/atomic_write.ts";

Deno.test("writeFileAtomic: writes text and bytes, creates folders, leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFileAtomic(`${dir}/a/b/text.json`, '{"x":1}');
    await writeFileAtomic(`${dir}/bytes.bin`, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(`${dir}/bytes.bin`, new Uint8Array([4, 5])); // replaces
    assert.equal(await Deno.readTextFile(`${dir}/a/b/text.json`), '{"x":1}');
    assert.deepEqual(await Deno.readFile(`${dir}/bytes.bin`), new Uint8Array([4, 5]));
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["a", "bytes.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a failed write leaves the old file and no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFileAtomic(`${dir}/target`, "old");
    // A folder in the target's place makes the final rename fail after the data was written.
    await Deno.mkdir(`${dir}/blocked/inner`, { recursive: true });
    await assert.rejects(() => writeFileAtomic(`${dir}/blocked`, "new"));
    assert.equal(await Deno.readTextFile(`${dir}/target`), "old");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["blocked", "target"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
