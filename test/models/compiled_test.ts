import assert from "node:assert/strict";
import { testWhen } from "../_skip.ts";
import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { fgsmAttack } from "../../lib/metrics/fgsm.ts";
import { compileClassifier } from "../../lib/models/compiled.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import { openCApi, requireCApi } from "../../lib/tf_capi/binding.ts";
import { Graph } from "../../lib/tf_capi/graph.ts";
import { Session } from "../../lib/tf_capi/session.ts";
import { GraphLayerOps, ModelGraphVariables } from "../../lib/models/graph_ops.ts";
import { batchNormPlan } from "../../lib/native_kernels.ts";

const native = !("error" in openCApi());
const NO_CAPI =
  "TensorFlow's C API is not available (the compiled engine needs native TensorFlow: ./run setup)";

/** max |a − b| / max |b|. */
function relative(a: Tensor, b: Tensor): number {
  return tf.tidy(() =>
    tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-12)
  );
}

testWhen(native, NO_CAPI, {
  name: "compiled inference: logits, feature map and input gradient as the eager model's",
  fn() {
    const before = tf.memory().numTensors;
    for (const name of ["resnet8-w4-8-8", "pyramidnet11-a4-bottleneck-shakedrop0.5"]) {
      const model = createModel(parseModelName(name, 4), 3);
      // Non-trivial running statistics, so evaluation mode differs from training mode.
      for (const [key, v] of model.parameters.buffers) {
        const values = Float32Array.from(
          { length: v.size },
          (_, i) => key.endsWith("Mean") ? 0.1 * Math.sin(i) : 1 + 0.5 * Math.cos(i),
        );
        tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
      }
      const compiled = compileClassifier(model, { imageShape: [8, 8, 3] });
      const images = tf.randomUniform([6, 8, 8, 3], 0, 1, "float32", 4) as Tensor4D;
      const labels = tf.tensor1d([0, 1, 2, 3, 0, 1], "int32") as Tensor1D;
      try {
        const eager = model.forward(images, { training: false });
        const graph = compiled.forward(images);
        // Same arithmetic, other kernels: float32 rounding in another order.
        assert.ok(relative(graph.logits, eager.logits) < 1e-5, `${name} logits`);
        assert.ok(relative(graph.featuresNHWC, eager.featuresNHWC) < 1e-5, `${name} features`);
        const logits = compiled.logits(images);
        assert.deepEqual(logits.dataSync(), graph.logits.dataSync());
        const eagerGradient = tf.grad((x: Tensor) => {
          const z = model.forward(x as Tensor4D, { training: false }).logits;
          return tf.neg(tf.sum(tf.mul(tf.oneHot(labels, 4), tf.logSoftmax(z))));
        })(images);
        const graphGradient = compiled.inputGradient(images, labels);
        assert.ok(relative(graphGradient, eagerGradient) < 1e-4, `${name} input gradient`);
        const attacked = fgsmAttack(
          (x) => compiled.logits(x),
          images,
          labels,
          8 / 255,
          (x, y) => compiled.inputGradient(x, y),
        );
        assert.deepEqual(attacked.shape, images.shape);
        tf.dispose([
          eager.logits,
          eager.featuresNHWC,
          graph.logits,
          graph.featuresNHWC,
          logits,
          eagerGradient,
          graphGradient,
          attacked,
        ]);
        // refresh() takes the model's variables again.
        const kernel = model.classifier.kernel;
        tf.tidy(() => kernel.assign(tf.zerosLike(kernel)));
        compiled.refresh();
        const refreshed = compiled.logits(images);
        const bias = tf.tidy(() => tf.tile(tf.reshape(model.classifier.bias, [1, 4]), [6, 1]));
        assert.ok(relative(refreshed, bias) < 1e-6);
        tf.dispose([refreshed, bias]);
        const small = tf.zeros([1, 4, 4, 3]) as Tensor4D;
        assert.throws(() => compiled.logits(small), /\[N, 8, 8, 3\]/);
        small.dispose();
      } finally {
        tf.dispose([images, labels]);
        compiled.dispose();
        model.dispose();
      }
    }
    assert.equal(tf.memory().numTensors, before);
  },
});

testWhen(native, NO_CAPI, {
  name: "compiled inference: a batch norm that does not fold runs on Eigen's kernel, not oneDNN's",
  fn() {
    // pyramidnet8-a4 (widths 16, 17, 19, 20): every block's pre-activation bn1 and the head's
    // batch norm follow no convolution. oneDNN's inference batch norm is slow at every width
    // (docs/performance.md): with oneDNN on, none of them may run there, even at 16 or 20.
    const model = createModel(parseModelName("pyramidnet8-a4", 4), 1);
    const graph = new Graph(requireCApi());
    const session = new Session(graph);
    try {
      const variables = new ModelGraphVariables(graph, model.parameters);
      const images = graph.placeholder("float32", [-1, 8, 8, 3]);
      const ops = new GraphLayerOps(graph, variables, { training: false });
      const { logits } = model.apply(ops, images);
      variables.copyIn(session, model.parameters);
      const { nodes } = session.runTraced([{
        input: images,
        dtype: "float32",
        shape: [2, 8, 8, 3],
        values: new Float32Array(2 * 8 * 8 * 3).fill(0.5),
      }], [logits]);
      const batchNorms = nodes.map((n) => n.op).filter((op) => op.includes("FusedBatchNorm"));
      // 3 blocks' bn1 and the head's; the others fold into their convolution.
      assert.equal(batchNorms.length, 4, batchNorms.join(", "));
      if (batchNormPlan(16) === "oneDnn") {
        assert.deepEqual(batchNorms, new Array(4).fill("FusedBatchNormV3"));
      }
    } finally {
      session.dispose();
      graph.dispose();
      model.dispose();
    }
  },
});
