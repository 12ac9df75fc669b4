import assert from "node:assert/strict";
import "../_backend.ts"; // the models below allocate variables
import { modelFlops } from "../../bench/flops.ts";
import { createModel, parseModelName } from "../../lib/models/mod.ts";

Deno.test("modelFlops: a tiny ResNet on 4×4 images, counted by hand", () => {
  // resnet8 (one block per stage), widths 1/2/4, option B, 2 classes, 4×4×3 input:
  // stem 3×3, 3→1 at 4×4:                     9·3·1·16 = 432
  // stage 1 (4×4): conv1, conv2 1→1:          9·1·1·16 = 144 each
  // stage 2 (2×2): conv1 1→2 (stride 2)       9·1·2·4  = 72, conv2 2→2: 9·2·2·4 = 144,
  //                1×1 projection 1→2:        1·2·4    = 8
  // stage 3 (1×1): conv1 2→4 (stride 2)       9·2·4·1  = 72, conv2 4→4: 9·4·4·1 = 144,
  //                1×1 projection 2→4:        2·4·1    = 8
  // dense 4→2:                                4·2      = 8
  const macs = 432 + 144 + 144 + 72 + 144 + 8 + 72 + 144 + 8 + 8;
  const f = modelFlops({ arch: "resnet", depth: 8, widths: [1, 2, 4], numClasses: 2 }, [4, 4]);
  assert.equal(macs, 1176);
  assert.equal(f.forwardMacsPerImage, macs);
  assert.equal(f.forwardFlopsPerImage, 2 * macs);
  assert.equal(f.trainFlopsPerImage, 6 * macs);
  // Parameters: conv kernels 27+9+9+18+36+2+72+144+8, BN γβ 2·(1+1+1+2+2+2+4+4+4), dense 8+2.
  assert.equal(f.parameters, 325 + 42 + 10);
  assert.deepEqual(
    f.layers.filter((l) => l.kind === "conv").map((l) => l.name),
    [
      "stem.conv",
      "stage1.block1.conv1",
      "stage1.block1.conv2",
      "stage2.block1.conv1",
      "stage2.block1.conv2",
      "stage2.block1.shortcut.conv",
      "stage3.block1.conv1",
      "stage3.block1.conv2",
      "stage3.block1.shortcut.conv",
    ],
  );
});

Deno.test("modelFlops: option-A shortcuts and odd sizes (⌈H/2⌉) count no projection", () => {
  // As above with option A on 5×5 images: stem 9·3·1·25 = 675, stage 1 2·9·25 = 450, stage 2 at
  // 3×3: 9·1·2·9 + 9·2·2·9 = 162 + 324, stage 3 at 2×2: 9·2·4·4 + 9·4·4·4 = 288 + 576, dense 8.
  const f = modelFlops(
    { arch: "resnet", depth: 8, widths: [1, 2, 4], numClasses: 2, shortcut: "A" },
    [5, 5],
  );
  assert.equal(f.forwardMacsPerImage, 675 + 450 + 162 + 324 + 288 + 576 + 8);
});

Deno.test("modelFlops: the count follows the models lib builds (parameters match)", () => {
  for (
    const name of [
      "resnet20",
      "resnet8-w4-8-16-A",
      "pyramidnet38-a64",
      "pyramidnet11-a12-bottleneck",
      "pyramidnet8-a6-shakedrop0.5",
    ]
  ) {
    const spec = parseModelName(name);
    const model = createModel(spec, 0);
    try {
      assert.equal(modelFlops(spec).parameters, model.parameterCount(), name);
    } finally {
      model.dispose();
    }
  }
  // ResNet-20: 40.8M multiply-accumulates per 32×32 image, the figure usually quoted (~41M).
  assert.equal(modelFlops(parseModelName("resnet20")).forwardMacsPerImage, 40_813_184);
});

Deno.test("modelFlops: a bad image size throws naming it", () => {
  assert.throws(() => modelFlops(parseModelName("resnet20"), [0, 32]), /imageHW/);
});
