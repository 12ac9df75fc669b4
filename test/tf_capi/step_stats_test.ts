import assert from "node:assert/strict";
import { testWhen } from "../_skip.ts";
import "../_backend.ts";
import { openCApi } from "../../lib/tf_capi/binding.ts";
import { Graph } from "../../lib/tf_capi/graph.ts";
import { Session } from "../../lib/tf_capi/session.ts";
import { decodeRunMetadata, type NodeStat, summarizeByOp } from "../../lib/tf_capi/step_stats.ts";

const native = !("error" in openCApi());
const NO_CAPI =
  "TensorFlow's C API is not available (the compiled engine needs native TensorFlow: ./run setup)";
const utf8 = (s: string) => [...new TextEncoder().encode(s)];
/** A length-delimited field: tag, length, bytes (lengths below 128 only). */
const field = (n: number, bytes: number[]) => [(n << 3) | 2, bytes.length, ...bytes];
const varintField = (n: number, value: number[]) => [n << 3, ...value];

Deno.test("decodeRunMetadata: the fields it reads, hand-encoded, with unknown ones of every wire type skipped", () => {
  const conv = [
    ...field(1, utf8("c1")),
    ...varintField(2, [0xe8, 0x07]), // all_start_micros 1000
    ...varintField(3, [2]),
    ...varintField(4, [0xac, 0x02]), // op_end_rel 300: kernel time 298
    ...varintField(5, [0xb0, 0x02]), // all_end_rel 304
    0x31,
    ...Array(8).fill(0), // field 6 as a fixed64: skipped
    ...field(7, [1, 2, 3]), // output: skipped
    ...field(8, utf8("c1 = Conv2D(x, w)")),
    ...varintField(10, [7]),
    0x9d,
    0x01,
    1,
    2,
    3,
    4, // field 19 as a fixed32: skipped
  ];
  const mul = [...field(1, utf8("m")), ...varintField(4, [5]), ...field(8, utf8("m = Mul(a, a)"))];
  const noLabel = [...field(1, utf8("n")), ...varintField(4, [1])];
  const device = [...field(1, utf8("/device:CPU:0")), ...field(2, conv), ...field(2, mul)];
  const device2 = [...field(1, utf8("/device:CPU:1")), ...field(2, noLabel)];
  const step = [...field(1, device), ...field(1, device2)];
  // RunMetadata: step_stats (1) and another message field (2, cost_graph) that is skipped.
  const nodes = decodeRunMetadata(new Uint8Array([...field(2, [8, 1]), ...field(1, step)]));
  assert.deepEqual(
    nodes,
    [
      {
        device: "/device:CPU:0",
        node: "c1",
        op: "Conv2D",
        startMicros: 1000,
        opMicros: 298,
        allMicros: 304,
        threadId: 7,
      },
      {
        device: "/device:CPU:0",
        node: "m",
        op: "Mul",
        startMicros: 0,
        opMicros: 5,
        allMicros: 0,
        threadId: 0,
      },
      {
        device: "/device:CPU:1",
        node: "n",
        op: "",
        startMicros: 0,
        opMicros: 1,
        allMicros: 0,
        threadId: 0,
      },
    ] satisfies NodeStat[],
  );
  assert.deepEqual(decodeRunMetadata(new Uint8Array()), []);
  assert.throws(() => decodeRunMetadata(new Uint8Array([0x0a, 5, 1])), /field runs past the end/);
  assert.throws(() => decodeRunMetadata(new Uint8Array([0x0a, 0x80])), /truncated varint/);
  assert.throws(() => decodeRunMetadata(new Uint8Array([0x0b])), /unsupported wire type 3/);
});

Deno.test("summarizeByOp: kernel time and node count per op type, the largest first", () => {
  const at = (op: string, opMicros: number): NodeStat => ({
    device: "",
    node: op,
    op,
    startMicros: 0,
    opMicros,
    allMicros: opMicros,
    threadId: 0,
  });
  assert.deepEqual(summarizeByOp([at("Mul", 2), at("Conv2D", 10), at("Mul", 3), at("Add", 5)]), [
    { op: "Conv2D", nodes: 1, micros: 10 },
    { op: "Add", nodes: 1, micros: 5 },
    { op: "Mul", nodes: 2, micros: 5 },
  ]);
});

testWhen(native, NO_CAPI, {
  name: "Session.runTraced: the same values as run, with a timing for every node that ran",
  fn() {
    const graph = new Graph();
    const session = new Session(graph, { intraOp: 1, interOp: 1 });
    try {
      const x = graph.placeholder("float32", [3], "x");
      const y = graph.node("Mul", [x, x], { T: { type: "float32" } }, { name: "square" });
      const feed = [{
        input: x,
        dtype: "float32" as const,
        shape: [3],
        values: new Float32Array([1, 2, -3]),
      }];
      const { fetched, nodes } = session.runTraced(feed, [y]);
      assert.deepEqual([...fetched[0].values], [1, 4, 9]);
      assert.deepEqual([...session.run(feed, [y])[0].values], [1, 4, 9]);
      const square = nodes.find((n) => n.node === "square");
      assert.ok(square, `no "square" among ${nodes.map((n) => n.node)}`);
      assert.equal(square.op, "Mul");
      assert.match(square.device, /CPU/);
      assert.ok(square.opMicros >= 0 && square.allMicros >= square.opMicros);
      assert.ok(square.startMicros > 1.6e15, "all_start_micros is µs since the epoch");
    } finally {
      session.dispose();
      graph.dispose();
    }
  },
});
