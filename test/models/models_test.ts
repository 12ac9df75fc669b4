import assert from "node:assert/strict";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import type { FeatureMix, MixLayer } from "../../lib/augment/types.ts";
import { createModel, type ModelSpec, parseModelName } from "../../lib/models/mod.ts";
import { pyramidWidths, roundHalfEven } from "../../lib/models/pyramidnet.ts";
import { Random } from "../../lib/random.ts";

function count(spec: ModelSpec): number {
  const model = createModel(spec, 0);
  const n = model.parameterCount();
  model.dispose();
  return n;
}

Deno.test("parameter counts match the papers' tables", () => {
  const before = tf.memory().numTensors;
  // He et al. 2016 Table 6: ResNet-20 0.27M, ResNet-56 0.85M, ResNet-110 1.7M.
  assert.equal(count(parseModelName("resnet20")), 272_474);
  assert.equal(count(parseModelName("resnet56")), 855_770);
  assert.equal(count(parseModelName("resnet110")), 1_730_714);
  // Option A has no projection convs: 2,560 conv + 192 BN parameters fewer.
  assert.equal(count(parseModelName("resnet110-A")), 1_730_714 - 2_560 - 192);
  // Han et al. 2017 Table 4: PyramidNet-110 α = 48, "1.7M" (the table truncates: 1,772,706).
  assert.equal(count(parseModelName("pyramidnet110-a48")), 1_772_706);
  // α = 64 (basic) is 2.6M with the reference architecture, not 1.7M.
  assert.equal(count(parseModelName("pyramidnet110-a64")), 2_616_376);
  // CutMix Tables 5 and 7 / PyramidNet paper: PyramidNet-200, α = 240, bottleneck, 26.8M.
  assert.equal(count(parseModelName("pyramidnet200-a240-bottleneck")), 26_752_702);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("pyramidWidths follows the reference code's additive widening and Python rounding", () => {
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.equal(roundHalfEven(3.4999), 3);
  // depth 20 basic: n = 3, α = 18 → +2 per block: 18, 20, 22 | 24, 26, 28 | 30, 32, 34.
  const stages = pyramidWidths(20, 18, false);
  assert.deepEqual(stages.map((s) => s.map((b) => b.planes)), [[18, 20, 22], [24, 26, 28], [
    30,
    32,
    34,
  ]]);
  assert.deepEqual(stages[1].map((b) => b.inChannels), [22, 24, 26]);
  const bottleneck = pyramidWidths(200, 240, true);
  assert.equal(bottleneck[2].at(-1)!.planes, 256);
  assert.equal(bottleneck[1][0].inChannels, 4 * bottleneck[0].at(-1)!.planes);
});

Deno.test("forward: logits, last feature map, classifier shape, no leaks", () => {
  for (const name of ["resnet8-w4-8-16", "resnet8-w4-8-16-A", "pyramidnet11-a9-bottleneck"]) {
    const model = createModel(parseModelName(name, 5), 3);
    const images = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 1) as Tensor4D;
    const before = tf.memory().numTensors;
    for (const training of [true, false]) {
      const { logits, featuresNHWC } = model.forward(images, { training });
      assert.deepEqual(logits.shape, [2, 5]);
      assert.equal(featuresNHWC.shape[1], 2);
      assert.equal(featuresNHWC.shape[3], model.classifier.kernel.shape[0]);
      assert.ok(Array.from(logits.dataSync()).every(Number.isFinite));
      tf.dispose([logits, featuresNHWC]);
    }
    assert.equal(tf.memory().numTensors, before, name);
    images.dispose();
    model.dispose();
  }
});

Deno.test("every model trains: a finite gradient reaches every trainable variable, no leaks", () => {
  for (const name of ["resnet8-w4-8-16", "resnet8-w4-8-16-A", "pyramidnet11-a9-bottleneck"]) {
    const model = createModel(parseModelName(name, 5), 3);
    const images = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 1) as Tensor4D;
    const weights = tf.randomNormal([2, 5], 0, 1, "float32", 2);
    const before = tf.memory().numTensors;
    const variables = [...model.parameters.trainable.values()];
    const { value, grads } = tf.variableGrads(() => {
      const { logits, featuresNHWC } = model.forward(images, { training: true });
      featuresNHWC.dispose();
      return tf.sum(tf.mul(logits, weights));
    }, variables);
    for (const v of variables) {
      const g = grads[v.name];
      assert.ok(g !== undefined, `${name}: no gradient for ${v.name}`);
      assert.deepEqual(g.shape, v.shape);
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${name}: ${v.name}`);
    }
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, name);
    tf.dispose([images, weights]);
    model.dispose();
  }
});

Deno.test("feature mixing happens at the named points with the right resolutions", () => {
  const model = createModel(parseModelName("resnet8-w4-8-16"), 0);
  const pyramid = createModel({ arch: "pyramidnet", depth: 8, alpha: 6 }, 0);
  const images = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 2) as Tensor4D;
  const expected: Record<MixLayer, number[]> = {
    0: [2, 8, 8, 3],
    1: [2, 8, 8, 4],
    2: [2, 8, 8, 4],
    3: [2, 4, 4, 8],
    4: [2, 2, 2, 16],
  };
  for (const layer of [0, 1, 2, 3, 4] as MixLayer[]) {
    const seen: number[][] = [];
    const mix: FeatureMix = {
      layer,
      mix(x: Tensor4D) {
        seen.push(x.shape);
        return tf.reverse(x, 0); // swap the two samples
      },
    };
    const plain = model.forward(images, { training: false });
    const mixed = model.forward(images, { training: false, featureMix: mix });
    assert.deepEqual(seen, [expected[layer]]);
    // Swapping the batch at any point before the (per-sample, eval-mode) rest swaps the outputs.
    const swapped = tf.reverse(plain.logits, 0);
    assert.ok(tf.max(tf.abs(tf.sub(swapped, mixed.logits))).dataSync()[0] < 1e-4);
    tf.dispose([plain.logits, plain.featuresNHWC, mixed.logits, mixed.featuresNHWC, swapped]);
    const shapes: number[][] = [];
    const out = pyramid.forward(images, {
      training: true,
      featureMix: { layer, mix: (x) => (shapes.push(x.shape), x.clone()) },
    });
    assert.equal(shapes.length, 1);
    tf.dispose([out.logits, out.featuresNHWC]);
  }
  images.dispose();
  model.dispose();
  pyramid.dispose();
});

Deno.test("same seed, same weights; ShakeDrop needs an rng and is deterministic given one", () => {
  const a = createModel(parseModelName("resnet8-w4-8-16"), 11);
  const b = createModel(parseModelName("resnet8-w4-8-16"), 11);
  const c = createModel(parseModelName("resnet8-w4-8-16"), 12);
  const names = [...a.parameters.trainable.keys()];
  assert.deepEqual(names, [...b.parameters.trainable.keys()]);
  assert.deepEqual(
    Array.from(a.parameters.trainable.get("stem.conv.kernel")!.dataSync()),
    Array.from(b.parameters.trainable.get("stem.conv.kernel")!.dataSync()),
  );
  assert.notDeepEqual(
    Array.from(a.parameters.trainable.get("stem.conv.kernel")!.dataSync()),
    Array.from(c.parameters.trainable.get("stem.conv.kernel")!.dataSync()),
  );
  [a, b, c].forEach((m) => m.dispose());

  const shake = createModel(parseModelName("pyramidnet8-a6-shakedrop0.5"), 0);
  const images = tf.randomUniform([4, 8, 8, 3], 0, 1, "float32", 3) as Tensor4D;
  assert.throws(() => shake.forward(images, { training: true }), /needs options.rng/);
  const run = (seed: number) => {
    const { logits, featuresNHWC } = shake.forward(images, {
      training: true,
      rng: new Random(seed),
    });
    const values = Array.from(logits.dataSync());
    tf.dispose([logits, featuresNHWC]);
    return values;
  };
  assert.deepEqual(run(1), run(1));
  images.dispose();
  shake.dispose();
});

Deno.test("bad specs throw naming the argument", () => {
  assert.throws(
    () => createModel({ arch: "resnet", depth: 21 }, 0),
    /depth must be 6n \+ 2.*got 21/,
  );
  assert.throws(
    () => createModel({ arch: "pyramidnet", depth: 110 + 1, alpha: 64, bottleneck: true }, 0),
    /depth must be 9n \+ 2 .*got 111/,
  );
  assert.throws(() => createModel({ arch: "resnet", depth: 8, numClasses: 1 }, 0), /numClasses/);
  assert.throws(() => parseModelName("vgg16"), /model name "vgg16"/);
  assert.throws(() => createModel({ arch: "mlp" } as never, 0), /spec.arch must be/);
});
