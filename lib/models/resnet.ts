/**
 * CIFAR ResNet (He et al. 2016, "Deep Residual Learning", §4.2): a 3×3 stem, three stages of n
 * basic blocks (two 3×3 convolutions each) at widths 16/32/64 and resolutions 32/16/8, global
 * average pooling and a dense classifier: depth 6n + 2 (ResNet-20, -56, -110 for n = 3, 9, 18).
 *
 * Block: conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the shortcut, then ReLU.
 * Shortcut where the shape changes (first block of stages 2 and 3):
 * - `"B"` (default, as clovaai/CutMix-PyTorch's resnet.py, which the CutMix paper trained):
 *   a 1×1 convolution with the block's stride followed by BN;
 * - `"A"` (the ResNet paper's CIFAR choice): parameter-free, every second pixel and zero channels
 *   appended half before and half after (identity for the existing channels).
 * ResNet-110 has 1.73M parameters with either (option B adds 2,560 + 192).
 *
 * @example
 * ```ts
 * import { Random } from "../random.ts";
 * import { createResNet } from "./resnet.ts";
 * const model = createResNet({ depth: 110 }, new Random(0));
 * console.log(model.parameterCount()); // 1,730,714
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

/** The architecture of a CIFAR ResNet. */
export interface ResNetOptions extends ClassifierIOOptions {
  /** 6n + 2 with n ≥ 1: 8, 14, 20, 32, 44, 56, 110, … */
  readonly depth: number;
  /** Widths of the three stages (the stem has the first); default [16, 32, 64]. */
  readonly widths?: readonly [number, number, number];
  /** Projection shortcut "B" (1×1 conv + BN, default) or parameter-free "A". */
  readonly shortcut?: "A" | "B";
}

interface BasicBlock {
  readonly stride: number;
  readonly outChannels: number;
  readonly conv1: ConvParams;
  readonly bn1: BatchNormParams;
  readonly conv2: ConvParams;
  readonly bn2: BatchNormParams;
  /** Option-B projection, when the shape changes. */
  readonly projection?: { conv: ConvParams; bn: BatchNormParams };
  /** Option-A: the shape changes and the shortcut subsamples and pads. */
  readonly padShortcut: boolean;
}

/** `options` with every default filled in, validated (throws naming the bad field). */
export function resolveResNetOptions(options: ResNetOptions): Required<ResNetOptions> {
  const { depth } = options;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new Error(`ResNet: depth must be 6n + 2 with n ≥ 1 (8, 20, 56, 110, …), got ${depth}`);
  }
  const widths = options.widths ?? [16, 32, 64];
  if (
    !Array.isArray(widths) || widths.length !== 3 ||
    widths.some((w) => !Number.isInteger(w) || w < 1)
  ) {
    throw new Error(`ResNet: widths must be three positive integers, got [${widths}]`);
  }
  const shortcut = options.shortcut ?? "B";
  if (shortcut !== "A" && shortcut !== "B") {
    throw new Error(`ResNet: shortcut must be "A" or "B", got ${JSON.stringify(shortcut)}`);
  }
  const io = resolveClassifierIO(options, "ResNet");
  return {
    depth,
    widths: [...widths] as [number, number, number],
    shortcut,
    ...io,
  };
}

/** Validates `options` and builds a CIFAR ResNet with variables drawn from `rng`. */
export function createResNet(options: ResNetOptions, rng: Random): ImageClassifier {
  const { depth, widths, shortcut, numClasses, inputChannels, mean, std } = resolveResNetOptions(
    options,
  );
  const n = (depth - 2) / 6;

  const store = new ParameterStore(rng);
  const stem = {
    conv: store.conv("stem.conv", 3, inputChannels, widths[0]),
    bn: store.batchNorm("stem.bn", widths[0]),
  };
  const stages: BasicBlock[][] = [];
  let inChannels = widths[0];
  for (let s = 0; s < 3; s++) {
    const blocks: BasicBlock[] = [];
    for (let b = 0; b < n; b++) {
      const prefix = `stage${s + 1}.block${b + 1}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const outChannels = widths[s];
      const changes = stride !== 1 || inChannels !== outChannels;
      blocks.push({
        stride,
        outChannels,
        conv1: store.conv(`${prefix}.conv1`, 3, inChannels, outChannels),
        bn1: store.batchNorm(`${prefix}.bn1`, outChannels),
        conv2: store.conv(`${prefix}.conv2`, 3, outChannels, outChannels),
        bn2: store.batchNorm(`${prefix}.bn2`, outChannels),
        projection: changes && shortcut === "B"
          ? {
            conv: store.conv(`${prefix}.shortcut.conv`, 1, inChannels, outChannels),
            bn: store.batchNorm(`${prefix}.shortcut.bn`, outChannels),
          }
          : undefined,
        padShortcut: changes && shortcut === "A",
      });
      inChannels = outChannels;
    }
    stages.push(blocks);
  }
  const classifier = store.dense("classifier", widths[2], numClasses);
  const name = `resnet${depth}` + (widths.join() === "16,32,64" ? "" : `-w${widths.join("-")}`) +
    (shortcut === "A" ? "-A" : "");

  function block<T4, T2>(ops: LayerOps<T4, T2>, x: T4, p: BasicBlock): T4 {
    let out = ops.batchNormRelu(ops.conv2d(x, p.conv1, p.stride), p.bn1);
    out = ops.batchNorm(ops.conv2d(out, p.conv2), p.bn2);
    let residual = x;
    if (p.projection) {
      residual = ops.batchNorm(ops.conv2d(x, p.projection.conv, p.stride), p.projection.bn);
    } else if (p.padShortcut) residual = ops.optionAShortcut(x, p.stride, p.outChannels);
    return ops.addRelu(out, residual);
  }

  function apply<T4, T2>(ops: LayerOps<T4, T2>, imagesNHWC: T4): ModelOutputs<T4, T2> {
    let x = ops.mixAt(imagesNHWC, 0);
    x = ops.normalizeChannels(x, mean, std);
    x = ops.batchNormRelu(ops.conv2d(x, stem.conv), stem.bn);
    x = ops.mixAt(x, 1);
    for (let s = 0; s < 3; s++) {
      for (const p of stages[s]) x = block(ops, x, p);
      x = ops.mixAt(x, (s + 2) as MixLayer);
    }
    const logits = ops.dense(ops.globalAveragePool(x), classifier);
    return { logits, featuresNHWC: x };
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
