/**
 * PyramidNet (Han et al. 2017, "Deep Pyramidal Residual Networks") for CIFAR, following
 * clovaai/CutMix-PyTorch's pyramidnet.py (itself dyhan0920/PyramidNet-PyTorch), the model the
 * CutMix paper's CIFAR results use (PyramidNet-200, α = 240, bottleneck: 26,752,702 parameters,
 * "26.8M"; PyramidNet-110, α = 64, basic: 2,616,376 — the 1.7M PyramidNet-110 is α = 48).
 *
 * - Widths grow additively: each of the 3n blocks adds α / (3n) channels to a running width that
 *   starts at 16, rounded as Python's `round` (half to even); bottleneck blocks output 4× that.
 * - Stem: conv3×3 (16) → BN (no ReLU). Head: BN → ReLU → global average pool → dense.
 * - Basic block: BN → conv3×3(stride) → BN → ReLU → conv3×3 → BN.
 *   Bottleneck block: BN → conv1×1 → BN → ReLU → conv3×3(stride) → BN → ReLU → conv1×1 (4×) → BN.
 *   No ReLU after the addition.
 * - Shortcut: identity, or 2×2 average pooling (stride 2) where the block downsamples, with zero
 *   channels appended to reach the branch's width. No parameters.
 * - Optional ShakeDrop on every residual branch, with drop probability rising linearly over the
 *   blocks to `shakeDrop` at the last (0.5 in Yamada et al.): p_i = shakeDrop · i / (3n).
 *
 * @example
 * ```ts
 * import { Random } from "../random.ts";
 * import { createPyramidNet } from "./pyramidnet.ts";
 * const model = createPyramidNet({ depth: 110, alpha: 64 }, new Random(0));
 * console.log(model.parameterCount()); // 2,616,376 (α = 48 gives 1.77M)
 * model.dispose();
 * ```
 * @module
 */
import type { Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { MixLayer } from "../augment/types.ts";
import type { Random } from "../random.ts";
import { type BatchNormParams, type ConvParams, ParameterStore } from "./layers.ts";
import {
  type ClassifierIOOptions,
  type ForwardOptions,
  type ForwardResult,
  type ImageClassifier,
  type ModelOutputs,
  resolveClassifierIO,
} from "./model.ts";
import { checkImages } from "../_validate.ts";
import { eagerLayerOps, type LayerOps } from "./ops.ts";

/** The architecture of a CIFAR PyramidNet. */
export interface PyramidNetOptions extends ClassifierIOOptions {
  /** 6n + 2 (basic blocks) or 9n + 2 (bottleneck), n ≥ 1: e.g. 110 basic, 200 or 272 bottleneck. */
  readonly depth: number;
  /** Total widening α: the last stage ends α channels wider than the stem's 16 (before 4×). */
  readonly alpha: number;
  /** Bottleneck blocks (three convolutions, 4× output) instead of basic ones; default false. */
  readonly bottleneck?: boolean;
  /** ShakeDrop's drop probability at the last block (linearly less before it); off if absent/0. */
  readonly shakeDrop?: number;
}

/** Python 3's `round` for the widths: to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The channel widths of PyramidNet's blocks, exactly as the reference code's
 * `pyramidal_make_layer`: `[inChannels, planes]` per block, output `planes · (bottleneck ? 4 : 1)`.
 */
export function pyramidWidths(
  depth: number,
  alpha: number,
  bottleneck: boolean,
): { inChannels: number; planes: number }[][] {
  const n = (depth - 2) / (bottleneck ? 9 : 6);
  const ratio = bottleneck ? 4 : 1;
  const addRate = alpha / (3 * n);
  let featureDim = 16;
  let inputDim = 16;
  const stages: { inChannels: number; planes: number }[][] = [];
  for (let s = 0; s < 3; s++) {
    const blocks: { inChannels: number; planes: number }[] = [];
    featureDim = featureDim + addRate;
    blocks.push({ inChannels: inputDim, planes: roundHalfEven(featureDim) });
    for (let b = 1; b < n; b++) {
      const next = featureDim + addRate;
      blocks.push({ inChannels: roundHalfEven(featureDim) * ratio, planes: roundHalfEven(next) });
      featureDim = next;
    }
    inputDim = roundHalfEven(featureDim) * ratio;
    stages.push(blocks);
  }
  return stages;
}

interface PyramidBlock {
  readonly stride: number;
  readonly outChannels: number;
  readonly bns: BatchNormParams[];
  readonly convs: ConvParams[];
  readonly pDrop: number;
}

/** `options` with every default filled in, validated (throws naming the bad field). */
export function resolvePyramidNetOptions(options: PyramidNetOptions): Required<PyramidNetOptions> {
  const { depth, alpha } = options;
  const bottleneck = options.bottleneck ?? false;
  const per = bottleneck ? 9 : 6;
  if (!Number.isInteger(depth) || depth < per + 2 || (depth - 2) % per !== 0) {
    throw new Error(
      `PyramidNet: depth must be ${per}n + 2 with n ≥ 1 for ${
        bottleneck ? "bottleneck" : "basic"
      } blocks, got ${depth}`,
    );
  }
  if (!(alpha >= 0) || !Number.isFinite(alpha)) {
    throw new Error(`PyramidNet: alpha must be a finite number ≥ 0, got ${alpha}`);
  }
  const shakeDropFinal = options.shakeDrop ?? 0;
  if (!(shakeDropFinal >= 0 && shakeDropFinal <= 1)) {
    throw new Error(`PyramidNet: shakeDrop must be in [0, 1], got ${options.shakeDrop}`);
  }
  const io = resolveClassifierIO(options, "PyramidNet");
  return {
    depth,
    alpha,
    bottleneck,
    shakeDrop: shakeDropFinal,
    ...io,
  };
}

/** Validates `options` and builds a CIFAR PyramidNet with variables drawn from `rng`. */
export function createPyramidNet(options: PyramidNetOptions, rng: Random): ImageClassifier {
  const resolved = resolvePyramidNetOptions(options);
  const { depth, alpha, bottleneck, numClasses, inputChannels, mean, std } = resolved;
  const shakeDropFinal = resolved.shakeDrop;
  const ratio = bottleneck ? 4 : 1;
  const widths = pyramidWidths(depth, alpha, bottleneck);
  const totalBlocks = widths.reduce((sum, stage) => sum + stage.length, 0);

  const store = new ParameterStore(rng);
  const stem = {
    conv: store.conv("stem.conv", 3, inputChannels, 16),
    bn: store.batchNorm("stem.bn", 16),
  };
  const stages: PyramidBlock[][] = [];
  let index = 0;
  for (let s = 0; s < 3; s++) {
    stages.push(widths[s].map(({ inChannels, planes }, b) => {
      index++;
      const prefix = `stage${s + 1}.block${b + 1}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const convs = bottleneck
        ? [
          store.conv(`${prefix}.conv1`, 1, inChannels, planes),
          store.conv(`${prefix}.conv2`, 3, planes, planes),
          store.conv(`${prefix}.conv3`, 1, planes, planes * ratio),
        ]
        : [
          store.conv(`${prefix}.conv1`, 3, inChannels, planes),
          store.conv(`${prefix}.conv2`, 3, planes, planes),
        ];
      const bnWidths = bottleneck
        ? [inChannels, planes, planes, planes * ratio]
        : [inChannels, planes, planes];
      const bns = bnWidths.map((c, i) => store.batchNorm(`${prefix}.bn${i + 1}`, c));
      return {
        stride,
        outChannels: planes * ratio,
        convs,
        bns,
        pDrop: (shakeDropFinal * index) / totalBlocks,
      };
    }));
  }
  const finalChannels = widths[2][widths[2].length - 1].planes * ratio;
  const finalBn = store.batchNorm("head.bn", finalChannels);
  const classifier = store.dense("classifier", finalChannels, numClasses);
  const name = `pyramidnet${depth}-a${alpha}${bottleneck ? "-bottleneck" : ""}` +
    (shakeDropFinal > 0 ? `-shakedrop${shakeDropFinal}` : "");

  function block<T4, T2>(ops: LayerOps<T4, T2>, x: T4, p: PyramidBlock): T4 {
    const [bn1, bn2, bn3, bn4] = p.bns;
    let out = ops.conv2d(ops.batchNorm(x, bn1), p.convs[0], bottleneck ? 1 : p.stride);
    out = ops.batchNormRelu(out, bn2);
    if (bottleneck) {
      out = ops.batchNormRelu(ops.conv2d(out, p.convs[1], p.stride), bn3);
      out = ops.batchNorm(ops.conv2d(out, p.convs[2]), bn4);
    } else {
      out = ops.batchNorm(ops.conv2d(out, p.convs[1]), bn3);
    }
    if (p.pDrop > 0) out = ops.shakeDrop(out, p.pDrop);
    const shortcut = p.stride === 2 ? ops.averagePool2x2(x) : x;
    return ops.add(out, ops.padChannels(shortcut, p.outChannels));
  }

  function apply<T4, T2>(ops: LayerOps<T4, T2>, imagesNHWC: T4): ModelOutputs<T4, T2> {
    let x = ops.mixAt(imagesNHWC, 0);
    x = ops.normalizeChannels(x, mean, std);
    x = ops.batchNorm(ops.conv2d(x, stem.conv), stem.bn);
    x = ops.mixAt(x, 1);
    for (let s = 0; s < 3; s++) {
      for (const p of stages[s]) x = block(ops, x, p);
      x = ops.mixAt(x, (s + 2) as MixLayer);
    }
    const featuresNHWC = ops.batchNormRelu(x, finalBn);
    const logits = ops.dense(ops.globalAveragePool(featuresNHWC), classifier);
    return { logits, featuresNHWC };
  }

  return {
    name,
    numClasses,
    mean,
    std,
    parameters: store,
    classifier,
    forward(imagesNHWC: Tensor4D, options: ForwardOptions): ForwardResult {
      checkImages(imagesNHWC, `${name}.forward: imagesNHWC`, inputChannels);
      if (options.training && shakeDropFinal > 0 && options.rng === undefined) {
        throw new Error(`${name}.forward: ShakeDrop needs options.rng in training`);
      }
      return tf.tidy(() => {
        const { logits, featuresNHWC } = apply(eagerLayerOps(options), imagesNHWC);
        return { logits, featuresNHWC };
      });
    },
    apply,
    parameterCount: () => store.parameterCount(),
    dispose: () => store.dispose(),
  };
}
