/**
 * The test task's Node stage: the package as a Node user gets it. Builds and packs it
 * (tools/build_npm.ts), makes a fresh Node project in a temporary folder, installs the tarball
 * and `@tensorflow/tfjs-node` there with npm, and runs tools/test/node_consumer.mjs, which trains
 * a tiny conv net two ways (cutMix in a custom loop; cutMixTransform in a tf.data pipeline into
 * `fitDataset`). Passes when the backend is native TensorFlow and the clean loss went down both
 * ways.
 *
 * tfjs-node's install script downloads libtensorflow from Google storage, which machines without
 * that route cannot reach; the stage installs with `--ignore-scripts` and copies in the native
 * parts setup built for this project (`deps/` and `lib/napi-v8/` of node_modules' tfjs-node), the
 * same pieces tools/setup/tensorflow.ts's fallback makes.
 *
 *     deno run -A tools/test/node_package_stage.ts
 * @module
 */
import assert from "node:assert/strict";
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { buildNpmPackage } from "../build_npm.ts";

const root = join(import.meta.dirname!, "..", "..");

/** What the consumer script reports. */
interface ConsumerReport {
  backend: string;
  native: boolean;
  packageName: string;
  loop: { before: number; after: number };
  fitDataset: { before: number; after: number; epochs: number };
}

async function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  const { success, code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    env: { TF_CPP_MIN_LOG_LEVEL: "2" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${code}) in ${cwd}:\n` +
        `${decode(stderr).slice(-3000)}`,
    );
  }
  return { stdout: decode(stdout), stderr: decode(stderr) };
}

/** Copies a folder, keeping symbolic links as links (setup's deps/lib links into its cache). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    await Deno.remove(target, { recursive: true }).catch(() => {});
    if (entry.isSymlink) await Deno.symlink(await Deno.readLink(source), target);
    else if (entry.isDirectory) await copyTree(source, target);
    else await Deno.copyFile(source, target);
  }
}

/** The stage; returns the consumer's report. Throws naming what failed. */
export async function nodePackageStage(log: (line: string) => void = console.log) {
  const builtTfjsNode = realpathSync(join(root, "node_modules/@tensorflow/tfjs-node"));
  for (const part of ["deps", "lib/napi-v8"]) {
    if (!existsSync(join(builtTfjsNode, part))) {
      throw new Error(`${builtTfjsNode}/${part} is missing: run \`./run setup\` first`);
    }
  }
  const tarball = await buildNpmPackage();
  log(`packed ${tarball}`);
  const project = await Deno.makeTempDir({ prefix: "cutmix-node-" });
  try {
    await Deno.writeTextFile(
      join(project, "package.json"),
      JSON.stringify({ name: "cutmix-node-consumer", private: true, type: "module" }) + "\n",
    );
    const started = performance.now();
    await run("npm", [
      "install",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--loglevel=error",
      tarball,
      `@tensorflow/tfjs-node@${tfjsNodeVersion()}`,
    ], project);
    log(`npm install: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const installed = join(project, "node_modules/@tensorflow/tfjs-node");
    for (const part of ["deps", "lib/napi-v8"]) {
      await copyTree(join(builtTfjsNode, part), join(installed, part));
    }
    await Deno.copyFile(
      join(root, "tools/test/node_consumer.mjs"),
      join(project, "node_consumer.mjs"),
    );
    const { stdout } = await run("node", ["node_consumer.mjs"], project);
    const report = JSON.parse(stdout.trim().split("\n").pop()!) as ConsumerReport;
    log(`node: ${JSON.stringify(report)}`);
    assert.equal(report.backend, "tensorflow", "the Node project did not run native TensorFlow");
    assert.equal(report.native, true);
    assert.equal(report.fitDataset.epochs, 15);
    for (const way of ["loop", "fitDataset"] as const) {
      const { before, after } = report[way];
      assert.ok(
        after < 0.8 * before,
        `${way}: the clean loss did not go down enough: ${before.toFixed(4)} → ${after.toFixed(4)}`,
      );
    }
    return report;
  } finally {
    await Deno.remove(project, { recursive: true }).catch(() => {});
  }
}

function tfjsNodeVersion(): string {
  const config = JSON.parse(Deno.readTextFileSync(join(root, "deno.json")));
  return config.imports["@tensorflow/tfjs-node"].replace(/^npm:@tensorflow\/tfjs-node@/, "");
}

if (import.meta.main) {
  try {
    await nodePackageStage();
    console.log("node package: ok");
  } catch (error) {
    console.error(`node package: FAILED\n${(error as Error).message}`);
    Deno.exit(1);
  }
}
