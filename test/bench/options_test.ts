import assert from "node:assert/strict";
import { parseOptions, SECTIONS } from "../../bench/_options.ts";

Deno.test("parseOptions: defaults, and k = the cores given", () => {
  const o = parseOptions([], 2)!;
  assert.deepEqual(o.only, [...SECTIONS]);
  assert.equal(o.rounds, 3);
  assert.deepEqual(o.models, ["resnet20", "pyramidnet38-a64"]);
  assert.equal(o.batches, undefined);
  assert.deepEqual(o.engines, ["compiled", "eager"]);
  assert.equal(o.processes, 2);
  assert.equal(o.torch, true);
});

Deno.test("parseOptions: --quick, lists, and sections kept in run order", () => {
  const o = parseOptions(
    [
      "--quick",
      "--only",
      "train,gemm",
      "--batches",
      "2",
      "--engine",
      "eager,compiled",
      "--processes",
      "3",
    ],
    2,
  )!;
  assert.equal(o.rounds, 1);
  assert.deepEqual(o.only, ["gemm", "train"]);
  assert.deepEqual(o.batches, [2]);
  assert.deepEqual(o.engines, ["eager", "compiled"]);
  assert.equal(o.processes, 3);
});

Deno.test("parseOptions: bad values throw naming the option and value", () => {
  assert.throws(() => parseOptions(["--only", "speed"], 2), /--only: "speed"/);
  assert.throws(
    () => parseOptions(["--rounds", "0"], 2),
    /--rounds must be a positive integer, got "0"/,
  );
  assert.throws(() => parseOptions(["--batches", "64,x"], 2), /--batches .* got "x"/);
  assert.throws(() => parseOptions(["--engine", "jit"], 2), /--engine: "jit"/);
  assert.throws(() => parseOptions(["--models", "vgg16"], 2), /--models: "vgg16"/);
});
