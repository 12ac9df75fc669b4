/**
 * `deno task sweep plan|run|status|export` — a reproduction's training runs as independent jobs.
 *
 *     deno task sweep plan [--scale S] [--only 02,03]        # every run: hash, cached?, cost
 *     deno task sweep run [--engine local|slurm] [--workers N] [--threads-per-worker T]
 *     deno task sweep status                                  # runs dir + squeue/sacct
 *     deno task sweep export [--scale S] [--runs-dir D]       # records of finished runs
 *
 * The runs are lib/experiments/run_list.ts's, deduplicated by config hash. `run` first restores
 * the runs that have a committed record (lib/training/run_record.ts; `--records-dir`, default
 * `pretrained/<scale>`) and trains what is still missing: with `--engine local` (default) in a
 * pool of worker processes on this machine; with `--engine slurm` as one job array over the runs
 * directory (a shared filesystem). Either way a killed sweep resumes where it was (runs cache +
 * checkpoints), and every run's numbers are the same bits. Each run a worker finishes is exported
 * as a record (float16 weights, checked), except at smoke scale unless `--export-records`.
 * `export` writes the records of finished runs that have none. See docs/sweeps.md.
 *
 * (`worker` is the internal subcommand one pool process or array task runs: it trains one run
 * of a plan file and reports progress as `@sweep` lines.)
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { LockBusyError } from "../lib/io/lock.ts";
import { writeFileAtomic } from "../lib/io/atomic_write.ts";
import { parseScale, type ReproductionScale } from "../lib/experiments/scale.ts";
import { experimentSettingsFromEnv } from "./experiment_env.ts";
import { requestedBackend, useBackendFromEnv } from "./backend_env.ts";
import { cifarLocationFromEnv } from "./data_env.ts";
import { trainEngineFromEnv } from "./engine_env.ts";
import { recordsDirFromEnv } from "./experiment_env.ts";
import { sweepRuns } from "../lib/experiments/run_list.ts";
import {
  estimateRate,
  modelLabel,
  type PlanEntry,
  planSweep,
  poolSpeedup,
  readPlanFile,
  readThroughput,
  recordThroughput,
  runCost,
  runsToRestore,
  runsToTrain,
  type SweepPlan,
  type ThroughputSample,
  writePlanFile,
} from "../lib/experiments/plan.ts";
import {
  EVENT_PREFIX,
  formatPoolStatus,
  runPool,
  type TaskResult,
} from "../lib/experiments/pool.ts";
import {
  arrayStates,
  type ArrayTaskState,
  FINISHED_STATES,
  slurmBatchScript,
  slurmResources,
  submitArray,
} from "../lib/experiments/slurm.ts";
import { canonicalJson } from "../lib/training/config.ts";
import { inspectRunDirectory } from "../lib/training/run_dir.ts";
import { formatDuration, formatEpoch } from "../lib/training/progress.ts";
import { loadRunData, trainRun } from "../lib/training/loop.ts";
import { runDirectory } from "../lib/training/runs.ts";
import {
  exportRunRecord,
  hasRunRecord,
  listRunRecords,
  restoreRunRecord,
  type RunRecordHeader,
} from "../lib/training/run_record.ts";
import { type CifarLocation, loadCifar } from "../lib/data/cifar.ts";
import type { ImageDataset } from "../lib/data/dataset.ts";
import type { RunConfig } from "../lib/training/config.ts";

const USAGE = `Usage: deno task sweep <plan|run|status|export> [options]

  plan      list every run of the reproduction: config hash, state in the runs cache (or
            "recorded": restored from its record), images left to train and estimated minutes
            (from rates measured on this machine)
  run       restore the recorded runs, train what is still missing, export each run it finished
            as a record; exits non-zero if any run failed
  status    every run's state from the runs directory, the records, the last Slurm job's tasks
  export    write the record of every finished run that has none (float16 weights, checked on
            the run's test set); exits non-zero if any was refused

Common options
  --scale S                 smoke | cpu | paper (default: CUTMIX_SCALE, else cpu)
  --only 02,03              only these notebooks' runs
  --runs-dir DIR            the runs cache (default: CUTMIX_RUNS_DIR, else runs/)
  --records-dir DIR         the run records (default: CUTMIX_PRETRAINED_DIR, else
                            pretrained/<scale>)

run
  --export-records          export finished runs' records at smoke scale too (other scales
                            always do)

run, local engine (default)
  --workers N               worker processes (default: one per core)
  --threads-per-worker T    TensorFlow threads per worker (default 1)
  --retrain-corrupt         retrain a run whose checkpoint is damaged instead of failing it
  --progress-every S        seconds between progress lines when not on a terminal (default 30)

run --engine slurm (one job array; the runs dir must be on a filesystem the nodes share)
  --partition P  --account A  --sbatch-flag FLAG (repeatable, verbatim)
  --cpus-per-task N  --mem M  --time T     override the values derived from the cost estimate
  --max-running N           at most N array tasks at once
  --setup LINE              a shell line run before each task, e.g. "module load deno" (repeatable)
  --deno PATH               Deno on the nodes (default: this one)
  --wait                    wait for the array to finish, showing progress; exit non-zero if
                            any task failed`;

const root = resolve(new URL("..", import.meta.url).pathname);

function cores(): number {
  return navigator.hardwareConcurrency || 1;
}

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

function runLabel(entry: Pick<PlanEntry, "uses">): string {
  const u = entry.uses[0];
  return `${u.notebook} ${u.label} seed ${u.seed}`;
}

function minutes(m: number | undefined): string {
  return m === undefined ? "?" : m < 10 ? m.toFixed(1) : m.toFixed(0);
}

/** A plan entry's state column: a run not in the cache but recorded shows as "recorded". */
function stateLabel(e: PlanEntry): string {
  if (e.state !== "done" && e.recorded) return "recorded";
  return e.state + (e.state === "partial" ? ` ${e.epochsLogged}/${e.config.epochs}` : "");
}

/** The plan as a table, with totals and the wall time at `workers` at once. */
function printPlan(plan: SweepPlan, workers: number, threads: number): void {
  const rows = plan.entries.map((e, i) => [
    String(i + 1),
    e.hash,
    stateLabel(e),
    e.recorded ? "yes" : "",
    modelLabel(e.config),
    e.imagesRemaining.toLocaleString("en-US"),
    minutes(e.minutes),
    e.uses.map((u) => `${u.notebook} ${u.label} s${u.seed}`).join("; "),
  ]);
  const header = ["#", "hash", "state", "record", "model", "images left", "min", "used by"];
  const last = header.length - 1;
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => c === last ? cell : cell.padEnd(widths[c])).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const todo = runsToTrain(plan);
  const restore = runsToRestore(plan);
  const known = todo.filter((e) => e.minutes !== undefined);
  const serial = known.reduce((s, e) => s + e.minutes!, 0);
  const longest = Math.max(0, ...known.map((e) => e.minutes!));
  const wall = Math.max(serial / Math.max(1, Math.min(workers, todo.length)), longest);
  const images = todo.reduce((s, e) => s + e.imagesRemaining, 0);
  const done = plan.entries.filter((e) => e.state === "done");
  const unrecorded = done.filter((e) => !e.recorded).length;
  console.log(
    `\n${plan.entries.length} runs: ${done.length} in the runs cache (${plan.runsDir}), ` +
      `${restore.length} to restore from their records, ${todo.length} to train, ` +
      `${images.toLocaleString("en-US")} images.`,
  );
  if (plan.recordsDir !== undefined) {
    const recorded = plan.entries.filter((e) => e.recorded).length;
    console.log(
      `Records: ${recorded} of ${plan.entries.length} runs in ${plan.recordsDir}` +
        (unrecorded
          ? `; ${unrecorded} finished run(s) without one (\`deno task sweep export\`).`
          : "."),
    );
  }
  if (todo.length) {
    const rate = known[0]?.rate;
    console.log(
      known.length === todo.length
        ? `Estimate at ${workers} worker(s) × ${threads} thread(s): ${
          formatDuration(wall * 60)
        } wall (${formatDuration(serial * 60)} of run time; rate: ${rate?.source}).`
        : `${todo.length - known.length} run(s) have no measured rate for their model yet ` +
          `(rates come from finished sweep runs in ${plan.runsDir}/throughput.jsonl).`,
    );
  }
}

interface CommonArgs {
  scale: ReproductionScale;
  only?: string[];
  runsDir: string;
  recordsDir: string;
}

function commonArgs(values: Record<string, unknown>): CommonArgs {
  const settings = experimentSettingsFromEnv();
  const only = (values.only as string | undefined)?.split(",").map((s) => s.trim()).filter(
    Boolean,
  );
  const scale = values.scale === undefined
    ? settings.scale
    : parseScale(values.scale as string, "--scale");
  return {
    scale,
    only,
    runsDir: values["runs-dir"] ? resolve(values["runs-dir"] as string) : settings.runsDir,
    recordsDir: values["records-dir"]
      ? resolve(values["records-dir"] as string)
      : recordsDirFromEnv(scale),
  };
}

function sweepDir(runsDir: string, scale: string, engine: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace(
    "T",
    "-",
  );
  return join(runsDir, "sweeps", `${stamp}-${scale}-${engine}`);
}

/** A pool's summary: what ran, the aggregate rate against one process using every core. */
async function summarize(
  plan: SweepPlan,
  results: TaskResult[],
  wallSeconds: number,
  sessionImages: number,
  how: { workers: number; threads: number },
  dir: string,
): Promise<void> {
  const failed = results.filter((r) => !r.ok && !r.busy);
  const busy = results.filter((r) => r.busy);
  const aggregate = sessionImages / Math.max(wallSeconds, 1e-9);
  const samples = await readThroughput(plan.runsDir);
  const models = [...new Set(plan.entries.map((e) => canonicalJson(e.config.model)))];
  const comparisons: string[] = [];
  for (const model of models) {
    const entry = plan.entries.find((e) => canonicalJson(e.config.model) === model)!;
    const label = modelLabel(entry.config);
    const factor = poolSpeedup(samples, entry.config, { ...how, cores: cores() });
    if (how.workers === 1 && how.threads === cores()) {
      comparisons.push(`${label}: this sweep is the one-process reference (${cores()} threads)`);
    } else if (factor) {
      comparisons.push(
        `${label}: pool ${how.workers} × ${factor.perWorker.toFixed(0)} = ${
          factor.pool.toFixed(0)
        } training img/s vs one ${cores()}-thread process ${factor.single.toFixed(0)} ` +
          `(medians of ${factor.poolRuns} and ${factor.singleRuns} run(s)): ×${
            factor.speedup.toFixed(2)
          }`,
      );
    } else {
      comparisons.push(
        `${label}: no one-process rate measured yet (one comes from \`deno task sweep run ` +
          `--workers 1 --threads-per-worker ${cores()}\` on runs not yet trained)`,
      );
    }
  }
  const summary = {
    finishedAt: new Date().toISOString(),
    workers: how.workers,
    threadsPerWorker: how.threads,
    wallSeconds,
    sessionImages,
    aggregateImagesPerSecond: aggregate,
    runs: results.map((r) => ({
      hash: r.task.id,
      label: r.task.label,
      ok: r.ok,
      busy: r.busy,
      exitCode: r.exitCode,
      seconds: r.seconds,
      imagesTrained: r.imagesTrained,
      log: r.logPath,
    })),
    comparisons,
  };
  await writeFileAtomic(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  console.error(
    `[sweep] ${results.length - failed.length - busy.length}/${results.length} trained in ` +
      `${formatDuration(wallSeconds)} (${how.workers} worker(s) × ${how.threads} thread(s)); ` +
      `${sessionImages.toLocaleString("en-US")} images, ${aggregate.toFixed(0)} img/s aggregate`,
  );
  for (const c of comparisons) console.error(`[sweep] ${c}`);
  for (const r of busy) {
    console.error(
      `[sweep] BUSY ${r.task.label} (${r.task.id}): trained by another process; ${r.logPath}`,
    );
  }
  for (const r of failed) {
    console.error(
      `[sweep] FAILED ${r.task.label} (${r.task.id}), exit ${r.exitCode}; log ${r.logPath}\n` +
        (r.tail ?? "").split("\n").map((l) => `    | ${l}`).join("\n"),
    );
  }
  console.error(`[sweep] summary: ${join(dir, "summary.json")}`);
}

/**
 * Restores the runs of `plan` that have a record instead of training them; returns how many
 * could not be restored (each said why).
 */
async function restoreRecorded(plan: SweepPlan): Promise<number> {
  let failed = 0;
  for (const e of runsToRestore(plan)) {
    try {
      await restoreRunRecord(plan.recordsDir!, e.hash, plan.runsDir);
      console.error(`[sweep] restored ${runLabel(e)} (${e.hash}) from its record, not trained`);
    } catch (error) {
      failed++;
      console.error(
        `[sweep] FAILED to restore ${runLabel(e)} (${e.hash}) from ${plan.recordsDir}: ` +
          `${(error as Error).message}`,
      );
    }
  }
  return failed;
}

/**
 * The runs `plan` still has to train (the recorded ones restored first), with this sweep's folder
 * and its plan file written (`exportTo`: where workers export records); undefined (after saying
 * so) when none is left. `failed` counts the recorded runs that could not be restored.
 */
async function prepareSweep(
  plan: SweepPlan,
  scale: string,
  engine: "local" | "slurm",
  exportTo: string | undefined,
): Promise<{ failed: number; sweep?: { todo: PlanEntry[]; dir: string; planPath: string } }> {
  const failed = await restoreRecorded(plan);
  const todo = runsToTrain(plan);
  if (todo.length === 0) {
    console.error(
      `[sweep] all ${plan.entries.length - failed} runs are in the runs cache (${plan.runsDir})` +
        (failed ? `; ${failed} could not be restored` : ""),
    );
    return { failed };
  }
  const dir = sweepDir(plan.runsDir, scale, engine);
  const planPath = join(dir, "plan.json");
  await writePlanFile(planPath, plan.runsDir, todo, exportTo);
  return { failed, sweep: { todo, dir, planPath } };
}

/** Where this sweep's workers export records: every scale but smoke, unless asked. */
export function exportTarget(
  values: Record<string, unknown>,
  scale: ReproductionScale,
  recordsDir: string,
): string | undefined {
  return scale !== "smoke" || values["export-records"] ? recordsDir : undefined;
}

async function runLocal(
  plan: SweepPlan,
  values: Record<string, unknown>,
  scale: ReproductionScale,
  recordsDir: string,
): Promise<number> {
  const workersAsked = positiveInteger("workers", values.workers as string | undefined);
  const threads = positiveInteger("threads-per-worker", values["threads-per-worker"] as string) ??
    1;
  const prepared = await prepareSweep(
    plan,
    scale,
    "local",
    exportTarget(values, scale, recordsDir),
  );
  if (prepared.sweep === undefined) return prepared.failed ? 1 : 0;
  const { todo, dir, planPath } = prepared.sweep;
  const workers = Math.min(workersAsked ?? cores(), todo.length);
  console.error(
    `[sweep] ${todo.length} of ${plan.entries.length} runs to train with ${workers} worker(s) × ` +
      `${threads} thread(s); plan and logs in ${dir}`,
  );
  const tty = Deno.stderr.isTerminal();
  const everyMs = tty ? 1000 : 1000 * Number(values["progress-every"] ?? 30);
  let lastDraw = -Infinity;
  let drawn = 0;
  const encoder = new TextEncoder();
  let lastLines: string[] = [];
  const draw = (lines: string[], force = false) => {
    lastLines = lines;
    const now = performance.now();
    if (!force && now - lastDraw < everyMs) return;
    lastDraw = now;
    const text = tty
      ? (drawn ? `\x1b[${drawn}F` : "") + lines.map((l) => `${l}\x1b[K\n`).join("")
      : lines.join("\n") + "\n";
    Deno.stderr.writeSync(encoder.encode(text));
    drawn = tty ? lines.length : 0;
  };
  const started = performance.now();
  let sessionImages = 0;
  const results = await runPool(
    todo.map((e) => ({ id: e.hash, label: runLabel(e), imagesTotal: e.cost.imagesToTrain })),
    {
      workers,
      command: (task) => ({
        args: [
          "run",
          "-A",
          join(root, "tools/sweep.ts"),
          "worker",
          "--plan",
          planPath,
          "--index",
          String(todo.findIndex((e) => e.hash === task.id)),
          "--concurrent",
          String(workers),
          ...(values["retrain-corrupt"] ? ["--retrain-corrupt"] : []),
        ],
        env: {
          TF_NUM_INTRAOP_THREADS: String(threads),
          TF_NUM_INTEROP_THREADS: "1",
          NO_COLOR: "1",
        },
      }),
      logPath: (task) => join(dir, "logs", `${task.id}.log`),
      imagesDoneBefore: (task) => {
        const e = todo.find((x) => x.hash === task.id)!;
        return e.epochsLogged * e.cost.trainImages;
      },
      onStatus: (status) => {
        sessionImages = status.sessionImages;
        draw(formatPoolStatus(status));
      },
      onResult: (r) => {
        const line = r.ok
          ? `[sweep] done ${r.task.label} (${r.task.id}) in ${formatDuration(r.seconds)}`
          : `[sweep] ${
            r.busy ? "BUSY" : "FAILED"
          } ${r.task.label} (${r.task.id}); log ${r.logPath}`;
        if (tty && drawn) {
          Deno.stderr.writeSync(encoder.encode(`\x1b[${drawn}F\x1b[J`));
          drawn = 0;
        }
        Deno.stderr.writeSync(encoder.encode(line + "\n"));
        draw(lastLines, true);
      },
    },
  );
  draw(lastLines, true);
  await summarize(plan, results, (performance.now() - started) / 1000, sessionImages, {
    workers,
    threads,
  }, dir);
  return results.every((r) => r.ok) && prepared.failed === 0 ? 0 : 1;
}

async function runSlurm(
  plan: SweepPlan,
  values: Record<string, unknown>,
  scale: ReproductionScale,
  recordsDir: string,
): Promise<number> {
  const prepared = await prepareSweep(
    plan,
    scale,
    "slurm",
    exportTarget(values, scale, recordsDir),
  );
  if (prepared.sweep === undefined) return prepared.failed ? 1 : 0;
  const { todo, dir, planPath } = prepared.sweep;
  const samples = await readThroughput(plan.runsDir);
  const slowest = todo.map((e) => {
    const rate = estimateRate(samples, e.config, { threads: 1, concurrent: 1 });
    return rate ? e.imagesRemaining / rate.imagesPerSecond / 60 : undefined;
  });
  const memories = samples.filter((s) =>
    todo.some((e) => canonicalJson(e.config.model) === s.model)
  )
    .map((s) => s.rssMiB).filter((m): m is number => m !== undefined);
  const derived = slurmResources({
    minutesAtOneThread: slowest.includes(undefined)
      ? undefined
      : Math.max(...(slowest as number[])),
    peakMemoryMiB: memories.length ? Math.max(...memories) : undefined,
    cpusPerTask: positiveInteger("cpus-per-task", values["cpus-per-task"] as string),
  });
  const resources = {
    cpusPerTask: derived.cpusPerTask,
    mem: (values.mem as string | undefined) ?? derived.mem,
    time: (values.time as string | undefined) ?? derived.time,
  };
  const passEnv: Record<string, string> = {};
  // sbatch exports the submitting environment by default; these are written into the script
  // too, for sites that submit with --export=NONE.
  const paths = ["CUTMIX_DATA_DIR", "CUTMIX_CIFAR10_ARCHIVE", "CUTMIX_CIFAR100_ARCHIVE"];
  const names = ["CUTMIX_BACKEND", "CUTMIX_FUSED_KERNELS", "TF_ENABLE_ONEDNN_OPTS", ...paths];
  for (const name of names) {
    const v = Deno.env.get(name);
    if (v) passEnv[name] = paths.includes(name) ? resolve(v) : v;
  }
  passEnv.NO_COLOR = "1";
  const script = slurmBatchScript({
    jobName: `cutmix-${scale}`,
    tasks: todo.length,
    resources,
    workerCommand: [
      (values.deno as string | undefined) ?? Deno.execPath(),
      "run",
      "-A",
      join(root, "tools/sweep.ts"),
      "worker",
      "--plan",
      planPath,
      "--concurrent",
      "1",
      ...(values["retrain-corrupt"] ? ["--retrain-corrupt"] : []),
    ],
    workDir: root,
    logDir: join(dir, "logs"),
    partition: values.partition as string | undefined,
    account: values.account as string | undefined,
    gpu: requestedBackend() === "gpu",
    maxRunning: positiveInteger("max-running", values["max-running"] as string),
    extraFlags: (values["sbatch-flag"] as string[] | undefined) ?? [],
    setup: (values.setup as string[] | undefined) ?? [],
    env: passEnv,
  });
  await Deno.mkdir(join(dir, "logs"), { recursive: true });
  const scriptPath = join(dir, "array.sbatch");
  await writeFileAtomic(scriptPath, script);
  const jobId = await submitArray(scriptPath);
  const record = {
    jobId,
    planPath,
    scriptPath,
    logDir: join(dir, "logs"),
    submittedAt: new Date().toISOString(),
  };
  await writeFileAtomic(join(dir, "slurm.json"), JSON.stringify(record, null, 2) + "\n");
  await writeFileAtomic(
    join(plan.runsDir, "sweeps", "latest-slurm.json"),
    JSON.stringify(record, null, 2) + "\n",
  );
  console.error(
    `[sweep] submitted job array ${jobId}: ${todo.length} task(s), --cpus-per-task=${resources.cpusPerTask} ` +
      `--mem=${resources.mem} --time=${resources.time}; script ${scriptPath}`,
  );
  if (!values.wait) {
    console.error(`[sweep] follow it with \`deno task sweep status --runs-dir ${plan.runsDir}\``);
    return 0;
  }
  let last = "";
  let lastPrint = -Infinity;
  const started = performance.now();
  for (;;) {
    const states = await taskStates(jobId, todo.map((e) => e.runDir));
    const counts = new Map<string, number>();
    for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
    const line = `[sweep] job ${jobId}: ` +
      [...counts].map(([k, v]) => `${v} ${k.toLowerCase()}`).join(", ") +
      ` · elapsed ${formatDuration((performance.now() - started) / 1000)}`;
    if (line.split(" · ")[0] !== last || performance.now() - lastPrint > 30_000) {
      console.error(line);
      last = line.split(" · ")[0];
      lastPrint = performance.now();
    }
    if (states.every((s) => FINISHED_STATES.includes(s.state))) {
      const bad = states.filter((s) => s.state !== "COMPLETED");
      for (const s of bad) {
        console.error(
          `[sweep] FAILED task ${s.index} (${runLabel(todo[s.index])}, ${todo[s.index].hash}): ` +
            `${s.state} ${s.exitCode ?? ""}; log ${join(dir, "logs", `${jobId}_${s.index}.log`)}`,
        );
      }
      console.error(`[sweep] job ${jobId}: ${states.length - bad.length}/${todo.length} completed`);
      return bad.length || prepared.failed ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/**
 * The state of every task of array `jobId` (task i trains `runDirs[i]`): from sacct and squeue,
 * and for a task neither lists (it left the queue, and accounting is off) from its run
 * directory: COMPLETED when its final.json is there, else FAILED.
 */
async function taskStates(jobId: string, runDirs: readonly string[]): Promise<ArrayTaskState[]> {
  let listed: ArrayTaskState[] = [];
  try {
    listed = await arrayStates(jobId);
  } catch (error) {
    console.error(`[sweep] ${(error as Error).message}`);
  }
  const out: ArrayTaskState[] = [];
  for (const [index, runDir] of runDirs.entries()) {
    const known = listed.find((s) => s.index === index);
    if (known) {
      out.push(known);
      continue;
    }
    const { state } = await inspectRunDirectory(runDir);
    out.push({
      index,
      state: state === "done" ? "COMPLETED" : "FAILED",
      exitCode: "from the runs dir",
    });
  }
  return out;
}

async function status(plan: SweepPlan): Promise<number> {
  printPlan(plan, cores(), 1);
  if (plan.recordsDir !== undefined) {
    const listed = await listRunRecords(plan.recordsDir);
    const bad = listed.filter((l) => l.problem !== undefined);
    console.log(
      `${listed.length} record(s) in ${plan.recordsDir} in all` +
        (bad.length ? `, ${bad.length} unreadable:` : ""),
    );
    for (const l of bad) console.log(`  ${l.problem}`);
  }
  let record: { jobId: string; planPath: string; logDir: string } | undefined;
  try {
    record = JSON.parse(
      await Deno.readTextFile(join(plan.runsDir, "sweeps", "latest-slurm.json")),
    );
  } catch {
    return 0;
  }
  const planned = await readPlanFile(record!.planPath);
  const states = await taskStates(
    record!.jobId,
    planned.runs.map((r) => runDirectory(r.config, planned.runsDir)),
  );
  console.log(`\nlast Slurm job ${record!.jobId} (${planned.runs.length} tasks):`);
  for (const s of states) {
    console.log(
      `  task ${s.index}: ${s.state}${
        s.exitCode ? (s.exitCode.includes(":") ? ` (exit ${s.exitCode})` : ` (${s.exitCode})`) : ""
      } · run ` +
        `${planned.runs[s.index].hash} · log ${
          join(record!.logDir, `${record!.jobId}_${s.index}.log`)
        }`,
    );
  }
  return 0;
}

/**
 * The run's test set, as `loadRunData` subsets it; each dataset is read from disk once per
 * process (the export of a whole sweep reuses it).
 */
function testSets(cifar: CifarLocation): (config: RunConfig) => Promise<ImageDataset> {
  const loaded = new Map<string, Promise<{ train: ImageDataset; test: ImageDataset }>>();
  return async (config) => {
    const dataset = config.dataset;
    if (dataset !== "cifar10" && dataset !== "cifar100") {
      throw new Error(`run ${config.dataset}: only CIFAR runs can be exported from the sweep`);
    }
    let data = loaded.get(dataset);
    if (data === undefined) {
      data = Promise.all([loadCifar(dataset, "train", cifar), loadCifar(dataset, "test", cifar)])
        .then(([train, test]) => ({ train, test }));
      loaded.set(dataset, data);
    }
    return (await loadRunData(config, await data)).test;
  };
}

/** One line on a record's float16 check and size. */
function describeRecord(header: RunRecordHeader): string {
  const { float32, float16, top1DeltaPoints, lossRelativeChange } = header.float16Check;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return `test top-1 error ${pct(float32.top1Error)} (float32) → ${pct(float16.top1Error)} ` +
    `(float16, ${top1DeltaPoints >= 0 ? "+" : ""}${top1DeltaPoints.toFixed(2)} points), loss ` +
    `${lossRelativeChange >= 0 ? "+" : ""}${(100 * lossRelativeChange).toFixed(3)} %, ` +
    `${(header.weights.byteLength / 1024).toFixed(0)} KiB of weights`;
}

/**
 * `sweep export`: the record of every finished run of `plan` that has none, into
 * `plan.recordsDir`; returns 1 if any was refused.
 */
async function exportRecords(plan: SweepPlan): Promise<number> {
  const recordsDir = plan.recordsDir!;
  const todo = plan.entries.filter((e) => e.state === "done" && !e.recorded);
  const unfinished = plan.entries.filter((e) => e.state !== "done" && !e.recorded).length;
  console.error(
    `[sweep] ${todo.length} finished run(s) to export into ${recordsDir} ` +
      `(${plan.entries.filter((e) => e.recorded).length} recorded already, ${unfinished} not ` +
      "finished)",
  );
  if (todo.length === 0) return 0;
  await useBackendFromEnv();
  const testOf = testSets(cifarLocationFromEnv());
  let failed = 0;
  for (const e of todo) {
    try {
      const header = await exportRunRecord(e.runDir, { recordsDir, test: await testOf(e.config) });
      console.error(`[sweep] exported ${runLabel(e)} (${e.hash}): ${describeRecord(header)}`);
    } catch (error) {
      failed++;
      console.error(`[sweep] NOT exported ${runLabel(e)} (${e.hash}): ${(error as Error).message}`);
    }
  }
  console.error(`[sweep] ${todo.length - failed}/${todo.length} exported`);
  return failed ? 1 : 0;
}

/** One pool process or array task: trains run `index` of a plan file. */
async function worker(values: Record<string, unknown>): Promise<number> {
  const plan = await readPlanFile(values.plan as string);
  const index = Number(values.index);
  const run = plan.runs[index];
  if (!Number.isInteger(index) || run === undefined) {
    throw new Error(`--index must be 0..${plan.runs.length - 1}, got ${values.index}`);
  }
  const emit = (event: unknown) => console.log(EVENT_PREFIX + JSON.stringify(event));
  const cost = runCost(run.config);
  const runDir = runDirectory(run.config, plan.runsDir);
  const threads = Number(Deno.env.get("TF_NUM_INTRAOP_THREADS")) || cores();
  const backendInfo = await useBackendFromEnv();
  console.error(
    `run ${run.hash} in ${runDir} on ${Deno.hostname()} (pid ${Deno.pid}, backend ${backendInfo.name}, ` +
      `${threads} thread(s))`,
  );
  let lastEmit = -Infinity;
  let sessionImages = 0;
  let sessionSeconds = 0;
  try {
    const result = await trainRun(run.config, {
      runDir,
      cifar: cifarLocationFromEnv(),
      // The engine and its thread pools (the pool's one-thread workers) from the environment.
      ...trainEngineFromEnv(),
      retrainCorrupt: Boolean(values["retrain-corrupt"]),
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastEmit < 2000) return;
        lastEmit = now;
        emit({
          kind: "progress",
          imagesDone: p.epoch * cost.trainImages +
            Math.min(cost.trainImages, p.step * run.config.batchSize),
          imagesPerSecond: p.imagesPerSecond,
          note: `epoch ${p.epoch + 1}/${p.epochs}`,
        });
      },
      onEpoch: (m) => {
        console.error(formatEpoch(m));
        sessionImages += cost.trainImages;
        sessionSeconds += cost.trainImages / m.imagesPerSecond;
        emit({
          kind: "progress",
          imagesDone: m.epoch * cost.trainImages,
          imagesPerSecond: sessionImages / sessionSeconds,
          note: `epoch ${m.epoch}/${run.config.epochs} done`,
        });
      },
    });
    result.model.dispose();
    if (sessionImages > 0) {
      const sample: ThroughputSample = {
        model: canonicalJson(run.config.model),
        batchSize: run.config.batchSize,
        threads,
        concurrent: positiveInteger("concurrent", values.concurrent as string) ?? 1,
        imagesPerSecond: sessionImages / sessionSeconds,
        host: Deno.hostname(),
        at: new Date().toISOString(),
        rssMiB: Math.round(Deno.memoryUsage().rss / 2 ** 20),
      };
      await recordThroughput(plan.runsDir, sample);
    }
    console.error(
      `run ${run.hash} done: test top-1 error ${(100 * result.final!.test.top1Error).toFixed(2)}%`,
    );
    if (plan.recordsDir !== undefined && !(await hasRunRecord(plan.recordsDir, run.hash))) {
      try {
        const test = await testSets(cifarLocationFromEnv())(run.config);
        const header = await exportRunRecord(runDir, { recordsDir: plan.recordsDir, test });
        console.error(
          `run ${run.hash} record exported to ${plan.recordsDir}: ${describeRecord(header)}`,
        );
      } catch (error) {
        throw new Error(
          `run ${run.hash} is trained (in ${runDir}), but its record was not exported: ` +
            `${(error as Error).message}; retry with \`deno task sweep export\``,
        );
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof LockBusyError) {
      emit({ kind: "busy", message: error.message });
      console.error(error.message);
      return 3;
    }
    throw error;
  }
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      scale: { type: "string" },
      only: { type: "string" },
      "runs-dir": { type: "string" },
      "records-dir": { type: "string" },
      "export-records": { type: "boolean" },
      engine: { type: "string", default: "local" },
      workers: { type: "string" },
      "threads-per-worker": { type: "string" },
      "retrain-corrupt": { type: "boolean" },
      "progress-every": { type: "string" },
      partition: { type: "string" },
      account: { type: "string" },
      "sbatch-flag": { type: "string", multiple: true },
      "cpus-per-task": { type: "string" },
      mem: { type: "string" },
      time: { type: "string" },
      "max-running": { type: "string" },
      setup: { type: "string", multiple: true },
      deno: { type: "string" },
      wait: { type: "boolean" },
      plan: { type: "string" },
      index: { type: "string" },
      concurrent: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || command === undefined || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "worker") return await worker(values);
  const common = commonArgs(values);
  const runs = sweepRuns(common.scale, common.only);
  const workers = positiveInteger("workers", values.workers) ?? cores();
  const threads = positiveInteger("threads-per-worker", values["threads-per-worker"]) ?? 1;
  const plan = await planSweep(runs, {
    runsDir: common.runsDir,
    recordsDir: common.recordsDir,
    threads,
    concurrent: Math.min(workers, Math.max(1, runs.length)),
  });
  switch (command) {
    case "plan":
      console.log(
        `scale ${common.scale}${common.only ? `, notebooks ${common.only.join(", ")}` : ""}`,
      );
      printPlan(plan, workers, threads);
      return 0;
    case "status":
      return await status(plan);
    case "export":
      return await exportRecords(plan);
    case "run":
      if (values.engine === "local") {
        return await runLocal(plan, values, common.scale, common.recordsDir);
      }
      if (values.engine === "slurm") {
        return await runSlurm(plan, values, common.scale, common.recordsDir);
      }
      throw new Error(`--engine must be local or slurm, got "${values.engine}"`);
    default:
      throw new Error(`unknown subcommand "${command}": use plan, run, status or export (--help)`);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`[sweep] error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
}
