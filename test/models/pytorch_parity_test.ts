/**
 * Cross-framework check: the same weights give the same outputs and the same SGD steps in
 * PyTorch (F.conv2d padding=1, F.batch_norm, avg_pool2d ceil_mode, torch.optim.SGD Nesterov) as
 * here. Runs when a Python with torch is found (CUTMIX_TORCH_PYTHON, or the bench's / setup's
 * venv under .cache/); otherwise it is reported as ignored.
 */
import assert from "node:assert/strict";
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";
import { Random } from "../../lib/random.ts";
import { createTrainStep } from "../../lib/training/loop.ts";
import { SGD } from "../../lib/training/optimizer.ts";

const root = new URL("../../", import.meta.url).pathname;

function findTorchPython(): string | undefined {
  const candidates = [
    Deno.env.get("CUTMIX_TORCH_PYTHON"),
    `${root}.cache/venv-bench/bin/python`,
    `${root}.cache/venv/bin/python`,
  ].filter((p): p is string => p !== undefined && p !== "");
  for (const python of candidates) {
    try {
      const { success } = new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      })
        .outputSync();
      if (success) return python;
    } catch {
      // not there
    }
  }
  return undefined;
}

const python = findTorchPython();

/** A functional PyTorch twin of lib/models, reading the weights by their names here. */
const TORCH_SCRIPT = String.raw`
import json, sys, torch, torch.nn.functional as F
torch.set_num_threads(1)
d = json.load(sys.stdin)
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
def forward(x, tr):
    x = (x - mean) / std
    if d["arch"] == "resnet":
        x = F.relu(bn(conv(x, "stem.conv"), "stem.bn", tr))
    else:
        x = bn(conv(x, "stem.conv"), "stem.bn", tr)
    for s in range(1, 4):
        for i, b in enumerate(blocks("stage%d" % s)):
            p = "stage%d.%s" % (s, b); stride = 2 if s > 1 and i == 0 else 1
            if d["arch"] == "resnet":
                out = F.relu(bn(conv(x, p + ".conv1", stride), p + ".bn1", tr))
                out = bn(conv(out, p + ".conv2"), p + ".bn2", tr)
                res = bn(conv(x, p + ".shortcut.conv", stride), p + ".shortcut.bn", tr) if p + ".shortcut.conv.kernel" in P else x
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
                sc = F.avg_pool2d(x, 2, 2, ceil_mode=True) if stride == 2 else x
                pad = out.shape[1] - sc.shape[1]
                if pad > 0: sc = torch.cat([sc, torch.zeros(sc.shape[0], pad, sc.shape[2], sc.shape[3])], 1)
                x = out + sc
    if d["arch"] != "resnet": x = F.relu(bn(x, "head.bn", tr))
    return x.mean((2, 3)) @ P["classifier.kernel"].t() + P["classifier.bias"]
n, h, w = d["xShape"][0], d["xShape"][1], d["xShape"][2]
x = torch.tensor(d["x"]).reshape(n, h, w, 3).permute(0, 3, 1, 2).contiguous()
y = torch.tensor(d["labels"])
with torch.no_grad(): ev = forward(x, False).flatten().tolist()
names = list(P.keys())
opt = torch.optim.SGD([P[k] for k in names], lr=d["lr"], momentum=0.9, weight_decay=1e-4, nesterov=True)
losses = []
for _ in range(2):
    opt.zero_grad(); loss = F.cross_entropy(forward(x, True), y); loss.backward(); opt.step(); losses.append(loss.item())
with torch.no_grad(): ev2 = forward(x, False).flatten().tolist()
print(json.dumps({"evalLogits": ev, "losses": losses, "evalAfter": ev2}))
`;

for (const name of ["resnet8-w4-8-16", "pyramidnet8-a6", "pyramidnet11-a6-bottleneck"]) {
  Deno.test({
    name: `${name} matches PyTorch: eval logits, two Nesterov SGD steps, BN running stats`,
    ignore: python === undefined,
    fn: async () => {
      const spec = parseModelName(name);
      const model = createModel(spec, 1);
      const images = tf.randomUniform([6, 8, 8, 3], 0, 1, "float32", 4) as Tensor4D;
      const labels = tf.tensor1d([0, 1, 2, 3, 4, 5], "int32") as Tensor1D;
      const targets = tf.tidy(() => tf.oneHot(labels, 10).toFloat() as Tensor2D);
      const init = Object.fromEntries(
        [...model.parameters.all()].map((
          [k, v],
        ) => [k, { shape: v.shape, values: Array.from(v.dataSync()) }]),
      );
      const before = model.forward(images, { training: false });
      const evalLogits = Array.from(before.logits.dataSync());
      tf.dispose([before.logits, before.featuresNHWC]);
      const sgd = new SGD(model.parameters.trainable, {
        momentum: 0.9,
        nesterov: true,
        weightDecay: 1e-4,
      });
      const step = createTrainStep(model, sgd);
      const lr = 0.1;
      const losses = [0, 1].map((i) => step({ imagesNHWC: images, targets }, lr, new Random(i)));
      const after = model.forward(images, { training: false });
      const evalAfter = Array.from(after.logits.dataSync());
      tf.dispose([after.logits, after.featuresNHWC]);

      const child = new Deno.Command(python!, {
        args: ["-c", TORCH_SCRIPT],
        stdin: "piped",
        stdout: "piped",
      })
        .spawn();
      const writer = child.stdin.getWriter();
      await writer.write(
        new TextEncoder().encode(JSON.stringify({
          arch: spec.arch,
          init,
          mean: model.mean,
          std: model.std,
          x: Array.from(images.dataSync()),
          xShape: images.shape,
          labels: Array.from(labels.dataSync()),
          lr,
        })),
      );
      await writer.close();
      const output = await child.output();
      assert.ok(output.success, "the PyTorch script failed");
      const torch = JSON.parse(new TextDecoder().decode(output.stdout));
      const maxDiff = (a: number[], b: number[]) =>
        Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      assert.ok(
        maxDiff(evalLogits, torch.evalLogits) < 1e-4,
        `eval logits differ by ${maxDiff(evalLogits, torch.evalLogits)}`,
      );
      assert.ok(
        Math.abs(losses[0] - torch.losses[0]) < 1e-5,
        `loss 1: ${losses[0]} vs ${torch.losses[0]}`,
      );
      assert.ok(
        Math.abs(losses[1] - torch.losses[1]) < 1e-4,
        `loss 2: ${losses[1]} vs ${torch.losses[1]}`,
      );
      // After two steps (and two running-average updates), eval outputs still agree.
      assert.ok(
        maxDiff(evalAfter, torch.evalAfter) < 1e-3,
        `eval after differ by ${maxDiff(evalAfter, torch.evalAfter)}`,
      );
      tf.dispose([images, labels, targets]);
      sgd.dispose();
      model.dispose();
    },
  });
}
