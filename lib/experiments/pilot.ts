/**
 * The baseline-only pilot's records (`reports/pilot/*.json`, written by `deno task pilot`,
 * tools/pilot.ts): one per candidate regime (training images per class × schedule length), with
 * the clean training error every few epochs. They are the evidence behind the cpu scale's regime:
 * {@link pilotCandidates} turns them into what lib/experiments/regime.ts's rule judges, and a
 * notebook shows their curves. No record holds a test error (the rule must not see one).
 *
 * @example
 * ```ts
 * import { CPU_SWEEP_BUDGET, loadPilotRecords, pilotCandidates } from "./pilot.ts";
 * import { chooseRegime } from "./regime.ts";
 * import { sweepRuns } from "./run_list.ts";
 * const records = await loadPilotRecords(); // reports/pilot/ of this project
 * const choice = chooseRegime(pilotCandidates(records), {
 *   numClasses: 10,
 *   runs: sweepRuns("cpu").length,
 *   ...CPU_SWEEP_BUDGET,
 * });
 * console.log(choice.reason);
 * ```
 * @module
 */
import { join } from "node:path";
import { projectRoot } from "../data/paths.ts";
import type { PilotCandidate } from "./regime.ts";

/** One measurement of the pilot: the model after `epoch` epochs on the un-augmented subset. */
export interface PilotPoint {
  /** Epochs trained when it was measured, in [1, the record's `epochs`]. */
  readonly epoch: number;
  /** Top-1 error ∈ [0, 1] on the un-augmented training subset (eval mode). */
  readonly cleanTrainError: number;
  /** Mean cross-entropy there. */
  readonly cleanTrainLoss: number;
}

/** The training loop's own numbers for one epoch (on augmented batches). */
export interface PilotEpoch {
  /** Epochs completed (1 for the first). */
  readonly epoch: number;
  /** Mean training loss over the epoch's augmented batches (`trainLoss` of `metrics.jsonl`). */
  readonly trainLoss: number;
  /** The learning rate of the epoch's last step. */
  readonly lr: number;
}

/** One pilot record, as tools/pilot.ts writes it. */
export interface PilotRecord {
  /** Tags the file as a pilot record; {@link parsePilotRecord} refuses anything else. */
  readonly kind: "baseline pilot";
  /** The run's config hash in the runs cache. */
  readonly configHash: string;
  /** Training images per class of the candidate subset of CIFAR-10 (the run's `trainPerClass`). */
  readonly perClass: number;
  /** The candidate's schedule length in epochs (the step schedule's milestones scale with it). */
  readonly epochs: number;
  /** The run's seed. */
  readonly seed: number;
  /** The model's name, e.g. "resnet20". */
  readonly model: string;
  /** The TensorFlow.js backend that trained it, e.g. "tensorflow" (native) or "cpu". */
  readonly backend: string;
  /** Measurements, ascending by epoch. */
  readonly points: readonly PilotPoint[];
  /** The loop's line of every epoch trained so far, in order (empty in records that lack it). */
  readonly epochsTrainLoss: readonly PilotEpoch[];
  /** The clean training error after the last epoch; null while the pilot is unfinished. */
  readonly finalTrainError: number | null;
}

/**
 * The budget the rule was applied with for the cpu scale: issue 16's 8 hours for the whole
 * sweep's training, at the aggregate rate `deno task bench` measured for the sweep engine
 * (compiled engine, two one-thread ResNet-20 processes, batch 64: 1,031 images/s, 2026-12-03;
 * README, bench/README.md).
 */
export const CPU_SWEEP_BUDGET: Readonly<{ budgetSeconds: number; imagesPerSecond: number }> = Object
  .freeze({ budgetSeconds: 8 * 3600, imagesPerSecond: 1031 });

/** `reports/pilot/` under the project root: where the committed pilot records are. */
export function defaultPilotDir(): string {
  return join(projectRoot(), "reports", "pilot");
}

function check(ok: boolean, source: string, what: string, got: unknown): void {
  if (!ok) throw new Error(`${source}: ${what}, got ${JSON.stringify(got)}`);
}

const isCount = (x: unknown, min: number) => Number.isSafeInteger(x) && (x as number) >= min;
const isRate = (x: unknown) => typeof x === "number" && x >= 0 && x <= 1;

/**
 * Checks a parsed record (`source` names it in errors) and returns it typed, points sorted by
 * epoch. Throws an Error naming the file, the field and the value when one is wrong.
 */
export function parsePilotRecord(json: unknown, source: string): PilotRecord {
  check(typeof json === "object" && json !== null, source, "not a JSON object", json);
  const r = json as Record<string, unknown>;
  check(r.kind === "baseline pilot", source, 'kind must be "baseline pilot"', r.kind);
  check(isCount(r.perClass, 1), source, "perClass must be a positive integer", r.perClass);
  check(isCount(r.epochs, 1), source, "epochs must be a positive integer", r.epochs);
  check(isCount(r.seed, 0), source, "seed must be a non-negative integer", r.seed);
  for (const field of ["configHash", "model", "backend"]) {
    check(typeof r[field] === "string", source, `${field} must be a string`, r[field]);
  }
  check(Array.isArray(r.points), source, "points must be an array", r.points);
  const points = (r.points as Record<string, unknown>[]).map((p, i) => {
    check(
      typeof p === "object" && p !== null && isCount(p.epoch, 1) &&
        (p.epoch as number) <= (r.epochs as number),
      source,
      `points[${i}].epoch must be an integer in [1, ${r.epochs}]`,
      p?.epoch,
    );
    check(
      isRate(p.cleanTrainError),
      source,
      `points[${i}].cleanTrainError must be in [0, 1]`,
      p.cleanTrainError,
    );
    check(
      typeof p.cleanTrainLoss === "number" && Number.isFinite(p.cleanTrainLoss),
      source,
      `points[${i}].cleanTrainLoss must be a finite number`,
      p.cleanTrainLoss,
    );
    return {
      epoch: p.epoch as number,
      cleanTrainError: p.cleanTrainError as number,
      cleanTrainLoss: p.cleanTrainLoss as number,
    };
  }).sort((a, b) => a.epoch - b.epoch);
  const epochsTrainLoss = r.epochsTrainLoss ?? [];
  check(
    Array.isArray(epochsTrainLoss),
    source,
    "epochsTrainLoss must be an array",
    epochsTrainLoss,
  );
  check(
    r.finalTrainError === null || isRate(r.finalTrainError),
    source,
    "finalTrainError must be in [0, 1] or null",
    r.finalTrainError,
  );
  return {
    kind: "baseline pilot",
    configHash: r.configHash as string,
    perClass: r.perClass as number,
    epochs: r.epochs as number,
    seed: r.seed as number,
    model: r.model as string,
    backend: r.backend as string,
    points,
    epochsTrainLoss: epochsTrainLoss as PilotEpoch[],
    finalTrainError: r.finalTrainError as number | null,
  };
}

/**
 * Every `*.json` record in `dir` (default {@link defaultPilotDir}), validated, ordered by
 * subset size, then schedule length, then seed. Throws naming a malformed file, or the folder when
 * it holds none.
 */
export async function loadPilotRecords(dir: string = defaultPilotDir()): Promise<PilotRecord[]> {
  const records: PilotRecord[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const path = join(dir, entry.name);
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
    }
    records.push(parsePilotRecord(json, path));
  }
  if (records.length === 0) throw new Error(`no pilot records (*.json) in ${dir}`);
  return records.sort((a, b) => a.perClass - b.perClass || a.epochs - b.epochs || a.seed - b.seed);
}

/** The rule's candidates: every finished record (one with a final training error). */
export function pilotCandidates(records: readonly PilotRecord[]): PilotCandidate[] {
  return records.filter((r) => r.finalTrainError !== null).map((r) => ({
    perClass: r.perClass,
    epochs: r.epochs,
    finalTrainError: r.finalTrainError!,
  }));
}

/** A record's name in a chart or table, e.g. "500/class × 100 epochs". */
export function pilotLabel(record: Pick<PilotRecord, "perClass" | "epochs">): string {
  return `${record.perClass}/class × ${record.epochs} epochs`;
}
