import assert from "node:assert/strict";
import { join } from "node:path";
import { formatPoolStatus, type PoolStatus, runPool } from "../../lib/experiments/pool.ts";

const fakeWorker = new URL("./fake_worker.ts", import.meta.url).pathname;

Deno.test("the pool runs each task once, at most `workers` at a time, and goes on after a failure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-pool-" });
  try {
    const modes: Record<string, string> = { a: "ok", b: "fail", c: "ok", d: "busy", e: "ok" };
    const tasks = Object.keys(modes).map((id) => ({ id, label: `task ${id}`, imagesTotal: 100 }));
    let mostAtOnce = 0;
    const ended: string[] = [];
    const results = await runPool(tasks, {
      workers: 2,
      command: (task) => ({ args: ["run", "-A", fakeWorker, task.id, modes[task.id], "100"] }),
      logPath: (task) => join(dir, "logs", `${task.id}.log`),
      imagesDoneBefore: (task) => (task.id === "e" ? 50 : 0),
      onStatus: (s) => {
        mostAtOnce = Math.max(mostAtOnce, s.slots.filter((slot) => slot.task).length);
      },
      onResult: (r) => ended.push(r.task.id),
    });
    assert.deepEqual(results.map((r) => r.task.id), ["a", "b", "c", "d", "e"]);
    assert.deepEqual(results.map((r) => [r.ok, r.busy, r.exitCode]), [
      [true, false, 0],
      [false, false, 1],
      [true, false, 0],
      [false, true, 3],
      [true, false, 0],
    ]);
    assert.deepEqual(ended.sort(), ["a", "b", "c", "d", "e"]);
    assert.equal(mostAtOnce, 2);
    // Events are kept out of the log; everything else the worker printed is in it.
    const log = await Deno.readTextFile(join(dir, "logs", "a.log"));
    assert.match(log, /log line of a on stdout/);
    assert.match(log, /log line of a on stderr/);
    assert.doesNotMatch(log, /@sweep/);
    assert.match(results[1].tail!, /training b diverged: loss NaN/);
    assert.equal(results[1].logPath, join(dir, "logs", "b.log"));
    assert.equal(results[0].imagesTrained, 100);
    assert.equal(results[1].imagesTrained, 50);
    assert.equal(results[4].imagesTrained, 50); // 50 were trained before the pool started
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runPool refuses a bad worker count", async () => {
  await assert.rejects(
    runPool([], { workers: 0, command: () => ({ args: [] }), logPath: () => "" }),
    /options.workers must be a positive integer, got 0/,
  );
});

Deno.test("formatPoolStatus: one overall line with the ETA at the workers' summed rate, one per worker", () => {
  const task = (id: string, imagesTotal: number) => ({ id, label: `02 ${id} seed 0`, imagesTotal });
  const status: PoolStatus = {
    total: 4,
    done: 1,
    failed: 1,
    busy: 0,
    slots: [
      {
        index: 0,
        task: task("cutmix", 1000),
        imagesDone: 250,
        imagesPerSecond: 50,
        note: "epoch 1/4",
      },
      { index: 1, task: task("mixup", 1000), imagesDone: 500, imagesPerSecond: 50 },
      { index: 2, imagesDone: 0 },
    ],
    imagesTotal: 4000,
    imagesDone: 2750,
    sessionImages: 2750,
    elapsedSeconds: 65,
  };
  assert.deepEqual(formatPoolStatus(status), [
    "[sweep] 1/4 runs done, 1 failed · 68.8% of 4,000 images · 100 img/s · elapsed 1:05 · ETA 0:13",
    "  worker 1: 02 cutmix seed 0 · 25% · epoch 1/4 · 50 img/s",
    "  worker 2: 02 mixup seed 0 · 50% · 50 img/s",
    "  worker 3: idle",
  ]);
});
