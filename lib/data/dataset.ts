/**
 * The in-memory image dataset every loader returns and every pipeline consumes.
 *
 * Pixels stay as bytes (3 KiB per CIFAR image) until a batch is built; batches become float32
 * tensors in [0, 1]. Normalisation by the dataset's mean/std happens inside the models, so that
 * attacks (FGSM's ε = 8/255) and occlusion act on [0, 1] pixels as the paper states them.
 *
 * @example
 * ```ts
 * import type { ImageDataset } from "./dataset.ts";
 * const tiny: ImageDataset = {
 *   name: "tiny", height: 2, width: 2, channels: 3, numClasses: 2, classNames: ["a", "b"],
 *   pixelsNHWC: new Uint8Array(2 * 2 * 2 * 3), labels: new Int32Array([0, 1]),
 * };
 * ```
 * @module
 */

/** N images of height × width × channels bytes with one class index each. */
export interface ImageDataset {
  /** Where it came from, e.g. "cifar10/train" (shown in reports). */
  readonly name: string;
  /** Image height in pixels, the same for every image (32 for CIFAR). */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Channels per pixel, interleaved in `pixelsNHWC` (3 for CIFAR's RGB), one byte each. */
  readonly channels: number;
  /** K: labels lie in [0, K), and `classNames` has K entries. */
  readonly numClasses: number;
  /** `numClasses` names, index = class id. */
  readonly classNames: readonly string[];
  /** uint8 pixels, N × height × width × channels, row-major NHWC (RGB interleaved). */
  readonly pixelsNHWC: Uint8Array;
  /** int32 class indices in [0, numClasses), length N. */
  readonly labels: Int32Array;
}

/** Number of images in `dataset`. */
export function datasetSize(dataset: ImageDataset): number {
  return dataset.labels.length;
}
