/**
 * A progress display for training: on a terminal, one status line redrawn in place (epoch, step,
 * loss, images/s, ETA); elsewhere (logs, CI, notebooks) a plain line at most every
 * `intervalSeconds`, plus one line per finished epoch.
 *
 * @example
 * ```ts
 * import { ProgressDisplay } from "./progress.ts";
 * const display = new ProgressDisplay();
 * // trainOrLoad(config, { onProgress: (p) => display.update(p), onEpoch: (m) => display.epoch(m) });
 * display.close();
 * ```
 * @module
 */
import type { TrainProgress } from "./loop.ts";
import type { EpochMetrics } from "./run_dir.ts";

/** Options of {@link ProgressDisplay}. */
export interface ProgressDisplayOptions {
  /** Redraw in place (default: whether stderr is a terminal). */
  readonly tty?: boolean;
  /** Where text goes (default: stderr). */
  readonly write?: (text: string) => void;
  /** Minimum seconds between plain lines when not a TTY (default 30); TTY redraws ≤ 10/s. */
  readonly intervalSeconds?: number;
  /** The clock in milliseconds (default `performance.now`), for tests. */
  readonly now?: () => number;
}

/** `h:mm:ss` (or `m:ss` under an hour) of a duration in seconds; "?" when not finite. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** One status line for `p`. */
export function formatProgress(p: TrainProgress): string {
  return `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} ` +
    `loss ${p.loss.toFixed(4)} lr ${p.lr.toPrecision(3)} ` +
    `${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(p.etaSeconds)}`;
}

/** One line for a finished epoch. */
export function formatEpoch(m: EpochMetrics): string {
  const pct = (x: number | null) => (x === null ? "–" : `${(100 * x).toFixed(2)}%`);
  return `epoch ${m.epoch} done: train loss ${m.trainLoss.toFixed(4)}, test top-1 error ` +
    `${pct(m.testTop1Error)}, top-5 ${pct(m.testTop5Error)}, ${
      m.imagesPerSecond.toFixed(1)
    } img/s, ` +
    `${formatDuration(m.seconds)}`;
}

/** Renders {@link TrainProgress} and {@link EpochMetrics} for a human. */
export class ProgressDisplay {
  readonly #tty: boolean;
  readonly #write: (text: string) => void;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #last = -Infinity;
  #lineOpen = false;

  /**
   * A display writing to `options.write` (stderr by default); throws if `intervalSeconds` is
   * negative.
   */
  constructor(options: ProgressDisplayOptions = {}) {
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((text) => Deno.stderr.writeSync(encoder.encode(text)));
    const interval = options.intervalSeconds ?? 30;
    if (!(interval >= 0)) throw new Error(`intervalSeconds must be >= 0, got ${interval}`);
    this.#intervalMs = this.#tty ? 100 : interval * 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Shows a step's progress (rate-limited; the last step of an epoch always shows on a TTY). */
  update(progress: TrainProgress): void {
    const now = this.#now();
    const last = progress.step === progress.stepsPerEpoch;
    if (now - this.#last < this.#intervalMs && !(this.#tty && last)) return;
    this.#last = now;
    if (this.#tty) {
      this.#write(`\r${formatProgress(progress)}\x1b[K`);
      this.#lineOpen = true;
    } else {
      this.#write(formatProgress(progress) + "\n");
    }
  }

  /** Prints a finished epoch's line (ends the in-place line on a TTY). */
  epoch(metrics: EpochMetrics): void {
    this.#endLine();
    this.#write(formatEpoch(metrics) + "\n");
  }

  /** Ends an open in-place line. */
  close(): void {
    this.#endLine();
  }

  #endLine(): void {
    if (this.#lineOpen) this.#write("\n");
    this.#lineOpen = false;
  }
}
