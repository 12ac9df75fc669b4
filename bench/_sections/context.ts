/**
 * What every section of the bench is given: the options, how to start workers, and the variants
 * this invocation can run (no PyTorch ones when torch is unavailable).
 * @module
 */
import type { Options } from "../_options.ts";
import type { Variant } from "../_variants.ts";
import type { WorkerSetup } from "../_workers.ts";

/** The shared inputs of the sections. */
export interface SectionContext {
  readonly options: Options;
  readonly setup: WorkerSetup;
  /** PyTorch's configurations (empty without torch). */
  readonly torchVariants: readonly Variant[];
  /** lib, once per engine asked for. */
  readonly libVariants: readonly Variant[];
}

/** Why a failed measurement failed, as one line. */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
