/**
 * bench/RESULTS.md from one invocation's {@link BenchResults}: the targets first, then a table per
 * section. Pure: the same results give the same text (`--from-json` re-renders).
 * @module
 */
import type { BenchResults, ConcurrentFigures, PairedFigures, Row } from "./_results.ts";

function fmt(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

function ratio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(2)}×`;
}

function yesNo(x: boolean | undefined): string {
  return x === undefined ? "–" : x ? "yes" : "**NO**";
}

/** A Markdown table cell: no pipes or newlines inside. */
function cell(text: string): string {
  return text.replace(/\|/g, "/").replace(/\s+/g, " ");
}

function modelTable(
  rows: readonly Row[],
  results: BenchResults,
  kind: "train" | "forward",
): string[] {
  const peak = results.gemm?.peakGflops;
  const lines = [
    "| model | batch | variant | images/s (median) | best run | × best PyTorch | CPU ms/image | GFLOP/s | % of GEMM peak | runs | tensors stable | peak RSS MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    if (r.failed !== undefined) {
      lines.push(
        `| ${r.model} | ${r.batch} | ${r.label} | **failed**: ${
          cell(r.failed)
        } | | | | | | 0 | | |`,
      );
      continue;
    }
    const best = r.variant === r.bestTorch ? " (best PyTorch)" : "";
    lines.push(
      `| ${r.model} | ${r.batch} | ${r.label}${best} | ${fmt(r.imagesPerSecond, 1)} | ${
        fmt(r.bestImagesPerSecond, 1)
      } | ${ratio(r.ratioToBestTorch)} | ${fmt(r.cpuMsPerImage, 2)} | ${
        fmt(r.gflopsPerSecond, 1)
      } | ${
        peak === undefined
          ? "–"
          : fmt(r.shareOfGemmPeak === undefined ? undefined : 100 * r.shareOfGemmPeak, 0)
      } | ${r.runs} | ${yesNo(r.numTensorsStable)} | ${fmt(r.peakRssMiB)} |`,
    );
  }
  lines.push("");
  const flops = results.flops ?? {};
  for (const model of new Set(rows.map((r) => r.model))) {
    const f = flops[model];
    const params = rows.find((r) => r.model === model && r.parameterCount)?.parameterCount;
    const perImage = f === undefined
      ? "not counted"
      : `${
        fmt((kind === "train" ? f.trainFlopsPerImage : f.forwardFlopsPerImage) / 1e6, 1)
      } MFLOP per image (${kind === "train" ? "training step" : "forward"})`;
    lines.push(
      `- ${model}: ${
        params === undefined ? "" : `${params.toLocaleString("en-US")} parameters, `
      }${perImage}`,
    );
  }
  for (const r of rows) {
    if (r.compileSeconds !== undefined) {
      lines.push(
        `- ${r.model} b${r.batch} ${r.variant}: first step (torch.compile) ${
          r.compileSeconds.map((s) => fmt(s, 1)).join(", ")
        } s, excluded from throughput`,
      );
    }
  }
  const errors = new Set(rows.flatMap((r) => r.errors));
  for (const e of errors) lines.push(`- **error**: ${e}`);
  return lines;
}

function pairedTable(paired: readonly PairedFigures[]): string[] {
  const lines = [
    "| model | batch | variant | images/s (median) | × best PyTorch (median of per-cycle ratios) | cycles | tensors stable |",
    "|---|---|---|---|---|---|---|",
  ];
  const notes: string[] = [];
  for (const p of paired) {
    if (p.error) lines.push(`| ${p.model} | ${p.batch} | **error**: ${cell(p.error)} | | | | |`);
    for (const v of p.variants) {
      const best = v.id === p.bestTorch ? " (best PyTorch)" : "";
      lines.push(
        `| ${p.model} | ${p.batch} | ${v.label}${best} | ${fmt(v.imagesPerSecond, 1)} | ${
          ratio(v.ratioToBestTorch)
        } | ${p.cycles} | ${yesNo(v.numTensorsStable)} |`,
      );
      if (v.compileSeconds !== undefined) {
        notes.push(
          `- ${p.model} b${p.batch} ${v.id}: first step (torch.compile) ${
            fmt(v.compileSeconds, 1)
          } s`,
        );
      }
    }
    for (const f of p.failed) {
      lines.push(`| ${p.model} | ${p.batch} | ${f.label} | **failed**: ${cell(f.reason)} | | | |`);
    }
  }
  return [...lines, "", ...notes];
}

function concurrentTable(figures: readonly ConcurrentFigures[], results: BenchResults): string[] {
  const first = figures[0];
  const flops = first ? results.flops?.[first.model]?.trainFlopsPerImage : undefined;
  const onePeak = results.gemm?.peakGflopsOneThread;
  const lines = [
    `Training ${first?.model ?? ""} at batch ${
      first?.batch ?? ""
    }: one process with all ${results.machine.cores} cores against ${
      first?.processes ?? ""
    } processes with one thread each, started together (images over wall time).`,
    "",
    "| variant | 1 process, all cores, images/s | k × 1 thread, aggregate images/s | aggregate / single | × best PyTorch (aggregate) | aggregate GFLOP/s | per process, % of one-thread GEMM peak |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const f of figures) {
    if (f.error) {
      lines.push(`| ${f.label} | **failed**: ${cell(f.error)} | | | | | |`);
      continue;
    }
    const best = f.variant === f.bestTorch ? " (best PyTorch)" : "";
    const gflops = flops === undefined ? undefined : (f.aggregateImagesPerSecond * flops) / 1e9;
    const share = gflops === undefined || onePeak === undefined
      ? undefined
      : (100 * gflops) / f.processes / onePeak;
    lines.push(
      `| ${f.label}${best} | ${fmt(f.singleImagesPerSecond, 1)} | ${
        fmt(f.aggregateImagesPerSecond, 1)
      } | ${ratio(f.scaling)} | ${ratio(f.ratioToBestTorch)} | ${fmt(gflops, 1)} | ${fmt(share)} |`,
    );
  }
  return lines;
}

/** The Markdown of bench/RESULTS.md (without the final newline). */
export function renderResults(results: BenchResults): string {
  const m = results.machine;
  const lines: string[] = [
    "# Bench results",
    "",
    `Generated by \`deno task bench${results.args.length ? " " : ""}${
      results.args.join(" ")
    }\` at ${results.date}.`,
    "",
    `Machine: ${m.summary}; ${m.os}. TensorFlow.js backend \`${results.backend ?? "–"}\`; ` +
    `PyTorch ${results.torch}; lib's engines: ${results.engines.join(", ")}.`,
    "",
    `Load average (1 min) at start ${fmt(results.loadAverageAtStart, 2)}, at end ${
      fmt(results.loadAverageAtEnd, 2)
    } on ${m.cores} cores: above ${m.cores}, other processes shared the cores and absolute ` +
    "figures are low (PyTorch's OpenMP threads suffer most); variants ran interleaved so they " +
    "shared the load alike.",
    "",
  ];
  if (results.args.includes("--quick")) {
    lines.push(
      "**A `--quick` run: it checks that every path works; it is not a measurement.**",
      "",
    );
  }
  if (results.targets && results.targets.length > 0) {
    lines.push(
      "## Targets (issue 14): ours against the best PyTorch configuration",
      "",
      "Throughput: our images/s over the fastest PyTorch configuration's. Peak RSS: that " +
        "configuration's peak RSS over ours (≥ 1 when ours is no more).",
      "",
      "| target | variant | required | measured | best PyTorch | result |",
      "|---|---|---|---|---|---|",
      ...results.targets.map((t) =>
        `| ${t.name} | ${t.variant} | ≥ ${bound(t.atLeast)}× | ${ratio(t.ratio)}${
          t.detail === undefined ? "" : ` (${t.detail})`
        } | ${t.bestTorch ?? "–"} | ${
          t.verdict === "pass" ? "pass" : t.verdict === "fail" ? "**FAIL**" : "not measured"
        } |`
      ),
      "",
    );
  }
  const gemm = results.gemm;
  if (gemm) {
    lines.push(
      `## Large GEMM (${gemm.n}×${gemm.n} float32 products): the practical peak`,
      "",
      "| framework | threads | GFLOP/s (median) |",
      "|---|---|---|",
      ...gemm.entries.map((e) =>
        `| ${e.framework} | ${e.threads} | ${
          e.error ? `**failed**: ${cell(e.error)}` : fmt(e.gflops, 1)
        } |`
      ),
      "",
      `Peak: ${fmt(gemm.peakGflops, 1)} GFLOP/s with every core, ${
        fmt(gemm.peakGflopsOneThread, 1)
      } with one thread (2·n³ FLOPs per product).`,
      "",
    );
  }
  const countNote = "FLOPs are counted from the architecture (bench/flops.ts): 2 per multiply-" +
    "accumulate of every convolution and dense layer, and a training step is 3× the forward " +
    "(backward ≈ 2× forward); batch norm, ReLU, pooling, the loss and the update are not counted.";
  if (results.train) {
    lines.push("## Training (SGD step: forward, backward, update), images/s", "", countNote, "");
    lines.push(...modelTable(results.train, results, "train"), "");
  }
  if (results.paired) {
    lines.push(
      "## Training side by side (paired: all processes alive, one timed run each in turn)",
      "",
      ...pairedTable(results.paired),
      "",
    );
  }
  if (results.infer) {
    lines.push("## Inference (evaluation-mode forward), images/s", "");
    lines.push(...modelTable(results.infer, results, "forward"), "");
  }
  if (results.concurrent) {
    lines.push("## Concurrent one-thread processes (a sweep's throughput)", "");
    lines.push(...concurrentTable(results.concurrent, results), "");
  }
  if (results.memory) {
    lines.push(
      "## Memory over an epoch (one training process, RSS after each timed run)",
      "",
      "| variant | model | batch | steps | RSS after the first run, MiB | after the last | growth | tensors stable |",
      "|---|---|---|---|---|---|---|---|",
      ...results.memory.map((m) => {
        const [first, last] = [m.rssAfterRunsMiB[0], m.rssAfterRunsMiB.at(-1)];
        const cells = first === undefined || last === undefined
          ? `failed: ${m.error ?? "no run"} | – | – | –`
          : `${first.toFixed(0)} | ${last.toFixed(0)} | ${
            ((last / first - 1) * 100).toFixed(1)
          } % | ${m.numTensorsStable ? "yes" : "**no**"}`;
        return `| ${m.label} | ${m.model} | ${m.batch} | ${m.steps} | ${cells} |`;
      }),
      "",
    );
  }
  const cutmix = results.cutmix;
  if (cutmix) {
    lines.push("## CutMix", "");
    if (cutmix.error) lines.push(cutmix.error, "");
    else {
      lines.push(
        `cutMix on a batch of ${cutmix.batch} (32×32×3, p = 1): ${fmt(cutmix.msPerBatch, 2)} ms; ` +
          `tensors stable: ${yesNo(cutmix.numTensorsStable)}.`,
        "",
      );
      const shares = Object.entries(cutmix.shareOfTrainingStep);
      for (const [variant, share] of shares) {
        lines.push(
          `- share of a ResNet-20 batch-128 training step (${variant}): ${fmt(100 * share, 1)} %`,
        );
      }
      if (shares.length > 0) lines.push("");
    }
  }
  if (results.profile) {
    lines.push(
      "## Where a training step's time goes (one step: tf.profile for the eager engine, " +
        "TensorFlow's step stats by op type for the compiled one)",
      "",
    );
    for (const p of results.profile) {
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
  const pipeline = results.pipeline;
  if (pipeline) {
    lines.push(
      "## Input pipeline",
      "",
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

/** A target's bound: one decimal (1.2), two where it needs them (0.98). */
function bound(atLeast: number): string {
  return atLeast.toFixed(Number.isInteger(Math.round(atLeast * 1e6) / 1e5) ? 1 : 2);
}

/** The targets as the plain pass/fail lines the bench prints last. */
export function targetLines(results: BenchResults): string[] {
  return (results.targets ?? []).map((t) => {
    const verdict = t.verdict === "pass" ? "PASS" : t.verdict === "fail" ? "FAIL" : "----";
    const measured = t.ratio === undefined
      ? "not measured"
      : t.detail !== undefined
      ? `${t.detail}${t.bestTorch === undefined ? "" : ` (${t.bestTorch})`}: ${t.ratio.toFixed(2)}×`
      : `${t.ratio.toFixed(2)}× the best PyTorch (${t.bestTorch})`;
    return `${verdict} ${t.name} (${t.variant}): ${measured}, target ≥ ${bound(t.atLeast)}×`;
  });
}
