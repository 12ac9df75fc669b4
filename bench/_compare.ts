/**
 * The comparisons the bench prints, as pure functions of measured figures: every ratio is against
 * the best PyTorch configuration measured beside it; k concurrent processes are summed over wall
 * time; achieved FLOP/s against the large-GEMM peak; the targets as pass/fail lines.
 *
 * @example
 * ```ts
 * import { bestOf } from "./_compare.ts";
 * bestOf([{ id: "torch", imagesPerSecond: 300 }, { id: "torch-cl", imagesPerSecond: 440 }])?.id;
 * // "torch-cl"
 * ```
 * @module
 */
import type { MemoryFigures, Row, TargetLine } from "./_results.ts";
import { median } from "./stats.ts";

/**
 * The candidate with the highest `imagesPerSecond`, ignoring failed ones (NaN, undefined, ≤ 0);
 * undefined when none succeeded. Ties go to the first.
 */
export function bestOf<T extends { imagesPerSecond?: number }>(
  candidates: readonly T[],
): T | undefined {
  let best: T | undefined;
  for (const c of candidates) {
    const ips = c.imagesPerSecond;
    if (ips === undefined || !(ips > 0)) continue;
    if (best === undefined || ips > best.imagesPerSecond!) best = c;
  }
  return best;
}

/**
 * `rows` with `ratioToBestTorch` and `bestTorch` filled in: within each (section, model, batch),
 * every row's images/s over that of the fastest PyTorch row (PyTorch rows included, the best
 * being 1). Rows of a group without a successful PyTorch row get no ratio.
 */
export function withRatiosToBestTorch(rows: readonly Row[]): Row[] {
  const key = (r: Row) => `${r.section}|${r.model}|${r.batch}`;
  const best = new Map<string, Row>();
  for (const k of new Set(rows.map(key))) {
    const found = bestOf(rows.filter((r) => key(r) === k && r.kind === "torch"));
    if (found) best.set(k, found);
  }
  return rows.map((r) => {
    const b = best.get(key(r));
    if (b === undefined || !(r.imagesPerSecond > 0)) return { ...r };
    return { ...r, ratioToBestTorch: r.imagesPerSecond / b.imagesPerSecond, bestTorch: b.variant };
  });
}

/**
 * Paired cycles: `runs[i][c]` is variant i's images/s in cycle c. The best PyTorch configuration
 * is the one of `torchIndices` with the highest median; each variant's ratio is the median over
 * cycles of its run over that configuration's run in the same cycle (load that changes over
 * seconds hits a cycle alike, so these are steadier than ratios of medians).
 */
export function pairedRatios(
  runs: readonly (readonly number[])[],
  torchIndices: readonly number[],
): { bestTorchIndex?: number; ratios: (number | undefined)[] } {
  const candidates = torchIndices.map((i) => ({ i, imagesPerSecond: median(runs[i]) }));
  const best = bestOf(candidates);
  if (best === undefined) return { ratios: runs.map(() => undefined) };
  const reference = runs[best.i];
  return {
    bestTorchIndex: best.i,
    ratios: runs.map((r) => median(r.map((x, c) => x / reference[c]))),
  };
}

/**
 * Aggregate throughput of processes that ran at once: all their images over the wall time from
 * the first start to the last finish (what a sweep of independent trainings gets), images/s.
 */
export function aggregateImagesPerSecond(
  imagesPerProcess: readonly number[],
  wallMs: number,
): number {
  if (!(wallMs > 0)) throw new Error(`aggregateImagesPerSecond: wallMs must be > 0, got ${wallMs}`);
  return (1000 * imagesPerProcess.reduce((sum, n) => sum + n, 0)) / wallMs;
}

/** The concurrent section's summary: medians over cycles, and aggregate over single. */
export function concurrentSummary(
  singleImagesPerSecond: readonly number[],
  aggregateCycles: readonly number[],
): { single: number; aggregate: number; scaling: number } {
  const single = median(singleImagesPerSecond);
  const aggregate = median(aggregateCycles);
  return { single, aggregate, scaling: aggregate / single };
}

/** Whether a worker's `tf.memory().numTensors` after each timed run stayed the same (no leak). */
export function tensorCountStable(countsAfterRuns: readonly number[]): boolean {
  return countsAfterRuns.every((n) => n === countsAfterRuns[0]);
}

/** Achieved GFLOP/s of a step: images/s × counted FLOPs per image. */
export function achievedGflops(imagesPerSecond: number, flopsPerImage: number): number {
  return (imagesPerSecond * flopsPerImage) / 1e9;
}

/**
 * One target of issue 14: a (section, model, batch) whose ratio to the best PyTorch must reach
 * `atLeast`. The ratio is of images/s (ours over PyTorch's) or, with `measure: "peakRss"`, of peak
 * RSS the other way round (PyTorch's over ours: ≥ 1 when ours is no more), against the PyTorch
 * configuration that was fastest there.
 */
export interface Target {
  readonly name: string;
  readonly section: "train" | "infer";
  readonly model: string;
  readonly batch: number;
  readonly atLeast: number;
  /** Default `"throughput"`. */
  readonly measure?: "throughput" | "peakRss";
}

/** The throughput targets, on the bench's default models. */
const THROUGHPUT_TARGETS: readonly Target[] = [
  {
    name: "ResNet-20 training, batch 64",
    section: "train",
    model: "resnet20",
    batch: 64,
    atLeast: 1.2,
  },
  {
    name: "ResNet-20 training, batch 128",
    section: "train",
    model: "resnet20",
    batch: 128,
    atLeast: 1.2,
  },
  {
    name: "PyramidNet-38 training, batch 64",
    section: "train",
    model: "pyramidnet38-a64",
    batch: 64,
    atLeast: 1.0,
  },
  {
    name: "PyramidNet-38 training, batch 128",
    section: "train",
    model: "pyramidnet38-a64",
    batch: 128,
    atLeast: 1.0,
  },
  {
    name: "ResNet-20 batch-2 step no slower",
    section: "train",
    model: "resnet20",
    batch: 2,
    atLeast: 1.0,
  },
  {
    name: "ResNet-20 inference, batch 128",
    section: "infer",
    model: "resnet20",
    batch: 128,
    atLeast: 1.2,
  },
  {
    name: "PyramidNet-38 inference, batch 128",
    section: "infer",
    model: "pyramidnet38-a64",
    batch: 128,
    atLeast: 1.2,
  },
];

/** Issue 14's targets: each throughput target, and peak RSS no more than PyTorch's in the same row. */
export const TARGETS: readonly Target[] = [
  ...THROUGHPUT_TARGETS,
  ...THROUGHPUT_TARGETS.map((t): Target => ({
    name: `${
      t.section === "train" ? "training" : "inference"
    } peak RSS, ${t.model} batch ${t.batch}`,
    section: t.section,
    model: t.model,
    batch: t.batch,
    atLeast: 1.0,
    measure: "peakRss",
  })),
];

/**
 * Each target for `variant`, from rows that already carry their ratios
 * ({@link withRatiosToBestTorch}). A target `variant` was not measured for, or measured without
 * PyTorch beside it, is "not measured"; with `onlyMeasured` (for a stand-in that runs one model)
 * targets without a row are left out instead.
 */
export function evaluateTargets(
  rows: readonly Row[],
  variant: string,
  { onlyMeasured = false, targets = TARGETS }: {
    onlyMeasured?: boolean;
    targets?: readonly Target[];
  } = {},
): TargetLine[] {
  const lines: TargetLine[] = [];
  for (const t of targets) {
    const rowOf = (v: string | undefined) =>
      rows.find((r) =>
        r.section === t.section && r.model === t.model && r.batch === t.batch && r.variant === v
      );
    const row = rowOf(variant);
    if (row === undefined && onlyMeasured) continue;
    let ratio = row?.ratioToBestTorch;
    let detail: string | undefined;
    if (t.measure === "peakRss") {
      const [ours, theirs] = [row?.peakRssMiB, rowOf(row?.bestTorch)?.peakRssMiB];
      ratio = ours !== undefined && theirs !== undefined && ours > 0 ? theirs / ours : undefined;
      if (ratio !== undefined) {
        detail = `peak RSS ${ours!.toFixed(0)} MiB, PyTorch's ${theirs!.toFixed(0)}`;
      }
    }
    lines.push({
      name: t.name,
      variant,
      atLeast: t.atLeast,
      ratio,
      bestTorch: row?.bestTorch,
      verdict: ratio === undefined ? "not measured" : ratio >= t.atLeast ? "pass" : "fail",
      ...(detail === undefined ? {} : { detail }),
    });
  }
  return lines;
}

/**
 * The memory section's bound: RSS after the first timed run over RSS after the last, over an
 * epoch of steps. 0.98 lets the allocator settle by 2 % and catches any buffer kept per step.
 */
export const RSS_FLAT_AT_LEAST = 0.98;

/** Issue 14's "RSS flat over an epoch" for one memory-section worker; fails on growing tensors too. */
export function memoryTarget(f: MemoryFigures): TargetLine {
  const [first, last] = [f.rssAfterRunsMiB[0], f.rssAfterRunsMiB.at(-1)];
  const ratio = first !== undefined && last !== undefined && last > 0 ? first / last : undefined;
  const line: TargetLine = {
    name: `RSS flat over an epoch, ${f.model} batch ${f.batch} (${f.steps} steps)`,
    variant: f.variant,
    atLeast: RSS_FLAT_AT_LEAST,
    ratio,
    verdict: ratio === undefined
      ? "not measured"
      : ratio >= RSS_FLAT_AT_LEAST && f.numTensorsStable
      ? "pass"
      : "fail",
  };
  if (ratio !== undefined) {
    line.detail = `RSS ${first!.toFixed(0)} → ${last!.toFixed(0)} MiB, tensors ` +
      (f.numTensorsStable ? "stable" : "growing");
  }
  return line;
}
