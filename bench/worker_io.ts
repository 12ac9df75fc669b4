/**
 * The worker protocol's process-side helpers, shared by bench/worker.ts and the experiments that
 * speak its protocol (bench/experiments/graph_step_capi.ts): process CPU time, and standard input
 * line by line (paired mode's `run` requests).
 *
 * @example
 * ```ts
 * import { processCpuMs } from "./worker_io.ts";
 * const start = processCpuMs();
 * // … work …
 * console.log(`${processCpuMs() - start} ms of CPU`);
 * ```
 * @module
 */
/**
 * CPU time of this process so far, ms (utime + stime of /proc/self/stat, in clock ticks of
 * 10 ms); NaN where /proc is unavailable. Unlike wall time it barely moves when other processes
 * compete for the cores.
 */
export function processCpuMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // fields 14, 15 of proc(5)
  } catch {
    return NaN;
  }
}

/** Lines of standard input, without their newlines. */
export async function* stdinLines(): AsyncGenerator<string> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
}
