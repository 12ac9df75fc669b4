import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Rank, Scalar, Tensor4D, Variable } from "@tensorflow/tfjs-node";
import { backendInfo, tf } from "../lib/backend.ts";
import { testWhen } from "./_skip.ts";

const root = join(import.meta.dirname!, "..");

/** Why the native-only tests cannot run here (they need lib/backend.ts's native TensorFlow). */
const NO_NATIVE = `native TensorFlow is not active (${
  backendInfo.fallbackReason ?? `CUTMIX_BACKEND=${backendInfo.requested}`
}): run ./run setup`;

Deno.test("backend: reports which backend the suite runs on", () => {
  console.log(
    `backend: ${backendInfo.name} via ${backendInfo.packageName} (native: ${backendInfo.native}` +
      (backendInfo.native ? `, TF_ENABLE_ONEDNN_OPTS=${backendInfo.oneDnn})` : ")"),
  );
  assert.equal(tf.getBackend(), backendInfo.name);
});

const backendRecord = join(root, ".cache/backend.json");

testWhen(
  existsSync(backendRecord) && backendInfo.requested !== "cpu",
  backendInfo.requested === "cpu"
    ? "CUTMIX_BACKEND=cpu: native TensorFlow not asked for"
    : "no .cache/backend.json: setup did not build native TensorFlow (run ./run setup)",
  {
    name: "backend: native TensorFlow is active when setup built it",
    fn: () => {
      const built = JSON.parse(Deno.readTextFileSync(backendRecord));
      assert.equal(
        backendInfo.native,
        true,
        `setup built ${built.packageName} (${built.method}) but the backend is ${backendInfo.name}: ` +
          (backendInfo.fallbackReason ?? ""),
      );
      assert.equal(tf.getBackend(), "tensorflow");
    },
  },
);

testWhen(backendInfo.native, NO_NATIVE, {
  name: "backend: native TensorFlow runs with oneDNN unless the user turned it off",
  async fn() {
    // TensorFlow prints this banner when it loads with oneDNN on; the variable is read only then,
    // so the check needs a fresh process without the variable.
    const banner = "oneDNN custom operations are on";
    const load = async (oneDnn: string | undefined) => {
      const env = Deno.env.toObject();
      delete env.TF_ENABLE_ONEDNN_OPTS;
      if (oneDnn !== undefined) env.TF_ENABLE_ONEDNN_OPTS = oneDnn;
      const command = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `const { backendInfo } = await import(${JSON.stringify(join(root, "lib/backend.ts"))});` +
          "console.log(JSON.stringify([backendInfo.oneDnn, backendInfo.oneDnnEnabled]));",
        ],
        cwd: root,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      });
      const { success, stdout, stderr } = await command.output();
      const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      return { success, stdout: decode(stdout).trim(), stderr: decode(stderr) };
    };
    const defaults = await load(undefined);
    assert.ok(defaults.success, defaults.stderr);
    assert.equal(defaults.stdout, '["1 (set by lib/backend.ts)",true]');
    assert.match(defaults.stderr, new RegExp(banner));
    const off = await load("0");
    assert.ok(off.success, off.stderr);
    assert.equal(off.stdout, '["0 (user)",false]');
    assert.doesNotMatch(off.stderr, new RegExp(banner));
  },
});

testWhen(backendInfo.native, NO_NATIVE, {
  name: "backend: oneDNN's conv-gradient primitives are cached unless the user chose otherwise",
  async fn() {
    const load = async (memUse: string | undefined) => {
      const env = Deno.env.toObject();
      delete env.TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE;
      if (memUse !== undefined) env.TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE = memUse;
      const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `const { backendInfo } = await import(${JSON.stringify(join(root, "lib/backend.ts"))});` +
          "console.log(JSON.stringify([backendInfo.oneDnnPrimitiveMemUse, " +
          "Deno.env.get('TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE')]));",
        ],
        cwd: root,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      assert.ok(success, decode(stderr));
      return decode(stdout).trim();
    };
    assert.equal(await load(undefined), '["false (set by lib/backend.ts)","false"]');
    assert.equal(await load("true"), '["true (user)","true"]');
  },
});

Deno.test("backend: a tiny conv net trains and its loss goes down", () => {
  const before = tf.memory().numTensors;
  // 64 images of 8x8x3: class 1 images are brighter in the centre, class 0 at the border.
  const losses = tf.tidy(() => {
    const noise = tf.randomUniform([64, 8, 8, 3], 0, 0.5, "float32", 7);
    const centre = tf.pad(tf.ones([1, 4, 4, 3]), [[0, 0], [2, 2], [2, 2], [0, 0]]);
    const labels = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 2), "int32");
    const isOne = labels.cast("float32").reshape([64, 1, 1, 1]);
    const images = noise.add(
      isOne.mul(centre).add(tf.scalar(1).sub(isOne).mul(tf.scalar(1).sub(centre))).mul(0.5),
    );
    const targets = tf.oneHot(labels, 2).cast("float32");
    const kernel = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, "float32", 11));
    const dense = tf.variable(tf.randomNormal([4, 2], 0, 0.3, "float32", 13));
    const bias = tf.variable(tf.zeros([2]));
    const optimizer = tf.train.sgd(0.5);
    const history: number[] = [];
    for (let step = 0; step < 60; step++) {
      const cost = optimizer.minimize(
        () => {
          const features = tf.relu(
            tf.conv2d(images as Tensor4D, kernel as Variable<Rank.R4>, 1, "same"),
          );
          const logits = tf.matMul(tf.mean(features, [1, 2]), dense).add(bias);
          return tf.losses.softmaxCrossEntropy(targets, logits) as Scalar;
        },
        true,
        [kernel, dense, bias],
      );
      history.push(cost!.dataSync()[0]);
    }
    optimizer.dispose();
    kernel.dispose();
    dense.dispose();
    bias.dispose();
    return history;
  });
  assert.equal(tf.memory().numTensors, before, "the training loop leaked tensors");
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
  console.log(`loss ${first.toFixed(4)} → ${last.toFixed(4)} on ${backendInfo.name}`);
  assert.ok(last < 0.7 * first, `loss did not go down: ${first} → ${last}`);
});
