/**
 * Starting the bench's worker processes: the PyTorch interpreter to use, one-shot workers (a job
 * in, a RESULT line out) and serving workers (warmed up, one timed run per request), all speaking
 * bench/_job.ts's protocol.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GemmJob, GemmResult, Job, JobResult } from "./_job.ts";
import { type Variant, variantEnv } from "./_variants.ts";

/** The bench's folder. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** The project's root. */
export const ROOT = dirname(BENCH_DIR);

/** What every worker start needs to know. */
export interface WorkerSetup {
  /** The Python with torch, or undefined when PyTorch is unavailable. */
  readonly torchPython?: string;
  /** Logical cores: PyTorch's thread count for `"all"`. */
  readonly cores: number;
}

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<Output> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      env: env ?? Deno.env.toObject(),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (error) {
    return { code: 127, stdout: "", stderr: String(error) };
  }
}

/** The venvs that may hold torch, in the order they are tried. */
const TORCH_VENVS = [
  // The project's venv (tools/setup installs torch there for the parity tests).
  join(ROOT, ".cache", "venv"),
  // The bench's own, which it creates when no venv has torch.
  join(ROOT, ".cache", "venv-bench"),
];
const BENCH_VENV = TORCH_VENVS[1];

/** A Python interpreter with torch, or why there is none. */
export type TorchPython =
  | { ok: true; python: string; version: string }
  | { ok: false; why: string };

async function probeTorch(python: string): Promise<string | undefined> {
  const p = await run(python, ["-c", "import torch; print(torch.__version__)"]);
  return p.code === 0 ? p.stdout.trim() : undefined;
}

/**
 * The Python to run PyTorch with: the first of `.cache/venv` and `.cache/venv-bench` whose
 * interpreter imports torch; when neither does, creates `.cache/venv-bench` and installs torch
 * (CPU) into it, saying so. It honours `PIP_INDEX_URL`; without it, a local mirror under
 * /opt/pypi (as on the project's machines) is used when present, else PyTorch's CPU-only index
 * (the default PyPI wheel bundles CUDA).
 */
export async function findTorchPython(): Promise<TorchPython> {
  for (const venv of TORCH_VENVS) {
    const python = join(venv, "bin", "python");
    const version = await probeTorch(python);
    if (version !== undefined) return { ok: true, python, version };
  }
  const python = join(BENCH_VENV, "bin", "python");
  console.log(`PyTorch reference: no venv has torch; creating ${BENCH_VENV} with torch (CPU)…`);
  const venv = await run("python3", ["-m", "venv", BENCH_VENV]);
  if (venv.code !== 0) return { ok: false, why: `python3 -m venv failed: ${venv.stderr.trim()}` };
  const args = ["-m", "pip", "install", "--quiet", "torch"];
  if (!Deno.env.get("PIP_INDEX_URL")) {
    const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
    if (await exists("/opt/pypi/simple")) {
      args.push(
        "--index-url",
        "file:///opt/pypi/simple",
        "--extra-index-url",
        "file:///opt/pypi-more/simple",
      );
      if (await exists("/opt/wheels")) args.push("--find-links", "/opt/wheels");
    } else {
      args.push("--index-url", "https://download.pytorch.org/whl/cpu");
    }
  }
  const pip = await run(python, args);
  if (pip.code !== 0) {
    return { ok: false, why: `pip install torch failed: ${pip.stderr.trim().split("\n").pop()}` };
  }
  const version = await probeTorch(python);
  return version !== undefined
    ? { ok: true, python, version }
    : { ok: false, why: "torch does not import after pip install" };
}

/** The command line of `variant`'s worker for `job` (with the variant's engine or configuration). */
function command(variant: Variant, job: Job | GemmJob, setup: WorkerSetup): [string, string[]] {
  const full = job.task === "gemm"
    ? job
    : variant.kind === "torch"
    ? { ...job, torch: variant.torch }
    : variant.kind === "lib"
    ? { ...job, engine: variant.engine ?? "eager" }
    : job;
  if (variant.kind === "torch") {
    if (setup.torchPython === undefined) throw new Error(`${variant.id}: PyTorch is unavailable`);
    return [setup.torchPython, [join(BENCH_DIR, "pytorch_reference.py"), JSON.stringify(full)]];
  }
  const script = variant.kind === "script" ? variant.script! : "worker.ts";
  return [Deno.execPath(), ["run", "-A", join(BENCH_DIR, script), JSON.stringify(full)]];
}

/** Why a worker gave no RESULT: its FAILED line, else the end of its standard error. */
function failure(out: Output, what: string): string {
  const failed = out.stdout.split("\n").find((l) => l.startsWith("FAILED "));
  if (failed !== undefined) return `${what}: ${failed.slice("FAILED ".length)}`;
  const tail = out.stderr.trim().split("\n").slice(-3).join(" | ");
  return `${what}: exit ${out.code}: ${tail}`;
}

/** Runs `variant`'s worker for one `job` with `threads`; its RESULT, or why there is none. */
export async function runWorker(
  variant: Variant,
  job: Job,
  setup: WorkerSetup,
  threads: number | "all" = "all",
): Promise<JobResult | { error: string }> {
  const out = await runCommand(variant, job, setup, threads);
  const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (out.code !== 0 || line === undefined) {
    return { error: failure(out, `${variant.id} ${job.model} b${job.batch}`) };
  }
  return JSON.parse(line.slice("RESULT ".length));
}

/** Runs a GEMM job in `variant`'s framework (lib's tfjs-node or PyTorch). */
export async function runGemmWorker(
  variant: Variant,
  job: GemmJob,
  setup: WorkerSetup,
  threads: number | "all",
): Promise<GemmResult | { error: string }> {
  const out = await runCommand(variant, job, setup, threads);
  const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (out.code !== 0 || line === undefined) {
    return { error: failure(out, `${variant.id} gemm n=${job.n}`) };
  }
  return JSON.parse(line.slice("RESULT ".length));
}

async function runCommand(
  variant: Variant,
  job: Job | GemmJob,
  setup: WorkerSetup,
  threads: number | "all",
): Promise<Output> {
  let cmd: [string, string[]];
  try {
    cmd = command(variant, job, setup);
  } catch (error) {
    return { code: 127, stdout: "", stderr: String(error) };
  }
  return await run(
    cmd[0],
    cmd[1],
    variantEnv(variant, threads, setup.cores, Deno.env.toObject()),
  );
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      if (buffer) yield buffer;
      return;
    }
    buffer += value;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
}

/** One timed run of a serving worker, as it reported it. */
export interface ServedRun {
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

/** A worker in serve mode: warmed up, doing one timed run per request. */
export class ServingWorker {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncGenerator<string>;
  /** Lines the worker printed before the one awaited (a FAILED line among them). */
  readonly #seen: string[] = [];
  private constructor(readonly variant: Variant, child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#lines = linesOf(child.stdout);
  }

  /** Starts `variant`'s worker on `job` in serve mode and waits until it has warmed up. */
  static async start(
    variant: Variant,
    job: Job,
    setup: WorkerSetup,
    threads: number | "all" = "all",
  ): Promise<ServingWorker> {
    const [cmd, args] = command(variant, { ...job, serve: true }, setup);
    const child = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      env: variantEnv(variant, threads, setup.cores, Deno.env.toObject()),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const worker = new ServingWorker(variant, child);
    try {
      await worker.#expect("READY");
    } catch (error) {
      await worker.close().catch(() => {});
      throw error;
    }
    return worker;
  }

  async #expect(prefix: string): Promise<string> {
    for (;;) {
      const { value, done } = await this.#lines.next();
      if (done) {
        const failed = this.#seen.find((l) => l.startsWith("FAILED "));
        throw new Error(
          `${this.variant.id}: ` +
            (failed ? failed.slice("FAILED ".length) : `worker exited before "${prefix}"`),
        );
      }
      if (value.startsWith(prefix)) return value;
      this.#seen.push(value);
    }
  }

  /** Asks for one timed run; resolves when the worker has reported it. */
  async run(): Promise<ServedRun> {
    await this.#stdin.write(new TextEncoder().encode("run\n"));
    const [, ips, cpu] = (await this.#expect("RUN ")).split(" ");
    return { imagesPerSecond: Number(ips), cpuMsPerImage: Number(cpu) };
  }

  /** Ends the worker; returns its RESULT (memory, tensor counts). */
  async close(): Promise<JobResult> {
    await this.#stdin.close().catch(() => {});
    try {
      const line = await this.#expect("RESULT ");
      return JSON.parse(line.slice("RESULT ".length));
    } finally {
      await this.#child.status;
    }
  }
}
