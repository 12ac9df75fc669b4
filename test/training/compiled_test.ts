import assert from "node:assert/strict";
import { testWhen } from "../_skip.ts";
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { type AugmentationConfig, createBatchAugmentation } from "../../lib/augment/config.ts";
import type { MixLayer } from "../../lib/augment/types.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import type { ImageClassifier } from "../../lib/models/model.ts";
import { Random } from "../../lib/random.ts";
import { openCApi } from "../../lib/tf_capi/binding.ts";
import { GraphLayerOps } from "../../lib/models/graph_ops.ts";
import type { Output } from "../../lib/tf_capi/graph.ts";
import type { SessionThreads } from "../../lib/tf_capi/session.ts";
import { createTrainEngine, parseEngineKind, type TrainEngine } from "../../lib/training/engine.ts";
import {
  CompiledTrainEngine,
  defaultStepThreads,
  ONE_THREAD_MAX_BATCH,
} from "../../lib/training/compiled.ts";
import { batchNormPlan } from "../../lib/native_kernels.ts";

const capi = openCApi();
const native = !("error" in capi);
const NO_CAPI =
  "TensorFlow's C API is not available (the compiled engine needs native TensorFlow: ./run setup)";
const SGD_OPTIONS = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
const SIZE = 8;
const BATCH = 12;

/** `steps` batches of 8×8 images, each augmented once (the same augmented batch feeds both engines). */
function* batches(augmentation: AugmentationConfig, steps: number, lastBatch = BATCH) {
  const augment = createBatchAugmentation(augmentation);
  for (let s = 0; s < steps; s++) {
    const n = s === steps - 1 ? lastBatch : BATCH;
    const images = tf.randomUniform([n, SIZE, SIZE, 3], 0, 1, "float32", 100 + s) as Tensor4D;
    const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + s) % 4), "int32");
    const augmented = augment.apply(images, labels as Tensor1D, {
      rng: Random.derive(3, "mix", s),
      trainingProgress: 0.5,
    });
    tf.dispose([images, labels]);
    try {
      yield augmented;
    } finally {
      tf.dispose([augmented.imagesNHWC, augmented.targets]);
    }
  }
}

function values(model: ImageClassifier): Map<string, Float32Array> {
  return new Map([...model.parameters.all()].map(([k, v]) => [k, v.dataSync() as Float32Array]));
}

/** max |a − b| / max |b| over each variable, the worst first. */
function worstRelative(a: Map<string, Float32Array>, b: Map<string, Float32Array>) {
  const rows = [...b].map(([name, expected]) => {
    const actual = a.get(name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < expected.length; i++) {
      diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    // Below 1e-2 the comparison is absolute (1e-6 at the 1e-4 bound): such values are either
    // mathematically ~0 (a β feeding straight into another batch norm, whose gradient vanishes;
    // the running mean of a normalised map) and so pure rounding noise, or a β three small steps
    // from 0.
    return { name, relative: diff / Math.max(scale, 1e-2), diff, scale };
  });
  return rows.sort((x, y) => y.relative - x.relative)[0];
}

interface Parity {
  losses: [number, number][];
  parameters: ReturnType<typeof worstRelative>;
  momentum: ReturnType<typeof worstRelative>;
}

/** Trains two copies of `modelName` (same seed) for `steps` steps, compiled and eager. */
function parity(
  modelName: string,
  augmentation: AugmentationConfig,
  steps = 3,
  lastBatch = BATCH,
  sgd: typeof SGD_OPTIONS = SGD_OPTIONS,
  jit = false,
  batchSize?: number,
): Parity {
  const spec = parseModelName(modelName, 4);
  const models = [createModel(spec, 1), createModel(spec, 1)];
  const mixLayer = augmentation.kind === "feature-cutmix" ? augmentation.layer : undefined;
  const engines: TrainEngine[] = (["compiled", "eager"] as const).map((engine, i) =>
    createTrainEngine(models[i], sgd, {
      engine,
      imageShape: [SIZE, SIZE, 3],
      mixLayer,
      jit,
      batchSize,
    })
  );
  try {
    assert.equal(engines[0].kind, "compiled");
    const losses: [number, number][] = [];
    let s = 0;
    for (const batch of batches(augmentation, steps, lastBatch)) {
      const lr = 0.05 * (1 + s);
      const [a, b] = engines.map((e) => e.step(batch, lr, Random.derive(3, "model", s)));
      losses.push([a, b]);
      s++;
    }
    engines[0].syncToModel();
    return {
      losses,
      parameters: worstRelative(values(models[0]), values(models[1])),
      momentum: worstRelative(
        new Map([...engines[0].optimizerState()].map(([k, v]) => [k, v.values])),
        new Map([...engines[1].optimizerState()].map(([k, v]) => [k, v.values])),
      ),
    };
  } finally {
    engines.forEach((e) => e.dispose());
    models.forEach((m) => m.dispose());
  }
}

/**
 * The two engines run the same arithmetic through different kernels (oneDNN and Eigen in a graph
 * with grappler's rewrites, against tfjs-node's eager calls), so they differ by float32 rounding
 * in a different summation order: ~1e-7 relative per op, up to ~1e-5 in the batch-norm and
 * weight-gradient reductions over N·H·W. One step moves a parameter by lr · (gradient + …); three
 * steps of that difference, amplified by the steps in between, stay well below 1e-4 of a
 * variable's scale (measured: ≤ 2e-5), while any real mistake (a wrong gradient, a missed update,
 * a gate drawn in another order) moves parameters by a fraction of their update, ≥ 1e-2 of
 * their scale here. Losses: the first step's forward pass is the same arithmetic (≤ 1e-6
 * relative), later steps inherit the parameter differences (≤ 1e-5).
 */
function assertParity(result: Parity, label: string): void {
  result.losses.forEach(([compiled, eager], step) => {
    assert.ok(Number.isFinite(compiled), `${label}: loss ${compiled} at step ${step}`);
    const relative = Math.abs(compiled - eager) / Math.abs(eager);
    assert.ok(
      relative < 1e-5,
      `${label}: step ${step} loss compiled ${compiled}, eager ${eager} (relative ${relative})`,
    );
  });
  for (const [what, worst] of [["parameters", result.parameters], ["momentum", result.momentum]]) {
    const { name, relative, diff, scale } = worst as Parity["parameters"];
    assert.ok(
      relative < 1e-4,
      `${label}: ${what} ${name} differs by ${diff} (scale ${scale}, relative ${relative})`,
    );
  }
}

const NONE: AugmentationConfig = { kind: "none", numClasses: 4 };

testWhen(native, NO_CAPI, {
  name: "compiled engine: ResNet (option B) trains as the eager engine, for each augmentation",
  fn() {
    const augmentations: AugmentationConfig[] = [
      NONE,
      { kind: "cutmix", numClasses: 4, alpha: 1, prob: 1 },
      { kind: "mixup", numClasses: 4, alpha: 1 },
      { kind: "cutout", numClasses: 4, size: 4 },
    ];
    for (const augmentation of augmentations) {
      assertParity(parity("resnet8-w4-8-8", augmentation), `resnet8 ${augmentation.kind}`);
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine: a smaller last batch runs the same graph",
  fn() {
    assertParity(parity("resnet8-w4-8-8", NONE, 3, 5), "resnet8, last batch of 5");
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine: ResNet option A, PyramidNet basic, bottleneck and ShakeDrop match eager",
  fn() {
    for (
      const name of [
        "resnet8-w4-8-8-A",
        "pyramidnet8-a4",
        "pyramidnet11-a4-bottleneck",
        "pyramidnet8-a4-shakedrop0.5",
      ]
    ) {
      assertParity(parity(name, { kind: "cutmix", numClasses: 4, alpha: 1, prob: 1 }), name);
    }
  },
});

Deno.test("defaultStepThreads: one thread in the caller up to ONE_THREAD_MAX_BATCH, pools above", () => {
  const oneThread = { intraOp: 1, interOp: "caller" };
  assert.deepEqual(defaultStepThreads(1), oneThread);
  assert.deepEqual(defaultStepThreads(ONE_THREAD_MAX_BATCH), oneThread);
  assert.deepEqual(defaultStepThreads(ONE_THREAD_MAX_BATCH + 1), {});
  assert.deepEqual(defaultStepThreads(undefined), {});
});

testWhen(native, NO_CAPI, {
  name: "compiled engine at a small batch: one thread, ops in the caller's, trains as eager",
  fn() {
    const cutmix: AugmentationConfig = { kind: "cutmix", numClasses: 4, alpha: 1, prob: 1 };
    assertParity(parity("resnet8-w4-8-8", cutmix, 3, BATCH, SGD_OPTIONS, false, 2), "batch 2");
    const model = createModel(parseModelName("resnet8-w4-8-8", 4), 1);
    const threadsOf = (options: { batchSize?: number; threads?: SessionThreads }) => {
      const engine = new CompiledTrainEngine(model, SGD_OPTIONS, {
        imageShape: [SIZE, SIZE, 3],
        ...options,
      });
      engine.dispose();
      return engine.threads;
    };
    try {
      assert.deepEqual(threadsOf({ batchSize: 2 }), { intraOp: 1, interOp: "caller" });
      assert.deepEqual(threadsOf({ batchSize: 64 }), {});
      assert.deepEqual(threadsOf({}), {});
      // Counts the caller set win; zeros are TensorFlow's default, so the batch decides.
      assert.deepEqual(threadsOf({ batchSize: 2, threads: { intraOp: 2 } }), { intraOp: 2 });
      assert.deepEqual(threadsOf({ batchSize: 2, threads: { intraOp: 0, interOp: 0 } }), {
        intraOp: 1,
        interOp: "caller",
      });
      for (const batchSize of [0, 2.5]) {
        assert.throws(
          () => new CompiledTrainEngine(model, SGD_OPTIONS, { imageShape: [8, 8, 3], batchSize }),
          new RegExp(`batchSize must be a positive integer, got ${batchSize}`),
        );
      }
    } finally {
      model.dispose();
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine with XLA (jit): compiles clusters and trains as the eager engine",
  fn() {
    const cutmix: AugmentationConfig = { kind: "cutmix", numClasses: 4, alpha: 1, prob: 1 };
    for (const name of ["resnet8-w4-8-8", "pyramidnet8-a4-shakedrop0.5"]) {
      assertParity(parity(name, cutmix, 3, BATCH, SGD_OPTIONS, true), `${name}, XLA`);
    }
    // Not a silently ignored option: the traced step runs XLA's compiled clusters.
    const model = createModel(parseModelName("resnet8-w4-8-8", 4), 1);
    const engine = new CompiledTrainEngine(model, SGD_OPTIONS, {
      imageShape: [SIZE, SIZE, 3],
      jit: true,
    });
    try {
      for (const batch of batches(NONE, 2)) {
        const { loss, nodes } = engine.traceStep(batch, 0.1, new Random(0));
        assert.ok(Number.isFinite(loss));
        const ops = new Set(nodes.map((n) => n.op));
        assert.ok(ops.has("_XlaRun"), `no _XlaRun among ${[...ops].sort().join(", ")}`);
      }
    } finally {
      engine.dispose();
      model.dispose();
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine: feature-level CutMix at layers 0–4 mixes as the eager engine",
  fn() {
    const sizes: Record<MixLayer, number> = { 0: 8, 1: 8, 2: 8, 3: 4, 4: 2 };
    for (const layer of [0, 1, 2, 3, 4] as MixLayer[]) {
      const augmentation: AugmentationConfig = {
        kind: "feature-cutmix",
        numClasses: 4,
        layer,
        prob: 1,
        featureSize: { height: sizes[layer], width: sizes[layer] },
      };
      assertParity(parity("resnet8-w4-8-8", augmentation), `resnet8, feature CutMix at ${layer}`);
      assertParity(
        parity("pyramidnet8-a4-shakedrop0.5", augmentation),
        `ShakeDrop, layer ${layer}`,
      );
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine: SGD with momentum but no Nesterov, and without momentum, matches eager",
  fn() {
    const cutmix: AugmentationConfig = { kind: "cutmix", numClasses: 4, alpha: 1, prob: 1 };
    for (
      const sgd of [
        { momentum: 0.9, nesterov: false, weightDecay: 5e-4 },
        { momentum: 0, nesterov: false, weightDecay: 1e-4 },
        { momentum: 0.5, nesterov: true, weightDecay: 0 },
      ]
    ) {
      const result = parity("resnet8-w4-8-8", cutmix, 3, BATCH, sgd);
      assertParity(result, JSON.stringify(sgd));
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine: batch norm runs the kernels batchNormPlan picks for the stored widths",
  fn() {
    // pyramidnet8-a4 has batch norms over 16, 17, 19 and 20 channels. Stored at their own widths
    // (channelMultiple 1), those over 17 and 19 go to Eigen with oneDNN on (plain op names in the
    // step stats), the others to oneDNN; stored at multiples of 4 (the default), all to oneDNN.
    const model = createModel(parseModelName("pyramidnet8-a4", 4), 1);
    const widths = [...model.parameters.trainable]
      .filter(([name]) => name.endsWith(".gamma"))
      .map(([, v]) => v.shape[0]);
    assert.deepEqual([...new Set(widths)].sort(), [16, 17, 19, 20]);
    try {
      for (const channelMultiple of [1, 4, undefined]) {
        const stored = (c: number) =>
          Math.ceil(c / (channelMultiple ?? 4)) * (channelMultiple ?? 4);
        const plans = widths.map((c) => batchNormPlan(stored(c)));
        const engine = new CompiledTrainEngine(model, SGD_OPTIONS, {
          imageShape: [SIZE, SIZE, 3],
          channelMultiple,
        });
        try {
          for (const batch of batches({ kind: "none", numClasses: 4 }, 1)) {
            const { loss, nodes } = engine.traceStep(batch, 0.1, new Random(0));
            assert.ok(Number.isFinite(loss));
            const count = (op: string) => nodes.filter((n) => n.op === op).length;
            const oneDnn = plans.filter((p) => p === "oneDnn").length;
            assert.equal(plans.length, 11);
            if (batchNormPlan(17) === "eigen") assert.equal(oneDnn, channelMultiple === 1 ? 5 : 11);
            for (
              const [plain, mkl] of [["FusedBatchNormV3", "_MklNativeFusedBatchNormV3"], [
                "FusedBatchNormGradV3",
                "_MklNativeFusedBatchNormGradV3",
              ]]
            ) {
              const label = `${mkl}, channelMultiple ${channelMultiple}`;
              assert.equal(count(mkl), oneDnn, label);
              assert.equal(count(plain), plans.length - oneDnn, label);
            }
          }
        } finally {
          engine.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  },
});

Deno.test("createTrainEngine: without the C API it warns why and trains on the eager engine", () => {
  const model = createModel(parseModelName("resnet8-w4-8-8", 4), 1);
  const warnings: string[] = [];
  const engine = createTrainEngine(model, SGD_OPTIONS, {
    engine: "compiled",
    imageShape: [SIZE, SIZE, 3],
    api: { error: "no libtensorflow here" },
    warn: (message) => warnings.push(message),
  });
  try {
    assert.equal(engine.kind, "eager");
    assert.match(engine.fallbackReason!, /no libtensorflow here/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /compiled engine needs TensorFlow's C API: no libtensorflow here/);
    assert.match(warnings[0], /eager engine/);
    assert.throws(
      () =>
        createTrainEngine(model, SGD_OPTIONS, { engine: "fast" as "eager", imageShape: [8, 8, 3] }),
      /options\.engine must be one of compiled, eager, got "fast"/,
    );
    assert.equal(parseEngineKind(" Eager ", "--engine"), "eager");
    assert.equal(parseEngineKind("", "--engine"), undefined);
    assert.throws(() => parseEngineKind("jit", "CUTMIX_ENGINE"), /CUTMIX_ENGINE must be one of/);
  } finally {
    engine.dispose();
    model.dispose();
  }
});

testWhen(native, NO_CAPI, {
  name:
    "compiled engine: an op without a gradient or a bad channelMultiple fails when the engine is made, naming it",
  fn() {
    const model = createModel(parseModelName("resnet8-w4-8-8", 4), 1);
    // The same model with one graph op TensorFlow cannot differentiate before the classifier.
    const broken: ImageClassifier = {
      ...model,
      apply(ops, images) {
        const out = model.apply(ops, images);
        if (!(ops instanceof GraphLayerOps)) return out;
        const g = ops.graph;
        const logits = g.node("Cumprod", [out.logits as Output, g.constant([1], [], "int32")], {
          T: { type: "float32" },
          Tidx: { type: "int32" },
        });
        return { logits: logits as typeof out.logits, featuresNHWC: out.featuresNHWC };
      },
    };
    try {
      assert.throws(
        () => createTrainEngine(broken, SGD_OPTIONS, { engine: "compiled", imageShape: [8, 8, 3] }),
        /No gradient defined for op: Cumprod/,
      );
      for (const channelMultiple of [0, 2.5]) {
        assert.throws(
          () =>
            new CompiledTrainEngine(model, SGD_OPTIONS, { imageShape: [8, 8, 3], channelMultiple }),
          new RegExp(`channelMultiple must be a positive integer, got ${channelMultiple}`),
        );
      }
    } finally {
      model.dispose();
    }
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled engine: state round-trips through the model and the optimizer state; no leaks",
  fn() {
    const spec = parseModelName("resnet8-w4-8-8", 4);
    const model = createModel(spec, 1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      createTrainEngine(model, SGD_OPTIONS, { engine: "compiled", imageShape: [SIZE, SIZE, 3] })
        .dispose();
    }
    assert.equal(tf.memory().numTensors, before, "making and disposing engines keeps no tensors");
    const engine = createTrainEngine(model, SGD_OPTIONS, {
      engine: "compiled",
      imageShape: [SIZE, SIZE, 3],
    });
    const initial = values(model);
    for (const batch of batches(NONE, 2)) engine.step(batch, 0.1, new Random(0));
    assert.equal(tf.memory().numTensors, before, "steps keep no tensors");
    // The model's variables change only when synced.
    assert.deepEqual(values(model), initial);
    engine.syncToModel();
    const trained = values(model);
    assert.notDeepEqual(trained, initial);
    // Its evaluation-mode logits are the model's, from the session's own variables.
    const probe = tf.randomUniform([5, SIZE, SIZE, 3], 0, 1, "float32", 9) as Tensor4D;
    const eagerOut = model.forward(probe, { training: false });
    const compiledLogits = engine.logits!(probe);
    const gap = tf.tidy(() =>
      tf.max(tf.abs(tf.sub(compiledLogits, eagerOut.logits))).dataSync()[0] /
      tf.max(tf.abs(eagerOut.logits)).dataSync()[0]
    );
    assert.ok(gap < 1e-5, `evaluation logits differ by ${gap} of their scale`);
    tf.dispose([probe, eagerOut.logits, eagerOut.featuresNHWC, compiledLogits]);
    const momentum = engine.optimizerState();
    assert.deepEqual([...momentum.keys()], [...model.parameters.trainable.keys()]);
    // A second engine loaded from the model and the saved momentum continues identically.
    const copy = createModel(spec, 2);
    for (const [name, v] of copy.parameters.all()) {
      v.assign(tf.tensor(trained.get(name)!, v.shape));
    }
    const resumed = createTrainEngine(copy, SGD_OPTIONS, {
      engine: "compiled",
      imageShape: [SIZE, SIZE, 3],
    });
    resumed.loadOptimizerState(momentum);
    try {
      for (const batch of batches(NONE, 1)) {
        assert.equal(
          resumed.step(batch, 0.1, new Random(0)),
          engine.step(batch, 0.1, new Random(0)),
        );
      }
      engine.syncToModel();
      resumed.syncToModel();
      assert.deepEqual(values(copy), values(model));
      assert.throws(
        () => resumed.loadOptimizerState(new Map()),
        /no saved momentum for "stem\.conv\.kernel"/,
      );
    } finally {
      engine.dispose();
      resumed.dispose();
      copy.dispose();
      model.dispose();
    }
    assert.throws(() => engine.syncToModel(), /used after dispose/);
  },
});
