"""How much would running the whole training step as one TensorFlow graph buy? The same ResNet-20
step as bench/worker.ts (option-B shortcuts, 272,474 parameters; PyTorch's padding; training-mode
fused batch norm with PyTorch's running statistics; soft-target cross-entropy; SGD with Nesterov
momentum 0.9, coupled weight decay 1e-4, lr 0.1; random data), written with Python TensorFlow's
raw ops on the same TensorFlow 2.21 that our binding loads, and run two ways:

- `graph`: the step under `tf.function`: one graph, optimised by Grappler and oneDNN's graph
  rewrites, executed by one session call per step;
- `eager`: the same Python code op by op, as stock TensorFlow eager (no fused kernels of ours).

Both give the same losses (within 2e-4 over the first 5 steps), so they do the same arithmetic.
Needs Python TensorFlow. The wheel `./run setup` downloads serves:

    python3 -m venv .cache/venv-tf
    .cache/venv-tf/bin/pip install .cache/wheels/tensorflow_cpu-2.21.0-*.whl
    .cache/venv-tf/bin/python bench/experiments/tf_graph_step.py graph 64   # mode, batch[, steps]

`INTRA=n` / `INTER=n` set TensorFlow's intra-op / inter-op thread counts; `SHOW=1` prints the
warm-up losses.

Measured on machine C (AMD EPYC Zen 4, 2 cores, 2026-12-02), ms per step, three interleaved rounds
of one process each next to `bench/pytorch_reference.py` and `bench/worker.ts`:

- batch 64: PyTorch 146-177, ours (lib) 133-145, TF graph 103-104, TF eager 208-246;
- batch 128: PyTorch 323-381, ours 274-298, TF graph 211-237, TF eager 382-386;
- batch 2: TF graph 15-18, TF eager 102 (ours 42-51, PyTorch 19);
- TF graph, batch 64, by threads: 105 (default), 112 (inter-op 1), 122 (intra-op 1), 175 (both 1;
  ours single-threaded: 219, PyTorch's: 287).

So one graph per step would make our step another 1.2-1.4x faster: the fixed cost goes (15-18 ms
at batch 2, like PyTorch), the second core pays 1.7x instead of our 1.3x, and even on one thread
the graph is 1.25x faster than our eager step. Our eager step is already 1.3-1.7x faster than stock
TensorFlow eager.
"""

import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as lib/backend.ts
os.environ.setdefault("TF_MKL_OPTIMIZE_PRIMITIVE_MEMUSE", "false")  # as lib/backend.ts
import tensorflow as tf  # noqa: E402

MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255]
STD = [63.0 / 255, 62.1 / 255, 66.7 / 255]
MOMENTUM, WEIGHT_DECAY, LEARNING_RATE, BN_MOMENTUM = 0.9, 1e-4, 0.1, 0.1


class ResNet20:
    """CIFAR ResNet-20 from raw TensorFlow ops, NHWC, parameters in `self.params`."""

    def __init__(self):
        self.params = []
        self.conv = self._conv(3, 3, 16)
        self.bn = self._bn(16)
        self.blocks, cin = [], 16
        for stage, width in enumerate([16, 32, 64]):
            for b in range(3):
                stride = 2 if stage > 0 and b == 0 else 1
                shortcut = None
                if stride != 1 or cin != width:
                    shortcut = (self._conv(1, cin, width), self._bn(width))
                self.blocks.append(
                    (stride, self._conv(3, cin, width), self._bn(width),
                     self._conv(3, width, width), self._bn(width), shortcut)
                )
                cin = width
        self.fc_w = self._var(tf.random.uniform([64, 10], -0.125, 0.125))
        self.fc_b = self._var(tf.zeros([10]))

    def _var(self, value):
        v = tf.Variable(value)
        self.params.append(v)
        return v

    def _conv(self, k, cin, cout):
        return self._var(tf.random.normal([k, k, cin, cout], stddev=(2.0 / (k * k * cin)) ** 0.5))

    def _bn(self, c):
        running = (tf.Variable(tf.zeros([c]), trainable=False),
                   tf.Variable(tf.ones([c]), trainable=False))
        return self._var(tf.ones([c])), self._var(tf.zeros([c])), running

    @staticmethod
    def _conv2d(x, w, stride):
        if w.shape[0] == 1:
            return tf.nn.conv2d(x, w, stride, "VALID")
        if stride == 1:
            return tf.nn.conv2d(x, w, 1, "SAME")
        # PyTorch's padding: one pixel on every side (TensorFlow's SAME pads bottom/right only).
        return tf.nn.conv2d(x, w, stride, [[0, 0], [1, 1], [1, 1], [0, 0]])

    @staticmethod
    def _batch_norm(x, bn, relu=False):
        gamma, beta, (mean_run, var_run) = bn
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x, gamma, beta, epsilon=1e-5, is_training=True
        )
        n = tf.cast(tf.reduce_prod(tf.shape(x)[:3]), tf.float32)
        mean_run.assign((1 - BN_MOMENTUM) * mean_run + BN_MOMENTUM * mean)
        # PyTorch moves the running variance towards the unbiased batch variance.
        var_run.assign((1 - BN_MOMENTUM) * var_run + BN_MOMENTUM * variance * n / (n - 1))
        return tf.nn.relu(y) if relu else y

    def __call__(self, images):
        x = (images - MEAN) / STD
        x = self._batch_norm(self._conv2d(x, self.conv, 1), self.bn, relu=True)
        for stride, w1, bn1, w2, bn2, shortcut in self.blocks:
            out = self._batch_norm(self._conv2d(x, w1, stride), bn1, relu=True)
            out = self._batch_norm(self._conv2d(out, w2, 1), bn2)
            if shortcut is not None:
                x = self._batch_norm(self._conv2d(x, shortcut[0], stride), shortcut[1])
            x = tf.nn.relu(out + x)
        return tf.reduce_mean(x, [1, 2]) @ self.fc_w + self.fc_b


def main():
    mode, batch = sys.argv[1], int(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    if mode not in ("graph", "eager"):
        sys.exit(f"mode must be graph or eager, got {mode!r}")
    if os.environ.get("INTER"):
        tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["INTER"]))
    if os.environ.get("INTRA"):
        tf.config.threading.set_intra_op_parallelism_threads(int(os.environ["INTRA"]))
    tf.random.set_seed(0)
    model = ResNet20()
    velocity = [tf.Variable(tf.zeros_like(p), trainable=False) for p in model.params]

    def step(images, targets):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(targets, model(images)))
        for p, g, v in zip(model.params, tape.gradient(loss, model.params), velocity):
            d = g + WEIGHT_DECAY * p
            v.assign(MOMENTUM * v + d)
            p.assign_sub(LEARNING_RATE * (d + MOMENTUM * v))  # Nesterov, as torch.optim.SGD
        return loss

    run = tf.function(step) if mode == "graph" else step
    images = tf.random.uniform([batch, 32, 32, 3])
    targets = tf.nn.softmax(tf.random.normal([batch, 10]) * 2)
    losses = [round(float(run(images, targets)), 4) for _ in range(5)]
    if os.environ.get("SHOW"):
        print("warm-up losses", losses)
    images_per_second = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            float(run(images, targets))
        images_per_second.append(batch * steps / (time.perf_counter() - start))
    print(json.dumps({
        "mode": mode,
        "batch": batch,
        "parameterCount": int(sum(int(tf.size(p)) for p in model.params)),
        "msPerStep": 1000 * batch / statistics.median(images_per_second),
        "imagesPerSecondRuns": images_per_second,
    }))


if __name__ == "__main__":
    main()
