/**
 * Checkpoints: named float32 tensors plus a JSON header in one file, written atomically (a
 * temporary file beside the target, then a rename), so a run killed at any moment leaves either
 * the previous checkpoint or the new one, never half of one.
 *
 * Layout: the 8 bytes `CMXCKPT1`, a little-endian uint32 header length, the UTF-8 JSON header
 * `{ meta, tensors: [{ name, shape, offset }] }` (offsets in float32 elements), zero padding to a
 * multiple of 4 bytes, then the little-endian float32 values.
 *
 * @example
 * ```ts
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 * const path = await Deno.makeTempFile({ suffix: ".ckpt" });
 * await writeCheckpoint(path, { epochsDone: 3 }, new Map([["w", { shape: [2], values: new Float32Array([1, 2]) }]]));
 * const { meta, tensors } = await readCheckpoint(path);
 * console.log(meta.epochsDone, tensors.get("w")!.values); // 3 Float32Array [1, 2]
 * ```
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { writeFileAtomic } from "../io/atomic_write.ts";

const MAGIC = "CMXCKPT1";

/** One stored tensor's values. */
export interface StoredTensor {
  /** The tensor's shape; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Its float32 values, row-major: as many as the product of `shape`. */
  readonly values: Float32Array;
}

/** What {@link readCheckpoint} returns. */
export interface Checkpoint<M> {
  /** The JSON metadata written with the tensors (a run directory's is {@link CheckpointMeta}). */
  readonly meta: M;
  /** The tensors by the names they were written under, in file order. */
  readonly tensors: Map<string, StoredTensor>;
}

/** Reads the values of live tensors (synchronously) for {@link writeCheckpoint}. */
export function snapshotTensors(tensors: Iterable<[string, Tensor]>): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of tensors) {
    if (out.has(name)) throw new Error(`snapshotTensors: duplicate name "${name}"`);
    out.set(name, { shape: [...t.shape], values: Float32Array.from(t.dataSync() as Float32Array) });
  }
  return out;
}

/** Encodes a checkpoint to bytes (see the module doc for the layout). */
export function encodeCheckpoint(meta: unknown, tensors: Map<string, StoredTensor>): Uint8Array {
  const entries: { name: string; shape: number[]; offset: number }[] = [];
  let total = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) {
      throw new Error(
        `checkpoint tensor "${name}": shape [${t.shape}] does not hold ${t.values.length} values`,
      );
    }
    entries.push({ name, shape: [...t.shape], offset: total });
    total += size;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const headerEnd = 12 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const bytes = new Uint8Array(dataStart + total * 4);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, header.length, true);
  bytes.set(header, 12);
  const data = new Float32Array(bytes.buffer, dataStart, total);
  for (const [i, t] of [...tensors.values()].entries()) data.set(t.values, entries[i].offset);
  return bytes;
}

/**
 * Thrown when a checkpoint file cannot be decoded: truncated, overwritten, or not a checkpoint.
 * `path` names the file; the message says what is wrong with it.
 */
export class CheckpointDamagedError extends Error {
  /** The damaged file (or the label the bytes were decoded under). */
  readonly path: string;
  /**
   * An error whose message is "`path` is damaged: `problem`".
   *
   * @param problem what is wrong, e.g. "not a checkpoint (12 bytes, no CMXCKPT1 header)".
   */
  constructor(path: string, problem: string) {
    super(`${path} is damaged: ${problem}`);
    this.name = "CheckpointDamagedError";
    this.path = path;
  }
}

/**
 * Decodes bytes written by {@link encodeCheckpoint}; `label` names the source in errors. Throws
 * {@link CheckpointDamagedError} for anything but a whole checkpoint.
 */
export function decodeCheckpoint<M>(bytes: Uint8Array, label: string): Checkpoint<M> {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointDamagedError(
      label,
      `not a checkpoint (${bytes.length} bytes, no ${MAGIC} header)`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    throw new CheckpointDamagedError(
      label,
      `its ${headerLength}-byte header runs past the end of the ${bytes.length}-byte file (truncated?)`,
    );
  }
  let header: { meta: M; tensors: { name: string; shape: number[]; offset: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
    if (!Array.isArray(header.tensors)) throw new Error("no tensor list");
  } catch (error) {
    throw new CheckpointDamagedError(label, `unreadable header (${(error as Error).message})`);
  }
  const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
  const count = Math.floor(Math.max(0, bytes.length - dataStart) / 4);
  let expected = 0;
  for (const { shape, offset } of header.tensors) {
    expected = Math.max(expected, offset + shape.reduce((a, b) => a * b, 1));
  }
  if (count < expected || bytes.length !== dataStart + 4 * count) {
    throw new CheckpointDamagedError(
      label,
      `${bytes.length} bytes where its header needs ${dataStart + 4 * expected} ` +
        `(truncated, or written by something else)`,
    );
  }
  // Copy to an aligned buffer (the file's bytes may sit at any offset).
  const data = new Float32Array(bytes.slice(dataStart).buffer);
  const tensors = new Map<string, StoredTensor>();
  for (const { name, shape, offset } of header.tensors) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.set(name, { shape, values: data.subarray(offset, offset + size) });
  }
  return { meta: header.meta, tensors };
}

/** Writes a checkpoint atomically. */
export async function writeCheckpoint(
  path: string,
  meta: unknown,
  tensors: Map<string, StoredTensor>,
): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(meta, tensors));
}

/** Reads a checkpoint written by {@link writeCheckpoint}. */
export async function readCheckpoint<M = Record<string, unknown>>(
  path: string,
): Promise<Checkpoint<M>> {
  return decodeCheckpoint<M>(await Deno.readFile(path), path);
}
