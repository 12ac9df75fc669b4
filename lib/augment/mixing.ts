/**
 * The vocabulary the mixing augmentations (CutMix, Mixup, their switch) share: granularity, the
 * options every one of them takes, what was drawn for each sample, and what a call returns. The
 * engine that applies a draw to a batch is private (`_engine.ts`); how partners and groups are
 * chosen is described in {@link Granularity}.
 * @module
 */
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { RandomSource } from "../random.ts";
import type { Box, BoxDraw, Point } from "./box.ts";

/**
 * How widely one draw (the apply-or-not coin, λ, the box) is shared. Partners always come from
 * one random permutation π of the batch, sample i mixing with π(i).
 * - `batch` (the paper, its official code, timm's default): one draw for the whole batch;
 * - `pair` (timm's "pair"): π is cut into pairs (π(0), π(1)), (π(2), π(3)), … whose two members
 *   share one draw and mix with each other (under CutMix they swap pixels inside one box); in an
 *   odd batch the sample left over is its own partner, so it stays unchanged (timm refuses odd
 *   batches);
 * - `elem` (timm's "elem"): one draw per sample, partners by π.
 */
export type Granularity = "batch" | "pair" | "elem";

/** The granularities, in the order documented. */
export const GRANULARITIES: readonly Granularity[] = ["batch", "pair", "elem"];

/** Defaults of the options every mixing augmentation (and Cutout) shares. */
export const MIX_DEFAULTS: Readonly<{
  prob: number;
  labelSmoothing: number;
  granularity: Granularity;
}> = Object.freeze({ prob: 1, labelSmoothing: 0, granularity: "batch" });

/** What happened to one sample. */
export type MixMode = "none" | "cutmix" | "mixup";

/** Options every mixing augmentation takes. */
export interface MixOptions extends RandomSource {
  /**
   * K, the number of classes: required when labels are class indices, checked against the rows
   * when labels are one-hot/soft rows [N, K].
   */
  readonly numClasses?: number;
  /**
   * Label smoothing ε ∈ [0, 1) applied to each label *before* mixing (timm's order). Default
   * `MIX_DEFAULTS.labelSmoothing`.
   */
  readonly labelSmoothing?: number;
  /** Chance ∈ [0, 1] that a group (see `granularity`) is mixed. Default `MIX_DEFAULTS.prob`. */
  readonly prob?: number;
  /** Which samples share a draw: see {@link Granularity}. Default `MIX_DEFAULTS.granularity`. */
  readonly granularity?: Granularity;
}

/** Everything drawn for one batch, per sample, for inspection and plotting. */
export interface MixDraw {
  /** The granularity the draw was made at: which samples share a coin, λ and box. */
  readonly granularity: Granularity;
  /** The probability of mixing that was in force for this call. */
  readonly probability: number;
  /** partners[i] = index of x_B for sample i. */
  readonly partners: Int32Array;
  /** What was done to each sample. */
  readonly modes: readonly MixMode[];
  /** The Beta(α, α) draw behind each sample (NaN where none was drawn). */
  readonly drawnLambdas: Float64Array;
  /**
   * λ ∈ [0, 1]: the weight of the sample's own image in its output. For CutMix, exactly the
   * fraction of its pixels outside the pasted box (1 − box area / (H·W)); for Mixup, the blend
   * weight; 1 for an unmixed sample.
   */
  readonly lambdas: Float64Array;
  /** The weight of the sample's own label in its target (λ unless a target rule overrides it). */
  readonly targetWeights: Float64Array;
  /** The pasted box per sample (clipped, pixels, half-open), null where nothing was cut. */
  readonly boxes: readonly (Box | null)[];
  /** The drawn box centre per sample (continuous pixel coordinates), null where none. */
  readonly centers: readonly (Point | null)[];
}

/** The result of a mixing augmentation. Tensors are new and owned by the caller. */
export interface MixResult {
  /** The mixed images, same shape as the input. */
  readonly imagesNHWC: Tensor4D;
  /** Soft targets [N, K], rows summing to 1. */
  readonly targets: Tensor2D;
  /** What was drawn. */
  readonly draw: MixDraw;
}

/**
 * What one group's draw decided, copied to each of its samples in {@link MixDraw}. The group
 * drawers ({@link cutMixGroupDrawer}, {@link mixUpGroupDrawer}) make these; {@link NO_MIX} is an
 * unmixed group's.
 */
export interface GroupDraw {
  /** `cutmix` (a pasted box), `mixup` (a blend) or `none` (left as it is). */
  readonly mode: MixMode;
  /**
   * The Beta(α, α) draw; NaN when none was made (an unmixed group, or a CutMix box sized by
   * `fixedSize` or `minMax`).
   */
  readonly drawnLambda: number;
  /**
   * λ ∈ [0, 1], the weight of each sample's own image: the kept fraction of pixels for CutMix,
   * the blend weight for Mixup, 1 when unmixed.
   */
  readonly lambda: number;
  /**
   * The weight ∈ [0, 1] of each sample's own label in its target: λ, or what a CutMix target
   * rule ({@link CutMixTarget}) makes of it.
   */
  readonly targetWeight: number;
  /** CutMix's box (centre, size before clipping, clipped box) in image pixels; else null. */
  readonly box: BoxDraw | null;
}

/** The draw of an unmixed group. */
export const NO_MIX: GroupDraw = Object.freeze({
  mode: "none",
  drawnLambda: Number.NaN,
  lambda: 1,
  targetWeight: 1,
  box: null,
});
