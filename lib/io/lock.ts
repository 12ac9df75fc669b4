/**
 * A lock file that works across processes and hosts on a shared filesystem (NFS, Lustre, a local
 * disk), with recovery after a crash.
 *
 * - Taking it: the holder's record `{ host, pid, startedAt, token, purpose }` is written to a
 *   temporary file and hard-linked to the lock path. `link` fails if the path exists and is atomic
 *   on NFS too (unlike `O_EXCL` on old NFS clients), and no one ever sees a half-written lock.
 * - Heartbeat: while held, a worker thread sets the lock file's modification time every
 *   `heartbeatSeconds`. It runs beside the main thread, so a training step that blocks the main
 *   thread for minutes still keeps the lock fresh.
 * - Stale: a lock is stale when its heartbeat is older than `staleAfterSeconds`, or when its
 *   holder ran on this host and that process is gone. Then it is taken over: renamed aside
 *   (only one contender can rename a given file), checked to be the very lock that was judged
 *   stale, and removed. Hosts' clocks must agree to well within `staleAfterSeconds` (NTP).
 * - Lost: if the lock file stops naming this holder (someone took it over), the heartbeat notices
 *   and {@link HeldLock.assertHeld} throws, so the holder stops before it writes anything.
 *
 * @example
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireLock(`${dir}/lock`, { purpose: "example" });
 * try {
 *   lock.assertHeld(); // before each write the lock protects
 * } finally {
 *   await lock.release();
 * }
 * ```
 * @module
 */
import { dirname } from "node:path";

/** The defaults of {@link LockOptions}, in one place. */
export const LOCK_DEFAULTS = Object.freeze({
  /** Seconds between heartbeats. */
  heartbeatSeconds: 20,
  /** A heartbeat older than this makes the lock stale (≫ heartbeat, ≫ NFS attribute caching). */
  staleAfterSeconds: 300,
});

/** Options of {@link acquireLock} and {@link inspectLock}. */
export interface LockOptions {
  /** Seconds between heartbeats (default {@link LOCK_DEFAULTS}). */
  readonly heartbeatSeconds?: number;
  /** Heartbeat age, in seconds, after which the lock is stale (default {@link LOCK_DEFAULTS}). */
  readonly staleAfterSeconds?: number;
  /** What the lock is for, written into it for whoever finds it (e.g. "training 3f2a…"). */
  readonly purpose?: string;
}

/** What a lock file records about its holder. */
export interface LockHolder {
  /** `Deno.hostname()` of the holder's machine: a dead pid is judged only on the same host. */
  readonly host: string;
  /** The holder's process id on `host`. */
  readonly pid: number;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** Random; tells this holding apart from any other (pids and hosts repeat). */
  readonly token: string;
  /** {@link LockOptions.purpose} of the holder, when it gave one. */
  readonly purpose?: string;
}

/** The state of a lock file someone else may hold. */
export interface LockInspection {
  /** The holder's record, or null when the file could not be read or parsed. */
  readonly holder: LockHolder | null;
  /** Seconds since the last heartbeat (the file's modification time). */
  readonly heartbeatAgeSeconds: number;
  /** True when the lock may be taken over: heartbeat too old, or holder gone from this host. */
  readonly stale: boolean;
  /** Why it is (or is not) stale, in words. */
  readonly reason: string;
}

/** Thrown by {@link acquireLock} when a live holder has the lock. */
export class LockBusyError extends Error {
  /** The lock file. */
  readonly path: string;
  /** The live holder found there, and why it is judged live. */
  readonly inspection: LockInspection;
  /** The message names the holder (process, host, since when, purpose) from `inspection`. */
  constructor(path: string, inspection: LockInspection) {
    const h = inspection.holder;
    super(
      h
        ? `${path} is held by process ${h.pid} on ${h.host} since ${h.startedAt}` +
          `${h.purpose ? ` (${h.purpose})` : ""}; ${inspection.reason}`
        : `${path} is held (unreadable record); ${inspection.reason}`,
    );
    this.name = "LockBusyError";
    this.path = path;
    this.inspection = inspection;
  }
}

/** A held lock. */
export interface HeldLock {
  /** The lock file. */
  readonly path: string;
  /** The record this process wrote into it. */
  readonly holder: LockHolder;
  /** Throws if the lock was lost (taken over after a heartbeat failed to land). */
  assertHeld(): void;
  /** Stops the heartbeat and removes the lock file if it still names this holder. */
  release(): Promise<void>;
}

/** Whether process `pid` runs on this machine; `undefined` when that cannot be known here. */
export function processAlive(pid: number): boolean | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Judges a lock record: stale when the heartbeat is older than `staleAfterSeconds`, or when the
 * holder ran on `host` (this machine) and `alive(pid)` says it is gone. Pure; tested directly.
 */
export function judgeLock(
  holder: LockHolder | null,
  heartbeatAgeSeconds: number,
  context: {
    readonly host: string;
    readonly staleAfterSeconds: number;
    readonly alive: (pid: number) => boolean | undefined;
  },
): { stale: boolean; reason: string } {
  const age = `heartbeat ${heartbeatAgeSeconds.toFixed(0)} s ago`;
  if (heartbeatAgeSeconds > context.staleAfterSeconds) {
    return { stale: true, reason: `${age}, older than ${context.staleAfterSeconds} s` };
  }
  if (holder && holder.host === context.host && context.alive(holder.pid) === false) {
    return { stale: true, reason: `process ${holder.pid} no longer runs on ${holder.host}` };
  }
  return { stale: false, reason: `${age} (stale after ${context.staleAfterSeconds} s)` };
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text);
    if (typeof h?.host === "string" && Number.isInteger(h?.pid) && typeof h?.token === "string") {
      return h as LockHolder;
    }
  } catch {
    // Not a lock record.
  }
  return null;
}

function checkedOptions(options: LockOptions) {
  const heartbeatSeconds = options.heartbeatSeconds ?? LOCK_DEFAULTS.heartbeatSeconds;
  const staleAfterSeconds = options.staleAfterSeconds ?? LOCK_DEFAULTS.staleAfterSeconds;
  if (!(heartbeatSeconds > 0)) {
    throw new Error(`options.heartbeatSeconds must be > 0, got ${heartbeatSeconds}`);
  }
  if (!(staleAfterSeconds > heartbeatSeconds)) {
    throw new Error(
      `options.staleAfterSeconds (${staleAfterSeconds}) must exceed heartbeatSeconds (${heartbeatSeconds})`,
    );
  }
  return { heartbeatSeconds, staleAfterSeconds };
}

/** Reads and judges the lock at `path`; null when there is none. */
export async function inspectLock(
  path: string,
  options: LockOptions = {},
): Promise<LockInspection | null> {
  const { staleAfterSeconds } = checkedOptions(options);
  let text: string;
  let mtimeMs: number;
  try {
    const info = await Deno.stat(path);
    mtimeMs = info.mtime?.getTime() ?? Date.now();
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const holder = parseHolder(text);
  const heartbeatAgeSeconds = Math.max(0, (Date.now() - mtimeMs) / 1000);
  const judged = judgeLock(holder, heartbeatAgeSeconds, {
    host: Deno.hostname(),
    staleAfterSeconds,
    alive: processAlive,
  });
  return { holder, heartbeatAgeSeconds, ...judged };
}

/**
 * Takes the lock at `path` (its folder must exist), taking over a stale one; throws
 * {@link LockBusyError} when a live holder has it.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const { heartbeatSeconds } = checkedOptions(options);
  const holder: LockHolder = {
    host: Deno.hostname(),
    pid: Deno.pid,
    startedAt: new Date().toISOString(),
    token: crypto.randomUUID(),
    ...(options.purpose ? { purpose: options.purpose } : {}),
  };
  const tmp = `${path}.new-${holder.token.slice(0, 8)}`;
  await Deno.writeTextFile(tmp, JSON.stringify(holder) + "\n");
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await Deno.link(tmp, path);
        return startHeartbeat(path, holder, heartbeatSeconds);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
      const found = await inspectLock(path, options);
      if (found === null) continue; // released meanwhile
      if (!found.stale) throw new LockBusyError(path, found);
      await takeOver(path, found);
    }
    throw new Error(`could not take the lock ${path}: it kept changing hands`);
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Removes the stale lock judged in `found`, unless another contender replaced it meanwhile. */
async function takeOver(path: string, found: LockInspection): Promise<void> {
  const aside = `${path}.stale-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.rename(path, aside);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // someone else took it over first
    throw error;
  }
  const moved = parseHolder(await Deno.readTextFile(aside).catch(() => ""));
  if ((moved?.token ?? null) !== (found.holder?.token ?? null)) {
    // Between judging and renaming, a contender replaced the stale lock with a fresh one: put it
    // back (link fails if yet another lock appeared; that one then stands).
    await Deno.link(aside, path).catch(() => {});
  }
  await Deno.remove(aside).catch(() => {});
}

function startHeartbeat(path: string, holder: LockHolder, heartbeatSeconds: number): HeldLock {
  const worker = new Worker(new URL("./_lock_heartbeat.ts", import.meta.url), { type: "module" });
  let lost: string | undefined;
  let released = false;
  worker.onmessage = (event: MessageEvent<{ lost: string }>) => {
    lost = event.data.lost;
  };
  worker.postMessage({ path, token: holder.token, intervalMs: heartbeatSeconds * 1000 });
  return {
    path,
    holder,
    assertHeld() {
      if (released) throw new Error(`${path}: the lock was released`);
      if (lost !== undefined) {
        throw new Error(
          `${path}: lost the lock (${lost}); another process may be writing ${dirname(path)}`,
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      worker.terminate();
      const current = parseHolder(await Deno.readTextFile(path).catch(() => ""));
      if (current?.token === holder.token) await Deno.remove(path).catch(() => {});
    },
  };
}
