import assert from "node:assert/strict";
import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { SGD } from "../../lib/training/optimizer.ts";

/** torch.optim.SGD (dampening 0) in float64, the reference. */
function torchSGD(
  p: number[],
  gradOf: (p: number[]) => number[],
  steps: { lr: number }[],
  opts: { momentum: number; nesterov: boolean; weightDecay: number },
): number[] {
  let v: number[] | undefined;
  for (const { lr } of steps) {
    const g = gradOf(p);
    const d = g.map((gi, i) => gi + opts.weightDecay * p[i]);
    v = v === undefined ? [...d] : v.map((vi, i) => opts.momentum * vi + d[i]);
    const u = opts.nesterov ? d.map((di, i) => di + opts.momentum * v![i]) : v;
    p = p.map((pi, i) => pi - lr * u[i]);
  }
  return p;
}

function run(opts: { momentum: number; nesterov: boolean; weightDecay: number }, lrs: number[]) {
  const w = tf.variable(tf.tensor1d([1, -2, 0.5]));
  const beforeSgd = tf.memory().numTensors;
  const sgd = new SGD(new Map([["w", w]]), opts);
  const before = tf.memory().numTensors;
  for (const lr of lrs) {
    // loss = Σ w³/3 → gradient w².
    const { value, grads } = tf.variableGrads(() => w.pow(3).sum().div(3) as Scalar, [w]);
    sgd.step(new Map<string, Tensor>([["w", grads[w.name]]]), lr);
    tf.dispose([value, grads[w.name]]);
  }
  assert.equal(tf.memory().numTensors, before);
  const out = Array.from(w.dataSync());
  sgd.dispose();
  assert.equal(tf.memory().numTensors, beforeSgd, "SGD left tensors behind after dispose");
  w.dispose();
  return out;
}

Deno.test("SGD matches torch.optim.SGD: Nesterov, classic momentum, plain, with weight decay", () => {
  const lrs = [0.1, 0.1, 0.05, 0.01];
  for (
    const opts of [
      { momentum: 0.9, nesterov: true, weightDecay: 0.1 },
      { momentum: 0.9, nesterov: false, weightDecay: 0.1 },
      { momentum: 0, nesterov: false, weightDecay: 0 },
    ]
  ) {
    const expected = torchSGD(
      [1, -2, 0.5],
      (p) => p.map((x) => x * x),
      lrs.map((lr) => ({ lr })),
      opts,
    );
    const actual = run(opts, lrs);
    actual.forEach((a, i) =>
      assert.ok(
        Math.abs(a - expected[i]) < 1e-5,
        `${JSON.stringify(opts)} [${i}] ${a} vs ${expected[i]}`,
      )
    );
  }
  // One step by hand (Nesterov, wd 0.1, μ 0.9, lr 0.5, w = 1, g = 1): d = 1.1, v = 1.1,
  // update = 1.1 + 0.99 = 2.09, w = 1 − 1.045 = −0.045.
  assert.ok(
    Math.abs(run({ momentum: 0.9, nesterov: true, weightDecay: 0.1 }, [0.5])[0] + 0.045) < 1e-6,
  );
});

Deno.test("SGD state round-trips and bad options throw naming the value", () => {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const sgd = new SGD(new Map([["w", w]]), { momentum: 0.5, nesterov: false, weightDecay: 0 });
  const g = tf.tensor1d([1, 1]);
  sgd.step(new Map([["w", g]]), 0.1);
  const saved = sgd.state().get("w")!;
  assert.deepEqual(Array.from(saved.values), [1, 1]);
  const other = new SGD(new Map([["w", w]]), { momentum: 0.5, nesterov: false, weightDecay: 0 });
  other.loadState(new Map([["w", saved]]));
  assert.deepEqual(Array.from(other.state().get("w")!.values), [1, 1]);
  assert.throws(() => other.loadState(new Map()), /no saved momentum for "w"/);
  assert.throws(() => sgd.step(new Map(), 0.1), /no gradient for variable "w"/);
  assert.throws(() => sgd.step(new Map([["w", g]]), -1), /lr must be .* got -1/);
  assert.throws(
    () => new SGD(new Map(), { momentum: 1, nesterov: false, weightDecay: 0 }),
    /momentum must be in \[0, 1\), got 1/,
  );
  assert.throws(
    () => new SGD(new Map(), { momentum: 0, nesterov: true, weightDecay: 0 }),
    /nesterov needs momentum > 0/,
  );
  assert.throws(
    () => new SGD(new Map(), { momentum: 0.9, nesterov: true, weightDecay: -1 }),
    /weightDecay must be .* got -1/,
  );
  [sgd, other].forEach((s) => s.dispose());
  tf.dispose([w, g]);
});

/** The per-variable update SGD made before it stacked variables by shape: the exact reference. */
function perVariableStep(
  params: Map<string, Tensor>,
  velocity: Map<string, Tensor>,
  grads: Map<string, Tensor>,
  lr: number,
  opts: { momentum: number; nesterov: boolean; weightDecay: number },
): void {
  for (const [name, p] of params) {
    const g = grads.get(name)!;
    const d = tf.add(g, tf.mul(p, opts.weightDecay));
    const next = tf.add(tf.mul(velocity.get(name)!, opts.momentum), d);
    const update = opts.nesterov ? tf.add(d, tf.mul(next, opts.momentum)) : next;
    velocity.set(name, tf.keep(next));
    params.set(name, tf.keep(tf.sub(p, tf.mul(update, lr))));
  }
}

Deno.test("SGD stacks same-shape variables with bit-identical results, no leaks, state per variable", () => {
  const opts = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
  const shapes: [string, number[]][] = [
    ["conv1", [3, 3, 2, 4]],
    ["bn1/gamma", [4]],
    ["conv2", [3, 3, 2, 4]],
    ["bn1/beta", [4]],
    ["fc", [4, 3]],
    ["conv3", [3, 3, 2, 4]],
  ];
  const initial = new Map(
    shapes.map(([name, shape], i) => [name, tf.randomNormal(shape, 0, 1, "float32", i)]),
  );
  const variables = new Map([...initial].map(([name, t]) => [name, tf.variable(t.clone())]));
  const sgd = new SGD(variables, opts);
  let refParams = new Map([...initial].map(([name, t]) => [name, t.clone() as Tensor]));
  let refVelocity = new Map([...initial].map(([name, t]) => [name, tf.zerosLike(t) as Tensor]));
  const before = tf.memory().numTensors;
  for (let step = 0; step < 4; step++) {
    const grads = new Map(
      shapes.map(([name, shape], i) => [
        name,
        tf.randomNormal(shape, 0, 1, "float32", 100 * step + i) as Tensor,
      ]),
    );
    sgd.step(grads, 0.1 / (step + 1));
    const oldParams = refParams;
    const oldVelocity = refVelocity;
    refParams = new Map(oldParams);
    refVelocity = new Map(oldVelocity);
    tf.tidy(() => perVariableStep(refParams, refVelocity, grads, 0.1 / (step + 1), opts));
    tf.dispose([...oldParams.values(), ...oldVelocity.values(), ...grads.values()]);
  }
  assert.equal(tf.memory().numTensors, before, "SGD.step leaked tensors");
  for (const [name, v] of variables) {
    assert.deepEqual(v.dataSync(), refParams.get(name)!.dataSync(), `parameter ${name}`);
  }
  const state = sgd.state();
  assert.deepEqual([...state.keys()], shapes.map(([name]) => name));
  for (const [name, shape] of shapes) {
    assert.deepEqual(state.get(name)!.shape, shape);
    assert.deepEqual(
      state.get(name)!.values,
      refVelocity.get(name)!.dataSync(),
      `velocity ${name}`,
    );
  }
  // A fresh optimizer round-trips that state, and refuses a shape that does not fit.
  const twinVariables = new Map([...variables].map(([n, v]) => [n, tf.variable(v.clone())]));
  const twin = new SGD(twinVariables, opts);
  twin.loadState(state);
  assert.deepEqual(twin.state(), state);
  assert.throws(
    () =>
      twin.loadState(
        new Map([...state].map(([n, s]) => [n, n === "fc" ? { ...s, shape: [3, 4] } : s])),
      ),
    /"fc" has shape \[3,4\], expected \[4,3\]/,
  );
  tf.dispose([...initial.values(), ...refParams.values(), ...refVelocity.values()]);
  sgd.dispose();
  twin.dispose();
  for (const v of [...variables.values(), ...twinVariables.values()]) v.dispose();
});
