/**
 * The test task's Slurm stage: proves `deno task sweep run --engine slurm` on a real, single-node
 * Slurm and that it trains the same bits as the local pool.
 *
 * 1. Finds `munged`, `slurmctld`, `slurmd`, `sbatch`; when missing and running as root with
 *    apt, installs Debian's `slurm-wlm` and `munge`. Otherwise the stage is skipped with a
 *    warning (a failure under `CI=true`).
 * 2. Starts munged, slurmctld and slurmd on localhost, all private to this stage: a generated
 *    key, `slurm.conf` (one node with this machine's CPUs and memory), sockets, spool, state and
 *    pid files under `<work>/slurm/`, free ports; the commands find it through `SLURM_CONF`.
 *    Nothing under /etc is touched.
 * 3. Runs the smoke sweep with the local pool (1 thread per worker) into `<work>/runs` (already
 *    trained there by the smoke reproduce, usually), then through `--engine slurm --wait` with one
 *    CPU per task into a fresh `<work>/slurm-runs`.
 * 4. Checks every run: `final.json`'s test metrics, `metrics.jsonl` (wall-clock fields aside)
 *    and `checkpoint.bin` equal the local pool's, bit for bit.
 * 5. Stops the three daemons by their pids, whatever happened.
 * @module
 */
import { join } from "node:path";

/** How the stage ended. */
export interface SlurmStageResult {
  readonly status: "passed" | "skipped" | "failed";
  readonly message: string;
}

const DAEMONS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue"] as const;

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  try {
    const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
      .output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { ok: out.success, code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch (error) {
    return { ok: false, code: -1, stdout: "", stderr: String(error) };
  }
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    try {
      const path = join(dir, name);
      if ((await Deno.stat(path)).isFile) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

/** The Slurm programs, installed with apt when missing and allowed; undefined if unavailable. */
async function findOrInstall(log: (s: string) => void): Promise<Record<string, string> | string> {
  const found = async () => {
    const paths: Record<string, string> = {};
    for (const name of DAEMONS) {
      const p = await which(name);
      if (!p) return undefined;
      paths[name] = p;
    }
    return paths;
  };
  const have = await found();
  if (have) return have;
  const root = Deno.uid() === 0;
  const apt = await which("apt-get");
  if (!root || !apt) {
    return `Slurm is not installed and cannot be installed here (${
      root ? "no apt-get" : "not root"
    }): install slurm-wlm and munge`;
  }
  log("[slurm] installing slurm-wlm and munge with apt-get");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const update = await run(apt, ["update", "-qq"], env);
  if (!update.ok) return `apt-get update failed: ${update.stderr.slice(-500)}`;
  const install = await run(apt, ["install", "-y", "-qq", "slurm-wlm", "munge"], env);
  if (!install.ok) return `apt-get install slurm-wlm munge failed: ${install.stderr.slice(-500)}`;
  return (await found()) ?? "slurm-wlm installed, but its programs are not on PATH";
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The generated one-node slurm.conf. */
export function singleNodeConf(o: {
  readonly host: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly dir: string;
  readonly mungeSocket: string;
  readonly ctldPort: number;
  readonly slurmdPort: number;
}): string {
  return [
    "ClusterName=cutmix-test",
    `SlurmctldHost=${o.host}(127.0.0.1)`,
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${o.mungeSocket}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "MpiDefault=none",
    "SwitchType=switch/none",
    "ReturnToService=2",
    "SchedulerType=sched/backfill",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    `StateSaveLocation=${o.dir}/state`,
    `SlurmdSpoolDir=${o.dir}/spool`,
    `SlurmctldPidFile=${o.dir}/slurmctld.pid`,
    `SlurmdPidFile=${o.dir}/slurmd.pid`,
    `SlurmctldLogFile=${o.dir}/slurmctld.log`,
    `SlurmdLogFile=${o.dir}/slurmd.log`,
    `NodeName=${o.host} NodeAddr=127.0.0.1 CPUs=${o.cpus} RealMemory=${o.memoryMiB} State=UNKNOWN`,
    `PartitionName=main Nodes=${o.host} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

async function readPid(path: string): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    try {
      const pid = Number((await Deno.readTextFile(path)).trim());
      if (pid > 0) return pid;
    } catch { /* not written yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Compares two runs caches' runs, bit for bit; returns the differences. */
export async function compareRuns(localDir: string, slurmDir: string): Promise<string[]> {
  const problems: string[] = [];
  const hashes = [...Deno.readDirSync(slurmDir)].filter((e) =>
    e.isDirectory && /^[0-9a-f]{16}$/.test(e.name)
  ).map((e) => e.name).sort();
  if (hashes.length === 0) problems.push(`${slurmDir} holds no runs`);
  const withoutClock = (text: string) =>
    text.trim().split("\n").map((l) => {
      const { imagesPerSecond: _i, seconds: _s, ...rest } = JSON.parse(l);
      return JSON.stringify(rest);
    });
  for (const hash of hashes) {
    const a = join(localDir, hash);
    const b = join(slurmDir, hash);
    try {
      const fa = JSON.parse(await Deno.readTextFile(join(a, "final.json")));
      const fb = JSON.parse(await Deno.readTextFile(join(b, "final.json")));
      if (JSON.stringify(fa.test) !== JSON.stringify(fb.test)) {
        problems.push(
          `${hash}: final test metrics differ: ${JSON.stringify(fa.test)} vs ${
            JSON.stringify(fb.test)
          }`,
        );
      }
      const ma = withoutClock(await Deno.readTextFile(join(a, "metrics.jsonl")));
      const mb = withoutClock(await Deno.readTextFile(join(b, "metrics.jsonl")));
      if (ma.join("\n") !== mb.join("\n")) problems.push(`${hash}: metrics.jsonl differs`);
      const ca = await Deno.readFile(join(a, "checkpoint.bin"));
      const cb = await Deno.readFile(join(b, "checkpoint.bin"));
      if (ca.length !== cb.length || ca.some((v, i) => v !== cb[i])) {
        problems.push(`${hash}: checkpoint.bin differs`);
      }
    } catch (error) {
      problems.push(`${hash}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Runs the stage in `work` (e.g. `.cache/smoke`): `deno` is this Deno, `root` the project.
 * Under `ci`, a Slurm that cannot be had fails the stage instead of skipping it.
 */
export async function slurmStage(options: {
  readonly root: string;
  readonly work: string;
  readonly deno: string;
  readonly ci: boolean;
  readonly log?: (line: string) => void;
}): Promise<SlurmStageResult> {
  const log = options.log ?? ((s: string) => console.log(s));
  const programs = await findOrInstall(log);
  if (typeof programs === "string") {
    return { status: options.ci ? "failed" : "skipped", message: programs };
  }
  const dir = join(options.work, "slurm");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  for (const sub of ["state", "spool", "munge"]) {
    await Deno.mkdir(join(dir, sub), { recursive: true });
  }
  await Deno.chmod(join(dir, "munge"), 0o700);
  const key = join(dir, "munge", "munge.key");
  await Deno.writeFile(key, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o400 });
  const mungeSocket = join(dir, "munge", "munge.socket");
  const conf = join(dir, "slurm.conf");
  const host = (await run("hostname", ["-s"])).stdout.trim() || Deno.hostname();
  const memKiB = Number(/MemTotal:\s+(\d+)/.exec(await Deno.readTextFile("/proc/meminfo"))?.[1]);
  await Deno.writeTextFile(
    conf,
    singleNodeConf({
      host,
      cpus: navigator.hardwareConcurrency,
      memoryMiB: Math.floor(memKiB / 1024) - 1024,
      dir,
      mungeSocket,
      ctldPort: freePort(),
      slurmdPort: freePort(),
    }),
  );
  const env = { SLURM_CONF: conf };
  const pids: { name: string; pid: number }[] = [];
  try {
    const munged = await run(programs.munged, [
      "--force",
      `--key-file=${key}`,
      `--socket=${mungeSocket}`,
      `--pid-file=${join(dir, "munge", "munged.pid")}`,
      `--log-file=${join(dir, "munge", "munged.log")}`,
      `--seed-file=${join(dir, "munge", "munged.seed")}`,
    ]);
    if (!munged.ok) throw new Error(`munged did not start: ${munged.stderr.trim()}`);
    pids.push({ name: "munged", pid: (await readPid(join(dir, "munge", "munged.pid")))! });
    for (const daemon of ["slurmctld", "slurmd"] as const) {
      const started = await run(programs[daemon], [], env);
      if (!started.ok) throw new Error(`${daemon} did not start: ${started.stderr.trim()}`);
      const pid = await readPid(join(dir, `${daemon}.pid`));
      if (pid === undefined) {
        const tail = await Deno.readTextFile(join(dir, `${daemon}.log`)).catch(() => "");
        throw new Error(`${daemon} wrote no pid file:\n${tail.slice(-1500)}`);
      }
      pids.push({ name: daemon, pid });
    }
    log(
      `[slurm] munged, slurmctld, slurmd running (pids ${
        pids.map((p) => p.pid).join(", ")
      }); ${conf}`,
    );
    const sweep = async (args: string[]) => {
      log(`[slurm] deno task sweep ${args.join(" ")}`);
      const out = await new Deno.Command(options.deno, {
        args: ["run", "-A", join(options.root, "tools/sweep.ts"), ...args],
        cwd: options.root,
        env: { ...env, NO_COLOR: "1" },
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      return out.code;
    };
    const localRuns = join(options.work, "runs");
    const slurmRuns = join(options.work, "slurm-runs");
    await Deno.remove(slurmRuns, { recursive: true }).catch(() => {});
    const local = await sweep([
      "run",
      "--scale",
      "smoke",
      "--runs-dir",
      localRuns,
      "--threads-per-worker",
      "1",
    ]);
    if (local !== 0) {
      return { status: "failed", message: `the local smoke sweep failed (exit ${local})` };
    }
    const slurm = await sweep([
      "run",
      "--engine",
      "slurm",
      "--scale",
      "smoke",
      "--runs-dir",
      slurmRuns,
      "--cpus-per-task",
      "1",
      "--mem",
      "3G",
      "--wait",
    ]);
    if (slurm !== 0) {
      const ctld = await Deno.readTextFile(join(dir, "slurmctld.log")).catch(() => "");
      return {
        status: "failed",
        message: `the Slurm smoke sweep failed (exit ${slurm}); slurmctld log:\n${
          ctld.slice(-1500)
        }`,
      };
    }
    const problems = await compareRuns(localRuns, slurmRuns);
    if (problems.length) {
      return {
        status: "failed",
        message: `Slurm's runs differ from the local pool's:\n  ${problems.join("\n  ")}`,
      };
    }
    const count = [...Deno.readDirSync(slurmRuns)].filter((e) =>
      /^[0-9a-f]{16}$/.test(e.name)
    ).length;
    return {
      status: "passed",
      message:
        `${count} smoke runs trained through a Slurm job array equal the local pool's bit for bit`,
    };
  } catch (error) {
    return { status: "failed", message: (error as Error).message };
  } finally {
    for (const { name, pid } of pids.reverse()) {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      log(`[slurm] stopped ${name} (pid ${pid})`);
    }
  }
}
