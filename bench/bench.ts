/**
 * `deno task bench`: training and inference speed of lib/models next to PyTorch on the same
 * machine in the same invocation, CutMix's cost per batch, the input pipeline's throughput, and
 * memory/tensor-count stability. See bench/README.md for what each figure means.
 *
 *   deno task bench [--quick] [--only train,paired,infer,cutmix,pipeline,profile] [--rounds N]
 *                   [--models resnet20,pyramidnet38-a64] [--no-torch]
 *
 * Every training/inference figure comes from separate worker processes (bench/worker.ts for ours,
 * bench/pytorch_reference.py for PyTorch), run in interleaved rounds (round 1: every variant,
 * round 2: every variant, …) so that load from other processes on a shared machine hits all
 * variants alike; a figure is the median over all timed runs of all rounds, each run after
 * warm-up. Results: a table on stdout, bench/out/latest.json and bench/RESULTS.md (both written
 * atomically).
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Job, JobResult } from "./worker.ts";
import { median } from "./stats.ts";
import { cpuLabel } from "../lib/reports/machine.ts";
import { projectTorchVenv } from "../tools/setup/torch.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const OUT_DIR = join(BENCH_DIR, "out");
// The project venv once `./run setup --for test` put torch there (one torch per machine).
const VENV = projectTorchVenv(ROOT) ?? join(ROOT, ".cache", "venv-bench");
const VENV_PYTHON = join(VENV, "bin", "python");
const SECTIONS = ["train", "paired", "infer", "cutmix", "pipeline", "profile"] as const;
type Section = typeof SECTIONS[number];

/** One way of running a model: PyTorch, or ours with or without the proposed changes. */
interface Variant {
  id: string;
  label: string;
  torch?: boolean;
  /** `CUTMIX_FUSED_KERNELS=0`: lib's plain tfjs compositions instead of the fused native kernels. */
  plain?: boolean;
  /**
   * `TF_ENABLE_ONEDNN_OPTS=0`: TensorFlow without oneDNN, which is what TensorFlow picks by itself
   * on CPUs without AVX-512 VNNI/BF16 or AMX (lib/backend.ts turns it on unless told otherwise).
   */
  noOneDnn?: boolean;
  /**
   * A script under bench/ that speaks bench/worker.ts's protocol instead of it (an experiment,
   * not lib; it keeps no tfjs tensors, so no tensor count is reported for it).
   */
  script?: string;
}

const VARIANTS: Variant[] = [
  { id: "torch", label: "PyTorch (reference)", torch: true },
  { id: "plain", label: "ours: plain tfjs compositions (CUTMIX_FUSED_KERNELS=0)", plain: true },
  { id: "lib", label: "ours: lib as is (fused native kernels)" },
  {
    id: "lib-onednn",
    label: "ours: lib without oneDNN (TF_ENABLE_ONEDNN_OPTS=0)",
    noOneDnn: true,
  },
];

/**
 * The "one graph per step" spike (bench/README.md): ResNet-20 only, in the paired section only,
 * so every machine measures the lever next to lib and PyTorch.
 */
const GRAPH_EXPERIMENT: Variant = {
  id: "graph-spike",
  label: "experiment, not lib: one TF graph per step (bench/experiments/graph_step_capi.ts)",
  script: join("experiments", "graph_step_capi.ts"),
};

interface Options {
  quick: boolean;
  only: Section[];
  rounds: number;
  models: string[];
  torch: boolean;
  /** Re-render RESULTS.md from a latest.json instead of measuring. */
  fromJson?: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      rounds: { type: "string" },
      models: { type: "string", default: "resnet20,pyramidnet38-a64" },
      "no-torch": { type: "boolean", default: false },
      "from-json": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "deno task bench [--quick] [--only train,paired,infer,cutmix,pipeline,profile] [--rounds N] " +
        "[--models resnet20,pyramidnet38-a64] [--no-torch] [--from-json bench/out/latest.json]",
    );
    Deno.exit(0);
  }
  const only = (values.only ?? SECTIONS.join(",")).split(",").map((s) => s.trim());
  for (const s of only) {
    if (!SECTIONS.includes(s as Section)) {
      throw new Error(`--only: "${s}" is not one of ${SECTIONS.join(", ")}`);
    }
  }
  const rounds = values.rounds === undefined ? (values.quick ? 1 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  }
  const models = values.models!.split(",").map((s) => s.trim());
  for (const m of models) {
    // The names both lib/models and bench/pytorch_reference.py build.
    if (!/^(resnet\d+|pyramidnet\d+-a\d+(\.\d+)?)$/.test(m)) {
      throw new Error(`--models: "${m}" is not resnet<depth> or pyramidnet<depth>-a<alpha>`);
    }
  }
  return {
    quick: values.quick!,
    only: only as Section[],
    rounds,
    models,
    torch: !values["no-torch"],
    fromJson: values["from-json"],
  };
}

function cores(): number {
  return navigator.hardwareConcurrency || 1;
}

// ---------------------------------------------------------------------------------------------
// Machine

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** The 1-minute load average (runnable processes; above the core count the cores are shared). */
async function loadAverage(): Promise<number | undefined> {
  const text = await readText("/proc/loadavg");
  return text === undefined ? undefined : Number(text.split(" ")[0]);
}

async function machine(): Promise<Record<string, string | number>> {
  const cpuinfo = (await readText("/proc/cpuinfo")) ?? "";
  const cpu = cpuLabel(cpuinfo);
  const osRelease = (await readText("/etc/os-release")) ?? "";
  const os = /PRETTY_NAME="?([^"\n]+)"?/.exec(osRelease)?.[1] ?? Deno.build.os;
  return {
    cpu,
    cores: cores(),
    os: `${os} (kernel ${Deno.osRelease()}, ${Deno.build.arch})`,
    deno: Deno.version.deno,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  };
}

// ---------------------------------------------------------------------------------------------
// PyTorch

async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
  clearEnv: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const fullEnv = { ...Deno.env.toObject(), ...env };
  for (const k of clearEnv) delete fullEnv[k];
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: fullEnv,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Makes sure .cache/venv-bench has torch; creates it (saying so) when absent. Returns the
 * torch version, or why it is unavailable.
 */
async function ensureTorch(): Promise<{ ok: true; version: string } | { ok: false; why: string }> {
  const probe = async () =>
    await run(VENV_PYTHON, ["-c", "import torch; print(torch.__version__)"]).catch(() => ({
      code: 1,
      stdout: "",
      stderr: "no venv",
    }));
  let p = await probe();
  if (p.code === 0) return { ok: true, version: p.stdout.trim() };
  console.log(`PyTorch reference: ${VENV} has no torch; creating it and installing torch (CPU)…`);
  const venv = await run("python3", ["-m", "venv", VENV]).catch((e) => ({
    code: 1,
    stdout: "",
    stderr: String(e),
  }));
  if (venv.code !== 0) return { ok: false, why: `python3 -m venv failed: ${venv.stderr.trim()}` };
  // pip honours PIP_INDEX_URL / PIP_EXTRA_INDEX_URL; a local mirror (as on our CI machines) is used
  // when present; otherwise PyTorch's CPU-only index (the default PyPI wheel bundles CUDA).
  const args = ["-m", "pip", "install", "--quiet", "torch"];
  if (!Deno.env.get("PIP_INDEX_URL")) {
    const local = await Deno.stat("/opt/pypi/simple").then(() => true, () => false);
    if (local) {
      args.push(
        "--index-url",
        "file:///opt/pypi/simple",
        "--extra-index-url",
        "file:///opt/pypi-more/simple",
      );
      if (await Deno.stat("/opt/wheels").then(() => true, () => false)) {
        args.push("--find-links", "/opt/wheels");
      }
    } else {
      args.push("--index-url", "https://download.pytorch.org/whl/cpu");
    }
  }
  const pip = await run(VENV_PYTHON, args);
  if (pip.code !== 0) {
    return { ok: false, why: `pip install torch failed: ${pip.stderr.trim().split("\n").pop()}` };
  }
  p = await probe();
  return p.code === 0
    ? { ok: true, version: p.stdout.trim() }
    : { ok: false, why: `torch does not import: ${p.stderr.trim().split("\n").pop()}` };
}

// ---------------------------------------------------------------------------------------------
// Workers

/** The switches a variant sets; cleared from the inherited environment for every worker. */
const SWITCH_VARS = ["CUTMIX_FUSED_KERNELS", "TF_ENABLE_ONEDNN_OPTS"];

/** The environment of a worker for `variant` (kernel switches set or cleared). */
function variantEnv(variant: Variant): Record<string, string> {
  const env = Deno.env.toObject();
  for (const k of SWITCH_VARS) delete env[k];
  if (variant.plain) env.CUTMIX_FUSED_KERNELS = "0";
  if (variant.noOneDnn) env.TF_ENABLE_ONEDNN_OPTS = "0";
  env.BENCH_TORCH_THREADS = String(cores());
  return env;
}

interface Measured {
  imagesPerSecondRuns: number[];
  cpuMsPerImageRuns: number[];
  numTensorsStable: boolean;
  peakRssBytes: number;
  tfNumBytes: number;
  parameterCount: number;
  errors: string[];
}

async function runVariant(variant: Variant, job: Job): Promise<JobResult | { error: string }> {
  const out = variant.torch
    ? await run(
      VENV_PYTHON,
      [join(BENCH_DIR, "pytorch_reference.py"), JSON.stringify(job)],
      variantEnv(variant),
    )
    : await run(
      Deno.execPath(),
      ["run", "-A", join(BENCH_DIR, "worker.ts"), JSON.stringify(job)],
      variantEnv(variant),
    );
  const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (out.code !== 0 || line === undefined) {
    const tail = out.stderr.trim().split("\n").slice(-3).join(" | ");
    return { error: `${variant.id} ${job.model} b${job.batch}: exit ${out.code}: ${tail}` };
  }
  return JSON.parse(line.slice("RESULT ".length));
}

interface Row {
  section: "train" | "infer";
  model: string;
  batch: number;
  variant: string;
  label: string;
  imagesPerSecond: number;
  bestImagesPerSecond: number;
  runs: number;
  /** Median process CPU ms per image (all threads): robust to other load on the machine. */
  cpuMsPerImage: number;
  ratioToTorch?: number;
  /** PyTorch's CPU ms per image / ours: > 1 means ours does the work with less CPU. */
  cpuRatioToTorch?: number;
  numTensorsStable?: boolean;
  peakRssMiB?: number;
  parameterCount?: number;
  errors: string[];
}

async function measureModels(
  section: "train" | "infer",
  models: string[],
  batches: number[],
  variants: Variant[],
  options: Options,
): Promise<Row[]> {
  const acc = new Map<string, Measured>();
  const key = (m: string, b: number, v: string) => `${m}|${b}|${v}`;
  for (let round = 0; round < options.rounds; round++) {
    for (const model of models) {
      for (const batch of batches) {
        const heavy = model.startsWith("pyramidnet");
        const job: Job = {
          task: section,
          model,
          batch,
          runs: options.quick ? 2 : 3,
          stepsPerRun: section === "infer" ? 5 : heavy || options.quick ? 2 : 3,
          warmupSteps: 2,
        };
        for (const variant of variants) {
          const k = key(model, batch, variant.id);
          const m = acc.get(k) ?? {
            imagesPerSecondRuns: [],
            cpuMsPerImageRuns: [],
            numTensorsStable: true,
            peakRssBytes: 0,
            tfNumBytes: 0,
            parameterCount: 0,
            errors: [],
          };
          acc.set(k, m);
          const r = await runVariant(variant, job);
          if ("error" in r) {
            m.errors.push(r.error);
            console.log(`  ! ${r.error}`);
            continue;
          }
          m.imagesPerSecondRuns.push(...r.imagesPerSecondRuns);
          m.cpuMsPerImageRuns.push(...r.cpuMsPerImageRuns);
          m.parameterCount = r.parameterCount;
          m.peakRssBytes = Math.max(m.peakRssBytes, r.peakRssBytes);
          if (!variant.torch) {
            const counts = r.numTensorsAfterRuns;
            m.numTensorsStable &&= counts.every((c) => c === counts[0]);
            m.tfNumBytes = r.tfNumBytes;
            if (r.fusedKernels === Boolean(variant.plain)) {
              m.errors.push(
                `${variant.id}: fused kernels ${r.fusedKernels ? "on" : "off"}, not as asked`,
              );
            }
            if (Boolean(r.oneDnnEnabled) === Boolean(variant.noOneDnn)) {
              m.errors.push(`${variant.id}: TF_ENABLE_ONEDNN_OPTS=${r.oneDnn}, not as asked`);
            }
          }
          console.log(
            `  round ${round + 1}/${options.rounds} ${section} ${model} b${batch} ` +
              `${variant.id.padEnd(14)} ${
                r.imagesPerSecondRuns.map((x) => x.toFixed(0)).join(", ")
              } img/s`,
          );
        }
      }
    }
  }
  const rows: Row[] = [];
  for (const model of models) {
    for (const batch of batches) {
      // Both frameworks must build the same network: compare parameter counts.
      const counts = new Set(
        variants.map((v) => acc.get(key(model, batch, v.id))!)
          .filter((m) => m.imagesPerSecondRuns.length > 0).map((m) => m.parameterCount),
      );
      if (counts.size > 1) {
        acc.get(key(model, batch, variants[0].id))!.errors.push(
          `${model}: parameter counts differ between variants (${[...counts].join(" vs ")})`,
        );
      }
      const torch = acc.get(key(model, batch, "torch"));
      const torchIps = torch && torch.imagesPerSecondRuns.length > 0
        ? median(torch.imagesPerSecondRuns)
        : undefined;
      const torchCpu = torch && torch.cpuMsPerImageRuns.length > 0
        ? median(torch.cpuMsPerImageRuns)
        : undefined;
      for (const variant of variants) {
        const m = acc.get(key(model, batch, variant.id))!;
        const ips = median(m.imagesPerSecondRuns);
        rows.push({
          section,
          model,
          batch,
          variant: variant.id,
          label: variant.label,
          imagesPerSecond: ips,
          bestImagesPerSecond: m.imagesPerSecondRuns.length > 0
            ? Math.max(...m.imagesPerSecondRuns)
            : NaN,
          runs: m.imagesPerSecondRuns.length,
          cpuMsPerImage: median(m.cpuMsPerImageRuns),
          ratioToTorch: torchIps && !variant.torch ? ips / torchIps : undefined,
          cpuRatioToTorch: torchCpu && !variant.torch
            ? torchCpu / median(m.cpuMsPerImageRuns)
            : undefined,
          numTensorsStable: variant.torch || m.imagesPerSecondRuns.length === 0
            ? undefined
            : m.numTensorsStable,
          peakRssMiB: m.peakRssBytes > 0 ? Math.round(m.peakRssBytes / 2 ** 20) : undefined,
          parameterCount: m.parameterCount,
          errors: m.errors,
        });
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Paired: PyTorch and ours alive side by side, timed runs alternating

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

/** A worker in paired mode: warmed up, doing one timed run per request. */
class ServingWorker {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncGenerator<string>;
  private constructor(readonly variant: Variant, child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#lines = linesOf(child.stdout);
  }

  static async start(variant: Variant, job: Job): Promise<ServingWorker> {
    const env = variantEnv(variant);
    const [cmd, args] = variant.torch
      ? [VENV_PYTHON, [join(BENCH_DIR, "pytorch_reference.py"), JSON.stringify(job)]]
      : [Deno.execPath(), [
        "run",
        "-A",
        join(BENCH_DIR, variant.script ?? "worker.ts"),
        JSON.stringify(job),
      ]];
    const child = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const worker = new ServingWorker(variant, child);
    await worker.#expect("READY");
    return worker;
  }

  async #expect(prefix: string): Promise<string> {
    for (;;) {
      const { value, done } = await this.#lines.next();
      if (done) throw new Error(`${this.variant.id}: worker exited before "${prefix}"`);
      if (value.startsWith(prefix)) return value;
    }
  }

  /** One timed run: images/s. */
  async run(): Promise<number> {
    await this.#stdin.write(new TextEncoder().encode("run\n"));
    const line = await this.#expect("RUN ");
    return Number(line.split(" ")[1]);
  }

  /** Ends the worker; returns its RESULT (memory, tensor counts). */
  async close(): Promise<JobResult> {
    await this.#stdin.close();
    const line = await this.#expect("RESULT ");
    await this.#child.status;
    return JSON.parse(line.slice("RESULT ".length));
  }
}

interface PairedFigures {
  model: string;
  batch: number;
  cycles: number;
  variants: {
    id: string;
    label: string;
    /** Median images/s over the cycles. */
    imagesPerSecond: number;
    /** Median over cycles of (this variant's run / PyTorch's run in the same cycle). */
    ratioToTorch?: number;
    imagesPerSecondRuns: number[];
    numTensorsStable?: boolean;
  }[];
  error?: string;
}

/**
 * PyTorch and our variants as live processes, all warmed up; then cycles in which each does one
 * timed run in turn (the order rotating from cycle to cycle). Load that changes over seconds hits
 * all of a cycle alike, so the per-cycle ratios are steadier than ratios of separate medians.
 */
async function measurePaired(
  model: string,
  batch: number,
  requested: Variant[],
  options: Options,
): Promise<PairedFigures> {
  const cycles = options.quick ? 5 : 12;
  const job: Job = {
    task: "train",
    model,
    batch,
    runs: 0,
    stepsPerRun: 3,
    warmupSteps: 3,
    serve: true,
  };
  const workers: ServingWorker[] = [];
  /** The variants whose workers started, in `workers`' order. */
  const variants: Variant[] = [];
  try {
    for (const v of requested) {
      try {
        workers.push(await ServingWorker.start(v, job));
        variants.push(v);
      } catch (error) {
        // An experiment that cannot run here (another TensorFlow build, say) must not cost the
        // section its lib and PyTorch figures.
        if (v.script === undefined) throw error;
        console.log(`  ${v.id} skipped: ${error instanceof Error ? error.message : error}`);
      }
    }
    const runs = workers.map(() => [] as number[]);
    for (let c = 0; c < cycles; c++) {
      for (let k = 0; k < workers.length; k++) {
        const i = (c + k) % workers.length;
        runs[i].push(await workers[i].run());
      }
    }
    const results: JobResult[] = [];
    for (const w of workers) results.push(await w.close());
    workers.length = 0;
    const torchIndex = variants.findIndex((v) => v.torch);
    return {
      model,
      batch,
      cycles,
      variants: variants.map((v, i) => ({
        id: v.id,
        label: v.label,
        imagesPerSecond: median(runs[i]),
        ratioToTorch: torchIndex >= 0 && i !== torchIndex
          ? median(runs[i].map((x, c) => x / runs[torchIndex][c]))
          : undefined,
        imagesPerSecondRuns: runs[i],
        numTensorsStable: v.torch || v.script !== undefined
          ? undefined
          : results[i].numTensorsAfterRuns.every((n) => n === results[i].numTensorsAfterRuns[0]),
      })),
    };
  } catch (error) {
    return {
      model,
      batch,
      cycles,
      variants: [],
      error: `paired ${model} b${batch}: ${error instanceof Error ? error.message : error}`,
    };
  } finally {
    for (const w of workers) await w.close().catch(() => {});
  }
}

interface ProfileFigures {
  variant: string;
  label: string;
  model: string;
  batch: number;
  kernelCalls: number;
  kernelMs: number;
  stepMs: number;
  kernels: { kernel: string; calls: number; ms: number }[];
  error?: string;
}

/** One training step under tf.profile, per variant: kernel calls and kernel time by kernel. */
async function measureProfiles(
  model: string,
  variants: Variant[],
): Promise<ProfileFigures[]> {
  const out: ProfileFigures[] = [];
  for (const variant of variants) {
    const job: Job = { task: "profile", model, batch: 64, runs: 2, stepsPerRun: 2, warmupSteps: 2 };
    const r = await runVariant(variant, job);
    if ("error" in r) {
      out.push({
        variant: variant.id,
        label: variant.label,
        model,
        batch: 64,
        kernelCalls: 0,
        kernelMs: NaN,
        stepMs: NaN,
        kernels: [],
        error: r.error,
      });
      continue;
    }
    const kernels = r.profile ?? [];
    out.push({
      variant: variant.id,
      label: variant.label,
      model,
      batch: 64,
      kernelCalls: r.kernelCalls ?? 0,
      kernelMs: kernels.reduce((sum, k) => sum + k.ms, 0),
      stepMs: r.msPerStep,
      kernels,
    });
    console.log(`  profile ${variant.id}: ${r.kernelCalls} kernel calls per step`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CutMix and pipeline (in this process, after the workers)

interface CutMixFigures {
  batch: number;
  msPerBatch: number;
  /** Share of a ResNet-20 batch-128 training step, per variant measured in this invocation. */
  shareOfTrainingStep: Record<string, number>;
  numTensorsStable: boolean;
  error?: string;
}

async function measureCutMix(options: Options, trainRows: Row[]): Promise<CutMixFigures> {
  const batch = 128;
  try {
    const { tf } = await import("../lib/backend.ts");
    const { cutMix } = await import("../lib/augment/cutmix.ts");
    const { Random } = await import("../lib/random.ts");
    const rng = new Random("bench/cutmix");
    const images = tf.randomUniform(
      [batch, 32, 32, 3],
      0,
      1,
      "float32",
      1,
    ) as import("@tensorflow/tfjs-node").Tensor4D;
    const labels = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % 10), "int32");
    const once = () => {
      const r = cutMix(images, labels, { numClasses: 10, rng, prob: 1 });
      r.imagesNHWC.dataSync();
      r.targets.dataSync();
      tf.dispose([r.imagesNHWC, r.targets]);
    };
    for (let i = 0; i < 5; i++) once();
    const before = tf.memory().numTensors;
    const runs: number[] = [];
    const calls = options.quick ? 10 : 30;
    for (let r = 0; r < (options.quick ? 3 : 7); r++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) once();
      runs.push((performance.now() - start) / calls);
    }
    const stable = tf.memory().numTensors === before;
    tf.dispose([images, labels]);
    const ms = median(runs);
    const share: Record<string, number> = {};
    for (const row of trainRows) {
      if (row.model === "resnet20" && row.batch === batch && row.imagesPerSecond > 0) {
        share[row.variant] = ms / ((1000 * batch) / row.imagesPerSecond);
      }
    }
    return { batch, msPerBatch: ms, shareOfTrainingStep: share, numTensorsStable: stable };
  } catch (error) {
    return {
      batch,
      msPerBatch: NaN,
      shareOfTrainingStep: {},
      numTensorsStable: false,
      error: `CutMix not measured: ${error instanceof Error ? error.message : error}`,
    };
  }
}

interface PipelineFigures {
  batch: number;
  images: number;
  imagesPerSecond: number;
  dataset: string;
  error?: string;
}

async function measurePipelineFigures(options: Options): Promise<PipelineFigures> {
  const batch = 128;
  try {
    const { measurePipeline } = await import("../lib/data/pipeline.ts");
    const { Random } = await import("../lib/random.ts");
    // Synthetic bytes: the pipeline's work (gather, byte→float, crop, flip) does not depend on
    // pixel values, and this needs no dataset on disk.
    const n = 10_000;
    const rng = new Random("bench/pipeline");
    const pixels = new Uint8Array(n * 32 * 32 * 3);
    for (let i = 0; i < pixels.length; i += 4) {
      const w = rng.nextUint32();
      pixels[i] = w & 255;
      pixels[i + 1] = (w >>> 8) & 255;
      pixels[i + 2] = (w >>> 16) & 255;
      pixels[i + 3] = w >>> 24;
    }
    const labels = Int32Array.from({ length: n }, () => rng.int(10));
    const dataset = {
      name: "synthetic-cifar-shaped",
      height: 32,
      width: 32,
      channels: 3,
      numClasses: 10,
      classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
      pixelsNHWC: pixels,
      labels,
    };
    const batches = options.quick ? 10 : 30;
    measurePipeline(dataset, { batchSize: batch, seed: 0, epoch: 0 }, 3); // warm-up
    const runs: number[] = [];
    for (let r = 0; r < (options.quick ? 3 : 5); r++) {
      runs.push(
        measurePipeline(dataset, { batchSize: batch, seed: r + 1, epoch: 0 }, batches)
          .imagesPerSecond,
      );
    }
    return { batch, images: batches * batch, imagesPerSecond: median(runs), dataset: dataset.name };
  } catch (error) {
    return {
      batch,
      images: 0,
      imagesPerSecond: NaN,
      dataset: "",
      error: `pipeline not measured: ${error instanceof Error ? error.message : error}`,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Output

async function writeAtomic(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

function fmt(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

function modelNotes(rows: Row[]): string[] {
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (!seen.has(r.model) && r.parameterCount) {
      seen.add(r.model);
      notes.push(`- ${r.model}: ${r.parameterCount.toLocaleString("en-US")} parameters`);
    }
  }
  for (const r of rows) for (const e of r.errors) notes.push(`- **error**: ${e}`);
  return notes;
}

function modelRowsMarkdown(rows: Row[]): string[] {
  const lines = [
    "| model | batch | variant | images/s (median) | best run | ours/PyTorch (median) | ours/PyTorch (best runs) | CPU ms/image | CPU PyTorch/ours | runs | tensors stable | peak RSS MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const torch = rows.find((t) =>
      t.model === r.model && t.batch === r.batch && t.variant === "torch"
    );
    const bestRatio = torch && r.variant !== "torch"
      ? r.bestImagesPerSecond / torch.bestImagesPerSecond
      : undefined;
    lines.push(
      `| ${r.model} | ${r.batch} | ${r.label} | ${fmt(r.imagesPerSecond, 1)} | ${
        fmt(r.bestImagesPerSecond, 1)
      } | ${fmt(r.ratioToTorch, 2)} | ${fmt(bestRatio, 2)} | ${fmt(r.cpuMsPerImage, 2)} | ${
        fmt(r.cpuRatioToTorch, 2)
      } | ${r.runs} | ${
        r.numTensorsStable === undefined ? "–" : r.numTensorsStable ? "yes" : "**NO**"
      } | ${fmt(r.peakRssMiB)} |`,
    );
  }
  return lines;
}

function report(results: Record<string, unknown>): string {
  const m = results.machine as Record<string, string | number>;
  const lines: string[] = [
    "# Bench results",
    "",
    `Generated by \`deno task bench${(results.args as string[]).length ? " " : ""}${
      (results.args as string[]).join(" ")
    }\` at ${results.date}.`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Deno ${m.deno}; ` +
    `TensorFlow.js backend \`${results.backend}\`; PyTorch ${results.torch}.`,
    "",
    `Load average (1 min) at start ${results.loadAverageAtStart ?? "–"}, at end ${
      results.loadAverageAtEnd ?? "–"
    } on ${m.cores} cores: above ${m.cores}, other processes shared the cores and absolute ` +
    "figures are low (PyTorch's OpenMP threads suffer most); variants ran interleaved so they " +
    "shared the load alike.",
    "",
  ];
  const train = results.train as Row[] | undefined;
  if (train) {
    lines.push("## Training (SGD step: forward, backward, update), images/s", "");
    lines.push(...modelRowsMarkdown(train), "", ...modelNotes(train), "");
  }
  const infer = results.infer as Row[] | undefined;
  if (infer) {
    lines.push("## Inference (evaluation-mode forward), images/s", "");
    lines.push(...modelRowsMarkdown(infer), "", ...modelNotes(infer), "");
  }
  const cutmix = results.cutmix as CutMixFigures | undefined;
  if (cutmix) {
    lines.push("## CutMix", "");
    if (cutmix.error) lines.push(cutmix.error, "");
    else {
      lines.push(
        `cutMix on a batch of ${cutmix.batch} (32×32×3, p = 1): ${
          fmt(cutmix.msPerBatch, 2)
        } ms; tensors stable: ${cutmix.numTensorsStable ? "yes" : "**NO**"}.`,
        "",
      );
      for (const [variant, share] of Object.entries(cutmix.shareOfTrainingStep)) {
        lines.push(
          `- share of a ResNet-20 batch-128 training step (${variant}): ${fmt(100 * share, 1)} %`,
        );
      }
      lines.push("");
    }
  }
  const paired = results.paired as PairedFigures[] | undefined;
  if (paired) {
    lines.push(
      "## Training side by side (paired: all processes alive, one timed run each in turn)",
      "",
      "| model | batch | variant | images/s (median) | ours/PyTorch (median of per-cycle ratios) | cycles | tensors stable |",
      "|---|---|---|---|---|---|---|",
    );
    for (const p of paired) {
      if (p.error) {
        lines.push(`| ${p.model} | ${p.batch} | **error**: ${p.error} | | | | |`);
        continue;
      }
      for (const v of p.variants) {
        lines.push(
          `| ${p.model} | ${p.batch} | ${v.label} | ${fmt(v.imagesPerSecond, 1)} | ${
            fmt(v.ratioToTorch, 2)
          } | ${p.cycles} | ${
            v.numTensorsStable === undefined ? "–" : v.numTensorsStable ? "yes" : "**NO**"
          } |`,
        );
      }
    }
    lines.push("");
  }
  const profiles = results.profile as ProfileFigures[] | undefined;
  if (profiles) {
    lines.push("## Where a training step's time goes (tf.profile, one step)", "");
    for (const p of profiles) {
      if (p.error) {
        lines.push(`${p.label}: ${p.error}`, "");
        continue;
      }
      lines.push(
        `${p.label}, ${p.model} batch ${p.batch}: ${p.kernelCalls} kernel calls, ` +
          `${fmt(p.kernelMs)} ms inside kernels; an unprofiled step took ${fmt(p.stepMs)} ms.`,
        "",
        "| kernel | calls | ms |",
        "|---|---|---|",
        ...p.kernels.slice(0, 12).map((k) => `| ${k.kernel} | ${k.calls} | ${fmt(k.ms, 1)} |`),
        "",
      );
    }
  }
  const pipeline = results.pipeline as PipelineFigures | undefined;
  if (pipeline) {
    lines.push("## Input pipeline", "");
    lines.push(
      pipeline.error ??
        `trainBatches (batch ${pipeline.batch}, random crop + flip, ${pipeline.dataset}): ${
          fmt(pipeline.imagesPerSecond)
        } images/s.`,
      "",
    );
  }
  // One trailing newline (added by the writer), as `deno fmt` wants Markdown.
  return lines.join("\n").replace(/\n+$/, "");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions();
  await Deno.mkdir(OUT_DIR, { recursive: true });
  if (options.fromJson) {
    const saved = JSON.parse(await Deno.readTextFile(options.fromJson));
    await writeAtomic(join(BENCH_DIR, "RESULTS.md"), report(saved) + "\n");
    console.log(`Re-rendered bench/RESULTS.md from ${options.fromJson}`);
    return;
  }
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    args: Deno.args,
    machine: await machine(),
    options,
    loadAverageAtStart: await loadAverage(),
  };
  const torch = options.torch
    ? await ensureTorch()
    : { ok: false as const, why: "--no-torch given" };
  results.torch = torch.ok ? torch.version : `unavailable (${torch.why})`;
  if (!torch.ok) {
    console.log(`PyTorch reference unavailable: ${torch.why}. No ours/PyTorch ratio is printed.`);
  }
  const variants = VARIANTS.filter((v) => !v.torch || torch.ok);
  const models = options.models;
  let trainRows: Row[] = [];
  if (options.only.includes("train")) {
    console.log("Training throughput…");
    trainRows = await measureModels("train", models, [64, 128], variants, options);
    results.train = trainRows;
  }
  if (options.only.includes("paired")) {
    console.log("Paired training runs…");
    const pairedVariants = variants.filter((v) => ["torch", "lib", "lib-onednn"].includes(v.id));
    if (models[0] === "resnet20") pairedVariants.push(GRAPH_EXPERIMENT);
    const figures: PairedFigures[] = [];
    for (const batch of [64, 128]) {
      const f = await measurePaired(models[0], batch, pairedVariants, options);
      console.log(
        `  ${models[0]} b${batch}: ` +
          (f.error ?? f.variants.map((v) =>
            `${v.id} ${v.imagesPerSecond.toFixed(0)} img/s` +
            (v.ratioToTorch === undefined ? "" : ` (×${v.ratioToTorch.toFixed(2)})`)
          ).join(", ")),
      );
      figures.push(f);
    }
    results.paired = figures;
  }
  if (options.only.includes("infer")) {
    console.log("Inference throughput…");
    const inferVariants = variants.filter((v) => ["torch", "lib", "lib-onednn"].includes(v.id));
    results.infer = await measureModels("infer", models, [128], inferVariants, options);
  }
  if (options.only.includes("profile")) {
    console.log("Profile of one training step…");
    const profiled = variants.filter((v) => v.id === "plain" || v.id === "lib");
    results.profile = await measureProfiles(models[0], profiled);
  }
  if (options.only.includes("cutmix") || options.only.includes("pipeline")) {
    const { backendInfo } = await import("../lib/backend.ts");
    results.backend = backendInfo.name;
  } else {
    results.backend = "tensorflow (workers)";
  }
  if (options.only.includes("cutmix")) {
    console.log("CutMix cost…");
    results.cutmix = await measureCutMix(options, trainRows);
  }
  if (options.only.includes("pipeline")) {
    console.log("Input pipeline…");
    results.pipeline = await measurePipelineFigures(options);
  }
  results.loadAverageAtEnd = await loadAverage();
  const markdown = report(results);
  console.log("\n" + markdown);
  await writeAtomic(join(OUT_DIR, "latest.json"), JSON.stringify(results, null, 2) + "\n");
  await writeAtomic(join(BENCH_DIR, "RESULTS.md"), markdown + "\n");
  console.log(`Wrote bench/out/latest.json and bench/RESULTS.md`);
}

if (import.meta.main) await main();
