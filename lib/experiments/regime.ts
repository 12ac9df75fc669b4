/**
 * The rule that picks a reproduction's training regime, fixed before any test error is seen.
 *
 * The paper's claims are about models trained until they fit their training set (PyramidNet-200,
 * 300 epochs on all of CIFAR): a regulariser can only pay once the baseline overfits. On a CPU the
 * data and schedule must shrink, and the shrunk regime must still be one in which the baseline
 * has memorised its data. So:
 *
 * 1. A baseline-only pilot trains each candidate (training-subset size × schedule length) once and
 *    records its **training** error on the un-augmented training subset at the end. No test error
 *    enters the rule.
 * 2. A candidate qualifies when that final training error is at most `maxTrainError` (2 %): the
 *    baseline has memorised.
 * 3. Its cost is the whole sweep at that size and length: `runs × images per class × classes ×
 *    epochs` images at the measured aggregate rate of the sweep engine. It fits when that is at most
 *    the budget.
 * 4. Among the candidates that qualify and fit, take the largest subset; for that subset, the
 *    shortest schedule that qualifies (more epochs buy nothing once memorised and cost time).
 *
 * The rule never looks at which regime makes a method win; a report states that next to the
 * choice, with the pilot's curves as the evidence.
 *
 * @example
 * ```ts
 * import { chooseRegime } from "./regime.ts";
 * const choice = chooseRegime(
 *   [
 *     { perClass: 500, epochs: 60, finalTrainError: 0.031 },
 *     { perClass: 500, epochs: 90, finalTrainError: 0.008 },
 *     { perClass: 1000, epochs: 90, finalTrainError: 0.012 },
 *   ],
 *   { numClasses: 10, runs: 40, imagesPerSecond: 600, budgetSeconds: 8 * 3600 },
 * );
 * console.log(choice.chosen); // { perClass: 500, epochs: 90, finalTrainError: 0.008 }
 * ```
 * @module
 */

/** The memorisation threshold of the rule: a final clean training error of at most 2 %. */
export const MAX_TRAIN_ERROR = 0.02;

/** One pilot run of the baseline. */
export interface PilotCandidate {
  /** Training images per class. */
  readonly perClass: number;
  /** Length of the schedule (the learning-rate steps scale with it). */
  readonly epochs: number;
  /** Top-1 error ∈ [0, 1] on the un-augmented training subset after the last epoch. */
  readonly finalTrainError: number;
}

/** What the sweep in a regime costs, and what may be spent. */
export interface RegimeBudget {
  /** Classes of the dataset: a candidate trains `perClass × numClasses` images per epoch. */
  readonly numClasses: number;
  /** Training runs in the whole sweep (methods × seeds, ablations). */
  readonly runs: number;
  /** Measured aggregate training throughput of the sweep engine on this machine. */
  readonly imagesPerSecond: number;
  /** Wall-clock seconds the sweep's training may take. */
  readonly budgetSeconds: number;
  /** The memorisation threshold on the final training error; default {@link MAX_TRAIN_ERROR}. */
  readonly maxTrainError?: number;
}

/** A candidate with the rule's findings. */
export interface JudgedCandidate extends PilotCandidate {
  /** Final training error ≤ the threshold. */
  readonly memorised: boolean;
  /** Estimated seconds of the whole sweep in this regime. */
  readonly sweepSeconds: number;
  /** `sweepSeconds` ≤ the budget's `budgetSeconds`. */
  readonly fits: boolean;
}

/** The rule's outcome: every candidate judged, and the one chosen (if any qualifies and fits). */
export interface RegimeChoice {
  /** Every candidate with its findings, in the input's order. */
  readonly candidates: readonly JudgedCandidate[];
  /** The regime picked; absent when no candidate both memorised and fits the budget. */
  readonly chosen?: PilotCandidate;
  /** One sentence a report can show. */
  readonly reason: string;
}

/** Applies the rule (see the module doc) to the pilot's candidates. */
export function chooseRegime(
  candidates: readonly PilotCandidate[],
  budget: RegimeBudget,
): RegimeChoice {
  const maxTrainError = budget.maxTrainError ?? MAX_TRAIN_ERROR;
  for (const [name, v] of Object.entries(budget)) {
    if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) {
      throw new Error(`chooseRegime: budget.${name} must be a positive number, got ${v}`);
    }
  }
  if (candidates.length === 0) throw new Error("chooseRegime: no pilot candidates");
  const judged = candidates.map((c): JudgedCandidate => {
    if (
      !Number.isInteger(c.perClass) || c.perClass < 1 || !Number.isInteger(c.epochs) || c.epochs < 1
    ) {
      throw new Error(
        `chooseRegime: perClass and epochs must be positive integers, got ${c.perClass}, ${c.epochs}`,
      );
    }
    if (!(c.finalTrainError >= 0 && c.finalTrainError <= 1)) {
      throw new Error(`chooseRegime: finalTrainError must be in [0, 1], got ${c.finalTrainError}`);
    }
    const images = budget.runs * c.perClass * budget.numClasses * c.epochs;
    const sweepSeconds = images / budget.imagesPerSecond;
    return {
      ...c,
      memorised: c.finalTrainError <= maxTrainError,
      sweepSeconds,
      fits: sweepSeconds <= budget.budgetSeconds,
    };
  });
  const eligible = judged.filter((c) => c.memorised && c.fits);
  const threshold = `${(maxTrainError * 100).toFixed(1)} %`;
  if (eligible.length === 0) {
    return {
      candidates: judged,
      reason: `no candidate both memorised (final training error ≤ ${threshold}) and fit ` +
        `${(budget.budgetSeconds / 3600).toFixed(1)} h`,
    };
  }
  const largest = Math.max(...eligible.map((c) => c.perClass));
  const best = eligible.filter((c) => c.perClass === largest)
    .reduce((a, b) => (b.epochs < a.epochs ? b : a));
  const chosen = {
    perClass: best.perClass,
    epochs: best.epochs,
    finalTrainError: best.finalTrainError,
  };
  return {
    candidates: judged,
    chosen,
    reason: `${best.perClass} images per class, ${best.epochs} epochs: the largest subset whose ` +
      `baseline memorised (final training error ${(best.finalTrainError * 100).toFixed(1)} % ≤ ` +
      `${threshold}) with the whole sweep in ${(best.sweepSeconds / 3600).toFixed(1)} h ≤ ` +
      `${(budget.budgetSeconds / 3600).toFixed(1)} h; the shortest such schedule`,
  };
}
