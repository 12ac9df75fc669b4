/**
 * The arithmetic of a training step, counted analytically from a model's architecture, so the
 * bench can say what FLOP/s a step achieves against the machine's large-GEMM FLOP/s.
 *
 * How it is counted (the usual convention, e.g. Kaplan et al. 2020, "Scaling Laws", §2.1):
 * - forward: 2 FLOPs (a multiply and an add) per multiply-accumulate of every convolution and
 *   dense layer; a k×k convolution from C_in to C_out channels onto an H_out × W_out map does
 *   k·k·C_in·C_out·H_out·W_out MACs, with H_out = ⌈H / stride⌉ (both frameworks pad to keep that);
 * - backward: 2× the forward (the input gradient and the weight gradient are each one product of
 *   the forward's size), so a training step is 3× the forward; the stem's input gradient, which
 *   neither framework computes, is counted too (under 0.2 % of ResNet-20's step);
 * - not counted: batch norm, ReLU, pooling, additions, the loss and the optimizer (memory-bound,
 *   about 1–2 % of the arithmetic at these widths).
 *
 * The same walk over the architecture counts the trainable parameters it implies (convolution
 * kernels, batch-norm γ and β, dense kernel and bias); the bench's worker checks that number
 * against the built model's `parameterCount()`, so the count cannot drift from lib/models.
 *
 * @example
 * ```ts
 * import { parseModelName } from "../lib/models/mod.ts";
 * import { modelFlops } from "./flops.ts";
 * const f = modelFlops(parseModelName("resnet20"));
 * console.log(f.parameters, (f.trainFlopsPerImage / 1e6).toFixed(1)); // 272474 "244.9"
 * ```
 * @module
 */
import { type ModelSpec, normalizeModelSpec } from "../lib/models/mod.ts";
import { pyramidWidths } from "../lib/models/pyramidnet.ts";

/** One layer that does arithmetic or holds parameters. */
export interface CountedLayer {
  /** e.g. "stage2.block1.conv1", as lib/models names the variables. */
  readonly name: string;
  readonly kind: "conv" | "batchNorm" | "dense";
  /** Multiply-accumulates per image (0 for batch norm, which is not counted). */
  readonly macsPerImage: number;
  /** Trainable scalars. */
  readonly parameters: number;
}

/** A model's counted arithmetic, per image. */
export interface ModelFlops {
  readonly layers: readonly CountedLayer[];
  /** Convolution and dense multiply-accumulates of one forward pass. */
  readonly forwardMacsPerImage: number;
  /** 2 × {@link forwardMacsPerImage}. */
  readonly forwardFlopsPerImage: number;
  /** 3 × {@link forwardFlopsPerImage}: forward, then a backward of twice the forward. */
  readonly trainFlopsPerImage: number;
  /** Trainable scalars of the same layers (must equal the built model's `parameterCount()`). */
  readonly parameters: number;
}

/** Counts layers as the walk over an architecture meets them. */
class Counter {
  readonly layers: CountedLayer[] = [];
  /** A k×k convolution with `stride` on an h×w input; returns the output's [h, w]. */
  conv(
    name: string,
    k: number,
    cin: number,
    cout: number,
    [h, w]: readonly [number, number],
    stride = 1,
  ): [number, number] {
    const out: [number, number] = [Math.ceil(h / stride), Math.ceil(w / stride)];
    this.layers.push({
      name,
      kind: "conv",
      macsPerImage: k * k * cin * cout * out[0] * out[1],
      parameters: k * k * cin * cout,
    });
    return out;
  }
  batchNorm(name: string, channels: number): void {
    this.layers.push({ name, kind: "batchNorm", macsPerImage: 0, parameters: 2 * channels });
  }
  dense(name: string, inUnits: number, outUnits: number): void {
    this.layers.push({
      name,
      kind: "dense",
      macsPerImage: inUnits * outUnits,
      parameters: inUnits * outUnits + outUnits,
    });
  }
}

function countResNet(
  spec: Extract<ModelSpec, { arch: "resnet" }>,
  size: [number, number],
  c: Counter,
): void {
  const n = (spec.depth - 2) / 6;
  const widths = spec.widths!;
  let hw = c.conv("stem.conv", 3, spec.inputChannels!, widths[0], size);
  c.batchNorm("stem.bn", widths[0]);
  let cin = widths[0];
  for (let s = 0; s < 3; s++) {
    for (let b = 0; b < n; b++) {
      const prefix = `stage${s + 1}.block${b + 1}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const cout = widths[s];
      const out = c.conv(`${prefix}.conv1`, 3, cin, cout, hw, stride);
      c.batchNorm(`${prefix}.bn1`, cout);
      c.conv(`${prefix}.conv2`, 3, cout, cout, out);
      c.batchNorm(`${prefix}.bn2`, cout);
      if ((stride !== 1 || cin !== cout) && spec.shortcut === "B") {
        c.conv(`${prefix}.shortcut.conv`, 1, cin, cout, hw, stride);
        c.batchNorm(`${prefix}.shortcut.bn`, cout);
      }
      hw = out;
      cin = cout;
    }
  }
  c.dense("classifier", cin, spec.numClasses!);
}

function countPyramidNet(
  spec: Extract<ModelSpec, { arch: "pyramidnet" }>,
  size: [number, number],
  c: Counter,
): void {
  const bottleneck = spec.bottleneck!;
  const ratio = bottleneck ? 4 : 1;
  const stages = pyramidWidths(spec.depth, spec.alpha, bottleneck);
  let hw = c.conv("stem.conv", 3, spec.inputChannels!, 16, size);
  c.batchNorm("stem.bn", 16);
  stages.forEach((blocks, s) =>
    blocks.forEach(({ inChannels, planes }, b) => {
      const prefix = `stage${s + 1}.block${b + 1}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      c.batchNorm(`${prefix}.bn1`, inChannels);
      if (bottleneck) {
        c.conv(`${prefix}.conv1`, 1, inChannels, planes, hw);
        c.batchNorm(`${prefix}.bn2`, planes);
        hw = c.conv(`${prefix}.conv2`, 3, planes, planes, hw, stride);
        c.batchNorm(`${prefix}.bn3`, planes);
        c.conv(`${prefix}.conv3`, 1, planes, planes * ratio, hw);
        c.batchNorm(`${prefix}.bn4`, planes * ratio);
      } else {
        hw = c.conv(`${prefix}.conv1`, 3, inChannels, planes, hw, stride);
        c.batchNorm(`${prefix}.bn2`, planes);
        c.conv(`${prefix}.conv2`, 3, planes, planes, hw);
        c.batchNorm(`${prefix}.bn3`, planes);
      }
    })
  );
  const last = stages[2].at(-1)!.planes * ratio;
  c.batchNorm("head.bn", last);
  c.dense("classifier", last, spec.numClasses!);
}

/**
 * The counted arithmetic of `spec` on `imageHW` inputs (default CIFAR's 32×32); see the module
 * doc for what is counted. Throws (through lib/models' validation) on an invalid spec.
 */
export function modelFlops(
  spec: ModelSpec,
  imageHW: readonly [number, number] = [32, 32],
): ModelFlops {
  const [h, w] = imageHW;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new Error(`modelFlops: imageHW must be two positive integers, got [${imageHW}]`);
  }
  const full = normalizeModelSpec(spec);
  const counter = new Counter();
  if (full.arch === "resnet") countResNet(full, [h, w], counter);
  else countPyramidNet(full, [h, w], counter);
  const macs = counter.layers.reduce((sum, l) => sum + l.macsPerImage, 0);
  return {
    layers: counter.layers,
    forwardMacsPerImage: macs,
    forwardFlopsPerImage: 2 * macs,
    trainFlopsPerImage: 6 * macs,
    parameters: counter.layers.reduce((sum, l) => sum + l.parameters, 0),
  };
}
