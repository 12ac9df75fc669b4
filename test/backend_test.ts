import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Rank, Scalar, Tensor4D, Variable } from "@tensorflow/tfjs-core";
import { currentBackend, useBackend } from "../lib/backend.ts";
import { backendOptionsFromEnv } from "../tools/backend_env.ts";
import { backendInfo, tf } from "./_backend.ts";
import { testWhen } from "./_skip.ts";

const root = join(import.meta.dirname!, "..");

/** Why the native-only tests cannot run here (they need lib/backend.ts's native TensorFlow). */
const NO_NATIVE = `native TensorFlow is not active (${
  backendInfo.fallbackReason ?? `CUTMIX_BACKEND=${backendInfo.requested}`
}): run ./run setup`;

Deno.test("backend: reports which backend the suite runs on", () => {
  console.log(
    `backend: ${backendInfo.name} via ${backendInfo.packageName} (native: ${backendInfo.native}` +
      (backendInfo.native ? `, oneDNN ${backendInfo.oneDnn})` : ")"),
  );
  assert.equal(tf.getBackend(), backendInfo.name);
});

const backendRecord = join(root, ".cache/backend.json");

/** Runs `code` with `deno eval` in a fresh process (TensorFlow reads its variables once). */
async function evalFresh(
  code: string,
  env: Record<string, string | undefined>,
): Promise<{ stdout: string; stderr: string }> {
  const childEnv = Deno.env.toObject();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: root,
    env: childEnv,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.ok(success, decode(stderr));
  return { stdout: decode(stdout).trim(), stderr: decode(stderr) };
}

const backendEnv = JSON.stringify(join(root, "tools/backend_env.ts"));

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
    // TensorFlow prints this banner when it loads with oneDNN on.
    const banner = "oneDNN custom operations are on";
    const code = `const { useBackendFromEnv } = await import(${backendEnv});
const info = await useBackendFromEnv();
console.log(JSON.stringify([info.oneDnn, info.oneDnnEnabled, Deno.env.get("TF_ENABLE_ONEDNN_OPTS")]));`;
    const defaults = await evalFresh(code, { TF_ENABLE_ONEDNN_OPTS: undefined });
    assert.equal(defaults.stdout, '[true,true,"1"]');
    assert.match(defaults.stderr, new RegExp(banner));
    const off = await evalFresh(code, { TF_ENABLE_ONEDNN_OPTS: "0" });
    assert.equal(off.stdout, '[false,false,"0"]');
    assert.doesNotMatch(off.stderr, new RegExp(banner));
  },
});

testWhen(backendInfo.native, NO_NATIVE, {
  name: "backend: oneDNN's conv-gradient primitives are cached unless the user chose otherwise",
  async fn() {
    const code = `const { useBackendFromEnv } = await import(${backendEnv});
const info = await useBackendFromEnv();
console.log(JSON.stringify([info.cacheOneDnnPrimitives, Deno.env.get("TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE")]));`;
    const unset = { TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE: undefined };
    assert.equal((await evalFresh(code, unset)).stdout, '[true,"false"]');
    const user = { TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE: "true" };
    assert.equal((await evalFresh(code, user)).stdout, '[false,"true"]');
  },
});

Deno.test("backend: importing every lib module loads no backend and sets no variable", async () => {
  const modules: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) modules.push(path);
    }
  };
  walk(join(root, "lib"));
  assert.ok(modules.length > 40, `only ${modules.length} lib modules found`);
  const code = `const before = Deno.env.toObject();
for (const path of ${JSON.stringify(modules.sort())}) await import(path);
const tf = await import("@tensorflow/tfjs-core");
const { requireBackend } = await import(${JSON.stringify(join(root, "lib/backend.ts"))});
let error = "";
try { requireBackend(); } catch (e) { error = e.message; }
console.log(JSON.stringify({
  envChanged: Object.entries(Deno.env.toObject()).filter(([k, v]) => before[k] !== v).map(([k]) => k)
    .concat(Object.keys(before).filter((k) => Deno.env.get(k) === undefined)),
  tensorflowRegistered: Boolean(tf.findBackendFactory("tensorflow")),
  cpuRegistered: Boolean(tf.findBackendFactory("cpu")),
  error,
}));`;
  const { stdout } = await evalFresh(code, {});
  const seen = JSON.parse(stdout.split("\n").pop()!);
  assert.deepEqual(
    { ...seen, error: seen.error.split(":")[0] },
    {
      envChanged: [],
      tensorflowRegistered: false,
      cpuRegistered: false,
      error: "no backend chosen yet",
    },
  );
});

Deno.test("backend: a second useBackend may change fusedKernels only", async () => {
  const options = backendOptionsFromEnv();
  const other = options.kind === "cpu" ? "tensorflow" : "cpu";
  await assert.rejects(
    () => useBackend({ ...options, kind: other }),
    new RegExp(`already loaded with kind "${options.kind}".*kind "${other}" needs a new process`),
  );
  try {
    assert.equal((await useBackend({ ...options, fusedKernels: false })).fusedKernels, false);
    assert.equal(currentBackend()?.fusedKernels, false);
  } finally {
    await useBackend(options);
  }
  assert.equal(currentBackend()?.fusedKernels, options.fusedKernels);
  assert.equal(currentBackend()?.name, backendInfo.name);
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
