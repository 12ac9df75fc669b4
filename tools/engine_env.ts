/**
 * The train-step engine as the environment asks for it, read here at the entry points (tools,
 * sweep workers, the notebooks' setup helper) and handed to lib/training as options
 * (`TrainRunOptions.engine` / `.threads` / `.jit`):
 * - `CUTMIX_ENGINE`: `compiled` or `eager`; unset, lib's default (compiled on native TensorFlow);
 * - `TF_NUM_INTRAOP_THREADS`, `TF_NUM_INTEROP_THREADS`: the compiled engine's session thread
 *   pools (a sweep's one-thread workers set both to 1); unset, lib's default (one thread at
 *   training batches up to 8, TensorFlow's pools above: `defaultStepThreads`);
 * - `CUTMIX_JIT`: `1` compiles the compiled engine's step with XLA (an option,
 *   `CompiledEngineOptions.jit`); unset or `0`, not.
 *
 * @example
 * ```ts
 * import { trainEngineFromEnv } from "./engine_env.ts";
 * const { engine, threads } = trainEngineFromEnv();
 * ```
 * @module
 */
import { type EngineKind, parseEngineKind } from "../lib/training/engine.ts";
import type { SessionThreads } from "../lib/tf_capi/session.ts";
import type { EnvReader } from "./backend_env.ts";

/** What {@link trainEngineFromEnv} read. */
export interface TrainEngineSettings {
  /** Undefined: lib's default. */
  readonly engine?: EngineKind;
  readonly threads: SessionThreads;
  /** Undefined: lib's default (no XLA). */
  readonly jit?: boolean;
}

/** The engine settings `env` names (see the module doc); throws naming a bad value. */
export function trainEngineFromEnv(env: EnvReader = Deno.env): TrainEngineSettings {
  const count = (name: string) => {
    const raw = env.get(name)?.trim();
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`${name} must be an integer ≥ 0, got "${raw}"`);
    }
    return n;
  };
  const jit = env.get("CUTMIX_JIT")?.trim();
  if (jit !== undefined && !["", "0", "1"].includes(jit)) {
    throw new Error(`CUTMIX_JIT must be 1 or 0, got "${jit}"`);
  }
  return {
    engine: parseEngineKind(env.get("CUTMIX_ENGINE"), "CUTMIX_ENGINE"),
    threads: { intraOp: count("TF_NUM_INTRAOP_THREADS"), interOp: count("TF_NUM_INTEROP_THREADS") },
    jit: jit === "1" ? true : jit === "0" ? false : undefined,
  };
}
