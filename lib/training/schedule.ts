/**
 * Learning-rate schedules.
 *
 * - `step` (the CutMix paper's CIFAR recipe, as clovaai/CutMix-PyTorch's `adjust_learning_rate`):
 *   constant within an epoch, multiplied by `gamma` (0.1) at every milestone fraction of the run
 *   (0.5 and 0.75): `lr(e) = base · gamma^|{m : e ≥ m · epochs}|`. For milestones [0.5, 0.75] this
 *   equals the official `base · 0.1^(e // (E·0.5)) · 0.1^(e // (E·0.75))`.
 * - `cosine`: per step, `lr(t) = final + (base − final) · (1 + cos(π t / T)) / 2`, t = steps done,
 *   T = total steps (SGDR without restarts).
 *
 * @example
 * ```ts
 * import { learningRate } from "./schedule.ts";
 * const schedule = { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 } as const;
 * learningRate(schedule, 0.25, { epoch: 150, step: 0, stepsPerEpoch: 782, epochs: 300 }); // 0.025
 * ```
 * @module
 */

/** Step decay at fractions of the run. */
export interface StepSchedule {
  /** Selects step decay. */
  readonly kind: "step";
  /** Fractions of the total epochs, each in (0, 1), ascending: [0.5, 0.75] in the paper. */
  readonly milestones: readonly number[];
  /** Factor applied at each milestone, in (0, 1]: 0.1 in the paper. */
  readonly gamma: number;
}

/** Cosine annealing from the base rate to `finalLr` over all steps. */
export interface CosineSchedule {
  /** Selects cosine annealing. */
  readonly kind: "cosine";
  /** The rate at the very end; default 0. */
  readonly finalLr?: number;
}

/** A learning-rate schedule. */
export type Schedule = StepSchedule | CosineSchedule;

/** Where in training a step is. */
export interface SchedulePosition {
  /** Epochs completed before this step (0-based index of the current epoch). */
  readonly epoch: number;
  /** Steps completed in the current epoch. */
  readonly step: number;
  /** Steps (batches) in every epoch; the cosine schedule's T is `epochs · stepsPerEpoch`. */
  readonly stepsPerEpoch: number;
  /** Total epochs of the run. */
  readonly epochs: number;
}

/** Throws unless `schedule` is a well-formed {@link Schedule}. */
export function validateSchedule(schedule: Schedule): Schedule {
  if (schedule === null || typeof schedule !== "object") {
    throw new Error(`schedule must be an object, got ${JSON.stringify(schedule)}`);
  }
  if (schedule.kind === "step") {
    const { milestones, gamma } = schedule;
    if (
      !Array.isArray(milestones) ||
      milestones.some((m, i) => !(m > 0 && m < 1) || (i > 0 && !(m > milestones[i - 1])))
    ) {
      throw new Error(
        `schedule.milestones must be ascending fractions in (0, 1), got ${
          JSON.stringify(milestones)
        }`,
      );
    }
    if (!(gamma > 0 && gamma <= 1)) {
      throw new Error(`schedule.gamma must be in (0, 1], got ${gamma}`);
    }
    return schedule;
  }
  if (schedule.kind === "cosine") {
    const finalLr = schedule.finalLr ?? 0;
    if (!(finalLr >= 0) || !Number.isFinite(finalLr)) {
      throw new Error(`schedule.finalLr must be a finite number >= 0, got ${schedule.finalLr}`);
    }
    return schedule;
  }
  throw new Error(
    `schedule.kind must be "step" or "cosine", got ${
      JSON.stringify((schedule as { kind: unknown }).kind)
    }`,
  );
}

/** The learning rate of the step at `position`, for base rate `baseLr`. */
export function learningRate(
  schedule: Schedule,
  baseLr: number,
  position: SchedulePosition,
): number {
  const { epoch, step, stepsPerEpoch, epochs } = position;
  if (schedule.kind === "step") {
    let lr = baseLr;
    for (const m of schedule.milestones) if (epoch >= m * epochs) lr *= schedule.gamma;
    return lr;
  }
  const finalLr = schedule.finalLr ?? 0;
  const t = epoch * stepsPerEpoch + step;
  const total = epochs * stepsPerEpoch;
  return finalLr + (baseLr - finalLr) * (1 + Math.cos((Math.PI * t) / total)) / 2;
}
