/**
 * Atomic file writes: nothing half-written is ever left at the target path.
 *
 * The data goes to a uniquely named temporary file in the target's folder (same file system, so
 * the rename is atomic), which is then renamed over the target; on any error the temporary file is
 * removed and the target is untouched. Parent folders are created.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/metrics.json`, JSON.stringify({ top1: 0.05 }));
 * ```
 * @module
 */
import { dirname } from "node:path";

/** Writes `data` (bytes or UTF-8 text) to `path` atomically. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
