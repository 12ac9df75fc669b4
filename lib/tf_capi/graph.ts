/**
 * A TensorFlow graph built through the C API: operations with typed attributes, constants,
 * placeholders, ref variables, inferred shapes and symbolic gradients (`TF_AddGradients`, i.e.
 * TensorFlow's C++ gradient registry).
 *
 * Errors surface while the graph is built, naming the op: an unknown op type or bad attribute
 * fails in `TF_FinishOperation`, an op on the path from loss to parameters without a registered
 * C++ gradient fails in {@link Graph.gradients} ("No gradient defined for op: …"). The C++
 * registry is smaller than Python's, so what a model may use in training is what this allows.
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import { Graph } from "./graph.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const graph = new Graph();
 * const x = graph.placeholder("float32", [-1, 3]);
 * const y = graph.node("Square", [x], { T: { type: "float32" } });
 * const [dx] = graph.gradients([graph.node("Sum", [y, graph.constant([0, 1], [2], "int32")], {
 *   T: { type: "float32" },
 *   Tidx: { type: "int32" },
 * })], [x]);
 * console.log(graph.shape(dx)); // [-1, 3]
 * graph.dispose();
 * ```
 * @module
 */
import {
  type CApi,
  cString,
  DataType,
  type DType,
  int64Array,
  newTensor,
  requireCApi,
  Status,
  type TensorValues,
  utf8,
} from "./binding.ts";

/** An operation in a {@link Graph}. */
export interface Operation {
  readonly pointer: Deno.PointerValue;
  /** The op type, e.g. "Conv2D". */
  readonly type: string;
  /** Its unique name in the graph. */
  readonly name: string;
}

/** One output of an operation (`TF_Output`). */
export interface Output {
  readonly op: Operation;
  readonly index: number;
}

/** An attribute value, tagged by kind. */
export type Attr =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly bool: boolean }
  | { readonly type: DType }
  | { readonly shape: readonly number[] }
  | { readonly string: string }
  | {
    readonly tensor: {
      readonly dtype: DType;
      readonly shape: readonly number[];
      readonly values: TensorValues;
    };
  };

/** Options of {@link Graph.op}. */
export interface OpOptions {
  /** Operations that must run before this one. */
  readonly controls?: readonly Operation[];
  /** The node's name (unique; default `<type>_<n>`). */
  readonly name?: string;
}

/** `outputs` as an array of `TF_Output` structs (16 bytes each: pointer, int32 index, padding). */
export function outputArray(outputs: readonly Output[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(16 * Math.max(1, outputs.length));
  const view = new DataView(bytes.buffer);
  outputs.forEach((o, i) => {
    view.setBigUint64(16 * i, BigInt(Deno.UnsafePointer.value(o.op.pointer)), true);
    view.setInt32(16 * i + 8, o.index, true);
  });
  return bytes;
}

/** A graph and the status its calls report through; {@link dispose} frees both. */
export class Graph {
  readonly api: CApi;
  readonly pointer: Deno.PointerValue;
  readonly #status: Status;
  #count = 0;
  #disposed = false;
  /** Operations by pointer value, so gradients' outputs map back to named operations. */
  readonly #byPointer = new Map<bigint | number, Operation>();

  /** @param api an open C API (default: {@link requireCApi}). */
  constructor(api: CApi = requireCApi()) {
    this.api = api;
    this.#status = new Status(api);
    this.pointer = api.symbols.TF_NewGraph();
  }

  /** Number of operations added so far. */
  get size(): number {
    return this.#count;
  }

  /**
   * Adds an operation. An input given as an array is a list input (`TF_AddInputList`). Throws
   * `<type> (<name>): <TensorFlow's message>` if TensorFlow rejects it.
   */
  op(
    type: string,
    inputs: readonly (Output | readonly Output[])[],
    attrs: Readonly<Record<string, Attr>> = {},
    options: OpOptions = {},
  ): Operation {
    this.#check();
    const c = this.api.symbols;
    const name = options.name ?? `${type}_${this.#count}`;
    const desc = c.TF_NewOperation(this.pointer, cString(type), cString(name));
    for (const input of inputs) {
      if (Array.isArray(input)) {
        c.TF_AddInputList(desc, outputArray(input), input.length);
      } else {
        c.TF_AddInput(desc, outputArray([input as Output]));
      }
    }
    for (const control of options.controls ?? []) c.TF_AddControlInput(desc, control.pointer);
    const owned: Deno.PointerValue[] = [];
    try {
      for (const [attrName, a] of Object.entries(attrs)) {
        const n = cString(attrName);
        if ("int" in a) c.TF_SetAttrInt(desc, n, BigInt(a.int));
        else if ("ints" in a) c.TF_SetAttrIntList(desc, n, int64Array(a.ints), a.ints.length);
        else if ("float" in a) c.TF_SetAttrFloat(desc, n, a.float);
        else if ("bool" in a) c.TF_SetAttrBool(desc, n, a.bool ? 1 : 0);
        else if ("type" in a) c.TF_SetAttrType(desc, n, DataType[a.type]);
        else if ("shape" in a) c.TF_SetAttrShape(desc, n, int64Array(a.shape), a.shape.length);
        else if ("string" in a) {
          const s = utf8(a.string);
          c.TF_SetAttrString(desc, n, s, BigInt(s.length));
        } else {
          const t = newTensor(this.api, a.tensor.dtype, a.tensor.shape, a.tensor.values);
          owned.push(t);
          c.TF_SetAttrTensor(desc, n, t, this.#status.pointer);
          this.#status.check(`${type} (${name}) attribute ${attrName}`);
        }
      }
      const pointer = c.TF_FinishOperation(desc, this.#status.pointer);
      this.#status.check(`${type} (${name})`);
      this.#count++;
      const op: Operation = { pointer, type, name };
      this.#byPointer.set(Deno.UnsafePointer.value(pointer), op);
      return op;
    } finally {
      // The graph holds its own reference to a constant's buffer.
      for (const t of owned) c.TF_DeleteTensor(t);
    }
  }

  /** {@link op}, returning its output `index` (default the first). */
  node(
    type: string,
    inputs: readonly (Output | readonly Output[])[],
    attrs: Readonly<Record<string, Attr>> = {},
    options: OpOptions & { readonly index?: number } = {},
  ): Output {
    return { op: this.op(type, inputs, attrs, options), index: options.index ?? 0 };
  }

  /** A constant tensor. */
  constant(
    values: readonly number[] | TensorValues,
    shape: readonly number[],
    dtype: DType = "float32",
  ): Output {
    const typed = dtype === "float32"
      ? Float32Array.from(values)
      : dtype === "int32"
      ? Int32Array.from(values)
      : Uint8Array.from(values);
    return this.node("Const", [], {
      value: { tensor: { dtype, shape, values: typed } },
      dtype: { type: dtype },
    });
  }

  /** A placeholder to feed; −1 marks an unknown dimension. */
  placeholder(dtype: DType, shape: readonly number[], name?: string): Output {
    return this.node("Placeholder", [], { dtype: { type: dtype }, shape: { shape } }, { name });
  }

  /** The shape TensorFlow inferred for `output` (−1 where unknown). Throws if the rank is unknown. */
  shape(output: Output): number[] {
    this.#check();
    const c = this.api.symbols;
    const struct = outputArray([output]);
    const rank = c.TF_GraphGetTensorNumDims(this.pointer, struct, this.#status.pointer);
    this.#status.check(`shape of ${output.op.name}:${output.index}`);
    if (rank < 0) throw new Error(`${output.op.name}:${output.index} has an unknown rank`);
    const dims = new BigInt64Array(Math.max(1, rank));
    c.TF_GraphGetTensorShape(
      this.pointer,
      struct,
      new Uint8Array(dims.buffer),
      rank,
      this.#status.pointer,
    );
    this.#status.check(`shape of ${output.op.name}:${output.index}`);
    return Array.from(dims.subarray(0, rank), Number);
  }

  /**
   * Symbolic gradients of `sum(ys)` with respect to each of `xs`, from TensorFlow's C++ gradient
   * registry. Throws naming the op when one on the path has no registered gradient.
   */
  gradients(ys: readonly Output[], xs: readonly Output[], prefix?: string): Output[] {
    this.#check();
    const dy = new Uint8Array(16 * Math.max(1, xs.length));
    this.api.symbols.TF_AddGradientsWithPrefix(
      this.pointer,
      cString(prefix ?? `gradients_${this.#count}`),
      outputArray(ys),
      ys.length,
      outputArray(xs),
      xs.length,
      null,
      this.#status.pointer,
      dy,
    );
    this.#status.check("gradients (TF_AddGradients)");
    const view = new DataView(dy.buffer);
    return xs.map((x, i) => {
      const pointer = Deno.UnsafePointer.create(view.getBigUint64(16 * i, true));
      if (pointer === null) {
        throw new Error(`gradients: ${x.op.name}:${x.index} does not reach the loss`);
      }
      return { op: this.#operation(pointer), index: view.getInt32(16 * i + 8, true) };
    });
  }

  /** The {@link Operation} of a pointer the C API returned (a gradient's op, made by TensorFlow). */
  #operation(pointer: Deno.PointerValue): Operation {
    const key = Deno.UnsafePointer.value(pointer);
    const known = this.#byPointer.get(key);
    if (known !== undefined) return known;
    const c = this.api.symbols;
    const op: Operation = {
      pointer,
      type: Deno.UnsafePointerView.getCString(c.TF_OperationOpType(pointer)!),
      name: Deno.UnsafePointerView.getCString(c.TF_OperationName(pointer)!),
    };
    this.#byPointer.set(key, op);
    return op;
  }

  #check(): void {
    if (this.#disposed) throw new Error("Graph: used after dispose()");
  }

  /** True once {@link dispose} ran. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Frees the graph (after every session on it is deleted) and its status. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.api.symbols.TF_DeleteGraph(this.pointer);
    this.#status.dispose();
    this.#byPointer.clear();
  }
}
