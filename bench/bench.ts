/**
 * `deno task bench`: training and inference speed of lib next to PyTorch at its best on the same
 * machine in the same invocation, the step's achieved FLOP/s against a large-GEMM peak, the
 * throughput of k concurrent one-thread trainings, CutMix's cost per batch, the input pipeline,
 * and memory/tensor-count stability. bench/README.md says what each figure means.
 *
 *   deno task bench [--quick] [--only gemm,train,paired,infer,concurrent,profile,cutmix,pipeline]
 *                   [--rounds N] [--models resnet20,pyramidnet38-a64] [--batches 64,128]
 *                   [--engine eager[,compiled]] [--processes K] [--no-torch] [--from-json FILE]
 *
 * Every model figure comes from worker processes (bench/worker.ts for lib,
 * bench/pytorch_reference.py for PyTorch in three configurations, experiments that speak the same
 * protocol, bench/_job.ts). Results: a table on stdout, bench/out/latest.json and bench/RESULTS.md
 * (both written atomically), and the targets as pass/fail lines at the end.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../lib/io/atomic_write.ts";
import { describeMachine } from "../lib/reports/machine.ts";
import {
  achievedGflops,
  evaluateTargets,
  memoryTarget,
  TARGETS,
  withRatiosToBestTorch,
} from "./_compare.ts";
import { type Options, parseOptions, USAGE } from "./_options.ts";
import { renderResults, targetLines } from "./_render.ts";
import type { BenchResults, Row } from "./_results.ts";
import { measureConcurrent } from "./_sections/concurrent.ts";
import type { SectionContext } from "./_sections/context.ts";
import { measureGemm } from "./_sections/gemm.ts";
import { measureCutMix, measurePipelineFigures } from "./_sections/in_process.ts";
import { type Case, measureModels } from "./_sections/models.ts";
import { measurePaired } from "./_sections/paired.ts";
import { measureMemory } from "./_sections/memory.ts";
import { measureProfiles } from "./_sections/profile.ts";
import {
  LIB_JIT_VARIANT,
  LIB_SWITCH_VARIANTS,
  libVariant,
  TORCH_VARIANTS,
  type Variant,
  variantRuns,
} from "./_variants.ts";
import { BENCH_DIR, findTorchPython } from "./_workers.ts";

const OUT_DIR = join(BENCH_DIR, "out");
const RESULTS_MD = join(BENCH_DIR, "RESULTS.md");

async function readText(path: string): Promise<string | undefined> {
  return await Deno.readTextFile(path).catch(() => undefined);
}

/** The 1-minute load average (runnable processes; above the core count the cores are shared). */
async function loadAverage(): Promise<number | undefined> {
  const text = await readText("/proc/loadavg");
  return text === undefined ? undefined : Number(text.split(" ")[0]);
}

async function osLabel(): Promise<string> {
  const osRelease = (await readText("/etc/os-release")) ?? "";
  const os = /PRETTY_NAME="?([^"\n]+)"?/.exec(osRelease)?.[1] ?? Deno.build.os;
  return `${os}, kernel ${Deno.osRelease()}`;
}

/** The train section's cases: batches 64 and 128, and batch 2 (the fixed cost) for the first model. */
function trainCases(options: Options): Case[] {
  return options.models.flatMap((model, i) =>
    (options.batches ?? (i === 0 ? [2, 64, 128] : [64, 128])).map((batch) => ({ model, batch }))
  );
}

/** Fills in each row's GFLOP/s and share of the GEMM peak. */
function withFlops(rows: Row[], results: BenchResults, kind: "train" | "forward"): Row[] {
  const peak = results.gemm?.peakGflops;
  return rows.map((r) => {
    const f = results.flops?.[r.model];
    if (f === undefined || !(r.imagesPerSecond > 0)) return r;
    const gflops = achievedGflops(
      r.imagesPerSecond,
      kind === "train" ? f.trainFlopsPerImage : f.forwardFlopsPerImage,
    );
    return { ...r, gflopsPerSecond: gflops, shareOfGemmPeak: peak ? gflops / peak : undefined };
  });
}

async function main(): Promise<void> {
  const cores = navigator.hardwareConcurrency || 1;
  let options: Options | undefined;
  try {
    options = parseOptions(Deno.args, cores);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}\n${USAGE}`);
    Deno.exit(2);
  }
  if (options === undefined) return;
  if (options.fromJson) {
    const saved = JSON.parse(await Deno.readTextFile(options.fromJson)) as BenchResults;
    await writeFileAtomic(RESULTS_MD, renderResults(saved) + "\n");
    console.log(`Re-rendered bench/RESULTS.md from ${options.fromJson}`);
    return;
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    args: [...Deno.args],
    machine: { summary: describeMachine().summary, cores, os: await osLabel() },
    torch: "not asked for (--no-torch)",
    engines: options.engines,
    loadAverageAtStart: await loadAverage(),
  };
  const torch = options.torch ? await findTorchPython() : undefined;
  if (torch?.ok) results.torch = `${torch.version} (${torch.python})`;
  else if (torch) {
    results.torch = `unavailable (${torch.why})`;
    console.log(`PyTorch reference unavailable: ${torch.why}. No ratio to PyTorch is printed.`);
  }
  const ctx: SectionContext = {
    options,
    setup: { torchPython: torch?.ok ? torch.python : undefined, cores },
    torchVariants: torch?.ok ? TORCH_VARIANTS : [],
    libVariants: options.engines.map(libVariant),
  };
  const { torchVariants, libVariants } = ctx;
  const eager = libVariant("eager");
  const first = options.models[0];
  const section = (name: Options["only"][number]) => options.only.includes(name);

  if (section("gemm")) {
    console.log("Large GEMM (the practical peak)…");
    results.gemm = await measureGemm(eager, torchVariants[0], ctx);
  }
  if (section("train")) {
    console.log("Training throughput…");
    const jit = options.engines.includes("compiled") ? [LIB_JIT_VARIANT] : [];
    const variants = [...torchVariants, ...LIB_SWITCH_VARIANTS, ...libVariants, ...jit];
    results.train = withRatiosToBestTorch(
      await measureModels("train", trainCases(options), variants, ctx),
    );
  }
  if (section("paired")) {
    console.log("Paired training runs…");
    const variants = [...torchVariants, ...libVariants, LIB_SWITCH_VARIANTS[1]]
      .filter((v) => variantRuns(v, first, "train"));
    results.paired = [];
    for (const batch of options.batches ?? [64, 128]) {
      const f = await measurePaired(first, batch, variants, ctx);
      console.log(
        `  ${first} b${batch}: ` +
          (f.error ?? f.variants.map((v) =>
            `${v.id} ${v.imagesPerSecond.toFixed(0)} img/s` +
            (v.ratioToBestTorch === undefined ? "" : ` (×${v.ratioToBestTorch.toFixed(2)})`)
          ).join(", ")),
      );
      results.paired.push(f);
    }
  }
  if (section("infer")) {
    console.log("Inference throughput…");
    const variants = [...torchVariants, ...libVariants, LIB_SWITCH_VARIANTS[1]];
    const cases = options.models.flatMap((model) =>
      (options.batches ?? [128]).map((batch) => ({ model, batch }))
    );
    results.infer = withRatiosToBestTorch(await measureModels("infer", cases, variants, ctx));
  }
  if (section("concurrent")) {
    const k = options.processes;
    console.log(`Concurrent training: ${k} one-thread processes against one with ${cores} cores…`);
    const variants: Variant[] = [...torchVariants, ...libVariants]
      .filter((v) => variantRuns(v, first, "train"));
    results.concurrent = await measureConcurrent(first, options.batches?.[0] ?? 64, variants, ctx);
  }
  if (section("memory")) {
    const batch = options.batches?.[0] ?? 128;
    console.log(`Memory over an epoch (${first}, batch ${batch})…`);
    results.memory = await measureMemory(first, batch, libVariants, ctx);
  }
  if (section("profile")) {
    console.log("Profile of one training step…");
    results.profile = await measureProfiles(first, 64, [
      LIB_SWITCH_VARIANTS[0],
      eager,
      libVariant("compiled"),
    ], ctx);
  }
  if (section("cutmix") || section("pipeline")) {
    const { backendInfo } = await import("./_backend.ts");
    results.backend = backendInfo.name;
  } else {
    results.backend = "tensorflow (workers)";
  }
  if (section("cutmix")) {
    console.log("CutMix cost…");
    results.cutmix = await measureCutMix(options.quick, results.train ?? []);
  }
  if (section("pipeline")) {
    console.log("Input pipeline…");
    results.pipeline = await measurePipelineFigures(options.quick);
  }
  // The FLOP count walks lib/models' architectures (loading lib), so it comes after the workers.
  const { modelFlops } = await import("./flops.ts");
  const { parseModelName } = await import("../lib/models/mod.ts");
  results.flops = Object.fromEntries(options.models.map((model) => {
    const f = modelFlops(parseModelName(model));
    return [model, {
      trainFlopsPerImage: f.trainFlopsPerImage,
      forwardFlopsPerImage: f.forwardFlopsPerImage,
    }];
  }));
  if (results.train) results.train = withFlops(results.train, results, "train");
  if (results.infer) results.infer = withFlops(results.infer, results, "forward");
  const measured = [...(results.train ?? []), ...(results.infer ?? [])];
  // The targets of the models, batches and sections asked for ("not measured" then means a failure).
  const targets = TARGETS.filter((t) =>
    options.models.includes(t.model) && section(t.section) &&
    (options.batches === undefined || options.batches.includes(t.batch))
  );
  results.targets = [
    ...libVariants.flatMap((v) => evaluateTargets(measured, v.id, { targets })),
    // The XLA variant runs small batches only: its targets where it ran.
    ...(options.engines.includes("compiled")
      ? evaluateTargets(measured, LIB_JIT_VARIANT.id, { targets, onlyMeasured: true })
      : []),
    ...(results.memory ?? []).map(memoryTarget),
  ];
  results.loadAverageAtEnd = await loadAverage();
  const markdown = renderResults(results);
  console.log("\n" + markdown + "\n");
  await writeFileAtomic(join(OUT_DIR, "latest.json"), JSON.stringify(results, null, 2) + "\n");
  await writeFileAtomic(RESULTS_MD, markdown + "\n");
  console.log("Wrote bench/out/latest.json and bench/RESULTS.md\n");
  for (const line of targetLines(results)) console.log(line);
}

if (import.meta.main) await main();
