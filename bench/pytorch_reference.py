"""PyTorch CPU reference for `deno task bench`: the same networks, optimizer and loss as ours.

Networks, as lib/models builds them (clovaai/CutMix-PyTorch conventions):
- `resnet<depth>`: CIFAR ResNet, basic blocks at widths 16/32/64, option-B shortcuts (1x1 conv + BN
  where the shape changes); ResNet-20 has 272,474 parameters.
- `pyramidnet<depth>-a<alpha>`: PyramidNet with basic blocks (BN-conv-BN-ReLU-conv-BN), additive
  widening, 2x2 average-pool + zero-channel shortcuts, no ReLU after the addition.
Training step: per-channel input normalisation inside the model, soft-target cross-entropy
(-sum t * log_softmax(z), mean over the batch), SGD momentum 0.9 (Nesterov, as the paper's code
and lib/training), weight decay 1e-4, lr 0.1.
Data: random [0, 1] images and random soft targets (the bench measures speed, not learning).
Threads: torch.set_num_threads(BENCH_TORCH_THREADS), by default the machine's cores.
Configurations (the job's "torch" field, bench/_job.ts TorchConfig): the default (NCHW, eager);
"channelsLast" (model and input in torch.channels_last, PyTorch's own CPU advice); "compile"
(torch.compile, inductor), whose first step (the compilation of forward and backward) is timed
apart as compileSeconds.

Usage: python bench/pytorch_reference.py '<json job>' with bench/_job.ts's Job ({"task":
"train"|"infer", "model", "batch", "runs", "stepsPerRun", "warmupSteps", "serve"?, "torch"?}) or
GemmJob ({"task": "gemm", "n", "runs", "productsPerRun", "warmupProducts"}). Prints one line
`RESULT <json>`, or `FAILED <reason>` (exit 2) when the job cannot run, e.g. torch.compile without
a working C++ compiler. With "serve": true it runs the paired protocol of bench/_job.ts.
"""

import json
import os
import re
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255]
STD = [63.0 / 255, 62.1 / 255, 66.7 / 255]


class Normalize(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class ResNetBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv3x3(cout, cout), nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNet(nn.Module):
    def __init__(self, depth, num_classes=10, widths=(16, 32, 64)):
        super().__init__()
        n = (depth - 2) // 6
        self.norm = Normalize()
        self.conv, self.bn = conv3x3(3, widths[0]), nn.BatchNorm2d(widths[0])
        blocks, cin = [], widths[0]
        for s, w in enumerate(widths):
            for b in range(n):
                blocks.append(ResNetBlock(cin, w, 2 if s > 0 and b == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(self.norm(x))))
        x = self.blocks(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class PyramidBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1, self.bn2 = conv3x3(cin, planes, stride), nn.BatchNorm2d(planes)
        self.conv2, self.bn3 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.stride, self.planes = stride, planes

    def forward(self, x):
        out = self.conv1(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(out)))
        out = self.bn3(out)
        shortcut = F.avg_pool2d(x, 2, 2, ceil_mode=True) if self.stride == 2 else x
        extra = self.planes - shortcut.shape[1]
        if extra > 0:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, extra))
        return out + shortcut


class PyramidNet(nn.Module):
    def __init__(self, depth, alpha, num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        add = alpha / (3 * n)
        self.norm = Normalize()
        self.conv, self.bn = conv3x3(3, 16), nn.BatchNorm2d(16)
        blocks, width, cin = [], 16.0, 16
        for s in range(3):
            for b in range(n):
                width += add
                planes = int(round(width))
                blocks.append(PyramidBlock(cin, planes, 2 if s > 0 and b == 0 else 1))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.bn_final = nn.BatchNorm2d(cin)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.bn(self.conv(self.norm(x)))
        x = F.relu(self.bn_final(self.blocks(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(name):
    m = re.fullmatch(r"resnet(\d+)", name)
    if m:
        return ResNet(int(m.group(1)))
    m = re.fullmatch(r"pyramidnet(\d+)-a(\d+(?:\.\d+)?)", name)
    if m:
        return PyramidNet(int(m.group(1)), float(m.group(2)))
    raise SystemExit(f"pytorch_reference: unknown model {name!r} (resnet<d> or pyramidnet<d>-a<alpha>)")


def run_gemm(job, threads):
    n = job["n"]
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=gen) * 2 - 1
    b = torch.rand(n, n, generator=gen) * 2 - 1
    for _ in range(job["warmupProducts"]):
        torch.mm(a, b)
    runs = []
    for _ in range(job["runs"]):
        start = time.perf_counter()
        for _ in range(job["productsPerRun"]):
            torch.mm(a, b)
        seconds = (time.perf_counter() - start) / job["productsPerRun"]
        runs.append(2 * n**3 / seconds / 1e9)
    return {
        "job": job,
        "framework": f"torch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "gflopsRuns": runs,
    }


def one_line(error):
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:400]


def main():
    job = json.loads(sys.argv[1])
    threads = int(os.environ.get("BENCH_TORCH_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if job["task"] == "gemm":
        print("RESULT " + json.dumps(run_gemm(job, threads)))
        return
    config = job.get("torch") or {}
    channels_last = bool(config.get("channelsLast"))
    compiled = bool(config.get("compile"))
    model = build(job["model"])
    batch = job["batch"]
    images = torch.rand(batch, 3, 32, 32)
    targets = torch.softmax(torch.randn(batch, 10) * 2, dim=1)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    parameter_count = sum(p.numel() for p in model.parameters())
    opt = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4
    )
    # The module's parameters are shared with the compiled wrapper, so the optimizer is unchanged.
    net = torch.compile(model) if compiled else model

    def train_step():
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = -(targets * F.log_softmax(net(images), dim=1)).sum(1).mean()
        loss.backward()
        opt.step()
        return loss.item()

    def infer_step():
        model.eval()
        with torch.no_grad():
            return net(images)[0, 0].item()

    step = infer_step if job["task"] == "infer" else train_step
    compile_seconds = None
    try:
        for i in range(job["warmupSteps"]):
            start = time.perf_counter()
            step()
            if i == 0 and compiled:
                compile_seconds = time.perf_counter() - start
    except Exception as error:  # noqa: BLE001 - any failure to compile is reported, not raised
        what = "torch.compile" if compiled else "warm-up"
        print(f"FAILED {what}: {one_line(error)}", flush=True)
        sys.exit(2)
    runs, cpu = [], []

    def timed_run():
        cpu_start = time.process_time()
        start = time.perf_counter()
        for _ in range(job["stepsPerRun"]):
            step()
        seconds = (time.perf_counter() - start) / job["stepsPerRun"]
        cpu.append(1000 * (time.process_time() - cpu_start) / (job["stepsPerRun"] * batch))
        runs.append(batch / seconds)

    if job.get("serve"):
        # Paired mode (bench/_job.ts): one timed run per "run" line on stdin.
        print("READY", flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                break
            timed_run()
            print(f"RUN {runs[-1]} {cpu[-1]}", flush=True)
    else:
        for _ in range(job["runs"]):
            timed_run()
    result = {
        "job": job,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "torchConfig": {"channelsLast": channels_last, "compile": compiled},
        "compileSeconds": compile_seconds,
        "parameterCount": parameter_count,
        "imagesPerSecondRuns": runs,
        "imagesPerSecond": statistics.median(runs),
        "msPerStep": 1000 * batch / statistics.median(runs),
        "cpuMsPerImageRuns": cpu,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
