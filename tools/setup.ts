/**
 * `deno task setup [--for TASK]`: installs everything the project needs, idempotently, and says
 * what it does. `./run TASK` calls it before every task, so a fresh clone needs nothing else.
 *
 * - always: the npm dependencies (`deno install` into node_modules/) and the native TensorFlow
 *   backend chosen by CUTMIX_BACKEND (see tools/backend_env.ts and tools/setup/tensorflow.ts);
 * - `--for reproduce` and `--for test`: a project-local Python venv with Jupyter's
 *   nbclient/nbconvert and a project-local Deno kernelspec (tools/setup/jupyter.ts);
 * - `--for lab` and `--for test`: JupyterLab (pinned) in the same venv (for `test`, the lab browser
 *   stage's; a failure there is a warning, the stage is then skipped, unless CI=true);
 * - `--for test`: also torch (CPU, pinned) in the same venv for the PyTorch parity tests
 *   (tools/setup/torch.ts), and Chromium for the report browser test (tools/setup/chromium.ts),
 *   when the machine has it or can install it.
 *
 * Everything goes under the project's .cache/ and node_modules/ (plus Deno's own cache in
 * $DENO_DIR, and pip's in $HOME); nothing is installed system-wide except Chromium via apt.
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ensureChromium } from "./setup/chromium.ts";
import { ensureJupyter } from "./setup/jupyter.ts";
import { ensureNativeBackend } from "./setup/tensorflow.ts";
import { ensureTorch } from "./setup/torch.ts";
import { log, run } from "./setup/util.ts";
import { requestedBackend } from "./backend_env.ts";

const root = join(import.meta.dirname!, "..");

const { values } = parseArgs({
  args: Deno.args,
  options: {
    for: { type: "string", default: "" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "usage: deno task setup [--for TASK]   (TASK: test, reproduce, lab, bench, data, train)",
  );
  Deno.exit(0);
}

async function installNpmDependencies(): Promise<void> {
  const result = await run(Deno.execPath(), ["install", "--quiet"], { cwd: root, quiet: true });
  if (!result.success) throw new Error(`deno install failed: ${result.lastLines}`);
  log("npm dependencies: ok (node_modules/)");
}

/** JupyterLab: required for `lab`; for `test` (its browser stage) only under CI=true. */
async function ensureJupyterLab(task: string): Promise<void> {
  if (task === "lab" || Deno.env.get("CI") === "true") {
    await ensureJupyter(root, { lab: true });
    return;
  }
  try {
    await ensureJupyter(root, { lab: true });
  } catch (error) {
    log(`WARNING: ${(error as Error).message}; the JupyterLab browser test will be skipped`);
  }
}

/** Warns when this Deno is not the one the project pins (Deno 2.9.x's kernel drops outputs). */
function checkDenoVersion(): void {
  const pinned = JSON.parse(Deno.readTextFileSync(join(root, "deno.json"))).denoVersion;
  if (pinned && Deno.version.deno !== pinned) {
    log(
      `WARNING: running Deno ${Deno.version.deno}; the project is tested with ${pinned} (use ./run)`,
    );
  }
}

try {
  checkDenoVersion();
  await installNpmDependencies();
  const backend = requestedBackend();
  if (backend === "cpu") {
    log("CUTMIX_BACKEND=cpu: skipping native TensorFlow (pure JS is ~700x slower to train)");
  } else {
    await ensureNativeBackend(root, backend);
  }
  if (values.for === "reproduce" || values.for === "test") await ensureJupyter(root);
  if (values.for === "lab" || values.for === "test") await ensureJupyterLab(values.for);
  if (values.for === "test") {
    await ensureTorch(root);
    await ensureChromium();
  }
} catch (error) {
  console.error(`[setup] FAILED: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
