import assert from "node:assert/strict";
import type { Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../_backend.ts";
import {
  classActivationMaps,
  interpolationMatrix,
  mapMassInBoxes,
  normalizeMaps,
  rawClassActivationMaps,
  resizeMaps,
} from "../../lib/metrics/cam.ts";

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

// f_0 = [[1, 0], [0, 0]], f_1 = [[0, 0], [0, 2]]; kernel [C = 2, K = 2].
const FEATURES = [[[[1, 0], [0, 0]], [[0, 0], [0, 2]]]]; // [1, 2, 2, 2] NHWC
const KERNEL = [[1, -1], [0.5, 3]];

Deno.test("rawClassActivationMaps: Σ_c w[c, k] f_c on a 2×2 map", () => {
  const before = tf.memory().numTensors;
  const features = tf.tensor4d(FEATURES);
  const kernel = tf.tensor2d(KERNEL);
  const cam0 = rawClassActivationMaps(features, kernel, new Int32Array([0]));
  const cam1 = rawClassActivationMaps(features, kernel, new Int32Array([1]));
  assert.deepEqual(cam0.arraySync(), [[[1, 0], [0, 1]]]); // 1·f_0 + 0.5·f_1
  assert.deepEqual(cam1.arraySync(), [[[-1, 0], [0, 6]]]); // −1·f_0 + 3·f_1
  const wrongKernel = tf.zeros([3, 2]) as Tensor2D;
  assert.throws(
    () => rawClassActivationMaps(features, wrongKernel, new Int32Array([0])),
    /classifierKernel must be \[2, K\].*got \[3, 2\]/,
  );
  assert.throws(
    () => rawClassActivationMaps(features, kernel, new Int32Array([2])),
    /labels\[0\] must be in \[0, 2\), got 2/,
  );
  tf.dispose([features, kernel, wrongKernel, cam0, cam1]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("interpolationMatrix: OpenCV INTER_LINEAR / INTER_CUBIC weights for 2 → 4", () => {
  // cv2.resize(np.float32([[0, 1]]), (4, 1), interpolation=...) gives the second column.
  assertClose(interpolationMatrix(2, 4, "bilinear"), [1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1], 0);
  const cubic = interpolationMatrix(2, 4, "bicubic");
  assertClose([cubic[1], cubic[3], cubic[5], cubic[7]], [
    -0.10546875,
    0.2265625,
    0.7734375,
    1.10546875,
  ], 1e-7);
  // Same size is the identity for both kernels; every row sums to 1.
  for (const kind of ["bilinear", "bicubic"] as const) {
    assertClose(interpolationMatrix(3, 3, kind), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-7);
    const m = interpolationMatrix(5, 13, kind);
    for (let r = 0; r < 13; r++) {
      assert.ok(Math.abs(m.subarray(r * 5, r * 5 + 5).reduce((a, b) => a + b) - 1) < 1e-6);
    }
  }
  assert.throws(() => interpolationMatrix(2, 4, "nearest" as never), /interpolation.*nearest/);
});

Deno.test("resizeMaps: matches cv2.resize on a 3×3 map to 5×7 (OpenCV 5.0 outputs)", () => {
  const before = tf.memory().numTensors;
  const maps = tf.tensor3d([[[1, 2, 0], [0, 3, 1], [2, 0, 1]]]);
  // np.float32 outputs of cv2.resize(m, (7, 5), interpolation=cv2.INTER_LINEAR / INTER_CUBIC).
  const linear = [
    [1, 1.1428572, 1.5714285, 2, 1.1428571, 0.28571427, 0],
    [0.6, 0.8571429, 1.6285715, 2.4, 1.542857, 0.68571424, 0.4],
    [0, 0.42857146, 1.7142859, 3, 2.142857, 1.2857143, 1],
    [1.2, 1.2, 1.2, 1.1999999, 1.1142857, 1.0285714, 1],
    [2, 1.7142857, 0.8571428, 0, 0.42857143, 0.85714287, 1],
  ];
  const cubic = [
    [1.0076617, 1.2200003, 1.7746936, 1.9039997, 1.1491543, 0.156583, -0.31465924],
    [0.23447117, 0.75551033, 1.9398369, 2.6039999, 1.8978542, 0.68414015, 0.14572592],
    [-0.32799, 0.3892129, 1.9504375, 3, 2.4752188, 1.2813412, 0.7813411],
    [1.1428164, 1.164315, 1.2179472, 1.2359993, 1.1759648, 1.0929447, 1.0540704],
    [2.463138, 1.8750434, 0.6179824, -0.28799987, -0.00755663, 0.8116268, 1.1408163],
  ];
  const outLinear = resizeMaps(maps, 5, 7, "bilinear");
  const outCubic = resizeMaps(maps, 5, 7, "bicubic");
  assert.deepEqual(outLinear.shape, [1, 5, 7]);
  assertClose(outLinear.dataSync(), linear.flat(), 2e-6);
  assertClose(outCubic.dataSync(), cubic.flat(), 2e-6);
  tf.dispose([maps, outLinear, outCubic]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("normalizeMaps: min-max per image; constant and NaN maps become zeros", () => {
  const before = tf.memory().numTensors;
  const maps = tf.tensor3d([
    [[-1, 0], [0, 6]],
    [[2, 2], [2, 2]],
    [[1, NaN], [0, 3]],
    [[10, 20], [30, 50]],
  ]);
  const out = normalizeMaps(maps);
  assertClose(out.dataSync(), [0, 1 / 7, 1 / 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0.5, 1], 1e-7);
  tf.dispose([maps, out]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("classActivationMaps: 2×2 CAM upsampled bilinearly to 4×4 and normalised", () => {
  const before = tf.memory().numTensors;
  const features = tf.tensor4d([FEATURES[0], FEATURES[0]]);
  const kernel = tf.tensor2d(KERNEL);
  const maps = classActivationMaps(features, kernel, new Int32Array([1, 0]), {
    height: 4,
    width: 4,
  }) as Tensor3D;
  // Bilinear 2 → 4 rows r_i of [[1, 0], [.75, .25], [.25, .75], [0, 1]]; CAM = r_i M r_jᵀ.
  const r = [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]];
  const expected: number[] = [];
  for (const m of [[[-1, 0], [0, 6]], [[1, 0], [0, 1]]]) {
    const up: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let v = 0;
        for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) v += r[i][a] * r[j][b] * m[a][b];
        up.push(v);
      }
    }
    const lo = Math.min(...up), hi = Math.max(...up);
    expected.push(...up.map((v) => (v - lo) / (hi - lo)));
  }
  assertClose(maps.dataSync(), expected, 1e-6);
  assert.equal(maps.dataSync()[15], 1); // the maximum of image 0 sits in the bottom-right corner
  tf.dispose([features, kernel, maps]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("classActivationMaps: each image spans exactly [0, 1] at any feature size", () => {
  const before = tf.memory().numTensors;
  const features = tf.randomUniform([2, 3, 5, 4], -1, 1, "float32", 7) as Tensor4D;
  const kernel = tf.randomNormal([4, 6], 0, 1, "float32", 8) as Tensor2D;
  const maps = classActivationMaps(features, kernel, new Int32Array([5, 2]), {
    height: 12,
    width: 20,
    interpolation: "bicubic",
  });
  assert.deepEqual(maps.shape, [2, 12, 20]);
  const data = maps.dataSync();
  for (const n of [0, 1]) {
    const image = data.subarray(n * 240, (n + 1) * 240);
    assert.equal(Math.min(...image), 0);
    assert.ok(Math.abs(Math.max(...image) - 1) < 1e-6);
  }
  tf.dispose([features, kernel, maps]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("mapMassInBoxes: exact shares, chance level for a flat map, NaN without a box", () => {
  const before = tf.memory().numTensors;
  const maps = tf.tensor3d([
    [[1, 1, 0], [0, 2, 0], [0, 0, 0]], // mass 4
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]], // flat
    [[0, 0, 0], [0, 0, 0], [0, 0, 0]], // no mass
  ]);
  const shares = mapMassInBoxes(maps, [
    { y0: 0, x0: 1, y1: 2, x1: 2 }, // column 1, rows 0–1: 1 + 2 of 4
    { y0: 1, x0: 1, y1: 3, x1: 3 }, // 4 of 9 pixels
    { y0: 0, x0: 0, y1: 3, x1: 3 },
  ]);
  assert.deepEqual(Array.from(shares.subarray(0, 2)), [3 / 4, 4 / 9]);
  assert.ok(Number.isNaN(shares[2]));
  const withNull = mapMassInBoxes(maps, [null, { y0: 0, x0: 0, y1: 0, x1: 3 }, null]);
  assert.ok(Number.isNaN(withNull[0]) && Number.isNaN(withNull[2]));
  assert.equal(withNull[1], 0); // an empty box holds nothing
  assert.throws(() => mapMassInBoxes(maps, [null]), /1 boxes for 3 maps/);
  assert.throws(
    () => mapMassInBoxes(maps, [null, { y0: 0, x0: 0, y1: 4, x1: 3 }, null]),
    /box 1 .* is not inside the 3×3 map/,
  );
  maps.dispose();
  assert.equal(tf.memory().numTensors, before);
});
