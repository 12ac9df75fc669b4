import assert from "node:assert/strict";
import {
  JIT_MAX_BATCH,
  LIB_JIT_VARIANT,
  libVariant,
  variantEnv,
  variantRuns,
} from "../../bench/_variants.ts";

Deno.test("bench variants: the XLA one trains small batches only and sets CUTMIX_JIT=1", () => {
  assert.equal(variantRuns(LIB_JIT_VARIANT, "resnet20", "train", 2), true);
  assert.equal(variantRuns(LIB_JIT_VARIANT, "resnet20", "train", JIT_MAX_BATCH), true);
  assert.equal(variantRuns(LIB_JIT_VARIANT, "resnet20", "train", 64), false);
  assert.equal(variantRuns(LIB_JIT_VARIANT, "resnet20", "infer", 2), false);
  assert.equal(variantRuns(libVariant("compiled"), "pyramidnet38-a64", "infer", 128), true);
  const inherited = { CUTMIX_JIT: "1", PATH: "/bin" };
  assert.equal(variantEnv(LIB_JIT_VARIANT, "all", 2, {}).CUTMIX_JIT, "1");
  // An inherited switch never decides a variant.
  assert.deepEqual(variantEnv(libVariant("compiled"), 1, 2, inherited), {
    PATH: "/bin",
    TF_NUM_INTRAOP_THREADS: "1",
    TF_NUM_INTEROP_THREADS: "1",
    BENCH_TORCH_THREADS: "1",
  });
});
