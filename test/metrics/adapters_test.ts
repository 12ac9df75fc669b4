import assert from "node:assert/strict";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  classifierKernel,
  type FeatureClassifier,
  inferenceForward,
  inferenceLogits,
} from "../../lib/metrics/adapters.ts";

Deno.test("adapters: inference mode, features disposed by inferenceLogits", () => {
  const before = tf.memory().numTensors;
  const kernel = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
  const modes: boolean[] = [];
  const model: FeatureClassifier = {
    classifier: { kernel },
    forward(x, { training }) {
      modes.push(training);
      return tf.tidy(() => {
        const featuresNHWC = tf.relu(x) as Tensor4D;
        return {
          featuresNHWC,
          logits: tf.matMul(tf.mean(featuresNHWC, [1, 2]), kernel) as Tensor2D,
        };
      });
    },
  };
  const images = tf.ones([2, 2, 2, 3]) as Tensor4D;
  const logits = inferenceLogits(model)(images);
  assert.deepEqual(logits.arraySync(), [[2, 2], [2, 2]]);
  const { logits: again, featuresNHWC } = inferenceForward(model)(images);
  assert.deepEqual(featuresNHWC.shape, [2, 2, 2, 3]);
  assert.equal(classifierKernel(model), kernel);
  assert.deepEqual(modes, [false, false]);
  tf.dispose([kernel, images, logits, again, featuresNHWC]);
  assert.equal(tf.memory().numTensors, before);
});
