/**
 * Slurm job arrays for sweeps: one array over a plan file in a runs directory on a shared
 * filesystem, one array task per run (`--array=0-(n-1)`; task i trains the plan's run i, so a
 * resubmitted array skips what is done through the runs cache). Resources come from the plan's
 * cost estimate ({@link slurmResources}); partition, account and extra `sbatch` flags are passed
 * through; `--gres=gpu:1` when the backend is `gpu`.
 *
 * The pure parts (script, resources, parsing `squeue`/`sacct`) are separate from the two calls
 * that run Slurm's commands ({@link submitArray}, {@link arrayStates}).
 *
 * @example
 * ```ts
 * import { slurmBatchScript, slurmResources } from "./slurm.ts";
 * const resources = slurmResources({ minutesAtOneThread: 40, peakMemoryMiB: undefined });
 * const script = slurmBatchScript({
 *   jobName: "cutmix-sweep",
 *   tasks: 18,
 *   resources,
 *   workerCommand: ["/opt/deno", "run", "-A", "/shared/cutmix/tools/sweep.ts", "worker", "--plan", "/shared/runs/sweeps/x/plan.json"],
 *   workDir: "/shared/cutmix",
 *   logDir: "/shared/runs/sweeps/x/logs",
 * });
 * ```
 * @module
 */

/** What one array task asks for. */
export interface SlurmResources {
  readonly cpusPerTask: number;
  /** Memory per task, e.g. "4G". */
  readonly mem: string;
  /** Time limit, `D-HH:MM:SS`. */
  readonly time: string;
}

/** The rules behind {@link slurmResources}, in one place. */
export const SLURM_RULES = Object.freeze({
  /** Give a run more CPUs only while its estimate at one thread exceeds this (minutes). */
  targetMinutes: 60,
  maxCpusPerTask: 8,
  /**
   * Speed-up of T threads over one: T^0.5, from the one measurement we have (ResNet-20: about
   * 250 img/s at 1 thread, 350 at 2 on the project's machine; docs/sweeps.md).
   */
  threadScalingExponent: 0.5,
  /** Time limit = estimate × this + a margin (cluster nodes differ from where rates were measured). */
  timeSafetyFactor: 2,
  timeMarginMinutes: 10,
  /** With no measured rate: one day. */
  unknownTimeMinutes: 24 * 60,
  /** Memory: measured peak × this, at least `minMemoryGiB`; `unknownMemoryGiB` without one. */
  memorySafetyFactor: 1.5,
  minMemoryGiB: 2,
  unknownMemoryGiB: 8,
});

/** `D-HH:MM:SS` of `minutes` (rounded up to whole minutes). */
export function slurmTime(minutes: number): string {
  if (!(minutes >= 0) || !Number.isFinite(minutes)) {
    throw new Error(`slurmTime: minutes must be a finite number >= 0, got ${minutes}`);
  }
  const total = Math.ceil(minutes);
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${days}-${two(hours)}:${two(mins)}:00`;
}

/**
 * Resources of one array task from the slowest run's estimate: CPUs so that the run takes about
 * {@link SLURM_RULES}.targetMinutes (1 to maxCpusPerTask, or `cpusPerTask` if given), the time
 * limit from the estimate at that many CPUs with a safety factor, memory from a measured peak.
 */
export function slurmResources(cost: {
  /** The slowest run's estimated minutes at one thread; undefined when no rate is measured. */
  readonly minutesAtOneThread: number | undefined;
  /** The highest measured peak resident memory of such a run, MiB. */
  readonly peakMemoryMiB: number | undefined;
  /** Overrides the CPU rule. */
  readonly cpusPerTask?: number;
}): SlurmResources {
  const r = SLURM_RULES;
  const est = cost.minutesAtOneThread;
  const cpus = cost.cpusPerTask ??
    (est === undefined
      ? 1
      : Math.min(r.maxCpusPerTask, Math.max(1, Math.ceil(est / r.targetMinutes))));
  if (!Number.isInteger(cpus) || cpus < 1) {
    throw new Error(`cpusPerTask must be a positive integer, got ${cpus}`);
  }
  const minutes = est === undefined
    ? r.unknownTimeMinutes
    : (est / cpus ** r.threadScalingExponent) * r.timeSafetyFactor + r.timeMarginMinutes;
  const memGiB = cost.peakMemoryMiB === undefined
    ? r.unknownMemoryGiB
    : Math.max(r.minMemoryGiB, Math.ceil((cost.peakMemoryMiB * r.memorySafetyFactor) / 1024));
  return { cpusPerTask: cpus, mem: `${memGiB}G`, time: slurmTime(minutes) };
}

/** Options of {@link slurmBatchScript}. */
export interface BatchScriptOptions {
  readonly jobName: string;
  /** Array tasks: indices 0 … tasks − 1. */
  readonly tasks: number;
  readonly resources: SlurmResources;
  /** The command one task runs; the script appends `--index $SLURM_ARRAY_TASK_ID`. */
  readonly workerCommand: readonly string[];
  /** Where the task runs (the project on the shared filesystem). */
  readonly workDir: string;
  /** Where Slurm writes each task's output (`%A_%a.log`). */
  readonly logDir: string;
  readonly partition?: string;
  readonly account?: string;
  /** One GPU per task (`--gres=gpu:1`). */
  readonly gpu?: boolean;
  /** Limit on tasks running at once (`--array=0-N%limit`). */
  readonly maxRunning?: number;
  /** Extra `#SBATCH` flags, verbatim (e.g. "--qos=long"). */
  readonly extraFlags?: readonly string[];
  /** Lines run before the worker, e.g. `module load …` (see docs/sweeps.md). */
  readonly setup?: readonly string[];
  /** Environment for the worker (exported in the script). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Quotes `s` for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `sbatch` script of a sweep's job array. */
export function slurmBatchScript(o: BatchScriptOptions): string {
  if (!Number.isInteger(o.tasks) || o.tasks < 1) {
    throw new Error(`tasks must be a positive integer, got ${o.tasks}`);
  }
  const array = `0-${o.tasks - 1}` + (o.maxRunning ? `%${o.maxRunning}` : "");
  const flags = [
    `--job-name=${o.jobName}`,
    `--array=${array}`,
    "--ntasks=1",
    `--cpus-per-task=${o.resources.cpusPerTask}`,
    `--mem=${o.resources.mem}`,
    `--time=${o.resources.time}`,
    `--output=${o.logDir}/%A_%a.log`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...(o.gpu ? ["--gres=gpu:1"] : []),
    ...(o.extraFlags ?? []),
  ];
  const env = {
    // TensorFlow uses exactly the CPUs Slurm gave the task.
    TF_NUM_INTRAOP_THREADS: "${SLURM_CPUS_PER_TASK:-1}",
    TF_NUM_INTEROP_THREADS: "1",
    ...o.env,
  };
  return [
    "#!/bin/bash",
    ...flags.map((f) => `#SBATCH ${f}`),
    "set -euo pipefail",
    ...(o.setup ?? []),
    ...Object.entries(env).map(([k, v]) =>
      `export ${k}=${v.startsWith("${") ? `"${v}"` : shellQuote(v)}`
    ),
    `cd ${shellQuote(o.workDir)}`,
    `exec ${o.workerCommand.map(shellQuote).join(" ")} --index "$SLURM_ARRAY_TASK_ID"`,
    "",
  ].join("\n");
}

/** One array task's state. */
export interface ArrayTaskState {
  readonly index: number;
  /** Slurm's state: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, OUT_OF_MEMORY, … */
  readonly state: string;
  /** `code:signal` from sacct, when finished. */
  readonly exitCode?: string;
}

/** Slurm states after which a task will not run again. */
export const FINISHED_STATES: readonly string[] = [
  "COMPLETED",
  "FAILED",
  "TIMEOUT",
  "CANCELLED",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
];

/**
 * Parses `sacct -n -P -X -j <job> -o JobID,State,ExitCode` for the array `jobId`: lines like
 * `123_4|COMPLETED|0:0` (a pending range shows as `123_[5-9]|PENDING|0:0`; it is expanded).
 */
export function parseSacct(text: string, jobId: string): ArrayTaskState[] {
  const out = new Map<number, ArrayTaskState>();
  for (const line of text.split("\n")) {
    const [id, rawState, exitCode] = line.trim().split("|");
    if (!id || !id.startsWith(`${jobId}_`)) continue;
    const state = (rawState ?? "").split(" ")[0]; // "CANCELLED by 0" → CANCELLED
    const rest = id.slice(jobId.length + 1);
    for (const index of expandIndices(rest)) out.set(index, { index, state, exitCode });
  }
  return [...out.values()].sort((a, b) => a.index - b.index);
}

/** Parses `squeue -h -r -j <job> -o "%i|%T"`: lines like `123_4|RUNNING`. */
export function parseSqueue(text: string, jobId: string): ArrayTaskState[] {
  return parseSacct(text, jobId);
}

function expandIndices(spec: string): number[] {
  const inner = spec.replace(/^\[/, "").replace(/\]$/, "").split("%")[0];
  const out: number[] = [];
  for (const part of inner.split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (!Number.isInteger(a)) continue;
    for (let i = a; i <= (Number.isInteger(b) ? b : a); i++) out.push(i);
  }
  return out;
}

async function command(name: string, args: string[]): Promise<string> {
  let output;
  try {
    output = await new Deno.Command(name, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${name} not found: is Slurm installed here (or its module loaded)?`);
    }
    throw error;
  }
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) throw new Error(`${name} ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(output.stdout);
}

/** Submits `scriptPath` with `sbatch --parsable`; returns the job id. */
export async function submitArray(scriptPath: string): Promise<string> {
  const out = (await command("sbatch", ["--parsable", scriptPath])).trim();
  const jobId = out.split(";")[0];
  if (!/^\d+$/.test(jobId)) throw new Error(`sbatch printed "${out}", not a job id`);
  return jobId;
}

/**
 * Every task's state of array `jobId`: `sacct` (accounting; knows finished tasks), overlaid by
 * `squeue` (live; knows tasks sacct has not recorded yet). Either command may be missing or
 * disabled on a cluster; what the other says is used then.
 */
export async function arrayStates(jobId: string): Promise<ArrayTaskState[]> {
  const byIndex = new Map<number, ArrayTaskState>();
  const errors: string[] = [];
  try {
    const text = await command("sacct", [
      "-n",
      "-P",
      "-X",
      "-j",
      jobId,
      "-o",
      "JobID,State,ExitCode",
    ]);
    for (const t of parseSacct(text, jobId)) byIndex.set(t.index, t);
  } catch (error) {
    errors.push((error as Error).message);
  }
  try {
    const text = await command("squeue", ["-h", "-r", "-j", jobId, "-o", "%i|%T"]);
    for (const t of parseSqueue(text, jobId)) byIndex.set(t.index, t);
  } catch (error) {
    // squeue errs for a job that left the queue: sacct has it then.
    errors.push((error as Error).message);
  }
  if (byIndex.size === 0 && errors.length === 2) {
    throw new Error(`no state for job ${jobId}: ${errors.join("; ")}`);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}
