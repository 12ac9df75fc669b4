/**
 * Releasing the pages of TensorFlow's shared libraries that loading them read (Linux): the dynamic
 * loader reads every relocation and symbol table, and TensorFlow's static initialisers (one per
 * op and kernel it registers) run code spread over the whole library, so right after tfjs-node
 * loads, ~240 MiB of TensorFlow's read-only code and data are resident, most of which training
 * never touches again (ResNet-20 at batch 2: a peak RSS of 472 MiB, against PyTorch's 316).
 *
 * These pages are clean copies of the library file: `madvise(MADV_DONTNEED)` on a read-only
 * private file mapping only unmaps them, and a page touched again is mapped back from the page
 * cache (a minor fault), identical. Mappings that hold a private copy of any page (relocated
 * data, written pages: `Private_Dirty` or `Anonymous` above 0 in `/proc/self/smaps`) or may be
 * written are left alone, since there dropping would lose the copy. The same ResNet-20 run peaks
 * at 289 MiB after the release (docs/performance.md).
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import { releaseLibraryPages } from "./resident_pages.ts";
 * await useBackend({ kind: "tensorflow" });
 * const releasedBytes = releaseLibraryPages();
 * console.log(`${(releasedBytes / 2 ** 20).toFixed(0)} MiB released`);
 * ```
 * @module
 */

/** A mapping of `/proc/self/smaps` whose pages {@link releaseLibraryPages} may drop. */
export interface ReleasableMapping {
  /** First address. */
  readonly start: bigint;
  /** One past the last address. */
  readonly end: bigint;
  /** Its resident bytes (`Rss`). */
  readonly residentBytes: number;
}

/** `MADV_DONTNEED` on Linux (every architecture Deno runs on). */
const MADV_DONTNEED = 4;

/**
 * The mappings of `smaps` (the text of `/proc/<pid>/smaps`) of a file whose path contains
 * `pathPart`, not writable, with no private page (`Private_Dirty` and `Anonymous` 0 kB) and some
 * resident: those whose pages can be dropped and read back unchanged. Throws on text that is not
 * smaps (a mapping without its `Rss`, `Private_Dirty` and `Anonymous` lines).
 */
export function releasableMappings(smaps: string, pathPart: string): ReleasableMapping[] {
  const found: ReleasableMapping[] = [];
  let mapping: { start: bigint; end: bigint; writable: boolean; path: string } | undefined;
  let fields = new Map<string, number>();
  const finish = () => {
    if (mapping === undefined) return;
    const kb = (name: string) => {
      const value = fields.get(name);
      if (value === undefined) {
        throw new Error(
          `releasableMappings: the mapping of "${mapping!.path}" has no ${name} line`,
        );
      }
      return value;
    };
    const residentKb = kb("Rss");
    if (
      mapping.path.includes(pathPart) && !mapping.writable && residentKb > 0 &&
      kb("Private_Dirty") === 0 && kb("Anonymous") === 0
    ) {
      found.push({ start: mapping.start, end: mapping.end, residentBytes: residentKb * 1024 });
    }
  };
  for (const line of smaps.split("\n")) {
    const header = line.match(/^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) \S+ \S+ \S+\s*(.*)$/);
    if (header !== null) {
      finish();
      const [, start, end, perms, path] = header;
      mapping = {
        start: BigInt(`0x${start}`),
        end: BigInt(`0x${end}`),
        writable: perms[1] === "w",
        path,
      };
      fields = new Map();
      continue;
    }
    const field = line.match(/^(\w+):\s+(\d+) kB$/);
    if (field !== null) fields.set(field[1], Number(field[2]));
  }
  finish();
  return found;
}

/**
 * Drops this process's resident pages of the read-only mappings of TensorFlow's libraries
 * (files whose path contains `libtensorflow`; see the module doc). Call it once, after the native
 * backend loaded and before training allocates. Returns the resident bytes released; 0 where there
 * is nothing to release or no `/proc/self/smaps` (not Linux). Throws if `madvise` refuses a
 * mapping, naming it.
 */
export function releaseLibraryPages(pathPart = "libtensorflow"): number {
  if (Deno.build.os !== "linux") return 0;
  const mappings = releasableMappings(Deno.readTextFileSync("/proc/self/smaps"), pathPart);
  if (mappings.length === 0) return 0;
  const libc = Deno.dlopen("libc.so.6", {
    madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  });
  try {
    let released = 0;
    for (const { start, end, residentBytes } of mappings) {
      const failed = libc.symbols.madvise(
        Deno.UnsafePointer.create(start),
        end - start,
        MADV_DONTNEED,
      );
      if (failed !== 0) {
        throw new Error(
          `releaseLibraryPages: madvise(MADV_DONTNEED) refused 0x${start.toString(16)}-` +
            `0x${end.toString(16)}`,
        );
      }
      released += residentBytes;
    }
    return released;
  } finally {
    libc.close();
  }
}
