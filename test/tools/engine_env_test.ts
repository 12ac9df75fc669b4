import assert from "node:assert/strict";
import { trainEngineFromEnv } from "../../tools/engine_env.ts";

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("trainEngineFromEnv reads the engine, its thread pools and XLA from the environment", () => {
  assert.deepEqual(trainEngineFromEnv(env({})), {
    engine: undefined,
    threads: { intraOp: undefined, interOp: undefined },
    jit: undefined,
  });
  assert.deepEqual(
    trainEngineFromEnv(env({
      CUTMIX_ENGINE: "eager",
      TF_NUM_INTRAOP_THREADS: "1",
      TF_NUM_INTEROP_THREADS: " 2 ",
      CUTMIX_JIT: "1",
    })),
    { engine: "eager", threads: { intraOp: 1, interOp: 2 }, jit: true },
  );
  assert.equal(trainEngineFromEnv(env({ CUTMIX_JIT: "0" })).jit, false);
  assert.equal(trainEngineFromEnv(env({ CUTMIX_JIT: "" })).jit, undefined);
  assert.throws(
    () => trainEngineFromEnv(env({ CUTMIX_JIT: "yes" })),
    /CUTMIX_JIT must be 1 or 0, got "yes"/,
  );
  assert.throws(() => trainEngineFromEnv(env({ CUTMIX_ENGINE: "fast" })), /CUTMIX_ENGINE/);
  assert.throws(
    () => trainEngineFromEnv(env({ TF_NUM_INTRAOP_THREADS: "-1" })),
    /TF_NUM_INTRAOP_THREADS must be an integer ≥ 0, got "-1"/,
  );
});
