import assert from "node:assert/strict";
import { join } from "node:path";
import {
  acquireLock,
  inspectLock,
  judgeLock,
  LockBusyError,
  type LockHolder,
} from "../../lib/io/lock.ts";

const holder = (host: string, pid: number): LockHolder => ({
  host,
  pid,
  startedAt: "2026-12-03T00:00:00.000Z",
  token: `t-${host}-${pid}`,
});

/** Polls `condition` every 20 ms for up to 20 s (an event to wait for, not a timing check). */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("judgeLock: stale by an old heartbeat, or by a dead process on this host only", () => {
  const context = (alive: boolean | undefined) => ({
    host: "a",
    staleAfterSeconds: 300,
    alive: () => alive,
  });
  assert.equal(judgeLock(holder("a", 1), 10, context(true)).stale, false);
  assert.match(judgeLock(holder("a", 1), 10, context(false)).reason, /process 1 no longer runs/);
  assert.equal(judgeLock(holder("a", 1), 10, context(false)).stale, true);
  // Another host's pid says nothing here: only the heartbeat decides.
  assert.equal(judgeLock(holder("b", 1), 10, context(false)).stale, false);
  assert.equal(judgeLock(holder("b", 1), 301, context(true)).stale, true);
  assert.match(judgeLock(null, 301, context(undefined)).reason, /older than 300 s/);
  assert.equal(judgeLock(null, 5, context(undefined)).stale, false);
});

Deno.test("a lock held by another live process is refused; after that process dies it is taken", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-lock-" });
  const path = join(dir, "lock");
  const script = `
    import { acquireLock } from ${
    JSON.stringify(new URL("../../lib/io/lock.ts", import.meta.url).href)
  };
    await acquireLock(${JSON.stringify(path)}, { purpose: "child" });
    console.log("held");
    await new Promise(() => {}); // hold until killed
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert.equal(new TextDecoder().decode(value).trim(), "held");
    reader.releaseLock();
    const error = await acquireLock(path).then(
      (lock) => lock.release().then(() => undefined),
      (e) => e,
    );
    assert.ok(error instanceof LockBusyError, String(error));
    assert.equal(error.inspection.holder?.pid, child.pid);
    assert.match(error.message, new RegExp(`process ${child.pid} on .* \\(child\\)`));
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    // The holder is gone and ran on this host: the lock is stale at once.
    const lock = await acquireLock(path);
    assert.equal(lock.holder.pid, Deno.pid);
    assert.equal((await inspectLock(path))?.holder?.token, lock.holder.token);
    await lock.release();
    assert.equal(await inspectLock(path), null);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("another host's lock: kept while its heartbeat is fresh, taken over once it is old", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-lock-" });
  const path = join(dir, "lock");
  try {
    await Deno.writeTextFile(path, JSON.stringify(holder("elsewhere", 1)));
    await assert.rejects(acquireLock(path, { staleAfterSeconds: 300 }), LockBusyError);
    const old = new Date(Date.now() - 301_000);
    await Deno.utime(path, old, old);
    const inspection = await inspectLock(path, { staleAfterSeconds: 300 });
    assert.equal(inspection?.stale, true);
    const lock = await acquireLock(path, { staleAfterSeconds: 300 });
    assert.notEqual(lock.holder.token, holder("elsewhere", 1).token);
    await lock.release();
    // No leftovers of the take-over or the temporary record.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the heartbeat refreshes the lock; a lock taken over is reported lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-lock-" });
  const path = join(dir, "lock");
  try {
    const lock = await acquireLock(path, { heartbeatSeconds: 0.05, staleAfterSeconds: 60 });
    const old = new Date(Date.now() - 3_600_000);
    await Deno.utime(path, old, old);
    await until(
      async () => (await inspectLock(path, { staleAfterSeconds: 60 }))!.heartbeatAgeSeconds < 60,
      "a heartbeat",
    );
    lock.assertHeld();
    await Deno.writeTextFile(path, JSON.stringify(holder("thief", 2)));
    await until(() => {
      try {
        lock.assertHeld();
        return false;
      } catch (error) {
        assert.match((error as Error).message, /lost the lock/);
        return true;
      }
    }, "the loss to be noticed");
    await lock.release();
    // Release leaves another holder's lock alone.
    assert.equal((await inspectLock(path))?.holder?.host, "thief");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock options are validated", async () => {
  await assert.rejects(
    acquireLock("/nonexistent/lock", { heartbeatSeconds: 10, staleAfterSeconds: 5 }),
    /staleAfterSeconds \(5\) must exceed heartbeatSeconds \(10\)/,
  );
});
