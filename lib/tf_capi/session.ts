/**
 * A TensorFlow session over a {@link Graph}: feeds JS arrays, runs, and returns copies of the
 * fetched tensors, freeing every `TF_Tensor` it makes or receives before it returns. Thread pools
 * and XLA's JIT are set per session ({@link SessionThreads}, {@link SessionOptions}: a serialized
 * `ConfigProto`).
 *
 * Nodes added to the graph after the session was made are picked up by the next run (the C API
 * extends the session's graph), so a model's variables can be shared by subgraphs built later.
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import { Graph } from "./graph.ts";
 * import { Session } from "./session.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const graph = new Graph();
 * const x = graph.placeholder("float32", [2]);
 * const y = graph.node("Mul", [x, x], { T: { type: "float32" } });
 * const session = new Session(graph, { intraOp: 1, interOp: 1 });
 * const [out] = session.run([{ input: x, dtype: "float32", shape: [2], values: new Float32Array([2, 3]) }], [y]);
 * console.log(out.values); // Float32Array [4, 9]
 * session.dispose();
 * graph.dispose();
 * ```
 * @module
 */
import {
  type DType,
  newTensor,
  pointerArray,
  readTensor,
  Status,
  type TensorValues,
} from "./binding.ts";
import { type Graph, type Operation, type Output, outputArray } from "./graph.ts";
import { decodeRunMetadata, type NodeStat, RUN_OPTIONS_SOFTWARE_TRACE } from "./step_stats.ts";

/**
 * Thread pools of a session (TensorFlow's `intra_op_parallelism_threads` and
 * `inter_op_parallelism_threads`); absent or 0 leaves TensorFlow's default (one per core).
 */
export interface SessionThreads {
  /**
   * Threads inside one op (a convolution's GEMM). A session has a pool of its own only when
   * TensorFlow was loaded with per-session pools (lib/backend.ts does); otherwise the process's
   * first session or eager context sized the pool every session shares.
   */
  readonly intraOp?: number;
  /**
   * Ops run at once; `"caller"` runs every op in the thread that called `run` (no pool, no
   * hand-off between threads: what a small batch wants, see lib/training/compiled.ts).
   */
  readonly interOp?: number | "caller";
}

/** How a session compiles its graph. */
export interface SessionOptions {
  /**
   * XLA auto-clustering (`global_jit_level` ON_2 with `cpu_global_jit`): TensorFlow compiles
   * clusters of the graph's ops into fused XLA kernels on their first run with a new shape. For
   * this session only; the process's environment is not touched. Default false.
   */
  readonly jit?: boolean;
}

/**
 * The serialized `GraphOptions` (ConfigProto field 10) of {@link SessionOptions.jit}: field 3
 * `optimizer_options` holding field 5 `global_jit_level` = 2 (ON_2) and field 7 `cpu_global_jit`
 * = true.
 */
const JIT_GRAPH_OPTIONS = [0x52, 6, 0x1a, 4, 0x28, 2, 0x38, 1] as const;

/** One value to feed. */
export interface Feed {
  readonly input: Output;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: TensorValues;
}

/** A fetched tensor, copied out of TensorFlow. */
export interface Fetched {
  readonly shape: number[];
  readonly values: TensorValues;
}

/** Appends `value` as a protobuf varint. */
function varint(bytes: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
}

/**
 * `threads` and `options` as a serialized `tensorflow.ConfigProto`: field 2
 * (`intra_op_parallelism_threads`) and field 5 (`inter_op_parallelism_threads`, -1 for
 * `"caller"`), both varints, fields left at 0 omitted; then the graph options of `options.jit`.
 * Throws naming a count that is not a non-negative integer.
 */
export function configProto(
  threads: SessionThreads,
  options: SessionOptions = {},
): Uint8Array<ArrayBuffer> {
  const bytes: number[] = [];
  if (threads.interOp === "caller") {
    // A negative int32 is a varint of its 64-bit two's complement: -1 is nine 0xff and a 0x01.
    bytes.push(5 << 3, ...new Array(9).fill(0xff), 0x01);
  }
  for (const [field, key] of [[2, "intraOp"], [5, "interOp"]] as const) {
    if (threads[key] === "caller") continue;
    const value = threads[key] ?? 0;
    if (!Number.isInteger(value) || value < 0 || value > 4096) {
      throw new Error(
        `threads.${key} must be an integer in [0, 4096]${
          key === "interOp" ? ' or "caller"' : ""
        }, got ${JSON.stringify(value)}`,
      );
    }
    if (value > 0) {
      varint(bytes, (field << 3) | 0);
      varint(bytes, value);
    }
  }
  if (options.jit === true) bytes.push(...JIT_GRAPH_OPTIONS);
  return new Uint8Array(bytes);
}

/** A session; {@link dispose} closes and frees it (the graph stays the caller's). */
export class Session {
  readonly graph: Graph;
  readonly #pointer: Deno.PointerValue;
  readonly #status: Status;
  #disposed = false;

  constructor(graph: Graph, threads: SessionThreads = {}, options: SessionOptions = {}) {
    this.graph = graph;
    const c = graph.api.symbols;
    this.#status = new Status(graph.api);
    const sessionOptions = c.TF_NewSessionOptions();
    try {
      const proto = configProto(threads, options);
      if (proto.length > 0) {
        c.TF_SetConfig(sessionOptions, proto, BigInt(proto.length), this.#status.pointer);
        this.#status.check("TF_SetConfig");
      }
      this.#pointer = c.TF_NewSession(graph.pointer, sessionOptions, this.#status.pointer);
      this.#status.check("TF_NewSession");
    } catch (error) {
      this.#status.dispose();
      throw error;
    } finally {
      c.TF_DeleteSessionOptions(sessionOptions);
    }
  }

  /**
   * Feeds `feeds`, runs `targets` and whatever `fetches` need, and returns the fetched values.
   * Throws `session run: <TensorFlow's message>` on failure.
   */
  run(
    feeds: readonly Feed[],
    fetches: readonly Output[],
    targets: readonly Operation[] = [],
  ): Fetched[] {
    return this.#run(feeds, fetches, targets, false).fetched;
  }

  /**
   * As {@link run}, with TensorFlow's per-node timings of this run (`SOFTWARE_TRACE`; see
   * ./step_stats.ts). Tracing costs time per node: compare traced runs with traced runs.
   */
  runTraced(
    feeds: readonly Feed[],
    fetches: readonly Output[],
    targets: readonly Operation[] = [],
  ): { fetched: Fetched[]; nodes: NodeStat[] } {
    const { fetched, nodes } = this.#run(feeds, fetches, targets, true);
    return { fetched, nodes: nodes! };
  }

  #run(
    feeds: readonly Feed[],
    fetches: readonly Output[],
    targets: readonly Operation[],
    trace: boolean,
  ): { fetched: Fetched[]; nodes?: NodeStat[] } {
    if (this.#disposed) throw new Error("Session: used after dispose()");
    const api = this.graph.api;
    const c = api.symbols;
    const inputs: Deno.PointerValue[] = [];
    const outputs = new BigUint64Array(Math.max(1, fetches.length));
    const runOptions = trace
      ? c.TF_NewBufferFromString(
        RUN_OPTIONS_SOFTWARE_TRACE,
        BigInt(RUN_OPTIONS_SOFTWARE_TRACE.length),
      )
      : null;
    const metadata = trace ? c.TF_NewBuffer() : null;
    try {
      for (const feed of feeds) inputs.push(newTensor(api, feed.dtype, feed.shape, feed.values));
      c.TF_SessionRun(
        this.#pointer,
        runOptions,
        outputArray(feeds.map((f) => f.input)),
        pointerArray(inputs),
        feeds.length,
        outputArray(fetches),
        new Uint8Array(outputs.buffer),
        fetches.length,
        pointerArray(targets.map((t) => t.pointer)),
        targets.length,
        metadata,
        this.#status.pointer,
      );
      this.#status.check("session run");
      const fetched = fetches.map((_, i) => readTensor(api, Deno.UnsafePointer.create(outputs[i])));
      return metadata === null
        ? { fetched }
        : { fetched, nodes: decodeRunMetadata(bufferBytes(metadata)) };
    } finally {
      for (const t of inputs) c.TF_DeleteTensor(t);
      for (let i = 0; i < fetches.length; i++) {
        if (outputs[i] !== 0n) c.TF_DeleteTensor(Deno.UnsafePointer.create(outputs[i]));
      }
      if (runOptions !== null) c.TF_DeleteBuffer(runOptions);
      if (metadata !== null) c.TF_DeleteBuffer(metadata);
    }
  }

  /** Closes and frees the session. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const c = this.graph.api.symbols;
    c.TF_CloseSession(this.#pointer, this.#status.pointer);
    c.TF_DeleteSession(this.#pointer, this.#status.pointer);
    this.#status.dispose();
  }
}

/** A copy of a `TF_Buffer`'s bytes (`{const void* data; size_t length; …}`). */
function bufferBytes(buffer: Deno.PointerObject): Uint8Array {
  const view = new Deno.UnsafePointerView(buffer);
  const data = view.getPointer(0);
  const length = Number(view.getBigUint64(8));
  if (data === null || length === 0) return new Uint8Array(0);
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(data, length).slice(0));
}
