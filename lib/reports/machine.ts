/**
 * A one-line description of the machine a report was produced on (CPU model and its vector
 * extensions, cores, memory, OS, Deno version), for the reports index and notebooks' headers.
 * The extensions matter as much as the model name: two machines that both say "AMD EPYC" trained
 * ResNet-20 2.7x (PyTorch) to 4.6x (TensorFlow) apart, one with AVX-512 and AMX, one with AVX2.
 *
 * @example
 * ```ts
 * import { describeMachine } from "./machine.ts";
 * describeMachine().summary; // e.g. "AMD EPYC (AVX2), 2 cores, 24 GiB, linux x86_64, Deno 2.8.1"
 * ```
 * @module
 */

/** What is known about the machine. */
export interface MachineDescription {
  /** CPU model name (from /proc/cpuinfo on Linux), or "unknown CPU". */
  cpuModel: string;
  /** {@link vectorExtensions} of the CPU (empty when unknown). */
  vectorExtensions: string[];
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

function readCpuinfo(): string {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo");
  } catch { /* not Linux */ }
  return "";
}

/** The CPU model name in `/proc/cpuinfo` text, or "unknown CPU". */
export function cpuModelName(cpuinfo: string): string {
  const match = cpuinfo.match(/^model name\s*:\s*(.+)$/m);
  return match ? match[1].trim().replace(/\s+/g, " ") : "unknown CPU";
}

/**
 * The vector and matrix extensions that decide which CPU kernels TensorFlow and PyTorch run, from
 * the `flags` line of `/proc/cpuinfo` text: the widest of AVX-512 / AVX2 / AVX, then VNNI, BF16
 * and AMX when present (TensorFlow turns oneDNN on by itself only with the last three).
 *
 * @example
 * ```ts
 * import { vectorExtensions } from "./machine.ts";
 * vectorExtensions("flags : fpu sse2 avx avx2 fma"); // ["AVX2"]
 * ```
 */
export function vectorExtensions(cpuinfo: string): string[] {
  const flags = new Set(cpuinfo.match(/^flags\s*:\s*(.+)$/m)?.[1].split(/\s+/) ?? []);
  const found: string[] = [];
  const widest = [["avx512f", "AVX-512"], ["avx2", "AVX2"], ["avx", "AVX"]].find(([flag]) =>
    flags.has(flag)
  );
  if (widest) found.push(widest[1]);
  if (flags.has("avx512_vnni")) found.push("VNNI");
  if (flags.has("avx512_bf16")) found.push("BF16");
  if (flags.has("amx_tile")) found.push("AMX");
  return found;
}

/**
 * The CPU as reports and the bench name it: the model and its {@link vectorExtensions}.
 *
 * @example
 * ```ts
 * import { cpuLabel } from "./machine.ts";
 * cpuLabel("model name : AMD EPYC\nflags : fpu avx avx2"); // "AMD EPYC (AVX2)"
 * ```
 */
export function cpuLabel(cpuinfo: string): string {
  const extensions = vectorExtensions(cpuinfo);
  const model = cpuModelName(cpuinfo);
  return extensions.length ? `${model} (${extensions.join(", ")})` : model;
}

/** Describes the current machine. */
export function describeMachine(): MachineDescription {
  const cores = navigator.hardwareConcurrency;
  let memoryGiB: number | null = null;
  try {
    memoryGiB = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  } catch { /* unsupported platform */ }
  const platform = `${Deno.build.os} ${Deno.build.arch}`;
  const cpuinfo = readCpuinfo();
  return {
    cpuModel: cpuModelName(cpuinfo),
    vectorExtensions: vectorExtensions(cpuinfo),
    cores,
    memoryGiB,
    platform,
    deno: Deno.version.deno,
    summary:
      `${cpuLabel(cpuinfo)}, ${cores} cores${memoryGiB === null ? "" : `, ${memoryGiB} GiB`}, ` +
      `${platform}, Deno ${Deno.version.deno}`,
  };
}
