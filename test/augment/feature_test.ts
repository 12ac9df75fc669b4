import assert from "node:assert/strict";
import { tf } from "../_backend.ts";
import { cifarFeatureSize, cutMix, featureCutMix } from "../../lib/augment/mod.ts";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { assertNoLeak, codedImages, cyclicLabels } from "./helpers.ts";

Deno.test("featureCutMix: at layer 0 it is image CutMix with the same seed", () => {
  assertNoLeak(() => {
    const images = codedImages(6, 8, 8, 3);
    const labels = cyclicLabels(6, 4);
    const f = featureCutMix(images, labels, {
      numClasses: 4,
      seed: 12,
      layer: 0,
      granularity: "elem",
    });
    const c = cutMix(images, labels, { numClasses: 4, seed: 12, granularity: "elem" });
    assert.deepEqual(f.imagesNHWC.dataSync(), images.dataSync(), "images pass through unmixed");
    const mixed = f.featureMix.mix(images);
    assert.deepEqual(mixed.dataSync(), c.imagesNHWC.dataSync());
    assert.deepEqual(f.targets.dataSync(), c.targets.dataSync());
    assert.equal(f.featureMix.layer, 0);
    tf.dispose([images, labels, f.imagesNHWC, f.targets, c.imagesNHWC, c.targets, mixed]);
  });
});

Deno.test("featureCutMix: the box is rescaled to the map, λ is the map's exact fraction", () => {
  assertNoLeak(() => {
    const [n, fh, fw, fc] = [5, 8, 8, 4];
    const images = codedImages(n, 32, 32, 3);
    const labels = cyclicLabels(n, 3);
    for (let seed = 0; seed < 8; seed++) {
      const f = featureCutMix(images, labels, {
        numClasses: 3,
        seed,
        layer: 4,
        granularity: "elem",
      });
      assert.equal(f.draw.featureHeight, fh);
      const features = codedImages(n, fh, fw, fc);
      const mixed = f.featureMix.mix(features);
      const x = features.dataSync();
      const out = mixed.dataSync();
      const targets = f.targets.arraySync() as number[][];
      for (let i = 0; i < n; i++) {
        const img = f.draw.imageBoxes[i]!;
        const box = f.draw.boxes[i]!;
        assert.deepEqual(box, {
          y0: Math.round(img.y0 / 4),
          x0: Math.round(img.x0 / 4),
          y1: Math.round(img.y1 / 4),
          x1: Math.round(img.x1 / 4),
        });
        const area = (box.y1 - box.y0) * (box.x1 - box.x0);
        assert.equal(f.draw.lambdas[i], (fh * fw - area) / (fh * fw));
        const p = f.draw.partners[i];
        for (let y = 0; y < fh; y++) {
          for (let xx = 0; xx < fw; xx++) {
            const inside: boolean = y >= box.y0 && y < box.y1 && xx >= box.x0 && xx < box.x1;
            for (let k = 0; k < fc; k++) {
              const j = ((y * fw) + xx) * fc + k;
              const size = fh * fw * fc;
              assert.equal(out[i * size + j], x[(inside ? p : i) * size + j]);
            }
          }
        }
        if (p % 3 !== i % 3) {
          assert.ok(Math.abs(targets[i][i % 3] - f.draw.lambdas[i]) < 1e-6, "targets follow map λ");
        }
      }
      tf.dispose([f.imagesNHWC, f.targets, features, mixed]);
    }
    tf.dispose([images, labels]);
  });
});

Deno.test("featureCutMix: a map of the wrong size is refused; featureSize overrides the layout", () => {
  assertNoLeak(() => {
    assert.deepEqual(cifarFeatureSize(2, 32, 32), { height: 32, width: 32 });
    assert.deepEqual(cifarFeatureSize(3, 32, 32), { height: 16, width: 16 });
    assert.deepEqual(cifarFeatureSize(4, 7, 7), { height: 2, width: 2 });
    const images = codedImages(2, 16, 16, 1);
    const labels = cyclicLabels(2, 2);
    const f = featureCutMix(images, labels, { numClasses: 2, seed: 1, layer: 3 });
    const wrong = tf.zeros([2, 4, 4, 3]) as Tensor4D;
    assert.throws(() => f.featureMix.mix(wrong), /\[2,4,4,3\].*\[2, 8, 8, C\].*featureSize/);
    const g = featureCutMix(images, labels, {
      numClasses: 2,
      seed: 1,
      layer: 3,
      featureSize: { height: 4, width: 4 },
    });
    const ok = g.featureMix.mix(wrong);
    assert.deepEqual(ok.shape, [2, 4, 4, 3]);
    assert.throws(
      () => featureCutMix(images, labels, { numClasses: 2, seed: 1, layer: 5 as 0 }),
      /layer must be one of 0, 1, 2, 3, 4, got 5/,
    );
    // Gradients flow through the mix (it sits inside the model's forward pass).
    const grad = tf.grad((t) => g.featureMix.mix(t as Tensor4D).sum())(wrong);
    assert.equal(tf.tidy(() => grad.sum().dataSync()[0]), 2 * 4 * 4 * 3);
    tf.dispose([images, labels, f.imagesNHWC, f.targets, g.imagesNHWC, g.targets, wrong, ok, grad]);
  });
});
