/**
 * Seeded randomness for the whole library.
 *
 * Every random draw goes through a {@link Random}: a xoshiro128** generator (period 2^128 − 1,
 * passes BigCrush) seeded through SplitMix32. The rules:
 * - JS-side draws (λ, boxes, permutations, crop offsets) come from a `Random` that the caller
 *   passes in or that is built from a seed the caller passes in;
 * - a tensor op that takes a seed (`tf.randomUniform`, …) gets `rng.tensorSeed()`, a fresh
 *   integer drawn from the stream, so it never repeats a seed another op used;
 * - independent consumers get independent streams with `rng.fork()` (drawn from the parent) or
 *   `Random.derive(seed, "label", epoch)` (a pure function of its arguments, for "the stream of
 *   epoch 7" that must be the same whether or not epochs 0–6 ran, e.g. after resuming).
 * Two calls therefore never silently reuse one stream: each draw advances the generator.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const rng = new Random(42);
 * const lambda = rng.beta(1, 1); // λ ~ Beta(1, 1)
 * const order = rng.permutation(8); // Int32Array, a shuffle of 0..7
 * const epochRng = Random.derive(42, "shuffle", 3); // same stream for epoch 3 on every run
 * ```
 * @module
 */

/** Anything a stream can be seeded from: a safe integer, or text hashed to one. */
export type Seed = number | string;

/** FNV-1a over UTF-16 code units: a stable 32-bit hash of a label. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

function seedToUint32Pair(seed: Seed): [number, number] {
  if (typeof seed === "string") return [hashString(seed), hashString(`${seed}\u0001`)];
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer or a string, got ${seed}`);
  }
  // Keep the high bits too, so 1 and 2^32 + 1 are different seeds.
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x100000000) >>> 0;
  return [low, high];
}

/** One step of SplitMix32: turns a counter into well-mixed 32-bit words. */
function splitMix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) >>> 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seedable stream of random numbers (xoshiro128**). */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * A stream seeded from `seed` (expanded to the 128-bit state through SplitMix32). Throws a
   * RangeError when a numeric seed is not a safe integer.
   *
   * @param seed a safe integer or a string; the same seed gives the same stream on every
   *   platform.
   */
  constructor(seed: Seed) {
    const [low, high] = seedToUint32Pair(seed);
    const mixer = { x: (low ^ Math.imul(high, 0x9e3779b1)) >>> 0 };
    // Mix the high word in again so seeds differing only there diverge at once.
    splitMix32(mixer);
    mixer.x = (mixer.x ^ high) >>> 0;
    this.#s0 = splitMix32(mixer);
    this.#s1 = splitMix32(mixer);
    this.#s2 = splitMix32(mixer);
    this.#s3 = splitMix32(mixer);
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1; // the one bad state
  }

  /**
   * A stream that is a pure function of `seed` and the labels: `derive(7, "epoch", 3)` is the same
   * stream whatever else was drawn before. Use it where a run must be resumable mid-way.
   */
  static derive(seed: Seed, ...labels: (string | number)[]): Random {
    return new Random(`${seedToUint32Pair(seed).join(":")}/${labels.join("/")}`);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 = (this.#s2 ^ this.#s0) >>> 0;
    this.#s3 = (this.#s3 ^ this.#s1) >>> 0;
    this.#s1 = (this.#s1 ^ this.#s2) >>> 0;
    this.#s0 = (this.#s0 ^ this.#s3) >>> 0;
    this.#s2 = (this.#s2 ^ t) >>> 0;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    if (!(high >= low)) throw new RangeError(`uniform: need low <= high, got [${low}, ${high})`);
    return low + (high - low) * this.float();
  }

  /** An integer uniform in [0, n), without modulo bias. `n` must be in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new RangeError(`int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n); // largest multiple of n that fits
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability `p` ∈ [0, 1]. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    return this.float() < p;
  }

  /** A standard normal draw scaled to N(mean, std²) (Box–Muller, one value per call). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.float(); // log(0) is -Infinity
    const v = this.float();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Gamma(shape, scale) with `shape` the *shape* k (mean k·scale), by Marsaglia & Tsang (2000);
   * for k < 1, Gamma(k) = Gamma(k + 1) · U^(1/k).
   */
  gamma(shape: number, scale = 1): number {
    if (!(shape > 0) || !Number.isFinite(shape)) {
      throw new RangeError(`gamma: shape must be finite and > 0, got ${shape}`);
    }
    if (shape < 1) {
      let u = 0;
      while (u === 0) u = this.float();
      return this.gamma(shape + 1, scale) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /**
   * Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), both with the parameters as
   * *shapes* (passing them as rates gives Uniform(0, 1) for every a = b, a known bug elsewhere).
   */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    // For tiny shapes both can underflow to 0; the limit there is a fair coin between 0 and 1.
    if (x + y === 0) return this.float() < a / (a + b) ? 1 : 0;
    return x / (x + y);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`permutation: n must be a non-negative integer, got ${n}`);
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /**
   * A fresh seed for one tensor op that takes one (`tf.randomUniform(shape, lo, hi, dtype,
   * seed)`): a positive 31-bit integer drawn from this stream.
   */
  tensorSeed(): number {
    return (this.nextUint32() >>> 1) || 1;
  }

  /** An independent child stream, seeded from draws of this one (which advances it). */
  fork(): Random {
    const a = this.nextUint32();
    const b = this.nextUint32();
    return new Random(`fork:${a}:${b}`);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Where the draws come from: a `Random` the caller passes, or a seed to build one from. */
export interface RandomSource {
  /** The stream to draw from (advanced by the call). Give this or `seed`. */
  readonly rng?: Random;
  /** A seed for a fresh stream: the same seed gives the same draws. Give this or `rng`. */
  readonly seed?: Seed;
}

/** Resolves `{ rng }` or `{ seed }` (exactly one) to a `Random`. */
export function resolveRandom(source: RandomSource): Random {
  const { rng, seed } = source;
  if (rng !== undefined && seed !== undefined) {
    throw new Error("give either rng or seed, not both");
  }
  if (rng !== undefined) {
    if (!(rng instanceof Random)) {
      throw new Error(
        `rng must be a Random, got ${(rng as object)?.constructor?.name ?? typeof rng}`,
      );
    }
    return rng;
  }
  if (seed === undefined) {
    throw new Error("an rng (Random) or a seed is required: augmentations never draw unseeded");
  }
  return new Random(seed);
}
