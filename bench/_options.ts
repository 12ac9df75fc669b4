/**
 * `deno task bench`'s command line, validated once: which sections, models, batches, rounds, and
 * which of lib's engines to run.
 * @module
 */
import { parseArgs } from "node:util";
import { type Engine, ENGINES } from "./_job.ts";

/** The sections, in the order they run. */
export const SECTIONS = [
  "gemm",
  "train",
  "paired",
  "infer",
  "concurrent",
  "memory",
  "profile",
  "cutmix",
  "pipeline",
] as const;
/** One section of the bench. */
export type Section = typeof SECTIONS[number];

/** The engines lib's variants run unless `--engine` says otherwise. */
export const DEFAULT_ENGINES: readonly Engine[] = ["compiled", "eager"];

/** The bench's options. */
export interface Options {
  /** Fewer rounds, runs and cycles: a check that every path works, not a measurement. */
  quick: boolean;
  only: Section[];
  rounds: number;
  models: string[];
  /** Batch sizes for every section; undefined: each section's own (see bench/README.md). */
  batches?: number[];
  torch: boolean;
  /** lib's training engines to run as `lib` variants. */
  engines: Engine[];
  /** k of the concurrent section: one-thread processes at once. */
  processes: number;
  /** Re-render RESULTS.md from a latest.json instead of measuring. */
  fromJson?: string;
}

/** The usage line. */
export const USAGE = "deno task bench [--quick] [--only " + SECTIONS.join(",") + "] [--rounds N] " +
  "[--models resnet20,pyramidnet38-a64] [--batches 64,128] [--engine eager[,compiled]] " +
  "[--processes K] [--no-torch] [--from-json bench/out/latest.json]";

function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name} must be a positive integer, got "${text}"`);
  }
  return n;
}

function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * Parses `args`; `cores` is the default of `--processes`. Returns undefined for `--help` (after
 * printing the usage). Throws naming the option and value on bad input.
 */
export function parseOptions(args: readonly string[], cores: number): Options | undefined {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      rounds: { type: "string" },
      models: { type: "string", default: "resnet20,pyramidnet38-a64" },
      batches: { type: "string" },
      engine: { type: "string", default: DEFAULT_ENGINES.join(",") },
      processes: { type: "string" },
      "no-torch": { type: "boolean", default: false },
      "from-json": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const only = list(values.only ?? SECTIONS.join(","));
  for (const s of only) {
    if (!SECTIONS.includes(s as Section)) {
      throw new Error(`--only: "${s}" is not one of ${SECTIONS.join(", ")}`);
    }
  }
  const rounds = values.rounds === undefined
    ? (values.quick ? 1 : 3)
    : positiveInteger("--rounds", values.rounds);
  const models = list(values.models!);
  for (const m of models) {
    // The names both lib/models and bench/pytorch_reference.py build.
    if (!/^(resnet\d+|pyramidnet\d+-a\d+(\.\d+)?)$/.test(m)) {
      throw new Error(`--models: "${m}" is not resnet<depth> or pyramidnet<depth>-a<alpha>`);
    }
  }
  if (models.length === 0) throw new Error("--models: give at least one model");
  const batches = values.batches === undefined
    ? undefined
    : list(values.batches).map((b) => positiveInteger("--batches", b));
  const engines = list(values.engine!);
  if (engines.length === 0) throw new Error("--engine: give at least one engine");
  for (const e of engines) {
    if (!ENGINES.includes(e as Engine)) {
      throw new Error(`--engine: "${e}" is not one of ${ENGINES.join(", ")}`);
    }
  }
  return {
    quick: values.quick!,
    only: SECTIONS.filter((s) => only.includes(s)),
    rounds,
    models,
    batches,
    torch: !values["no-torch"],
    engines: engines as Engine[],
    processes: values.processes === undefined
      ? cores
      : positiveInteger("--processes", values.processes),
    fromJson: values["from-json"],
  };
}
