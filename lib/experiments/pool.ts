/**
 * A local pool of worker processes: tasks (training runs) go to at most `workers` child
 * processes at a time, each task in a fresh process. A task that fails is reported with its
 * log and the others go on.
 *
 * Protocol: a worker prints events to stdout as lines `@sweep <json>` ({@link WorkerEvent}); all
 * else it prints (stdout and stderr) goes to the task's log file. The pool keeps each worker's
 * latest progress, so the caller can draw one overall line with an ETA plus a line per worker
 * ({@link formatPoolStatus}).
 *
 * @example
 * ```ts
 * import { runPool } from "./pool.ts";
 * const results = await runPool(
 *   [{ id: "a", label: "run a", imagesTotal: 100 }],
 *   {
 *     workers: 2,
 *     command: (task) => ({ args: ["eval", `console.log('@sweep {"kind":"progress","imagesDone":100}')`] }),
 *     logPath: (task) => `/tmp/${task.id}.log`,
 *   },
 * );
 * console.log(results[0].ok);
 * ```
 * @module
 */
import { dirname } from "node:path";
import { formatDuration } from "../training/progress.ts";

/** What the pool runs. */
export interface PoolTask {
  readonly id: string;
  /** A human name for progress lines, e.g. "02 cutmix seed 1". */
  readonly label: string;
  /** Training images the task will go through (for the ETA). */
  readonly imagesTotal: number;
}

/** A line `@sweep <json>` on a worker's stdout. */
export type WorkerEvent =
  | {
    readonly kind: "progress";
    /** Images of the task trained so far (over all sessions). */
    readonly imagesDone: number;
    /** This session's training images per second. */
    readonly imagesPerSecond?: number;
    /** A short state for the worker's line, e.g. "epoch 3/30". */
    readonly note?: string;
  }
  | { readonly kind: "busy"; readonly message: string };

/** The prefix of a {@link WorkerEvent} line. */
export const EVENT_PREFIX = "@sweep ";

/** How a task ended. */
export interface TaskResult {
  readonly task: PoolTask;
  /** True on exit status 0. */
  readonly ok: boolean;
  /** True when the worker reported the run being trained by another process (not a failure). */
  readonly busy: boolean;
  readonly exitCode: number;
  readonly logPath: string;
  readonly seconds: number;
  /** Images this session trained (last progress minus the first). */
  readonly imagesTrained: number;
  /** The last lines of the log, for a failed task. */
  readonly tail?: string;
}

/** One worker slot's state, for progress lines. */
export interface WorkerSlot {
  readonly index: number;
  readonly task?: PoolTask;
  readonly imagesDone: number;
  readonly imagesPerSecond?: number;
  readonly note?: string;
}

/** The pool's state at one moment. */
export interface PoolStatus {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly busy: number;
  readonly slots: readonly WorkerSlot[];
  /** Training images of every task, and how many are trained (finished tasks count whole). */
  readonly imagesTotal: number;
  readonly imagesDone: number;
  /** Images trained by this pool session, and its seconds so far. */
  readonly sessionImages: number;
  readonly elapsedSeconds: number;
}

/** Options of {@link runPool}. */
export interface PoolOptions {
  /** Processes at once, ≥ 1. */
  readonly workers: number;
  /** The worker command of `task` in slot `slot` (arguments to `executable`, extra env). */
  readonly command: (
    task: PoolTask,
    slot: number,
  ) => { readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> };
  /** The program to run (default: this Deno). */
  readonly executable?: string;
  /** Where the task's output goes (parent folders are created). */
  readonly logPath: (task: PoolTask) => string;
  /** Images of `task` already trained before the pool started (resumed runs). */
  readonly imagesDoneBefore?: (task: PoolTask) => number;
  /** Called on every change of state. */
  readonly onStatus?: (status: PoolStatus) => void;
  /** Called when a task ends. */
  readonly onResult?: (result: TaskResult) => void;
}

/** Runs `tasks` in a pool of `options.workers` processes; resolves when all have ended. */
export async function runPool(
  tasks: readonly PoolTask[],
  options: PoolOptions,
): Promise<TaskResult[]> {
  if (!Number.isInteger(options.workers) || options.workers < 1) {
    throw new Error(`options.workers must be a positive integer, got ${options.workers}`);
  }
  const started = performance.now();
  const queue = [...tasks];
  const results: TaskResult[] = [];
  const slots: WorkerSlot[] = Array.from({ length: options.workers }, (_, index) => ({
    index,
    imagesDone: 0,
  }));
  const before = new Map(tasks.map((t) => [t.id, options.imagesDoneBefore?.(t) ?? 0]));
  const finishedImages = new Map<string, number>();
  const status = (): PoolStatus => {
    let imagesDone = 0;
    let sessionImages = 0;
    for (const t of tasks) {
      const slot = slots.find((s) => s.task?.id === t.id);
      const done = finishedImages.get(t.id) ?? slot?.imagesDone ?? before.get(t.id)!;
      imagesDone += Math.min(done, t.imagesTotal);
      sessionImages += Math.max(0, done - before.get(t.id)!);
    }
    return {
      total: tasks.length,
      done: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok && !r.busy).length,
      busy: results.filter((r) => r.busy).length,
      slots: [...slots],
      imagesTotal: tasks.reduce((s, t) => s + t.imagesTotal, 0),
      imagesDone,
      sessionImages,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
  };
  const report = () => options.onStatus?.(status());

  const runSlot = async (index: number): Promise<void> => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      slots[index] = { index, task, imagesDone: before.get(task.id)! };
      report();
      const result = await runTask(task, index, options, (event) => {
        if (event.kind === "progress") {
          slots[index] = {
            index,
            task,
            imagesDone: event.imagesDone,
            imagesPerSecond: event.imagesPerSecond,
            note: event.note,
          };
          report();
        }
      }, before.get(task.id)!);
      finishedImages.set(
        task.id,
        result.ok ? task.imagesTotal : before.get(task.id)! + result.imagesTrained,
      );
      results.push(result);
      slots[index] = { index, imagesDone: 0 };
      report();
      options.onResult?.(result);
    }
  };
  await Promise.all(slots.map((_, i) => runSlot(i)));
  return tasks.map((t) => results.find((r) => r.task.id === t.id)!);
}

async function runTask(
  task: PoolTask,
  slot: number,
  options: PoolOptions,
  onEvent: (event: WorkerEvent) => void,
  imagesBefore: number,
): Promise<TaskResult> {
  const started = performance.now();
  const logPath = options.logPath(task);
  await Deno.mkdir(dirname(logPath), { recursive: true });
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const { args, env } = options.command(task, slot);
  let busy = false;
  let lastImages = imagesBefore;
  let exitCode: number;
  try {
    const child = new Deno.Command(options.executable ?? Deno.execPath(), {
      args: [...args],
      env: { ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pumpStdout = (async () => {
      let pending = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith(EVENT_PREFIX)) {
            try {
              const event = JSON.parse(line.slice(EVENT_PREFIX.length)) as WorkerEvent;
              if (event.kind === "progress") lastImages = event.imagesDone;
              if (event.kind === "busy") busy = true;
              onEvent(event);
              continue;
            } catch {
              // Not an event after all: keep it in the log.
            }
          }
          log.writeSync(encoder.encode(line + "\n"));
        }
      }
      if (pending) log.writeSync(encoder.encode(pending));
    })();
    const pumpStderr = (async () => {
      for await (const chunk of child.stderr) log.writeSync(chunk);
    })();
    const [status] = await Promise.all([child.status, pumpStdout, pumpStderr]);
    exitCode = status.code;
  } finally {
    log.close();
  }
  const ok = exitCode === 0;
  let tail: string | undefined;
  if (!ok) {
    const text = await Deno.readTextFile(logPath).catch(() => "");
    tail = text.trimEnd().split("\n").slice(-8).join("\n");
  }
  return {
    task,
    ok,
    busy: !ok && busy,
    exitCode,
    logPath,
    seconds: (performance.now() - started) / 1000,
    imagesTrained: Math.max(0, lastImages - imagesBefore),
    tail,
  };
}

/**
 * The progress lines of `status`: one overall line (runs done, images, aggregate images/s, ETA)
 * and one line per worker (its run and progress). The ETA divides the images left by the pool's
 * current aggregate rate (the sum of its workers' rates; the session average before any worker
 * reports one).
 */
export function formatPoolStatus(status: PoolStatus): string[] {
  const rates = status.slots.map((s) => s.imagesPerSecond).filter((r): r is number =>
    r !== undefined && r > 0
  );
  const aggregate = rates.length
    ? rates.reduce((a, b) => a + b, 0)
    : status.sessionImages / Math.max(status.elapsedSeconds, 1e-9);
  const left = status.imagesTotal - status.imagesDone;
  const eta = left <= 0 ? 0 : aggregate > 0 ? left / aggregate : Number.NaN;
  const pct = status.imagesTotal ? (100 * status.imagesDone) / status.imagesTotal : 100;
  const overall = `[sweep] ${status.done}/${status.total} runs done` +
    (status.failed ? `, ${status.failed} failed` : "") +
    (status.busy ? `, ${status.busy} busy elsewhere` : "") +
    ` · ${pct.toFixed(1)}% of ${status.imagesTotal.toLocaleString("en-US")} images · ` +
    `${aggregate.toFixed(0)} img/s · elapsed ${formatDuration(status.elapsedSeconds)} · ETA ${
      formatDuration(eta)
    }`;
  const workers = status.slots.map((s) => {
    if (!s.task) return `  worker ${s.index + 1}: idle`;
    const share = s.task.imagesTotal ? (100 * s.imagesDone) / s.task.imagesTotal : 0;
    return `  worker ${s.index + 1}: ${s.task.label} · ${share.toFixed(0)}%` +
      (s.note ? ` · ${s.note}` : "") +
      (s.imagesPerSecond ? ` · ${s.imagesPerSecond.toFixed(0)} img/s` : "");
  });
  return [overall, ...workers];
}
