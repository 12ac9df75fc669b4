import assert from "node:assert/strict";
import { testWhen } from "../_skip.ts";
import { dirname, join } from "node:path";
import "../_backend.ts";
import { openCApi, openCApiAt } from "../../lib/tf_capi/binding.ts";
import { Graph } from "../../lib/tf_capi/graph.ts";
import { configProto, Session } from "../../lib/tf_capi/session.ts";

const api = openCApi();
const native = !("error" in api);
const NO_CAPI =
  "TensorFlow's C API is not available (the compiled engine needs native TensorFlow: ./run setup)";
const F = { type: "float32" } as const;

Deno.test("configProto: fields 2 and 5 as varints, zeros omitted, XLA's graph options, bad counts named", () => {
  assert.deepEqual([...configProto({ intraOp: 1, interOp: 2 })], [0x10, 1, 0x28, 2]);
  assert.deepEqual([...configProto({ intraOp: 300 })], [0x10, 0xac, 0x02]);
  assert.deepEqual([...configProto({ interOp: 0 })], []);
  assert.deepEqual([...configProto({})], []);
  // XLA: graph_options (10) { optimizer_options (3) { global_jit_level (5) = ON_2, cpu_global_jit
  // (7) = true } }, after the thread fields.
  const jit = [0x52, 6, 0x1a, 4, 0x28, 2, 0x38, 1];
  assert.deepEqual([...configProto({}, { jit: true })], jit);
  assert.deepEqual([...configProto({ intraOp: 1, interOp: 1 }, { jit: true })], [
    0x10,
    1,
    0x28,
    1,
    ...jit,
  ]);
  assert.deepEqual([...configProto({ intraOp: 1 }, { jit: false })], [0x10, 1]);
  assert.throws(() => configProto({ intraOp: -1 }), /threads\.intraOp .* got -1/);
  assert.throws(() => configProto({ interOp: 1.5 }), /threads\.interOp .* got 1\.5/);
  // "caller" is inter_op_parallelism_threads = -1: ten varint bytes of the 64-bit -1.
  const caller = [0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  assert.deepEqual([...configProto({ interOp: "caller" })], caller);
  assert.deepEqual([...configProto({ intraOp: 1, interOp: "caller" })], [...caller, 0x10, 1]);
  assert.throws(
    () => configProto({ interOp: "main" as "caller" }),
    /threads\.interOp must be an integer in \[0, 4096\] or "caller", got "main"/,
  );
});

testWhen(native, NO_CAPI, {
  name: "graph and session: exact values and gradients, shapes with an unknown batch, one thread",
  fn() {
    const graph = new Graph();
    const session = new Session(graph, { intraOp: 1, interOp: 1 });
    try {
      const x = graph.placeholder("float32", [-1, 2]);
      const squared = graph.node("Mul", [x, x], { T: F });
      const total = graph.node("Sum", [squared, graph.constant([0, 1], [2], "int32")], {
        T: F,
        Tidx: { type: "int32" },
      });
      const [dx] = graph.gradients([total], [x]);
      assert.deepEqual(graph.shape(squared), [-1, 2]);
      assert.deepEqual(graph.shape(total), []);
      // Nodes added after the session was made run too (the session's graph is extended).
      const values = new Float32Array([1, -2, 3, 0.5]);
      const [y, sum, grad] = session.run(
        [{ input: x, dtype: "float32", shape: [2, 2], values }],
        [squared, total, dx],
      );
      assert.deepEqual([...y.values], [1, 4, 9, 0.25]);
      assert.deepEqual(y.shape, [2, 2]);
      assert.deepEqual([...sum.values], [14.25]);
      assert.deepEqual([...grad.values], [2, -4, 6, 1]);
    } finally {
      session.dispose();
      graph.dispose();
    }
    assert.throws(() => graph.placeholder("float32", [1]), /used after dispose/);
  },
});

testWhen(native, NO_CAPI, {
  name: "graph: an unknown op and an op without a C++ gradient fail while building, named",
  fn() {
    const graph = new Graph();
    try {
      const x = graph.placeholder("float32", [-1, 3]);
      assert.throws(() => graph.node("NoSuchOp", [x], { T: F }), /NoSuchOp.*not registered/);
      const product = graph.node("Cumprod", [x, graph.constant([1], [], "int32")], {
        T: F,
        Tidx: { type: "int32" },
      });
      assert.throws(() => graph.gradients([product], [x]), /No gradient defined for op: Cumprod/);
      // A bad attribute is reported at the op, too.
      assert.throws(
        () => graph.node("Conv2D", [x, x], { T: F, padding: { string: "SOMETIMES" } }),
        /Conv2D/,
      );
    } finally {
      graph.dispose();
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "openCApiAt: a missing file or a library without the C API gives a reason, not a throw",
  fn() {
    const missing = openCApiAt("/nonexistent/libtensorflow.so");
    assert.ok("error" in missing && missing.error.includes("/nonexistent/libtensorflow.so"));
    if ("error" in api) return;
    // The framework library beside it lacks the session functions.
    const framework = join(dirname(api.path), "libtensorflow_framework.so.2");
    const partial = openCApiAt(framework);
    assert.ok("error" in partial, "the framework library should not carry the C API");
    assert.match(partial.error, /could not be opened from .*libtensorflow_framework/);
    assert.match(api.version, /^\d+\.\d+/);
  },
});
