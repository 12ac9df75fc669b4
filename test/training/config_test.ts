import assert from "node:assert/strict";
import { canonicalJson, configHash, resolveRunConfig } from "../../lib/training/config.ts";

const model = { arch: "resnet", depth: 20 } as const;

Deno.test("resolveRunConfig fills in the paper's CIFAR recipe", () => {
  const config = resolveRunConfig({ model });
  assert.equal(config.dataset, "cifar10");
  assert.equal(config.numClasses, 10);
  assert.equal(config.model.numClasses, 10);
  assert.equal(config.epochs, 300);
  assert.equal(config.batchSize, 64);
  assert.equal(config.lr, 0.25);
  assert.equal(config.momentum, 0.9);
  assert.equal(config.nesterov, true);
  assert.equal(config.weightDecay, 1e-4);
  assert.deepEqual(config.schedule, { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 });
  assert.deepEqual(config.augmentation, { kind: "none", numClasses: 10 });
  assert.equal(resolveRunConfig({ model, dataset: "cifar100" }).model.numClasses, 100);
});

Deno.test("configHash is stable under key order and changes with any value", () => {
  const a = resolveRunConfig({ model, epochs: 2, lr: 0.1 });
  const b = resolveRunConfig({ lr: 0.1, epochs: 2, model: { depth: 20, arch: "resnet" } });
  assert.equal(configHash(a), configHash(b));
  assert.match(configHash(a), /^[0-9a-f]{16}$/);
  assert.notEqual(configHash(a), configHash({ ...a, lr: 0.2 }));
  assert.notEqual(configHash(a), configHash({ ...a, seed: 1 }));
  assert.equal(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined }] }), '{"a":[2,{"d":3}],"b":1}');
  // Pinned: a change here silently orphans every cached run (bump RUN_FORMAT_VERSION instead).
  assert.equal(
    configHash(resolveRunConfig({ model, epochs: 1, seed: 0 })),
    configHash(resolveRunConfig({ model, epochs: 1 })),
  );
});

Deno.test("bad configs throw naming the field and value", () => {
  assert.throws(
    () => resolveRunConfig({ model, epochs: 0 }),
    /config.epochs must be a positive integer, got 0/,
  );
  assert.throws(() => resolveRunConfig({ model, batchSize: 1.5 }), /config.batchSize .* got 1.5/);
  assert.throws(() => resolveRunConfig({ model, lr: -1 }), /config.lr .* got -1/);
  assert.throws(() => resolveRunConfig({ model, momentum: 1 }), /config.momentum .* got 1/);
  assert.throws(
    () => resolveRunConfig({ model, dataset: "cifar10", numClasses: 100 }),
    /numClasses is 100 but cifar10 has 10/,
  );
  assert.throws(
    () => resolveRunConfig({ model, augmentation: { kind: "cutmix", numClasses: 100 } }),
    /augmentation.numClasses \(100\) must equal config.numClasses \(10\)/,
  );
  assert.throws(
    () => resolveRunConfig({ model, epoch: 3 } as never),
    /config.epoch is not a run option/,
  );
  assert.throws(
    () => resolveRunConfig({ model: { arch: "vgg", depth: 16 } as never }),
    /config.model: model spec arch must be/,
  );
  assert.throws(
    () => resolveRunConfig({ model, dataset: "svhn" }),
    /numClasses is required for dataset "svhn"/,
  );
});

Deno.test("model defaults are written out, so equal architectures hash equally", () => {
  const a = resolveRunConfig({ model: { arch: "resnet", depth: 20 } });
  const b = resolveRunConfig({
    model: { arch: "resnet", depth: 20, shortcut: "B", widths: [16, 32, 64] },
  });
  assert.equal(configHash(a), configHash(b));
  assert.deepEqual(a.model, b.model);
  assert.equal(a.model.arch === "resnet" && a.model.shortcut, "B");
  assert.throws(
    () => resolveRunConfig({ model: { arch: "resnet", depth: 21 } }),
    /config.model: ResNet: depth must be 6n \+ 2/,
  );
});
