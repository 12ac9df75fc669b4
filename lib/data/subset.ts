/**
 * Subsets of an {@link ImageDataset}: by explicit indices, or class-balanced (CPU-scale runs
 * train on e.g. 500 images per class of CIFAR-10's 5,000).
 *
 * @example
 * ```ts
 * import { balancedSubset } from "./subset.ts";
 * import { loadCifar } from "./cifar.ts";
 * import { Random } from "../random.ts";
 * const train = await loadCifar("cifar10", "train");
 * const small = balancedSubset(train, 500, new Random(0)); // 5,000 images, 500 of each class
 * console.log(small.name); // "cifar10/train[500/class]"
 * ```
 * @module
 */
import type { Random } from "../random.ts";
import { datasetSize, type ImageDataset } from "./dataset.ts";
import { checkPositiveInteger } from "../_validate.ts";

/** A dataset cut from another, remembering which of the source's images it holds. */
export interface SubsetDataset extends ImageDataset {
  /** Index in the source dataset of each image, ascending. */
  readonly sourceIndices: Int32Array;
}

/** Bytes of one image of `dataset`. */
export function imageBytes(dataset: ImageDataset): number {
  return dataset.height * dataset.width * dataset.channels;
}

/**
 * The images of `dataset` at `indices`, in that order (copies the bytes).
 *
 * @param name the new dataset's name (default `<source name>[subset of N]`).
 * @throws Error when an index is not an integer in [0, N).
 */
export function subsetByIndices(
  dataset: ImageDataset,
  indices: ArrayLike<number>,
  name = `${dataset.name}[subset of ${indices.length}]`,
): SubsetDataset {
  const n = datasetSize(dataset);
  const size = imageBytes(dataset);
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  const sourceIndices = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new Error(`indices[${i}] must be an integer in [0, ${n}), got ${index}`);
    }
    pixels.set(dataset.pixelsNHWC.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index];
    sourceIndices[i] = index;
  }
  return { ...dataset, name, pixelsNHWC: pixels, labels, sourceIndices };
}

/**
 * A class-balanced random subset: `perClass` images of every class, drawn without replacement
 * by a seeded shuffle of each class's images, kept in the source's order.
 *
 * @param perClass images per class, a positive integer no larger than the smallest class.
 * @param rng the stream the draws come from (the same seed gives the same subset).
 * @throws Error when `perClass` is not a positive integer or some class has fewer images.
 */
export function balancedSubset(
  dataset: ImageDataset,
  perClass: number,
  rng: Random,
): SubsetDataset {
  checkPositiveInteger(perClass, "perClass");
  const byClass: number[][] = Array.from({ length: dataset.numClasses }, () => []);
  for (let i = 0; i < dataset.labels.length; i++) byClass[dataset.labels[i]].push(i);
  const chosen: number[] = [];
  byClass.forEach((members, label) => {
    if (members.length < perClass) {
      throw new Error(
        `perClass=${perClass} but class ${label} (${dataset.classNames[label]}) of ` +
          `${dataset.name} has only ${members.length} images`,
      );
    }
    rng.shuffle(members);
    for (let k = 0; k < perClass; k++) chosen.push(members[k]);
  });
  chosen.sort((a, b) => a - b);
  return subsetByIndices(dataset, chosen, `${dataset.name}[${perClass}/class]`);
}
