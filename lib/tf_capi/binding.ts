/**
 * A small typed binding to TensorFlow's C API (`tensorflow/c/c_api.h`) through `Deno.dlopen`:
 * the symbols that building a graph, differentiating it, and running it in a session need, and
 * the TF_Status / TF_Tensor handling around them. Graph and session live in ./graph.ts and
 * ./session.ts; this module only loads symbols and moves bytes.
 *
 * Why the C API and not tfjs: tfjs-node runs TensorFlow op by op (eager), paying a fixed cost per
 * op; a whole training step as one graph runs in one `TF_SessionRun` (bench/experiments/
 * graph_step_capi.ts measured 1.2–1.4× faster than lib's eager step). The library opened is the
 * one tfjs-node already loaded ({@link nativeLibraryPath} in lib/backend.ts), so both share one
 * TensorFlow runtime, one op registry and one thread pool configuration.
 *
 * Opening never throws: {@link openCApi} returns the reason when the library or a symbol is
 * missing, so callers can fall back to the eager engine and say why.
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import { openCApi } from "./binding.ts";
 * await useBackend({ kind: "tensorflow" }); // the C API is native TensorFlow's
 * const api = openCApi();
 * console.log("error" in api ? api.error : api.version); // e.g. "2.21.0"
 * ```
 * @module
 */
import { nativeLibraryPath } from "../backend.ts";

const P = "pointer" as const;
/** `TF_Output {TF_Operation* oper; int index;}`, passed by value: 16 bytes. */
const OUTPUT = { struct: [P, "i32"] } as const;

/** The C API functions lib/tf_capi calls, with their FFI signatures. */
const SYMBOLS = {
  TF_Version: { parameters: [], result: P },
  TF_NewStatus: { parameters: [], result: P },
  TF_DeleteStatus: { parameters: [P], result: "void" },
  TF_GetCode: { parameters: [P], result: "i32" },
  TF_Message: { parameters: [P], result: P },
  TF_NewGraph: { parameters: [], result: P },
  TF_DeleteGraph: { parameters: [P], result: "void" },
  TF_NewOperation: { parameters: [P, "buffer", "buffer"], result: P },
  TF_AddInput: { parameters: [P, OUTPUT], result: "void" },
  TF_AddInputList: { parameters: [P, "buffer", "i32"], result: "void" },
  TF_AddControlInput: { parameters: [P, P], result: "void" },
  TF_SetAttrInt: { parameters: [P, "buffer", "i64"], result: "void" },
  TF_SetAttrIntList: { parameters: [P, "buffer", "buffer", "i32"], result: "void" },
  TF_SetAttrFloat: { parameters: [P, "buffer", "f32"], result: "void" },
  TF_SetAttrBool: { parameters: [P, "buffer", "u8"], result: "void" },
  TF_SetAttrType: { parameters: [P, "buffer", "i32"], result: "void" },
  TF_SetAttrShape: { parameters: [P, "buffer", "buffer", "i32"], result: "void" },
  TF_SetAttrString: { parameters: [P, "buffer", "buffer", "usize"], result: "void" },
  TF_SetAttrTensor: { parameters: [P, "buffer", P, P], result: "void" },
  TF_FinishOperation: { parameters: [P, P], result: P },
  TF_OperationName: { parameters: [P], result: P },
  TF_OperationOpType: { parameters: [P], result: P },
  TF_GraphGetTensorNumDims: { parameters: [P, OUTPUT, P], result: "i32" },
  TF_GraphGetTensorShape: { parameters: [P, OUTPUT, "buffer", "i32", P], result: "void" },
  TF_AddGradientsWithPrefix: {
    parameters: [P, "buffer", "buffer", "i32", "buffer", "i32", P, P, "buffer"],
    result: "void",
  },
  TF_NewSessionOptions: { parameters: [], result: P },
  TF_DeleteSessionOptions: { parameters: [P], result: "void" },
  TF_SetConfig: { parameters: [P, "buffer", "usize", P], result: "void" },
  TF_NewSession: { parameters: [P, P, P], result: P },
  TF_CloseSession: { parameters: [P, P], result: "void" },
  TF_DeleteSession: { parameters: [P, P], result: "void" },
  TF_SessionRun: {
    parameters: [P, P, "buffer", "buffer", "i32", "buffer", "buffer", "i32", "buffer", "i32", P, P],
    result: "void",
  },
  TF_AllocateTensor: { parameters: ["i32", "buffer", "i32", "usize"], result: P },
  TF_DeleteTensor: { parameters: [P], result: "void" },
  TF_TensorData: { parameters: [P], result: P },
  TF_TensorByteSize: { parameters: [P], result: "usize" },
  TF_TensorType: { parameters: [P], result: "i32" },
  TF_NumDims: { parameters: [P], result: "i32" },
  TF_Dim: { parameters: [P, "i32"], result: "i64" },
  TF_NewBufferFromString: { parameters: ["buffer", "usize"], result: P },
  TF_NewBuffer: { parameters: [], result: P },
  TF_DeleteBuffer: { parameters: [P], result: "void" },
} as const;

/** The loaded functions. */
export type CApiSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** TensorFlow's `TF_DataType` codes for the types lib/ uses. */
export const DataType = Object.freeze({ float32: 1, int32: 3, bool: 10 });

/** A `TF_DataType` lib/ uses. */
export type DType = keyof typeof DataType;

/** An open C API: its functions and the library's version string. */
export interface CApi {
  readonly symbols: CApiSymbols;
  /** `TF_Version()`, e.g. "2.21.0". */
  readonly version: string;
  /** The file that was opened. */
  readonly path: string;
}

let opened: CApi | { error: string } | undefined;

/**
 * Opens TensorFlow's C API in the library tfjs-node loaded (once per process; later calls return
 * the same result). Returns `{ error }` naming the reason when it cannot: the pure-JS backend, the
 * library not found, or a symbol missing from it.
 */
export function openCApi(): CApi | { error: string } {
  if (opened !== undefined) return opened;
  const path = nativeLibraryPath();
  opened = path === undefined
    ? { error: "native TensorFlow is not loaded (pure-JS backend), so there is no C API to open" }
    : openCApiAt(path);
  return opened;
}

/**
 * Opens the C API in the library at `path` (not cached; {@link openCApi} is what lib/ uses).
 * Returns `{ error }` naming the path and the reason if the file or one of the symbols is missing.
 */
export function openCApiAt(path: string): CApi | { error: string } {
  try {
    const library = Deno.dlopen(path, SYMBOLS);
    const version = Deno.UnsafePointerView.getCString(library.symbols.TF_Version()!);
    // Never closed: tfjs-node holds the same library, and handles made here outlive any scope.
    return { symbols: library.symbols, version, path };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: `TensorFlow's C API could not be opened from ${path}: ${message}` };
  }
}

/** {@link openCApi}, throwing its reason. */
export function requireCApi(): CApi {
  const api = openCApi();
  if ("error" in api) throw new Error(api.error);
  return api;
}

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `text` for a `const char*` argument. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text + "\0");
}

/** UTF-8 bytes of `text` (no terminator), for length-delimited arguments. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** `values` as little-endian int64s, for `int64_t*` arguments. */
export function int64Array(values: readonly number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
}

/** Pointers as an array of `void*`. */
export function pointerArray(pointers: readonly Deno.PointerValue[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    new BigUint64Array(pointers.map((p) => BigInt(Deno.UnsafePointer.value(p)))).buffer,
  );
}

/** A `TF_Status`, reused for every call that reports through one; {@link dispose} frees it. */
export class Status {
  readonly pointer: Deno.PointerValue;
  readonly #c: CApiSymbols;

  constructor(api: CApi) {
    this.#c = api.symbols;
    this.pointer = this.#c.TF_NewStatus();
  }

  /** Throws `${what}: ${TensorFlow's message}` unless the last call through this status succeeded. */
  check(what: string): void {
    if (this.#c.TF_GetCode(this.pointer) !== 0) {
      const message = Deno.UnsafePointerView.getCString(this.#c.TF_Message(this.pointer)!);
      throw new Error(`${what}: ${message}`);
    }
  }

  /** Frees the status. */
  dispose(): void {
    this.#c.TF_DeleteStatus(this.pointer);
  }
}

/** Bytes of one element of each {@link DType}. */
const ELEMENT_BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };

/** The values of a tensor on the JS side, by type. */
export type TensorValues = Float32Array | Int32Array | Uint8Array;

/**
 * A new `TF_Tensor` holding a copy of `values` with `shape`; the caller frees it with
 * `TF_DeleteTensor` (a session run takes feeds without taking ownership).
 */
export function newTensor(
  api: CApi,
  dtype: DType,
  shape: readonly number[],
  values: TensorValues,
): Deno.PointerValue {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new Error(`newTensor: shape [${shape}] needs ${size} values, got ${values.length}`);
  }
  const bytes = size * ELEMENT_BYTES[dtype];
  const c = api.symbols;
  const tensor = c.TF_AllocateTensor(
    DataType[dtype],
    int64Array(shape),
    shape.length,
    BigInt(bytes),
  );
  if (tensor === null) throw new Error(`TF_AllocateTensor failed for [${shape}] ${dtype}`);
  if (bytes > 0) {
    new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(c.TF_TensorData(tensor)!, bytes)).set(
      new Uint8Array(values.buffer, values.byteOffset, bytes),
    );
  }
  return tensor;
}

/** A tensor's shape and a copy of its values, read from a `TF_Tensor` (which stays owned by the caller). */
export function readTensor(
  api: CApi,
  tensor: Deno.PointerValue,
): { shape: number[]; values: TensorValues } {
  const c = api.symbols;
  const shape = Array.from({ length: c.TF_NumDims(tensor) }, (_, i) => Number(c.TF_Dim(tensor, i)));
  const bytes = Number(c.TF_TensorByteSize(tensor));
  const type = c.TF_TensorType(tensor);
  const copy = bytes === 0
    ? new ArrayBuffer(0)
    : Deno.UnsafePointerView.getArrayBuffer(c.TF_TensorData(tensor)!, bytes).slice(0);
  if (type === DataType.float32) return { shape, values: new Float32Array(copy) };
  if (type === DataType.int32) return { shape, values: new Int32Array(copy) };
  if (type === DataType.bool) return { shape, values: new Uint8Array(copy) };
  throw new Error(`readTensor: TF_DataType ${type} is not one lib/ reads`);
}
