/**
 * The run records committed in `pretrained/` (what a clean clone's notebooks load instead of
 * training): each reads back verified (hashes, weights' SHA-256, the float16 check within
 * tolerance), belongs to a run its scale's sweep still declares (a record left from an older
 * regime would be loaded by nobody and only weigh on every clone), and all of them together stay
 * within issue 16's 40 MB.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sweepRuns } from "../../lib/experiments/run_list.ts";
import { SCALES } from "../../lib/experiments/scale.ts";
import { FLOAT16_TOLERANCE, listRunRecords, readRunRecord } from "../../lib/training/run_record.ts";

const PRETRAINED = fileURLToPath(new URL("../../pretrained/", import.meta.url));
const MAX_TOTAL_BYTES = 40 * 1024 * 1024;

async function directorySize(path: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    const full = join(path, entry.name);
    total += entry.isDirectory ? await directorySize(full) : (await Deno.stat(full)).size;
  }
  return total;
}

Deno.test("committed run records: verified, declared by their scale's sweep, ≤ 40 MB in all", async () => {
  let total = 0;
  let records = 0;
  for (const scale of SCALES) {
    const dir = join(PRETRAINED, scale);
    const exists = await Deno.stat(dir).then(() => true, () => false);
    if (!exists) continue;
    const declared = new Set(sweepRuns(scale).map((r) => r.hash));
    for (const listing of await listRunRecords(dir)) {
      const record = await readRunRecord(dir, listing.hash);
      assert.ok(
        declared.has(listing.hash),
        `pretrained/${scale}/${listing.hash} is no run of the ${scale} sweep; delete it`,
      );
      const check = record.header.float16Check;
      assert.ok(check.passed, `pretrained/${scale}/${listing.hash}: float16 check failed`);
      assert.ok(Math.abs(check.top1DeltaPoints) <= FLOAT16_TOLERANCE.top1Points, listing.hash);
      assert.equal(check.float32.top1Error, record.final.test.top1Error, listing.hash);
      records++;
    }
    total += await directorySize(dir);
  }
  assert.ok(total <= MAX_TOTAL_BYTES, `pretrained/ holds ${total} bytes, over ${MAX_TOTAL_BYTES}`);
  console.log(`${records} record(s), ${(total / 1024 / 1024).toFixed(1)} MiB`);
});
