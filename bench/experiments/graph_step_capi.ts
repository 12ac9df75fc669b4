/**
 * A spike of the "one graph per step" lever (bench/README.md, "The ceiling: one graph per step"),
 * from TypeScript: the ResNet-20 training step of bench/worker.ts built as one TensorFlow graph
 * through TensorFlow's C API with `Deno.dlopen` (no tfjs), its backward from `TF_AddGradients`,
 * SGD as `ApplyMomentum` (Nesterov, weight decay added to the gradient, as torch.optim.SGD), batch
 * norm as training-mode `FusedBatchNormV3` with its running statistics assigned, and one
 * `TF_SessionRun` per step. Random data and initialisation; it prints ms per step and the losses.
 *
 *   deno run -A bench/experiments/graph_step_capi.ts [batch] [steps]
 *   deno run -A bench/experiments/graph_step_capi.ts --parity [batch] [steps]
 *   deno run -A bench/experiments/graph_step_capi.ts '<json Job>'   # as bench/worker.ts
 *
 * Given a bench/_job.ts `Job` (training, `resnet20`) it speaks the workers' protocol, serve mode
 * included, so `deno task bench` runs it beside lib and PyTorch (the `graph-spike` variant: the
 * stand-in for lib's compiled engine until lib has one).
 *
 * `--parity` starts the graph from lib's ResNet-20 (same initial weights, same batch) and runs
 * lib's eager step (`createTrainStep`) beside it, then prints the loss of each step on both and
 * the largest difference in every parameter and running statistic afterwards.
 *
 * Not lib code: no tests, no checkpoints, no evaluation path. It shows whether the route works
 * and what it would buy. It works: 272,474 parameters (as lib's ResNet-20), 1,016 graph ops, the
 * loss falls as under Python TensorFlow's `tf.function` of the same step (docs/performance.md).
 * On machine C (AMD EPYC Zen 4, 2 cores, 2026-12-02), ms per step in three interleaved rounds
 * of one process each:
 * - batch 64: PyTorch 144–157, ours (lib's eager step) 128–140, this graph 103–104;
 * - batch 128: PyTorch 299–325, ours 252–259, this graph 201–212;
 * - batch 2: this graph 12 ms (PyTorch 19, ours 42–51).
 * Half an hour later, with the host slower for everyone, batch 64 again: PyTorch 157–167, ours
 * 156–175, this graph 121–124.
 * That is 1.3–1.6× PyTorch and 1.2–1.4× our eager step, the same as Python's `tf.function`.
 *
 * The numbers are lib's: with `--parity` (batch 64) the losses of graph and lib's eager step agree
 * to 6 decimals over the first two steps (2.549184, 2.305593) and to 4e-5 at the third; after one
 * step the largest parameter difference is 2.7e-6 (on a β of scale 1e-3: float32 summation order),
 * and it then grows as training at lr 0.1 on one batch amplifies it (2e-4 after three steps).
 *
 * One trap found: TensorFlow's C++ gradient of Conv2D drops `explicit_paddings`, so an EXPLICIT
 * conv fails at run time ("explicit_paddings attribute must contain 8 values, but got: 0"); the
 * stride-2 convs here are Pad + VALID instead.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "../stats.ts";
import type { Job, JobResult } from "../_job.ts";
import { timedRuns } from "../worker_io.ts";

// As lib/backend.ts's useBackend: oneDNN on, conv-gradient primitives cached. Read at load.
if (!Deno.env.get("TF_ENABLE_ONEDNN_OPTS")) Deno.env.set("TF_ENABLE_ONEDNN_OPTS", "1");
if (!Deno.env.get("TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE")) {
  Deno.env.set("TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE", "false");
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// The TensorFlow C library tfjs-node loads: `libtensorflow.so` names it in both of setup's layouts
// (the official download, and the pip wheel's libtensorflow_cc.so.2 linked under that name).
const libPath = join(root, "node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.so");

const P = "pointer" as const;
const OUTPUT = { struct: [P, "i32"] } as const; // TF_Output {TF_Operation* oper; int index}
const tfc = Deno.dlopen(libPath, {
  TF_NewStatus: { parameters: [], result: P },
  TF_GetCode: { parameters: [P], result: "i32" },
  TF_Message: { parameters: [P], result: P },
  TF_NewGraph: { parameters: [], result: P },
  TF_NewOperation: { parameters: [P, "buffer", "buffer"], result: P },
  TF_AddInput: { parameters: [P, OUTPUT], result: "void" },
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
  TF_AddGradients: {
    parameters: [P, "buffer", "i32", "buffer", "i32", P, P, "buffer"],
    result: "void",
  },
  TF_NewSessionOptions: { parameters: [], result: P },
  TF_NewSession: { parameters: [P, P, P], result: P },
  TF_SessionRun: {
    parameters: [P, P, "buffer", "buffer", "i32", "buffer", "buffer", "i32", "buffer", "i32", P, P],
    result: "void",
    nonblocking: false,
  },
  TF_AllocateTensor: { parameters: ["i32", "buffer", "i32", "usize"], result: P },
  TF_TensorData: { parameters: [P], result: P },
  TF_DeleteTensor: { parameters: [P], result: "void" },
});
const c = tfc.symbols;
const TF_FLOAT = 1, TF_INT32 = 3;

const enc = new TextEncoder();
const cstr = (s: string) => enc.encode(s + "\0");
const status = c.TF_NewStatus();
function check(what: string): void {
  if (c.TF_GetCode(status) !== 0) {
    const msg = Deno.UnsafePointerView.getCString(c.TF_Message(status)!);
    throw new Error(`${what}: ${msg}`);
  }
}

type Op = Deno.PointerValue;
/** A TF_Output, kept as its 16 bytes (pointer, index, padding). */
interface Out {
  op: Op;
  index: number;
}
function outBytes(outs: Out[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(16 * outs.length);
  const view = new DataView(bytes.buffer);
  outs.forEach((o, i) => {
    view.setBigUint64(16 * i, BigInt(Deno.UnsafePointer.value(o.op)), true);
    view.setInt32(16 * i + 8, o.index, true);
  });
  return bytes;
}
function outsFrom(bytes: Uint8Array): Out[] {
  const view = new DataView(bytes.buffer);
  const outs: Out[] = [];
  for (let i = 0; i < bytes.length / 16; i++) {
    outs.push({
      op: Deno.UnsafePointer.create(view.getBigUint64(16 * i, true)),
      index: view.getInt32(16 * i + 8, true),
    });
  }
  return outs;
}
const ptrBytes = (ptrs: Deno.PointerValue[]) =>
  new Uint8Array(new BigUint64Array(ptrs.map((p) => BigInt(Deno.UnsafePointer.value(p)))).buffer);

function newTensor(dtype: number, shape: number[], values: Float32Array | Int32Array): Op {
  const t = c.TF_AllocateTensor(
    dtype,
    new Uint8Array(new BigInt64Array(shape.map(BigInt)).buffer),
    shape.length,
    BigInt(values.byteLength),
  );
  const data = c.TF_TensorData(t)!;
  new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(data, values.byteLength)).set(
    new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  );
  return t;
}

type Attr =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { bool: boolean }
  | { type: number }
  | { shape: number[] }
  | { string: string }
  | { tensor: Op };

const graph = c.TF_NewGraph();
let opCount = 0;
function op(
  type: string,
  inputs: Out[],
  attrs: Record<string, Attr> = {},
  controls: Op[] = [],
): Op {
  const desc = c.TF_NewOperation(graph, cstr(type), cstr(`${type}_${opCount++}`));
  for (const input of inputs) c.TF_AddInput(desc, outBytes([input]));
  for (const control of controls) c.TF_AddControlInput(desc, control);
  for (const [name, a] of Object.entries(attrs)) {
    const n = cstr(name);
    if ("int" in a) c.TF_SetAttrInt(desc, n, BigInt(a.int));
    else if ("ints" in a) {
      c.TF_SetAttrIntList(
        desc,
        n,
        new Uint8Array(new BigInt64Array(a.ints.map(BigInt)).buffer),
        a.ints.length,
      );
    } else if ("float" in a) c.TF_SetAttrFloat(desc, n, a.float);
    else if ("bool" in a) c.TF_SetAttrBool(desc, n, a.bool ? 1 : 0);
    else if ("type" in a) c.TF_SetAttrType(desc, n, a.type);
    else if ("shape" in a) {
      c.TF_SetAttrShape(
        desc,
        n,
        new Uint8Array(new BigInt64Array(a.shape.map(BigInt)).buffer),
        a.shape.length,
      );
    } else if ("string" in a) {
      const s = enc.encode(a.string);
      c.TF_SetAttrString(desc, n, s, BigInt(s.length));
    } else {
      c.TF_SetAttrTensor(desc, n, a.tensor, status);
      check(`${type}.${name}`);
    }
  }
  const done = c.TF_FinishOperation(desc, status);
  check(type);
  return done;
}
const out = (o: Op, index = 0): Out => ({ op: o, index });
const F = { type: TF_FLOAT };

function constant(values: number[], shape: number[], dtype = TF_FLOAT): Out {
  const t = newTensor(
    dtype,
    shape,
    dtype === TF_FLOAT ? new Float32Array(values) : new Int32Array(values),
  );
  return out(op("Const", [], { value: { tensor: t }, dtype: { type: dtype } }));
}

// --- the model: variables, their initial values, the forward pass ---------------------------
let seed = 1;
/** Uniform in (0, 1), from a seeded Lehmer generator: the same run every time. */
function uniform(): number {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
}
const gaussian = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
interface Variable {
  ref: Out;
  read: Out;
  init: Float32Array;
  shape: number[];
}
const trainable: Variable[] = [];
const initAssigns: { variable: Op; placeholder: Op; value: Float32Array; shape: number[] }[] = [];
function variable(shape: number[], init: Float32Array, train: boolean): Variable {
  const v = op("VariableV2", [], { shape: { shape }, dtype: F });
  const placeholder = op("Placeholder", [], { dtype: F, shape: { shape } });
  initAssigns.push({
    variable: op("Assign", [out(v), out(placeholder)], { T: F }),
    placeholder,
    value: init,
    shape,
  });
  const read = out(op("Identity", [out(v)], { T: F }));
  const result = { ref: out(v), read, init, shape };
  if (train) trainable.push(result);
  return result;
}
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
function convWeights(k: number, cin: number, cout: number): Variable {
  const std = Math.sqrt(2 / (k * k * cin));
  return variable(
    [k, k, cin, cout],
    Float32Array.from({ length: k * k * cin * cout }, () => std * gaussian()),
    true,
  );
}
function conv(x: Out, k: number, cin: number, cout: number, stride: number): Out {
  const w = convWeights(k, cin, cout);
  const common = {
    T: F,
    strides: { ints: [1, stride, stride, 1] },
    data_format: { string: "NHWC" },
  };
  if (k === 1) return out(op("Conv2D", [x, w.read], { ...common, padding: { string: "VALID" } }));
  if (stride === 1) {
    return out(op("Conv2D", [x, w.read], { ...common, padding: { string: "SAME" } }));
  }
  // PyTorch's one pixel on every side. Not EXPLICIT padding: TensorFlow's C++ Conv2D gradient
  // drops `explicit_paddings` ("must contain 8 values, but got: 0"), so Pad, then VALID.
  const padded = out(op("Pad", [x, constant([0, 0, 1, 1, 1, 1, 0, 0], [4, 2], TF_INT32)], {
    T: F,
    Tpaddings: { type: TF_INT32 },
  }));
  return out(op("Conv2D", [padded, w.read], { ...common, padding: { string: "VALID" } }));
}
const statUpdates: Op[] = [];
/** Running mean and variance of every batch norm, in the order they are made. */
const runningStats: Variable[] = [];
function batchNorm(x: Out, channels: number, relu: boolean): Out {
  const gamma = variable([channels], new Float32Array(channels).fill(1), true);
  const beta = variable([channels], new Float32Array(channels), true);
  const mean = variable([channels], new Float32Array(channels), false);
  const variance = variable([channels], new Float32Array(channels).fill(1), false);
  const bn = op("FusedBatchNormV3", [x, gamma.read, beta.read, mean.read, variance.read], {
    T: F,
    U: F,
    epsilon: { float: 1e-5 },
    exponential_avg_factor: { float: 0.1 },
    data_format: { string: "NHWC" },
    is_training: { bool: true },
  });
  // Outputs 1 and 2 are the moved running statistics (PyTorch's, unbiased variance).
  runningStats.push(mean, variance);
  statUpdates.push(op("Assign", [mean.ref, out(bn, 1)], { T: F }));
  statUpdates.push(op("Assign", [variance.ref, out(bn, 2)], { T: F }));
  return relu ? out(op("Relu", [out(bn)], { T: F })) : out(bn);
}

const job: Job | undefined = Deno.args[0]?.startsWith("{") ? JSON.parse(Deno.args[0]) : undefined;
if (job !== undefined && (job.task !== "train" || job.model !== "resnet20")) {
  throw new Error(
    `graph_step_capi: only resnet20 training is built, got task "${job.task}", model "${job.model}"`,
  );
}
const parity = Deno.args[0] === "--parity";
const positional = parity ? Deno.args.slice(1) : Deno.args;
const batch = job?.batch ?? Number(positional[0] ?? 64);
const steps = Number(positional[1] ?? 8);
const images = op("Placeholder", [], { dtype: F, shape: { shape: [batch, 32, 32, 3] } });
const targets = op("Placeholder", [], { dtype: F, shape: { shape: [batch, 10] } });

const MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255];
const STD = [63.0 / 255, 62.1 / 255, 66.7 / 255];
let x = out(op("Sub", [out(images), constant(MEAN, [3])], { T: F }));
x = out(op("RealDiv", [x, constant(STD, [3])], { T: F }));
x = batchNorm(conv(x, 3, 3, 16, 1), 16, true);
let cin = 16;
for (const [stage, width] of [16, 32, 64].entries()) {
  for (let b = 0; b < 3; b++) {
    const stride = stage > 0 && b === 0 ? 2 : 1;
    let y = batchNorm(conv(x, 3, cin, width, stride), width, true);
    y = batchNorm(conv(y, 3, width, width, 1), width, false);
    const shortcut = stride !== 1 || cin !== width
      ? batchNorm(conv(x, 1, cin, width, stride), width, false)
      : x;
    x = out(op("Relu", [out(op("AddV2", [y, shortcut], { T: F }))], { T: F }));
    cin = width;
  }
}
const pooled = out(
  op("Mean", [x, constant([1, 2], [2], TF_INT32)], { T: F, Tidx: { type: TF_INT32 } }),
);
const fcW = variable(
  [64, 10],
  Float32Array.from({ length: 640 }, () => 0.125 * (2 * uniform() - 1)),
  true,
);
const fcB = variable([10], new Float32Array(10), true);
const logits = out(
  op("BiasAdd", [out(op("MatMul", [pooled, fcW.read], { T: F })), fcB.read], { T: F }),
);
const ce = op("SoftmaxCrossEntropyWithLogits", [logits, out(targets)], { T: F });
const loss = out(
  op("Mean", [out(ce), constant([0], [1], TF_INT32)], { T: F, Tidx: { type: TF_INT32 } }),
);

// --- backward and update --------------------------------------------------------------------
const gradBytes = new Uint8Array(16 * trainable.length);
c.TF_AddGradients(
  graph,
  outBytes([loss]),
  1,
  outBytes(trainable.map((v) => v.read)),
  trainable.length,
  null,
  status,
  gradBytes,
);
check("TF_AddGradients");
const grads = outsFrom(gradBytes);
const weightDecay = constant([1e-4], []);
const decayed = grads.map((g, i) =>
  out(op("AddV2", [g, out(op("Mul", [trainable[i].read, weightDecay], { T: F }))], { T: F }))
);
// Every gradient first, then the in-place updates: ApplyMomentum writes the variables that the
// backward pass still reads.
const gradientsDone = op("NoOp", [], {}, decayed.map((d) => d.op));
const learningRate = constant([0.1], []);
const momentum = constant([0.9], []);
const updates = trainable.map((v, i) => {
  const accum = variable(v.shape, new Float32Array(size(v.shape)), false);
  return op("ApplyMomentum", [v.ref, accum.ref, learningRate, decayed[i], momentum], {
    T: F,
    use_nesterov: { bool: true },
  }, [gradientsDone]);
});

// --- session ---------------------------------------------------------------------------------
const session = c.TF_NewSession(graph, c.TF_NewSessionOptions(), status);
check("TF_NewSession");
function run(feeds: [Op, Op][], fetches: Out[], targetsToRun: Op[]): Op[] {
  const values = new Uint8Array(8 * fetches.length);
  c.TF_SessionRun(
    session,
    null,
    outBytes(feeds.map(([o]) => out(o))),
    ptrBytes(feeds.map(([, t]) => t)),
    feeds.length,
    outBytes(fetches),
    values,
    fetches.length,
    ptrBytes(targetsToRun),
    targetsToRun.length,
    null,
    status,
  );
  check("TF_SessionRun");
  const view = new BigUint64Array(values.buffer);
  return [...view].map((p) => Deno.UnsafePointer.create(p));
}
const imageValues = Float32Array.from({ length: batch * 32 * 32 * 3 }, uniform);
const targetValues = new Float32Array(batch * 10);
for (let i = 0; i < batch; i++) {
  const row = Array.from({ length: 10 }, () => Math.exp(2 * gaussian()));
  const sum = row.reduce((a, b) => a + b, 0);
  row.forEach((r, j) => (targetValues[10 * i + j] = r / sum));
}

/** With `--parity`: lib's model and eager step, started from the same weights as the graph. */
const lib = parity ? await libSide() : undefined;
async function libSide() {
  const { tf } = await import("../_backend.ts");
  const { createModel, parseModelName } = await import("../../lib/models/mod.ts");
  const { SGD } = await import("../../lib/training/optimizer.ts");
  const { createTrainStep } = await import("../../lib/training/loop.ts");
  const { Random } = await import("../../lib/random.ts");
  const model = createModel(parseModelName("resnet20"), 0);
  if (model.mean.join() !== MEAN.join() || model.std.join() !== STD.join()) {
    throw new Error("lib's ResNet-20 normalises differently from this graph");
  }
  const libTrainable = [...model.parameters.trainable.values()];
  if (libTrainable.length !== trainable.length) {
    throw new Error(
      `lib has ${libTrainable.length} trainable variables, the graph ${trainable.length}`,
    );
  }
  libTrainable.forEach((v, i) => {
    if (v.shape.join() !== trainable[i].shape.join()) {
      throw new Error(`variable ${i}: lib [${v.shape}], graph [${trainable[i].shape}]`);
    }
    trainable[i].init.set(v.dataSync() as Float32Array);
  });
  const libStats = [...model.parameters.all()]
    .filter(([name]) => /\.moving(Mean|Variance)$/.test(name))
    .map(([, v]) => v);
  if (libStats.length !== runningStats.length) throw new Error("running statistics differ");
  const sgd = new SGD(model.parameters.trainable, {
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
  });
  const trainStep = createTrainStep(model, sgd);
  const imagesNHWC = tf.tensor4d(imageValues, [batch, 32, 32, 3]);
  const targets = tf.tensor2d(targetValues, [batch, 10]);
  const rng = new Random("parity");
  return {
    step: () => trainStep({ imagesNHWC, targets }, 0.1, rng),
    values: () => [...libTrainable, ...libStats].map((v) => v.dataSync() as Float32Array),
  };
}

for (const a of initAssigns) {
  const t = newTensor(TF_FLOAT, a.shape, a.value);
  run([[a.placeholder, t]], [], [a.variable]);
  c.TF_DeleteTensor(t);
}
const parameterCount = trainable.reduce((s, v) => s + size(v.shape), 0);

const imageTensor = newTensor(TF_FLOAT, [batch, 32, 32, 3], imageValues);
const targetTensor = newTensor(TF_FLOAT, [batch, 10], targetValues);
function step(): number {
  const [lossTensor] = run(
    [[images, imageTensor], [targets, targetTensor]],
    [loss],
    [...updates, ...statUpdates],
  );
  const value =
    new Float32Array(Deno.UnsafePointerView.getArrayBuffer(c.TF_TensorData(lossTensor)!, 4))[0];
  c.TF_DeleteTensor(lossTensor);
  return value;
}
if (lib !== undefined) {
  for (let i = 0; i < steps; i++) {
    console.log(`step ${i + 1}: loss graph ${step().toFixed(6)}, lib ${lib.step().toFixed(6)}`);
  }
  const all = [...trainable, ...runningStats];
  const fetched = run([], all.map((v) => v.read), []);
  const libValues = lib.values();
  let worst = { diff: 0, scale: 0, index: -1 };
  all.forEach((v, i) => {
    const n = size(v.shape);
    const graphValues = new Float32Array(
      Deno.UnsafePointerView.getArrayBuffer(c.TF_TensorData(fetched[i])!, 4 * n),
    );
    let diff = 0, scale = 0;
    for (let j = 0; j < n; j++) {
      diff = Math.max(diff, Math.abs(graphValues[j] - libValues[i][j]));
      scale = Math.max(scale, Math.abs(libValues[i][j]));
    }
    if (diff / scale > (worst.index < 0 ? -1 : worst.diff / worst.scale)) {
      worst = { diff, scale, index: i };
    }
  });
  console.log(
    `after ${steps} steps, largest difference relative to the variable's scale: ` +
      `${(worst.diff / worst.scale).toExponential(2)} (variable ${worst.index} of ${all.length}, ` +
      `max |diff| ${worst.diff.toExponential(2)}, max |value| ${worst.scale.toFixed(3)})`,
  );
  Deno.exit(0);
}
if (job !== undefined) {
  await serveJob(job);
  Deno.exit(0);
}

/** The workers' protocol (bench/_job.ts): warm-up, timed runs (on request in serve mode), one RESULT line. */
async function serveJob(job: Job): Promise<void> {
  for (let i = 0; i < job.warmupSteps; i++) step();
  const result: JobResult = {
    job,
    fusedKernels: false,
    backend: "TensorFlow C API, one graph per step (experiment)",
    parameterCount,
    imagesPerSecondRuns: [],
    imagesPerSecond: 0,
    msPerStep: 0,
    cpuMsPerImageRuns: [],
    numTensorsAfterRuns: [],
    peakRssBytes: 0,
    tfNumBytes: 0,
  };
  const measured = await timedRuns(job, step, () => {
    result.peakRssBytes = Math.max(result.peakRssBytes, Deno.memoryUsage().rss);
  });
  result.imagesPerSecondRuns = measured.imagesPerSecondRuns;
  result.cpuMsPerImageRuns = measured.cpuMsPerImageRuns;
  result.imagesPerSecond = median(result.imagesPerSecondRuns);
  result.msPerStep = median(measured.msRuns);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

const losses = Array.from({ length: 5 }, step);
const msRuns: number[] = [];
for (let r = 0; r < 3; r++) {
  const start = performance.now();
  for (let s = 0; s < steps; s++) step();
  msRuns.push((performance.now() - start) / steps);
}
msRuns.sort((a, b) => a - b);
console.log(JSON.stringify({
  batch,
  parameterCount,
  graphOps: opCount,
  warmupLosses: losses.map((l) => Number(l.toFixed(4))),
  msPerStep: msRuns[1],
  msRuns: msRuns.map((m) => Number(m.toFixed(1))),
}));
