/**
 * Tiny CIFAR archives in the official binary layouts, built by the tests themselves (no binaries
 * in git), and a small hand-made dataset.
 * @module
 */
import { gzipSync } from "node:zlib";
import {
  CIFAR100_FORMAT,
  CIFAR10_FORMAT,
  CIFAR_IMAGE_BYTES,
  type CifarFormat,
} from "../../lib/data/cifar.ts";
import type { ImageDataset } from "../../lib/data/dataset.ts";
import { writeTar } from "../../lib/data/tar.ts";

/** CIFAR-10's layout with 20 records per training file (2 per class) and 10 test records. */
export const TINY_CIFAR10: CifarFormat = {
  ...CIFAR10_FORMAT,
  recordsPerTrainFile: 20,
  testRecords: 10,
};

/** CIFAR-100's layout with 200 training records (2 per class) and 100 test records. */
export const TINY_CIFAR100: CifarFormat = {
  ...CIFAR100_FORMAT,
  recordsPerTrainFile: 200,
  testRecords: 100,
};

/** The pixel byte of global image `image`, channel `c` (0 R, 1 G, 2 B), row-major position `p`. */
export function fixturePixel(image: number, c: number, p: number): number {
  return (image * 7 + c * 85 + p * 3) & 0xff;
}

/** Fine label of global image `image` (class-balanced: cycles through the classes). */
export function fixtureLabel(image: number, numClasses: number): number {
  return image % numClasses;
}

/** CIFAR-100 superclass of a fine class in the fixture: fine mod 20 (one superclass each). */
export function fixtureCoarse(fine: number): number {
  return fine % 20;
}

/** One binary file of `count` records starting at global image `first`, channel-major pixels. */
export function recordsFile(format: CifarFormat, first: number, count: number): Uint8Array {
  const recordBytes = format.labelBytes + CIFAR_IMAGE_BYTES;
  const out = new Uint8Array(count * recordBytes);
  for (let r = 0; r < count; r++) {
    const image = first + r;
    const base = r * recordBytes;
    const fine = fixtureLabel(image, format.numClasses);
    if (format.labelBytes === 2) out[base] = fixtureCoarse(fine);
    out[base + format.labelBytes - 1] = fine;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) {
        out[base + format.labelBytes + c * 1024 + p] = fixturePixel(image, c, p);
      }
    }
  }
  return out;
}

/** Options to damage a fixture archive. */
export interface FixtureFaults {
  /** Leave this member (file name inside the folder) out. */
  readonly omit?: string;
  /** Replace this member's bytes. */
  readonly replace?: { readonly member: string; readonly bytes: Uint8Array };
}

/**
 * The members of a tiny archive of `format`: training images are global images 0.., test images
 * follow them. Class names are "class0", "class1", ….
 */
export function fixtureMembers(
  format: CifarFormat,
  faults: FixtureFaults = {},
): { name: string; data: Uint8Array }[] {
  const encoder = new TextEncoder();
  const members: { name: string; data: Uint8Array }[] = [];
  let next = 0;
  for (const file of format.trainFiles) {
    members.push({ name: file, data: recordsFile(format, next, format.recordsPerTrainFile) });
    next += format.recordsPerTrainFile;
  }
  members.push({ name: format.testFile, data: recordsFile(format, next, format.testRecords) });
  const names = Array.from({ length: format.numClasses }, (_, i) => `class${i}`).join("\n");
  members.push({ name: format.classNamesFile, data: encoder.encode(names + "\n\n") });
  if (format.coarseNamesFile) {
    const coarse = Array.from({ length: format.numCoarseClasses! }, (_, i) => `super${i}`);
    members.push({ name: format.coarseNamesFile, data: encoder.encode(coarse.join("\n") + "\n") });
  }
  return members
    .filter((m) => m.name !== faults.omit)
    .map((m) => m.name === faults.replace?.member ? { ...m, data: faults.replace.bytes } : m)
    .map((m) => ({ name: `${format.directory}/${m.name}`, data: m.data }));
}

/** Writes a tiny `.tar.gz` of `format` into `dir` and returns its path. */
export async function writeFixtureArchive(
  dir: string,
  format: CifarFormat,
  faults: FixtureFaults = {},
): Promise<string> {
  const path = `${dir}/${format.archiveName}`;
  await Deno.writeFile(path, gzipSync(writeTar(fixtureMembers(format, faults))));
  return path;
}

/**
 * A hand-made dataset of `n` images of 4×4×3 (by default) whose every byte is
 * `(image * 16 + position) mod 256`, labels `image mod numClasses`.
 */
export function handMadeDataset(
  n: number,
  numClasses = 3,
  height = 4,
  width = 4,
): ImageDataset {
  const size = height * width * 3;
  const pixels = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < size; p++) pixels[i * size + p] = (i * 16 + p) & 0xff;
  }
  return {
    name: "hand-made",
    height,
    width,
    channels: 3,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => `c${i}`),
    pixelsNHWC: pixels,
    labels: Int32Array.from({ length: n }, (_, i) => i % numClasses),
  };
}
