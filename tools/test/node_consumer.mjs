// A Node user's training script against the packed package (run by node_package_stage.ts in a
// fresh project): the backend through the package's useBackend, then a tiny conv net trained two
// ways — cutMix in a custom loop, and a tf.data pipeline with cutMixTransform into fitDataset.
// Prints one JSON line; the stage checks that the clean loss went down both ways.
import { useBackend } from "@cutmix/cutmix/backend";
import { cutMix, cutMixTransform, Random } from "@cutmix/cutmix/augment";

const info = await useBackend({ kind: "tensorflow" });
const tf = await import("@tensorflow/tfjs-node");

const numClasses = 3;
const n = 48;
// Class c: channel c bright, plus noise; a conv net separates them in a few steps.
const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => i % numClasses), "int32");
const images = tf.tidy(() => {
  const noise = tf.randomUniform([n, 8, 8, 3], 0, 0.4, "float32", 1);
  const bright = tf.oneHot(labels, numClasses).reshape([n, 1, 1, 3]).mul(0.6);
  return noise.add(bright);
});
const oneHot = tf.oneHot(labels, numClasses).toFloat();

function makeModel(seed) {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 3],
        filters: 4,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({
        units: numClasses,
        activation: "softmax",
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
    ],
  });
}

const cleanLoss = (model) =>
  tf.tidy(() =>
    tf.metrics.categoricalCrossentropy(oneHot, model.predict(images)).mean().dataSync()[0]
  );

// 1. A custom loop: cutMix draws from one seeded stream, the optimizer minimises soft-target CE.
const loopModel = makeModel(10);
const optimizer = tf.train.sgd(1);
const rng = new Random(2019);
const loopBefore = cleanLoss(loopModel);
for (let step = 0; step < 40; step++) {
  const { imagesNHWC, targets } = cutMix(images, labels, { numClasses, prob: 0.5, rng });
  const loss = optimizer.minimize(
    () => tf.metrics.categoricalCrossentropy(targets, loopModel.apply(imagesNHWC)).mean(),
    true,
  );
  tf.dispose([imagesNHWC, targets, loss]);
}
const loopAfter = cleanLoss(loopModel);

// 2. tf.data: { xs, ys } elements, batched, mixed by cutMixTransform, into fitDataset.
const fitModel = makeModel(20);
fitModel.compile({ optimizer: tf.train.sgd(1), loss: "categoricalCrossentropy" });
const dataset = tf.data
  .zip({ xs: tf.data.array(tf.unstack(images)), ys: tf.data.array(tf.unstack(labels)) })
  .batch(16)
  .map(cutMixTransform({ numClasses, prob: 0.5, seed: 7 }));
const fitBefore = cleanLoss(fitModel);
const history = await fitModel.fitDataset(dataset, { epochs: 15, verbose: 0 });
const fitAfter = cleanLoss(fitModel);

console.log(JSON.stringify({
  backend: tf.getBackend(),
  native: info.native,
  packageName: info.packageName,
  loop: { before: loopBefore, after: loopAfter },
  fitDataset: { before: fitBefore, after: fitAfter, epochs: history.history.loss.length },
}));
