/**
 * Progress through a section's worker jobs, with an ETA from the mean time per job so far (rough:
 * a torch.compile job takes longer than the others).
 *
 * @example
 * ```ts
 * import { JobProgress } from "./_progress.ts";
 * let now = 0;
 * const progress = new JobProgress(4, () => now);
 * now = 30_000;
 * progress.tick(); // "[1/4, ETA 1:30]"
 * ```
 * @module
 */
import { formatDuration } from "../lib/training/progress.ts";

/** Counts finished jobs out of a known total. */
export class JobProgress {
  readonly #start: number;
  #done = 0;
  /** `total` jobs; `now` is the clock in milliseconds (default `performance.now`). */
  constructor(
    readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(total) || total < 0) {
      throw new Error(`JobProgress: total must be an integer ≥ 0, got ${total}`);
    }
    this.#start = now();
  }

  /** Marks one job finished; returns `[done/total, ETA m:ss]` for the line that reports it. */
  tick(): string {
    this.#done = Math.min(this.#done + 1, this.total);
    const perJobMs = (this.now() - this.#start) / this.#done;
    const eta = formatDuration(((this.total - this.#done) * perJobMs) / 1000);
    return `[${this.#done}/${this.total}, ETA ${eta}]`;
  }
}
