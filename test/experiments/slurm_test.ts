import assert from "node:assert/strict";
import {
  parseSacct,
  slurmBatchScript,
  slurmResources,
  slurmTime,
} from "../../lib/experiments/slurm.ts";

Deno.test("slurmTime writes D-HH:MM:SS, rounding up to a minute", () => {
  assert.equal(slurmTime(0), "0-00:00:00");
  assert.equal(slurmTime(59.2), "0-01:00:00");
  assert.equal(slurmTime(1441), "1-00:01:00");
  assert.throws(() => slurmTime(-1), /minutes must be a finite number >= 0, got -1/);
});

Deno.test("slurmResources: CPUs toward an hour per run, time with a safety factor, memory from a peak", () => {
  // 240 min at one thread → 4 CPUs; at 4^0.5 = 2× speed 120 min, ×2 + 10 = 250 min.
  assert.deepEqual(slurmResources({ minutesAtOneThread: 240, peakMemoryMiB: 1500 }), {
    cpusPerTask: 4,
    mem: "3G", // 1500 × 1.5 = 2250 MiB → 3 GiB
    time: "0-04:10:00",
  });
  assert.deepEqual(slurmResources({ minutesAtOneThread: 0.5, peakMemoryMiB: 100 }), {
    cpusPerTask: 1,
    mem: "2G",
    time: "0-00:11:00",
  });
  assert.deepEqual(
    slurmResources({ minutesAtOneThread: 6000, peakMemoryMiB: undefined }).cpusPerTask,
    8,
  );
  assert.deepEqual(slurmResources({ minutesAtOneThread: undefined, peakMemoryMiB: undefined }), {
    cpusPerTask: 1,
    mem: "8G",
    time: "1-00:00:00",
  });
  assert.equal(
    slurmResources({ minutesAtOneThread: 240, peakMemoryMiB: 1, cpusPerTask: 2 }).cpusPerTask,
    2,
  );
  assert.throws(
    () => slurmResources({ minutesAtOneThread: 1, peakMemoryMiB: 1, cpusPerTask: 0 }),
    /cpusPerTask must be a positive integer, got 0/,
  );
});

Deno.test("slurmBatchScript: one array over the plan, resources, pass-through flags, GPU", () => {
  const script = slurmBatchScript({
    jobName: "cutmix-smoke",
    tasks: 13,
    resources: { cpusPerTask: 2, mem: "4G", time: "0-01:00:00" },
    workerCommand: [
      "/opt/deno",
      "run",
      "-A",
      "/shared/p/tools/sweep.ts",
      "worker",
      "--plan",
      "/shared/r/plan.json",
    ],
    workDir: "/shared/p",
    logDir: "/shared/r/logs",
    partition: "cpu",
    account: "lab",
    gpu: true,
    maxRunning: 4,
    extraFlags: ["--qos=long"],
    setup: ["module load gcc"],
    env: { CUTMIX_BACKEND: "gpu", NOTE: "it's" },
  });
  const lines = script.split("\n");
  for (
    const expected of [
      "#!/bin/bash",
      "#SBATCH --job-name=cutmix-smoke",
      "#SBATCH --array=0-12%4",
      "#SBATCH --cpus-per-task=2",
      "#SBATCH --mem=4G",
      "#SBATCH --time=0-01:00:00",
      "#SBATCH --output=/shared/r/logs/%A_%a.log",
      "#SBATCH --partition=cpu",
      "#SBATCH --account=lab",
      "#SBATCH --gres=gpu:1",
      "#SBATCH --qos=long",
      "module load gcc",
      'export TF_NUM_INTRAOP_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
      "export CUTMIX_BACKEND=gpu",
      "export NOTE='it'\\''s'",
      "cd /shared/p",
      'exec /opt/deno run -A /shared/p/tools/sweep.ts worker --plan /shared/r/plan.json --index "$SLURM_ARRAY_TASK_ID"',
    ]
  ) {
    assert.ok(lines.includes(expected), `missing line: ${expected}\n${script}`);
  }
  // #SBATCH lines must come before the first command, or sbatch ignores them.
  const lastFlag = lines.findLastIndex((l) => l.startsWith("#SBATCH"));
  assert.ok(lines.slice(1, lastFlag).every((l) => l.startsWith("#SBATCH")));
  assert.ok(!slurmBatchScript({ ...baseOptions(), gpu: false }).includes("--gres"));
});

function baseOptions() {
  return {
    jobName: "j",
    tasks: 1,
    resources: { cpusPerTask: 1, mem: "2G", time: "0-00:10:00" },
    workerCommand: ["deno"],
    workDir: "/p",
    logDir: "/l",
  };
}

Deno.test("parseSacct reads array tasks, expands pending ranges and drops job steps", () => {
  const text = [
    "77_0|COMPLETED|0:0",
    "77_0.batch|COMPLETED|0:0",
    "77_1|FAILED|1:0",
    "77_2|CANCELLED by 0|0:15",
    "77_[3-5,8%2]|PENDING|0:0",
    "78_0|COMPLETED|0:0",
    "",
  ].join("\n");
  assert.deepEqual(parseSacct(text, "77"), [
    { index: 0, state: "COMPLETED", exitCode: "0:0" },
    { index: 1, state: "FAILED", exitCode: "1:0" },
    { index: 2, state: "CANCELLED", exitCode: "0:15" },
    { index: 3, state: "PENDING", exitCode: "0:0" },
    { index: 4, state: "PENDING", exitCode: "0:0" },
    { index: 5, state: "PENDING", exitCode: "0:0" },
    { index: 8, state: "PENDING", exitCode: "0:0" },
  ]);
});
