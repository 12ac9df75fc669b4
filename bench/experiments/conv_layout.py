"""PyTorch side of bench/experiments/conv_layout.ts: forward, input-gradient and weight-gradient
of a 3x3 stride-1 convolution for ResNet-20's stage shapes at batch 64, NCHW and channels_last."""

import os
import statistics
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", os.cpu_count() or 1)))


def time_it(f, reps=10):
    for _ in range(3):
        f()
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            f()
        runs.append(1000 * (time.perf_counter() - start) / reps)
    return statistics.median(runs)


n = 64
for hw, c in [(32, 16), (16, 32), (8, 64)]:
    for fmt in ["NCHW", "channels_last"]:
        mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        x = torch.randn(n, c, hw, hw).to(memory_format=mf)
        w = torch.randn(c, c, 3, 3).to(memory_format=mf)
        dy = torch.randn(n, c, hw, hw).to(memory_format=mf)
        fwd = time_it(lambda: F.conv2d(x, w, padding=1))
        bwd_in = time_it(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, padding=1))
        bwd_w = time_it(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, padding=1))
        print(
            f"{hw}x{hw}x{c} {fmt}: conv {fwd:.2f} ms, input-grad {bwd_in:.2f} ms, "
            f"weight-grad {bwd_w:.2f} ms, total {fwd + bwd_in + bwd_w:.2f} ms"
        )
