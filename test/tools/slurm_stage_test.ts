import assert from "node:assert/strict";
import { join } from "node:path";
import { compareRuns, singleNodeConf } from "../../tools/test/slurm_stage.ts";

Deno.test("compareRuns finds any difference outside the wall-clock fields", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-compare-" });
  try {
    const write = async (cache: string, over: { top1?: number; loss?: number; byte?: number }) => {
      const dir = join(root, cache, "0123456789abcdef");
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(
        join(dir, "final.json"),
        JSON.stringify({ test: { top1Error: over.top1 ?? 0.5 }, finishedAt: cache }),
      );
      await Deno.writeTextFile(
        join(dir, "metrics.jsonl"),
        JSON.stringify({
          epoch: 1,
          trainLoss: over.loss ?? 2,
          imagesPerSecond: cache.charCodeAt(0), // differs between caches, as wall-clock does
          seconds: 1,
        }) +
          "\n",
      );
      await Deno.writeFile(join(dir, "checkpoint.bin"), new Uint8Array([1, 2, over.byte ?? 3]));
    };
    await write("a", {});
    await write("b", {});
    assert.deepEqual(await compareRuns(join(root, "a"), join(root, "b")), []);
    await write("c", { top1: 0.25, loss: 2.5, byte: 4 });
    const problems = await compareRuns(join(root, "a"), join(root, "c"));
    assert.equal(problems.length, 3);
    assert.match(problems[0], /0123456789abcdef: final test metrics differ/);
    assert.match(problems[1], /metrics.jsonl differs/);
    assert.match(problems[2], /checkpoint.bin differs/);
    await Deno.mkdir(join(root, "empty"));
    assert.deepEqual(await compareRuns(join(root, "a"), join(root, "empty")), [
      `${join(root, "empty")} holds no runs`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("singleNodeConf: one node of this machine's size, private paths and ports", () => {
  const conf = singleNodeConf({
    host: "vm",
    cpus: 2,
    memoryMiB: 23000,
    dir: "/w/slurm",
    mungeSocket: "/w/slurm/munge/munge.socket",
    ctldPort: 40001,
    slurmdPort: 40002,
  }).split("\n");
  for (
    const line of [
      "SlurmctldHost=vm(127.0.0.1)",
      "SlurmctldPort=40001",
      "AuthInfo=socket=/w/slurm/munge/munge.socket",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "StateSaveLocation=/w/slurm/state",
      "NodeName=vm NodeAddr=127.0.0.1 CPUs=2 RealMemory=23000 State=UNKNOWN",
      "PartitionName=main Nodes=vm Default=YES MaxTime=INFINITE State=UP",
    ]
  ) {
    assert.ok(conf.includes(line), line);
  }
});
