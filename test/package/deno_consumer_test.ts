/**
 * The package as a Deno user imports it: a script in a fresh folder whose import map names the
 * package's `exports` (deno.json) as `@cutmix/cutmix/<entry>`, run in its own process on the
 * pure-JS `cpu` backend. It chooses the backend through `@cutmix/cutmix/backend`, mixes a batch
 * with `@cutmix/cutmix/augment` and `@cutmix/cutmix/random`, and builds a model from
 * `@cutmix/cutmix/models`; every entry must load.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const root = join(import.meta.dirname!, "..", "..");
const config = JSON.parse(Deno.readTextFileSync(join(root, "deno.json"))) as {
  name: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
};

Deno.test("deno.json exports: one entry per layer, none private", () => {
  assert.equal(config.name, "@cutmix/cutmix");
  for (const entry of ["./augment", "./data", "./models", "./training", "./metrics", "./reports"]) {
    assert.ok(entry in config.exports, `no export ${entry}`);
  }
  for (const [entry, path] of Object.entries(config.exports)) {
    assert.ok(!/\/_/.test(path), `export ${entry} points at a private module ${path}`);
  }
});

const SCRIPT = `
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "@cutmix/cutmix/backend";
import { cutMix, cutMixTransform } from "@cutmix/cutmix/augment";
import { Random } from "@cutmix/cutmix/random";
import { createModel, parseModelName } from "@cutmix/cutmix/models";
const entries = ${JSON.stringify(Object.keys(config.exports))};
const loaded = [];
for (const entry of entries) {
  const module = await import(entry === "." ? "@cutmix/cutmix" : "@cutmix/cutmix/" + entry.slice(2));
  loaded.push([entry, Object.keys(module).length]);
}
const info = await useBackend({ kind: "cpu" });
const images = tf.randomUniform([4, 8, 8, 3], 0, 1, "float32", 1);
const labels = tf.tensor1d([0, 1, 2, 3], "int32");
const { imagesNHWC, targets, draw } = cutMix(images, labels, { numClasses: 4, prob: 1, rng: new Random(1) });
const model = createModel(parseModelName("resnet8-w4-8-16", 4), 0);
const { logits } = model.forward(imagesNHWC, { training: false });
console.log(JSON.stringify({
  backend: info.name,
  loaded,
  targetsShape: targets.shape,
  logitsShape: logits.shape,
  lambda: draw.lambdas[0],
  transform: typeof cutMixTransform({ numClasses: 4, seed: 1 }),
}));
`;

Deno.test("a Deno script imports every export of the package by name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-deno-consumer-" });
  try {
    const imports: Record<string, string> = {};
    for (const [entry, path] of Object.entries(config.exports)) {
      const name = entry === "." ? config.name : `${config.name}/${entry.slice(2)}`;
      imports[name] = new URL(path, `file://${root}/`).href;
    }
    // The package's own npm dependencies, as its deno.json pins them (a published package's
    // bare imports resolve through its own import map).
    for (const [name, spec] of Object.entries(config.imports)) {
      if (name !== "typescript") imports[name] = spec;
    }
    await Deno.writeTextFile(join(dir, "deno.json"), JSON.stringify({ imports }, null, 2));
    await Deno.writeTextFile(join(dir, "main.ts"), SCRIPT);
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--node-modules-dir=none", "main.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    assert.ok(success, decode(stderr).slice(-3000));
    const report = JSON.parse(decode(stdout).trim().split("\n").pop()!);
    assert.equal(report.backend, "cpu");
    assert.equal(report.loaded.length, Object.keys(config.exports).length);
    for (const [entry, count] of report.loaded) assert.ok(count > 0, `${entry} exports nothing`);
    assert.deepEqual(report.targetsShape, [4, 4]);
    assert.deepEqual(report.logitsShape, [4, 4]);
    assert.ok(report.lambda > 0 && report.lambda < 1);
    assert.equal(report.transform, "function");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
