/**
 * A one-line description of the machine a report was produced on (CPU model, cores, memory, OS,
 * Deno version), for the reports index and notebooks' headers.
 *
 * @example
 * ```ts
 * import { describeMachine } from "./machine.ts";
 * describeMachine().summary; // e.g. "Intel(R) Xeon(R) Platinum 8488C, 2 cores, 24 GiB, linux x86_64, Deno 2.8.1"
 * ```
 * @module
 */

/** What is known about the machine. */
export interface MachineDescription {
  /** CPU model name (from /proc/cpuinfo on Linux), or "unknown CPU". */
  cpuModel: string;
  /** Logical cores available to this process. */
  cores: number;
  /** Total memory in GiB (rounded), or null when unknown. */
  memoryGiB: number | null;
  /** `${Deno.build.os} ${Deno.build.arch}`. */
  platform: string;
  /** Deno's version. */
  deno: string;
  /** Everything in one line. */
  summary: string;
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const match = info.match(/^model name\s*:\s*(.+)$/m);
    if (match) return match[1].trim().replace(/\s+/g, " ");
  } catch { /* not Linux */ }
  return "unknown CPU";
}

/** Describes the current machine. */
export function describeMachine(): MachineDescription {
  const cores = navigator.hardwareConcurrency;
  let memoryGiB: number | null = null;
  try {
    memoryGiB = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  } catch { /* unsupported platform */ }
  const platform = `${Deno.build.os} ${Deno.build.arch}`;
  const model = cpuModel();
  return {
    cpuModel: model,
    cores,
    memoryGiB,
    platform,
    deno: Deno.version.deno,
    summary: `${model}, ${cores} cores${memoryGiB === null ? "" : `, ${memoryGiB} GiB`}, ` +
      `${platform}, Deno ${Deno.version.deno}`,
  };
}
