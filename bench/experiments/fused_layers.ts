/**
 * A drop-in replacement for lib/models/layers.ts with the same exports and signatures, whose
 * `batchNorm` and `relu` run TensorFlow's fused kernels (see ./fused_ops.ts). This is the exact
 * change proposed for lib/models/layers.ts; the bench measures it on the unchanged lib/models
 * networks by running them under an import map that, for modules in lib/models/ only, resolves
 * `./layers.ts` to this file (bench/bench.ts writes that map to bench/out/fused_import_map.json).
 * On a backend other than native TensorFlow it runs lib's composition unchanged.
 *
 * @example
 * ```ts
 * // deno run -A --import-map=bench/out/fused_import_map.json bench/worker.ts …
 * import { batchNorm, relu } from "./fused_layers.ts";
 * ```
 * @module
 */
import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-node";
import { tf } from "../../lib/backend.ts";
import * as base from "../../lib/models/layers.ts";
import type { BatchNormParams } from "../../lib/models/layers.ts";
import { batchNormTrain, registerFusedKernels, relu as fusedRelu } from "./fused_ops.ts";

export * from "../../lib/models/layers.ts";

/** The fused kernels exist for the native backend only; elsewhere lib's composition runs. */
const native = tf.getBackend() === "tensorflow";
if (native) registerFusedKernels();

/** Marks this module as loaded (the bench checks it ran the fused layers). */
export const FUSED_LAYERS = true;

/**
 * Batch normalisation over N, H, W of an NHWC tensor; same contract as lib/models/layers.ts.
 * Training: one `FusedBatchNormV3` forward (batch statistics, running averages updated in the
 * same kernel) and one `FusedBatchNormGradV3` backward. Evaluation: one `FusedBatchNormV3`.
 */
export function batchNorm(xNHWC: Tensor4D, params: BatchNormParams, training: boolean): Tensor4D {
  if (!native) return base.batchNorm(xNHWC, params, training);
  if (!training) {
    return tf.batchNorm(
      xNHWC,
      params.movingMean,
      params.movingVariance,
      params.beta,
      params.gamma,
      params.epsilon,
    ) as Tensor4D;
  }
  const { y, runningMean, runningVar } = batchNormTrain(
    xNHWC,
    params.gamma as unknown as Tensor1D,
    params.beta as unknown as Tensor1D,
    params.movingMean as unknown as Tensor1D,
    params.movingVariance as unknown as Tensor1D,
    { epsilon: params.epsilon, momentum: params.momentum, relu: false },
  );
  params.movingMean.assign(runningMean);
  params.movingVariance.assign(runningVar);
  return y;
}

/** max(x, 0), with TensorFlow's `ReluGrad` as the gradient. */
export function relu<T extends Tensor>(x: T): T {
  return native ? fusedRelu(x) : base.relu(x);
}
