/**
 * Cross-framework check: what the training loop runs gives the same numbers in PyTorch. A
 * functional PyTorch twin (F.conv2d padding=1, F.batch_norm, avg_pool2d ceil_mode, F.cross_entropy
 * with class-probability targets, torch.optim.SGD Nesterov with weight decay on its one group of
 * all parameters, as clovaai/CutMix-PyTorch) gets the same initial weights, and for each model:
 * - eval logits before and after training;
 * - two SGD steps on the batches lib's own augmentation made (one-hot labels, CutMix or Mixup soft
 *   targets: images and targets handed to the twin as data), with their losses;
 * - after them, every trainable parameter (conv kernels, BN γ/β, classifier kernel and bias, each
 *   1-D one first moved off its constant init so its weight decay shows) and every BN running
 *   statistic;
 * - ShakeDrop in eval mode (each branch × (1 − p_i)); its training draws are lib's own, so it has
 *   no training case here.
 *
 * Each training case runs once per engine in {@link ENGINES}: every way lib trains is pinned to
 * PyTorch. Needs a Python with torch (`./run setup --for test` puts it in .cache/venv); skipped
 * through test/_skip.ts otherwise (a failure under CI=true).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { type AugmentationConfig, createBatchAugmentation } from "../../lib/augment/config.ts";
import { createModel, type ImageClassifier, parseModelName } from "../../lib/models/mod.ts";
import { Random } from "../../lib/random.ts";
import { createTrainEngine, type TrainStep } from "../../lib/training/engine.ts";
import { projectVenvPython } from "../../tools/setup/venv.ts";
import { testWhen } from "../_skip.ts";

const root = join(import.meta.dirname!, "../..");

/** A way lib trains a model: the step it builds, leaving the model's variables trained. */
interface Engine {
  readonly name: "eager" | "compiled";
  readonly createStep: (
    model: ImageClassifier,
    imageShape: readonly [number, number, number],
  ) => { readonly step: TrainStep; readonly dispose: () => void };
}

/** lib's training engine of `kind`, with the model's variables written back after every step. */
function libEngine(kind: Engine["name"]): Engine {
  return {
    name: kind,
    createStep: (model, imageShape) => {
      const engine = createTrainEngine(
        model,
        { momentum: MOMENTUM, nesterov: true, weightDecay: WEIGHT_DECAY },
        { engine: kind, imageShape },
      );
      assert.equal(engine.kind, kind, engine.fallbackReason);
      return {
        step: (batch, lr, rng) => {
          const loss = engine.step(batch, lr, rng);
          engine.syncToModel();
          return loss;
        },
        dispose: () => engine.dispose(),
      };
    },
  };
}

/** Every training engine; each is pinned to PyTorch by every training case. */
const ENGINES: readonly Engine[] = [libEngine("eager"), libEngine("compiled")];

/** One model trained two steps on batches from one augmentation. */
interface TrainingCase {
  readonly model: string;
  readonly augmentation: AugmentationConfig;
  /** What the case pins, for its test name. */
  readonly covers: string;
}

const NUM_CLASSES = 10;
const TRAINING_CASES: readonly TrainingCase[] = [
  {
    model: "resnet8-w4-8-16",
    augmentation: { kind: "none", numClasses: NUM_CLASSES },
    covers: "option-B shortcut, one-hot labels",
  },
  {
    model: "resnet8-w4-8-16-A",
    augmentation: { kind: "cutmix", numClasses: NUM_CLASSES, prob: 1 },
    covers: "option-A shortcut, a CutMix step",
  },
  {
    model: "pyramidnet8-a6",
    augmentation: { kind: "mixup", numClasses: NUM_CLASSES, alpha: 1 },
    covers: "basic blocks, a Mixup step",
  },
  {
    model: "pyramidnet11-a6-bottleneck",
    augmentation: { kind: "cutmix", numClasses: NUM_CLASSES, prob: 1 },
    covers: "bottleneck blocks, a CutMix step",
  },
];

/** Models compared in eval mode only. */
const EVAL_CASES: readonly string[] = ["pyramidnet8-a6-shakedrop0.5"];

const LR = 0.1;
const MOMENTUM = 0.9;
/**
 * 500× the paper's 1e-4, so that a parameter left out of the decay (or decayed twice) ends the
 * two steps ≥ 1e-3 away from PyTorch's (BN β; γ 2e-2), far beyond the float32 differences (see TOLERANCE).
 */
const WEIGHT_DECAY = 0.05;

/**
 * Largest |ours − PyTorch| allowed, relative to max(1, |PyTorch|). Observed on native TensorFlow
 * 2.21 (oneDNN on) against torch 2.13.0+cpu, AMD EPYC with AVX-512, over these cases: eval logits
 * ≤ 5.1e-7, losses ≤ 2.1e-7, parameters after two steps ≤ 1.2e-7, BN running statistics ≤ 2.3e-7,
 * eval logits after the steps ≤ 4.2e-7. The bounds are 40–250× that, for other CPUs' kernels; a
 * parameter that misses its weight decay is off by ≥ 1e-3 (see WEIGHT_DECAY).
 */
const TOLERANCE = {
  evalLogits: 2e-5,
  loss: 2e-5,
  parameter: 2e-5,
  runningStat: 5e-5,
  evalAfter: 1e-4,
} as const;

/** A python that imports torch: CUTMIX_TORCH_PYTHON, the project venv, or the bench's old one. */
function findTorchPython(): { python: string; version: string } | undefined {
  const candidates = [
    Deno.env.get("CUTMIX_TORCH_PYTHON"),
    projectVenvPython(root),
    join(root, ".cache/venv-bench/bin/python"),
  ].filter((p): p is string => p !== undefined && p !== "");
  for (const python of candidates) {
    try {
      const { success, stdout } = new Deno.Command(python, {
        args: ["-c", "import torch; print(torch.__version__)"],
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      if (success) return { python, version: new TextDecoder().decode(stdout).trim() };
    } catch {
      // not there
    }
  }
  return undefined;
}

const torch = findTorchPython();
const NO_TORCH = "no Python with torch in .cache/venv (run ./run setup --for test) and " +
  "CUTMIX_TORCH_PYTHON is not set";

/** The PyTorch twin of lib/models, reading the weights by their names here. */
const TORCH_SCRIPT = String.raw`
import json, sys, traceback, torch, torch.nn.functional as F
torch.set_num_threads(1)
def twin(d):
    P, B = {}, {}
    for k, v in d["init"].items():
        t = torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"])
        if k.endswith(".kernel") and len(v["shape"]) == 4: t = t.permute(3, 2, 0, 1).contiguous()
        elif k == "classifier.kernel": t = t.t().contiguous()
        if k.endswith("movingMean") or k.endswith("movingVariance"): B[k] = t.clone()
        else: P[k] = t.clone().requires_grad_(True)
    mean = torch.tensor(d["mean"]).view(1, 3, 1, 1); std = torch.tensor(d["std"]).view(1, 3, 1, 1)
    def bn(x, n, tr): return F.batch_norm(x, B[n + ".movingMean"], B[n + ".movingVariance"], P[n + ".gamma"], P[n + ".beta"], tr, 0.1, 1e-5)
    def conv(x, n, stride=1):
        w = P[n + ".kernel"]
        return F.conv2d(x, w, stride=stride, padding=(w.shape[-1] - 1) // 2)
    def blocks(s): return sorted({k.split(".")[1] for k in P if k.startswith(s + ".")}, key=lambda b: int(b[5:]))
    total = sum(len(blocks("stage%d" % s)) for s in range(1, 4))
    def forward(x, tr):
        x = (x - mean) / std
        if d["arch"] == "resnet":
            x = F.relu(bn(conv(x, "stem.conv"), "stem.bn", tr))
        else:
            x = bn(conv(x, "stem.conv"), "stem.bn", tr)
        index = 0
        for s in range(1, 4):
            for i, b in enumerate(blocks("stage%d" % s)):
                index += 1
                p = "stage%d.%s" % (s, b); stride = 2 if s > 1 and i == 0 else 1
                if d["arch"] == "resnet":
                    out = F.relu(bn(conv(x, p + ".conv1", stride), p + ".bn1", tr))
                    out = bn(conv(out, p + ".conv2"), p + ".bn2", tr)
                    if p + ".shortcut.conv.kernel" in P:
                        res = bn(conv(x, p + ".shortcut.conv", stride), p + ".shortcut.bn", tr)
                    elif stride != 1 or out.shape[1] != x.shape[1]:
                        # Option A, as the ResNet paper's CIFAR code: every second pixel, zero
                        # channels half before and half after.
                        extra = out.shape[1] - x.shape[1]
                        res = F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, extra // 2, extra - extra // 2))
                    else:
                        res = x
                    x = F.relu(out + res)
                else:
                    out = bn(x, p + ".bn1", tr)
                    if p + ".conv3.kernel" in P:
                        out = F.relu(bn(conv(out, p + ".conv1"), p + ".bn2", tr))
                        out = F.relu(bn(conv(out, p + ".conv2", stride), p + ".bn3", tr))
                        out = bn(conv(out, p + ".conv3"), p + ".bn4", tr)
                    else:
                        out = F.relu(bn(conv(out, p + ".conv1", stride), p + ".bn2", tr))
                        out = bn(conv(out, p + ".conv2"), p + ".bn3", tr)
                    if d["shakeDrop"] > 0:
                        # PyramidNet-ShakeDrop: p_i = p_L * i / L; in eval the branch is scaled by 1 - p_i.
                        assert not tr, "ShakeDrop's training draws are not twinned"
                        out = out * (1 - d["shakeDrop"] * index / total)
                    sc = F.avg_pool2d(x, 2, 2, ceil_mode=True) if stride == 2 else x
                    pad = out.shape[1] - sc.shape[1]
                    if pad > 0: sc = torch.cat([sc, torch.zeros(sc.shape[0], pad, sc.shape[2], sc.shape[3])], 1)
                    x = out + sc
        if d["arch"] != "resnet": x = F.relu(bn(x, "head.bn", tr))
        return x.mean((2, 3)) @ P["classifier.kernel"].t() + P["classifier.bias"]
    n, h, w = d["xShape"][0], d["xShape"][1], d["xShape"][2]
    def nchw(values): return torch.tensor(values).reshape(n, h, w, 3).permute(0, 3, 1, 2).contiguous()
    x = nchw(d["x"])
    with torch.no_grad(): ev = forward(x, False).flatten().tolist()
    out = {"evalLogits": ev, "losses": []}
    if d["steps"]:
        opt = torch.optim.SGD(list(P.values()), lr=d["lr"], momentum=d["momentum"], weight_decay=d["weightDecay"], nesterov=True)
        for step in d["steps"]:
            opt.zero_grad()
            logits = forward(nchw(step["x"]), True)
            if step["targets"] is None: target = torch.tensor(d["labels"])
            else: target = torch.tensor(step["targets"]).reshape(n, -1)
            loss = F.cross_entropy(logits, target)
            loss.backward(); opt.step(); out["losses"].append(loss.item())
        with torch.no_grad(): out["evalAfter"] = forward(x, False).flatten().tolist()
        def lib_layout(k, t):
            if k.endswith(".kernel") and t.dim() == 4: t = t.permute(2, 3, 1, 0)
            elif k == "classifier.kernel": t = t.t()
            return t.detach().contiguous().flatten().tolist()
        out["after"] = {k: lib_layout(k, t) for k, t in list(P.items()) + list(B.items())}
    return out
# One request per line, one answer per line: torch (and the optimizer's lazy torch._dynamo import,
# seconds) load once per test file, not once per case.
for line in iter(sys.stdin.readline, ""):
    try: answer = twin(json.loads(line))
    except Exception: answer = {"error": traceback.format_exc()}
    sys.stdout.write(json.dumps(answer) + "\n"); sys.stdout.flush()
`;

interface TwinResult {
  evalLogits: number[];
  losses: number[];
  evalAfter?: number[];
  after?: Record<string, number[]>;
}

/**
 * The twin, one Python process for this file, started before the tests (so no test owns it) and
 * unref'd between requests (it does not keep the run alive; it exits when its stdin closes).
 */
class Twin {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffered = "";
  #stderr = "";

  constructor(python: string) {
    this.#child = new Deno.Command(python, {
      args: ["-c", TORCH_SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child.unref();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.getReader();
  }

  /** Sends one request, returns its answer; the assertion names the twin's error. */
  async run(request: Record<string, unknown>): Promise<TwinResult> {
    this.#child.ref(); // while it works for us, the run waits for it
    try {
      return await this.#exchange(request);
    } finally {
      this.#child.unref();
    }
  }

  async #exchange(request: Record<string, unknown>): Promise<TwinResult> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
    const decoder = new TextDecoder();
    while (!this.#buffered.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) {
        const { stderr } = await this.#child.output().catch(() => ({ stderr: new Uint8Array() }));
        this.#stderr += decoder.decode(stderr);
        assert.fail(`the PyTorch twin exited:\n${this.#stderr}`);
      }
      this.#buffered += decoder.decode(value, { stream: true });
    }
    const at = this.#buffered.indexOf("\n");
    const answer = JSON.parse(this.#buffered.slice(0, at));
    this.#buffered = this.#buffered.slice(at + 1);
    assert.equal(answer.error, undefined, `the PyTorch twin failed:\n${answer.error}`);
    return answer;
  }
}

const twin = torch === undefined ? undefined : new Twin(torch.python);
const runTwin = (request: Record<string, unknown>) => twin!.run(request);

/** Every variable's values by name (trainable parameters and BN buffers). */
function snapshot(model: ImageClassifier): Record<string, { shape: number[]; values: number[] }> {
  return Object.fromEntries(
    [...model.parameters.all()].map(([k, v]) => [k, {
      shape: v.shape,
      values: Array.from(v.dataSync()),
    }]),
  );
}

/**
 * Moves every 1-D trainable variable (BN γ/β, the classifier bias) off its constant init by up to
 * ±0.1, seeded: β and biases start at 0, where weight decay has nothing to act on.
 */
function offsetConstantInits(model: ImageClassifier, seed: number): void {
  let i = 0;
  for (const v of model.parameters.trainable.values()) {
    if (v.rank !== 1) continue;
    tf.tidy(() => v.assign(tf.add(v, tf.randomUniform(v.shape, -0.1, 0.1, "float32", seed + i++))));
  }
}

function evalLogits(model: ImageClassifier, imagesNHWC: Tensor4D): number[] {
  const { logits, featuresNHWC } = model.forward(imagesNHWC, { training: false });
  const values = Array.from(logits.dataSync());
  tf.dispose([logits, featuresNHWC]);
  return values;
}

/** max |a − b| / max(1, |b|) over the entries. */
function maxRelativeDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, "compared lists differ in length");
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return worst;
}

/**
 * Compares lists against the twin's, keeping the largest difference per kind and a line for every
 * one beyond its tolerance, so that a failure names every tensor that is off, not just the first.
 */
class Comparison {
  readonly observed: Partial<Record<keyof typeof TOLERANCE, number>> = {};
  readonly problems: string[] = [];

  check(kind: keyof typeof TOLERANCE, what: string, ours: number[], theirs: number[]): void {
    const diff = maxRelativeDiff(ours, theirs);
    this.observed[kind] = Math.max(this.observed[kind] ?? 0, diff);
    if (!(diff <= TOLERANCE[kind])) {
      this.problems.push(`${what} differs from PyTorch by ${diff} (tolerance ${TOLERANCE[kind]})`);
    }
  }

  /** Logs the largest differences seen, then fails listing every problem. */
  done(): void {
    console.log(`observed: ${JSON.stringify(this.observed)}`);
    assert.deepEqual(this.problems, [], this.problems.join("\n"));
  }
}

/** The images and labels every case uses: 6 random 8×8 images, labels 0..5. */
function inputs(): { images: Tensor4D; labels: Tensor1D } {
  return {
    images: tf.randomUniform([6, 8, 8, 3], 0, 1, "float32", 4) as Tensor4D,
    labels: tf.tensor1d([0, 1, 2, 3, 4, 5], "int32") as Tensor1D,
  };
}

function twinModel(model: ImageClassifier, spec: ReturnType<typeof parseModelName>) {
  return {
    arch: spec.arch,
    shakeDrop: spec.arch === "pyramidnet" ? spec.shakeDrop ?? 0 : 0,
    mean: model.mean,
    std: model.std,
  };
}

if (torch !== undefined) console.log(`PyTorch twin: torch ${torch.version} (${torch.python})`);

for (const engine of ENGINES) {
  for (const { model: name, augmentation: config, covers } of TRAINING_CASES) {
    testWhen(torch !== undefined, NO_TORCH, {
      name: `${name} (${covers}) matches PyTorch with the ${engine.name} engine: eval logits, ` +
        "two Nesterov SGD steps with weight decay, every parameter and BN running stat after",
      fn: async () => {
        const tensorsBefore = tf.memory().numTensors;
        const spec = parseModelName(name, NUM_CLASSES);
        const model = createModel(spec, 1);
        offsetConstantInits(model, 7);
        const init = snapshot(model);
        const { images, labels } = inputs();
        const before = evalLogits(model, images);

        const augmentation = createBatchAugmentation(config);
        const [, height, width, channels] = images.shape;
        const { step, dispose } = engine.createStep(model, [height, width, channels]);
        const steps: { x: number[]; targets: number[] | null }[] = [];
        const losses: number[] = [];
        for (const i of [0, 1]) {
          const batch = augmentation.apply(images, labels, {
            rng: new Random(10 + i),
            trainingProgress: 0.5,
          });
          const targets = Array.from(batch.targets.dataSync());
          if (config.kind !== "none") {
            // The case must really train on soft targets (a λ of 0 or 1 would not).
            assert.ok(targets.some((t) => t > 0.05 && t < 0.95), `step ${i}: targets not mixed`);
          }
          steps.push({
            x: Array.from(batch.imagesNHWC.dataSync()),
            targets: config.kind === "none" ? null : targets,
          });
          losses.push(step(batch, LR, new Random(i)));
          tf.dispose([batch.imagesNHWC, batch.targets]);
        }
        const after = evalLogits(model, images);
        const trained = snapshot(model);
        const trainable = new Set(model.parameters.trainable.keys());
        const x = Array.from(images.dataSync());
        const twinSpec = twinModel(model, spec);
        tf.dispose([images, labels]);
        dispose();
        model.dispose();
        assert.equal(tf.memory().numTensors, tensorsBefore, "tensors leaked");

        const twin = await runTwin({
          ...twinSpec,
          init,
          x,
          xShape: [6, 8, 8, 3],
          labels: [0, 1, 2, 3, 4, 5],
          steps,
          lr: LR,
          momentum: MOMENTUM,
          weightDecay: WEIGHT_DECAY,
        });
        const compare = new Comparison();
        compare.check("evalLogits", "eval logits", before, twin.evalLogits);
        compare.check("loss", "the two losses", losses, twin.losses);
        assert.deepEqual(Object.keys(twin.after!).sort(), Object.keys(trained).sort());
        for (const [k, { values }] of Object.entries(trained)) {
          compare.check(trainable.has(k) ? "parameter" : "runningStat", k, values, twin.after![k]);
        }
        compare.check("evalAfter", "eval logits after the steps", after, twin.evalAfter!);
        compare.done();
      },
    });
  }
}

for (const name of EVAL_CASES) {
  testWhen(torch !== undefined, NO_TORCH, {
    name: `${name} matches PyTorch in eval mode (each ShakeDrop branch × (1 − p))`,
    fn: async () => {
      const tensorsBefore = tf.memory().numTensors;
      const spec = parseModelName(name, NUM_CLASSES);
      const model = createModel(spec, 1);
      offsetConstantInits(model, 7);
      const { images, labels } = inputs();
      const ours = evalLogits(model, images);
      const request = {
        ...twinModel(model, spec),
        init: snapshot(model),
        x: Array.from(images.dataSync()),
        xShape: [6, 8, 8, 3],
        labels: [0, 1, 2, 3, 4, 5],
        steps: [],
      };
      tf.dispose([images, labels]);
      model.dispose();
      assert.equal(tf.memory().numTensors, tensorsBefore, "tensors leaked");
      assert.ok((request.shakeDrop as number) > 0, `${name} has no ShakeDrop`);
      const twin = await runTwin(request);
      const compare = new Comparison();
      compare.check("evalLogits", "eval logits", ours, twin.evalLogits);
      compare.done();
    },
  });
}
