/**
 * Where a session run's time went: TensorFlow's own per-node timings (`RunOptions.trace_level =
 * SOFTWARE_TRACE`, returned in `RunMetadata.step_stats`), decoded from the protobuf without a
 * protobuf library, and summed by op type.
 *
 * Only the fields this needs are read (tensorflow/core/framework/step_stats.proto):
 * `RunMetadata.step_stats` (1) → `StepStats.dev_stats` (1) → `DeviceStepStats` {`device` (1),
 * `node_stats` (2)} → `NodeExecStats` {`node_name` (1), `all_start_micros` (2),
 * `op_start_rel_micros` (3), `op_end_rel_micros` (4), `all_end_rel_micros` (5),
 * `timeline_label` (8), `thread_id` (10)}; every other field is skipped by its wire type. The op
 * type is read from `timeline_label` ("name = Type(inputs)"), which is what TensorFlow's own
 * timeline tool does.
 *
 * @example
 * ```ts
 * import { decodeRunMetadata, RUN_OPTIONS_SOFTWARE_TRACE, summarizeByOp } from "./step_stats.ts";
 * console.log(RUN_OPTIONS_SOFTWARE_TRACE); // Uint8Array [8, 1]
 * // One device, one node "c" = Conv2D, 5 µs into the run, 40 µs of kernel time.
 * const node = [0x0a, 1, 0x63, 0x10, 5, 0x18, 0, 0x20, 40, 0x28, 42, 0x42, 10, ...new TextEncoder().encode("c = Conv2D")];
 * const device = [0x0a, 3, ...new TextEncoder().encode("cpu"), 0x12, node.length, ...node];
 * const step = [0x0a, device.length, ...device];
 * const nodes = decodeRunMetadata(new Uint8Array([0x0a, step.length, ...step]));
 * console.log(nodes[0].op, nodes[0].opMicros); // Conv2D 40
 * console.log(summarizeByOp(nodes)[0]); // { op: "Conv2D", nodes: 1, micros: 40 }
 * ```
 * @module
 */

/** `tensorflow.RunOptions` with `trace_level` (field 1) = `SOFTWARE_TRACE` (1), serialized. */
export const RUN_OPTIONS_SOFTWARE_TRACE: Uint8Array<ArrayBuffer> = new Uint8Array([0x08, 0x01]);

/** One node's execution in a traced run. */
export interface NodeStat {
  /** The device, e.g. "/job:localhost/replica:0/task:0/device:CPU:0". */
  readonly device: string;
  /** The node's name in the graph. */
  readonly node: string;
  /** Its op type ("Conv2D"), from the timeline label; "" when the label has none. */
  readonly op: string;
  /** When the executor started the node, µs since the epoch. */
  readonly startMicros: number;
  /** Kernel time: `op_end_rel_micros − op_start_rel_micros`, µs. */
  readonly opMicros: number;
  /** From the node's start until the executor was done with it (`all_end_rel_micros`), µs. */
  readonly allMicros: number;
  /** The thread that ran it. */
  readonly threadId: number;
}

/** Kernel time of one op type, over a run's nodes. */
export interface OpTime {
  /** The op type, e.g. "Conv2D" or "_MklNativeConv2D". */
  readonly op: string;
  /** How many nodes of the type ran. */
  readonly nodes: number;
  /** Their kernel time, µs (summed over threads: can exceed the run's wall time). */
  readonly micros: number;
}

class Reader {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#at >= this.bytes.length;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.#at >= this.bytes.length) throw new Error("step stats: truncated varint");
      const b = this.bytes[this.#at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error("step stats: varint longer than 10 bytes");
    }
  }

  /** The next field's number and wire type. */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }

  bytesField(): Uint8Array {
    const n = this.varint();
    if (this.#at + n > this.bytes.length) throw new Error("step stats: field runs past the end");
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.#at += 8;
    else if (wire === 2) this.bytesField();
    else if (wire === 5) this.#at += 4;
    else throw new Error(`step stats: unsupported wire type ${wire}`);
  }
}

const text = new TextDecoder();

/** Every field `field` of length-delimited type in `message`, in order. */
function submessages(message: Uint8Array, field: number): Uint8Array[] {
  const r = new Reader(message);
  const out: Uint8Array[] = [];
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === field && wire === 2) out.push(r.bytesField());
    else r.skip(wire);
  }
  return out;
}

function nodeStat(device: string, message: Uint8Array): NodeStat {
  const r = new Reader(message);
  let node = "";
  let label = "";
  const ints: Record<number, number> = {};
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === 2) node = text.decode(r.bytesField());
    else if (f === 8 && wire === 2) label = text.decode(r.bytesField());
    else if ((f === 2 || f === 3 || f === 4 || f === 5 || f === 10) && wire === 0) {
      ints[f] = r.varint();
    } else r.skip(wire);
  }
  const op = /^[^=]*= ([A-Za-z0-9_]+)/.exec(label)?.[1] ?? "";
  return {
    device,
    node,
    op,
    startMicros: ints[2] ?? 0,
    opMicros: (ints[4] ?? 0) - (ints[3] ?? 0),
    allMicros: ints[5] ?? 0,
    threadId: ints[10] ?? 0,
  };
}

/** The nodes of a serialized `tensorflow.RunMetadata`, every device's, in the order stored. */
export function decodeRunMetadata(bytes: Uint8Array): NodeStat[] {
  const nodes: NodeStat[] = [];
  for (const step of submessages(bytes, 1)) {
    for (const dev of submessages(step, 1)) {
      const [name] = submessages(dev, 1);
      const device = name === undefined ? "" : text.decode(name);
      for (const n of submessages(dev, 2)) nodes.push(nodeStat(device, n));
    }
  }
  return nodes;
}

/** Kernel time by op type, the largest first (ties by name). */
export function summarizeByOp(nodes: readonly NodeStat[]): OpTime[] {
  const byOp = new Map<string, { nodes: number; micros: number }>();
  for (const n of nodes) {
    const entry = byOp.get(n.op) ?? { nodes: 0, micros: 0 };
    entry.nodes++;
    entry.micros += n.opMicros;
    byOp.set(n.op, entry);
  }
  return [...byOp].map(([op, e]) => ({ op, ...e }))
    .sort((a, b) => b.micros - a.micros || a.op.localeCompare(b.op));
}
