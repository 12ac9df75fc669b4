/**
 * The sections that run in the bench's own process, after every worker: CutMix's cost per batch
 * and the input pipeline's throughput. They load lib (and TensorFlow) only when they run.
 * @module
 */
import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { CutMixFigures, PipelineFigures, Row } from "../_results.ts";
import { median } from "../stats.ts";
import { reason } from "./context.ts";

/**
 * `cutMix` (p = 1) on a batch of 128 CIFAR-sized images, ms per call with the outputs read back,
 * and that as a share of each variant's ResNet-20 batch-128 training step in `trainRows`.
 */
export async function measureCutMix(
  quick: boolean,
  trainRows: readonly Row[],
): Promise<CutMixFigures> {
  const batch = 128;
  try {
    const { tf } = await import("../_backend.ts");
    const { cutMix } = await import("../../lib/augment/cutmix.ts");
    const { Random } = await import("../../lib/random.ts");
    const rng = new Random("bench/cutmix");
    const images = tf.randomUniform([batch, 32, 32, 3], 0, 1, "float32", 1) as Tensor4D;
    const labels = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % 10), "int32");
    const once = () => {
      const r = cutMix(images, labels, { numClasses: 10, rng, prob: 1 });
      r.imagesNHWC.dataSync();
      r.targets.dataSync();
      tf.dispose([r.imagesNHWC, r.targets]);
    };
    for (let i = 0; i < 5; i++) once();
    const before = tf.memory().numTensors;
    const runs: number[] = [];
    const calls = quick ? 10 : 30;
    for (let r = 0; r < (quick ? 3 : 7); r++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) once();
      runs.push((performance.now() - start) / calls);
    }
    const stable = tf.memory().numTensors === before;
    tf.dispose([images, labels]);
    const ms = median(runs);
    const share: Record<string, number> = {};
    for (const row of trainRows) {
      if (row.model === "resnet20" && row.batch === batch && row.imagesPerSecond > 0) {
        share[row.variant] = ms / ((1000 * batch) / row.imagesPerSecond);
      }
    }
    return { batch, msPerBatch: ms, shareOfTrainingStep: share, numTensorsStable: stable };
  } catch (error) {
    return {
      batch,
      msPerBatch: NaN,
      shareOfTrainingStep: {},
      numTensorsStable: false,
      error: `CutMix not measured: ${reason(error)}`,
    };
  }
}

/**
 * `measurePipeline` (lib/data/pipeline.ts): shuffled batches of 128 with the baseline random crop
 * and flip, read back, on 10,000 synthetic CIFAR-shaped images.
 */
export async function measurePipelineFigures(quick: boolean): Promise<PipelineFigures> {
  const batch = 128;
  try {
    const { measurePipeline } = await import("../../lib/data/pipeline.ts");
    const { Random } = await import("../../lib/random.ts");
    // Synthetic bytes: the pipeline's work (gather, byte→float, crop, flip) does not depend on
    // pixel values, and this needs no dataset on disk.
    const n = 10_000;
    const rng = new Random("bench/pipeline");
    const pixels = new Uint8Array(n * 32 * 32 * 3);
    for (let i = 0; i < pixels.length; i += 4) {
      const w = rng.nextUint32();
      pixels[i] = w & 255;
      pixels[i + 1] = (w >>> 8) & 255;
      pixels[i + 2] = (w >>> 16) & 255;
      pixels[i + 3] = w >>> 24;
    }
    const labels = Int32Array.from({ length: n }, () => rng.int(10));
    const dataset = {
      name: "synthetic-cifar-shaped",
      height: 32,
      width: 32,
      channels: 3,
      numClasses: 10,
      classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
      pixelsNHWC: pixels,
      labels,
    };
    const batches = quick ? 10 : 30;
    measurePipeline(dataset, { batchSize: batch, seed: 0, epoch: 0 }, 3); // warm-up
    const runs: number[] = [];
    for (let r = 0; r < (quick ? 3 : 5); r++) {
      runs.push(
        measurePipeline(dataset, { batchSize: batch, seed: r + 1, epoch: 0 }, batches)
          .imagesPerSecond,
      );
    }
    return { batch, images: batches * batch, imagesPerSecond: median(runs), dataset: dataset.name };
  } catch (error) {
    return {
      batch,
      images: 0,
      imagesPerSecond: NaN,
      dataset: "",
      error: `pipeline not measured: ${reason(error)}`,
    };
  }
}
