/**
 * Test-set evaluation of a classifier: mean cross-entropy and top-1 / top-5 error, in eval mode
 * (batch norm on running statistics), batch by batch.
 *
 * @example
 * ```ts
 * import { evaluateClassifier } from "./evaluate.ts";
 * import { createModel } from "../models/mod.ts";
 * import { loadCifar } from "../data/cifar.ts";
 * const model = createModel({ arch: "resnet", depth: 20 }, 0);
 * const test = await loadCifar("cifar10", "test");
 * const { top1Error, top5Error } = evaluateClassifier(model, test, 500);
 * ```
 * @module
 */
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { datasetSize, type ImageDataset } from "../data/dataset.ts";
import { evalBatches } from "../data/pipeline.ts";
import { topKErrorCount } from "../metrics/classification.ts";
import type { ImageClassifier } from "../models/model.ts";

/** What {@link evaluateClassifier} measured. */
export interface Evaluation {
  /** Images evaluated. */
  readonly count: number;
  /** Mean cross-entropy against the true labels. */
  readonly loss: number;
  /** Fraction of images whose label is not the arg-max, ∈ [0, 1]. */
  readonly top1Error: number;
  /** Fraction whose label is not among the 5 highest logits (among all if fewer classes). */
  readonly top5Error: number;
}

/**
 * Evaluates `model` on every image of `dataset`, `batchSize` at a time. `logitsOf` computes the
 * evaluation-mode logits instead of `model.forward` (the compiled engine's own graph, on its
 * current parameters); the caller owns what it returns.
 */
export function evaluateClassifier(
  model: ImageClassifier,
  dataset: ImageDataset,
  batchSize: number,
  logitsOf?: (imagesNHWC: Tensor4D) => Tensor2D,
): Evaluation {
  const count = datasetSize(dataset);
  if (count === 0) throw new Error(`dataset ${dataset.name} is empty`);
  const k5 = Math.min(5, model.numClasses);
  let lossSum = 0;
  let wrong1 = 0;
  let wrong5 = 0;
  for (const batch of evalBatches(dataset, batchSize)) {
    try {
      let logits: Tensor2D;
      if (logitsOf !== undefined) logits = logitsOf(batch.imagesNHWC);
      else {
        const out = model.forward(batch.imagesNHWC, { training: false });
        out.featuresNHWC.dispose();
        logits = out.logits;
      }
      const lossTotal = tf.tidy(() => {
        const picked = tf.gather(tf.logSoftmax(logits), batch.labels as Tensor1D, 1, 1);
        return tf.neg(tf.sum(picked));
      });
      lossSum += lossTotal.dataSync()[0];
      lossTotal.dispose();
      wrong1 += topKErrorCount(logits, batch.labels, 1);
      wrong5 += topKErrorCount(logits, batch.labels, k5);
      logits.dispose();
    } finally {
      batch.imagesNHWC.dispose();
      batch.labels.dispose();
    }
  }
  return { count, loss: lossSum / count, top1Error: wrong1 / count, top5Error: wrong5 / count };
}
