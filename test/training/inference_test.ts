import assert from "node:assert/strict";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { evaluateFgsmCurve } from "../../lib/metrics/fgsm.ts";
import { inferenceLogits } from "../../lib/metrics/adapters.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import { openCApi } from "../../lib/tf_capi/binding.ts";
import { inferencePath } from "../../lib/training/inference.ts";

const native = !("error" in openCApi());

/** max |a − b| / max |b|. */
function relative(a: Tensor, b: Tensor): number {
  return tf.tidy(() =>
    tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-12)
  );
}

/** A small model with non-trivial running statistics (so evaluation mode matters). */
function smallModel() {
  const model = createModel(parseModelName("resnet8-w4-8-8", 4), 3);
  for (const [key, v] of model.parameters.buffers) {
    const values = Float32Array.from(
      { length: v.size },
      (_, i) => key.endsWith("Mean") ? 0.1 * Math.sin(i) : 1 + 0.5 * Math.cos(i),
    );
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
  return model;
}

Deno.test("inferencePath eager: the model's evaluation-mode logits, FGSM through tf.grad", () => {
  const before = tf.memory().numTensors;
  const model = smallModel();
  const path = inferencePath(model, { imageShape: [8, 8, 3], engine: "eager" });
  assert.equal(path.engine, "eager");
  assert.equal(path.inputGradient, undefined);
  assert.equal(path.fallbackReason, undefined);
  const images = tf.randomUniform([5, 8, 8, 3], 0, 1, "float32", 1) as Tensor4D;
  const ours = path.logits(images);
  const reference = inferenceLogits(model)(images);
  assert.deepEqual(ours.dataSync(), reference.dataSync());
  tf.dispose([images, ours, reference]);
  path.dispose();
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(
    () => inferencePath(model, { imageShape: [8, 8, 3], engine: "graph" as "eager" }),
    /options.engine must be one of compiled, eager, got "graph"/,
  );
});

Deno.test("inferencePath default: compiled on native TensorFlow (same logits and FGSM curve), else eager with the reason", async () => {
  const before = tf.memory().numTensors;
  const model = smallModel();
  const warnings: string[] = [];
  const path = inferencePath(model, { imageShape: [8, 8, 3], warn: (m) => warnings.push(m) });
  const images = tf.randomUniform([12, 8, 8, 3], 0, 1, "float32", 2) as Tensor4D;
  const labels = new Int32Array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
  try {
    if (native) {
      assert.equal(path.engine, "compiled");
      assert.equal(typeof path.inputGradient, "function");
      assert.deepEqual(warnings, []);
    } else {
      // The pure-JS backend has no C API: the default engine is eager and nothing is warned.
      assert.equal(path.engine, "eager");
      const forced = inferencePath(model, {
        imageShape: [8, 8, 3],
        engine: "compiled",
        warn: (m) => warnings.push(m),
      });
      assert.equal(forced.engine, "eager");
      assert.match(forced.fallbackReason!, /C API/);
      assert.match(warnings[0], /Evaluating on the eager engine instead/);
    }
    const ours = path.logits(images);
    const reference = inferenceLogits(model)(images);
    assert.deepEqual(ours.shape, [12, 4]);
    assert.ok(relative(ours, reference) < 1e-5, "logits as the eager model's");
    tf.dispose([ours, reference]);
    const batches = [{ imagesNHWC: images, labels }];
    const curve = await evaluateFgsmCurve(path.logits, batches, {
      epsilons: [0, 1 / 255, 8 / 255, 32 / 255],
      inputGradient: path.inputGradient,
    });
    const eager = await evaluateFgsmCurve(inferenceLogits(model), batches, {
      epsilons: [0, 1 / 255, 8 / 255, 32 / 255],
    });
    // The same images flip on both engines (only float32 round-off differs between them).
    assert.deepEqual(curve, eager);
  } finally {
    path.dispose();
    images.dispose();
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});
