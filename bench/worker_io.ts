/**
 * The worker protocol's process side, for bench/worker.ts and any experiment that speaks it: the
 * timed runs of a job, on request in paired mode.
 *
 * @example
 * ```ts
 * import { timedRuns } from "./worker_io.ts";
 * const job = { task: "train", model: "resnet20", batch: 2, runs: 3, stepsPerRun: 5, warmupSteps: 0 } as const;
 * const { imagesPerSecondRuns } = await timedRuns(job, () => {}, () => {});
 * console.log(imagesPerSecondRuns.length); // 3
 * ```
 * @module
 */
import type { Job } from "./_job.ts";

/**
 * CPU time of this process so far, ms (utime + stime of /proc/self/stat, in clock ticks of
 * 10 ms); NaN where /proc is unavailable. Unlike wall time it barely moves when other processes
 * compete for the cores.
 */
function processCpuMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // fields 14, 15 of proc(5)
  } catch {
    return NaN;
  }
}

/** Lines of standard input, without their newlines. */
async function* stdinLines(): AsyncGenerator<string> {
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

/** What {@link timedRuns} measured, one entry per timed run. */
export interface TimedRuns {
  imagesPerSecondRuns: number[];
  /** Process CPU milliseconds (all threads) per image. */
  cpuMsPerImageRuns: number[];
  /** Wall milliseconds per step. */
  msRuns: number[];
}

/**
 * `job.runs` timed runs of `job.stepsPerRun` calls of `step`; in serve (paired) mode, prints
 * `READY`, then does one run per `run` line on standard input and answers `RUN <images/s> <CPU
 * ms/image>`, until another line or the end of input. `afterRun` samples whatever the caller
 * tracks per run (tensor counts, memory).
 */
export async function timedRuns(
  job: Job,
  step: () => void,
  afterRun: () => void,
): Promise<TimedRuns> {
  const measured: TimedRuns = { imagesPerSecondRuns: [], cpuMsPerImageRuns: [], msRuns: [] };
  const timedRun = () => {
    const cpuStart = processCpuMs();
    const start = performance.now();
    for (let s = 0; s < job.stepsPerRun; s++) step();
    const ms = (performance.now() - start) / job.stepsPerRun;
    measured.cpuMsPerImageRuns.push((processCpuMs() - cpuStart) / (job.stepsPerRun * job.batch));
    measured.msRuns.push(ms);
    measured.imagesPerSecondRuns.push((1000 * job.batch) / ms);
    afterRun();
  };
  if (job.serve) {
    console.log("READY");
    for await (const line of stdinLines()) {
      if (line.trim() !== "run") break;
      timedRun();
      console.log(
        `RUN ${measured.imagesPerSecondRuns.at(-1)} ${measured.cpuMsPerImageRuns.at(-1)}`,
      );
    }
  } else {
    for (let r = 0; r < job.runs; r++) timedRun();
  }
  return measured;
}
