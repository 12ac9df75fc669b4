/**
 * The contract between batch augmentations (lib/augment) and the training loop (lib/training).
 *
 * A training step hands a batch of [0, 1] float images and integer labels to a
 * {@link BatchAugmentation}; it gets back the images to feed the model and the soft targets to
 * train against. Feature-level CutMix instead returns a {@link FeatureMix} that the model applies
 * at its named mixing point.
 * @module
 */
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { Random } from "../random.ts";

/**
 * Where in a model feature-level CutMix acts: 0 = the input image, 1 = after the stem, 2..4 =
 * after stage 1..3.
 */
export type MixLayer = 0 | 1 | 2 | 3 | 4;

/** A mixing op to apply to an intermediate feature map (NHWC, any resolution). */
export interface FeatureMix {
  /** The point in the model where `mix` is applied. */
  readonly layer: MixLayer;
  /** Mixes the batch's feature map with its permuted partners inside the same (rescaled) boxes. */
  mix(featuresNHWC: Tensor4D): Tensor4D;
  /**
   * The same mix as data, for a compiled graph that mixes inside itself (lib/models/graph_ops.ts):
   * the partners and the box mask on a `height` × `width` map. Throws, as `mix` does, if that is
   * not the map size it was drawn for. Optional: a mix without it runs on the eager engine only.
   */
  graphInputs?(height: number, width: number): FeatureMixGraphInputs;
}

/** {@link FeatureMix} as data: `where(mask, features[partners], features)`. */
export interface FeatureMixGraphInputs {
  /** partners[i] = the sample whose features fill sample i's box, int32 `[N]`. */
  readonly partners: Int32Array;
  /** 1 inside sample i's box, else 0: `[N, height, width]` row-major. */
  readonly mask: Uint8Array;
}

/** What the training loop tells an augmentation about the step it is in. */
export interface AugmentContext {
  /** The random stream for this step's draws. */
  readonly rng: Random;
  /** Progress through training ∈ [0, 1] (epochs done / total), for scheduled probabilities. */
  readonly trainingProgress: number;
}

/** The result of augmenting one batch. Tensors are owned by the caller (dispose them). */
export interface AugmentedBatch {
  /** Images to feed the model, NHWC float32 in [0, 1] (before the model's normalisation). */
  readonly imagesNHWC: Tensor4D;
  /** Soft targets, [N, numClasses] float32, rows sum to 1. */
  readonly targets: Tensor2D;
  /** Set for feature-level CutMix: the model must apply it at `featureMix.layer`. */
  readonly featureMix?: FeatureMix;
}

/** A batch-level augmentation chosen by configuration (none, Mixup, Cutout, CutMix, variants…). */
export interface BatchAugmentation {
  /** A short name for logs and reports, e.g. "cutmix(α=1, p=0.5)". */
  readonly name: string;
  /** Augments a batch. Must not mutate or dispose its inputs. */
  apply(imagesNHWC: Tensor4D, labels: Tensor1D, context: AugmentContext): AugmentedBatch;
}
