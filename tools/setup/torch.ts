/**
 * PyTorch (CPU) in the project's venv, `.cache/venv`, for the tests that pin lib against PyTorch
 * (test/models/pytorch_parity_test.ts) and for the bench's reference (bench/). One exact pin, so
 * every machine compares against the same PyTorch.
 *
 * Idempotent: a stamp file records the requirement installed; a later call only checks that
 * torch imports with the pinned version.
 *
 * pip: `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL` are honoured (pip reads them itself; your mirror
 * must then hold the pinned wheel). Without them, the local mirror of our build machines is used
 * when present (see {@link pipIndexArguments}); elsewhere PyTorch's CPU index is added, because
 * the CPU-only builds (`+cpu`) are published there and PyPI's Linux wheel pulls in CUDA.
 *
 * @example
 * ```ts
 * import { ensureTorch } from "./torch.ts";
 * const torch = await ensureTorch(Deno.cwd());
 * console.log(torch.python, torch.version); // …/.cache/venv/bin/python 2.13.0+cpu
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/io/atomic_write.ts";
import { pipIndexArguments } from "./jupyter.ts";
import { log, run, runQuiet } from "./util.ts";
import { ensureVenv, PROJECT_VENV_DIR } from "./venv.ts";

/** The torch version everything is compared against (the CPU build). */
export const TORCH_VERSION = "2.13.0+cpu";

/** PyTorch's own index of CPU-only wheels. */
export const TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu";

/** The file in the venv that records what {@link ensureTorch} installed. */
const STAMP_NAME = ".cutmix-torch-stamp";

/** What {@link ensureTorch} hands back. */
export interface TorchEnvironment {
  /** The venv's python, which imports torch. */
  python: string;
  /** `torch.__version__` as that python reports it. */
  version: string;
}

/**
 * pip arguments that select where torch comes from: none when the user set an index, the local
 * mirror when there is one, else PyTorch's CPU index as an extra index.
 */
export function torchIndexArguments(
  env: { get(name: string): string | undefined } = Deno.env,
  exists?: (path: string) => boolean,
): string[] {
  if (env.get("PIP_INDEX_URL") || env.get("PIP_EXTRA_INDEX_URL")) return [];
  const local = pipIndexArguments(env, exists);
  return local.length > 0 ? local : ["--extra-index-url", TORCH_CPU_INDEX];
}

/**
 * `.cache/venv` (absolute) when {@link ensureTorch} has installed torch there, else undefined: how
 * the bench finds the project's torch without importing it.
 */
export function projectTorchVenv(root: string): string | undefined {
  try {
    return Deno.statSync(join(root, PROJECT_VENV_DIR, STAMP_NAME)).isFile
      ? join(root, PROJECT_VENV_DIR)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Torch's version as `python` imports it, or undefined when it does not import. */
async function importedTorchVersion(python: string): Promise<string | undefined> {
  const probe = await runQuiet(python, ["-c", "import torch; print(torch.__version__)"]);
  return probe.success ? probe.stdout.trim() : undefined;
}

/**
 * Makes sure `.cache/venv` has torch {@link TORCH_VERSION} (creating the venv if needed); returns
 * its python. Throws with pip's last lines when installing fails.
 */
export async function ensureTorch(root: string): Promise<TorchEnvironment> {
  const python = await ensureVenv(root);
  const stamp = join(root, PROJECT_VENV_DIR, STAMP_NAME);
  const requirement = `torch==${TORCH_VERSION}`;
  const stamped = await Deno.readTextFile(stamp).then((text) => text === requirement, () => false);
  const found = await importedTorchVersion(python);
  if (stamped && found === TORCH_VERSION) {
    log(`torch ${found}: ok (${PROJECT_VENV_DIR})`);
    return { python, version: found };
  }

  const indexArgs = torchIndexArguments();
  const userIndex = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"].flatMap((name) => {
    const value = Deno.env.get(name);
    return value ? [`${name}=${value}`] : [];
  });
  const from = ` from ${
    (indexArgs.length ? indexArgs.filter((a) => !a.startsWith("-")) : userIndex).join(" + ") ||
    "pip's configured index"
  }`;
  log(
    `installing ${requirement} (CPU, ~190 MB; for the PyTorch parity tests and the bench) into ` +
      `${PROJECT_VENV_DIR}${from}` + (found ? ` (it had torch ${found})` : ""),
  );
  const started = performance.now();
  const result = await run(python, [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--quiet",
    // Byte-compiling all of torch's ~2,300 modules doubled the install (82 s against 36 s, on a
    // loaded 2-core machine); Python compiles the few that are imported when they are.
    "--no-compile",
    ...indexArgs,
    requirement,
  ], { quiet: true, timeoutMs: 15 * 60_000 });
  if (!result.success) {
    throw new Error(
      `pip could not install ${requirement} (${result.lastLines}). Set PIP_INDEX_URL / ` +
        `PIP_EXTRA_INDEX_URL to an index that has it (PyTorch publishes it at ${TORCH_CPU_INDEX}).`,
    );
  }
  const version = await importedTorchVersion(python);
  if (version !== TORCH_VERSION) {
    throw new Error(
      `pip installed ${requirement} but ${python} imports torch ${version ?? "(not at all)"}`,
    );
  }
  await writeFileAtomic(stamp, requirement);
  log(`torch ${version}: installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { python, version };
}

if (import.meta.main) {
  console.log(JSON.stringify(await ensureTorch(Deno.cwd()), null, 2));
}
