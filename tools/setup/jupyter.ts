/**
 * Jupyter for `deno task reproduce`: a project-local Python environment that can execute notebooks
 * headless (nbclient, nbconvert) and a project-local Deno kernelspec. Nothing is written outside
 * the project: the venv lives in `.cache/venv`, the kernelspec in `.cache/jupyter/kernels/deno`,
 * and the returned `env` points Jupyter there through `JUPYTER_PATH` (plus its runtime folder for
 * connection files), so no `jupyter kernelspec install` and no `deno jupyter --install` is needed.
 *
 * Idempotent: a stamp file records what was installed; a second call with the same requirements
 * only re-checks that the packages import and rewrites the kernelspec if the Deno binary moved.
 *
 * pip: `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL` are honoured (pip reads them itself). When neither
 * is set and a local mirror exists at `/opt/pypi/simple` (our build machines), it is passed
 * explicitly, because pip otherwise retries the unreachable PyPI for minutes per package.
 *
 * @example
 * ```ts
 * import { ensureJupyter } from "./jupyter.ts";
 * const jupyter = await ensureJupyter(Deno.cwd());
 * await new Deno.Command(jupyter.python, {
 *   args: ["-m", "jupyter", "kernelspec", "list"],
 *   env: jupyter.env,
 * }).output();
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/io/atomic_write.ts";
import { log, run, runQuiet } from "./util.ts";
import { ensureVenv, PROJECT_VENV_DIR } from "./venv.ts";

/**
 * The Python packages reproduce needs. nbclient ≥ 0.10.2: older ones crash on the
 * `transient: null` that Deno's kernel sends (Debian 12's python3-nbclient is 0.7.2).
 */
export const JUPYTER_REQUIREMENTS: readonly string[] = [
  "nbclient>=0.10.2",
  "nbconvert>=7.16",
  "jupyter_client>=8.6",
  "jupyter_core>=5.7",
  "nbformat>=5.10",
];

/** The kernelspec name notebooks declare in their metadata and reproduce asks nbclient for. */
export const DENO_KERNEL_NAME = "deno";

/** What {@link ensureJupyter} hands back to run notebooks. */
export interface JupyterEnvironment {
  /** The venv's python executable; run `python -m jupyter …` or `python -c …` with it. */
  python: string;
  /** The project-local data folder that holds `kernels/deno/kernel.json`. */
  jupyterPath: string;
  /** Environment variables to add when running Jupyter (JUPYTER_PATH, JUPYTER_RUNTIME_DIR, PIP_*). */
  env: Record<string, string>;
}

/** The kernelspec for the Deno binary that is running now (the project's pinned one under `./run`). */
export function denoKernelSpec(denoExecutable: string = Deno.execPath()): Record<string, unknown> {
  // The same shape `deno jupyter --install` writes (checked against Deno 2.8.1's output).
  return {
    argv: [denoExecutable, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
}

/** pip arguments that select the package index (empty when the user's pip settings should rule). */
export function pipIndexArguments(
  env: { get(name: string): string | undefined } = Deno.env,
  exists: (path: string) => boolean = pathExists,
): string[] {
  if (env.get("PIP_INDEX_URL") || env.get("PIP_EXTRA_INDEX_URL")) return [];
  if (!exists("/opt/pypi/simple")) return [];
  const args = ["--index-url", "file:///opt/pypi/simple"];
  if (exists("/opt/pypi-more/simple")) {
    args.push("--extra-index-url", "file:///opt/pypi-more/simple");
  }
  return args;
}

function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `.cache/venv` has the Jupyter execution packages and `.cache/jupyter` has the Deno
 * kernelspec; returns how to use them. Throws with pip's last lines when installing fails.
 */
export async function ensureJupyter(root: string): Promise<JupyterEnvironment> {
  const python = await ensureVenv(root);
  const stamp = join(root, PROJECT_VENV_DIR, ".cutmix-jupyter-stamp");
  const jupyterPath = join(root, ".cache/jupyter");
  const wanted = JSON.stringify({ requirements: JUPYTER_REQUIREMENTS });

  let installed = (await readText(stamp)) === wanted;
  if (installed) {
    const check = await runQuiet(python, ["-c", "import nbclient, nbconvert, jupyter_client"]);
    installed = check.success;
    if (!installed) log("the venv's Jupyter packages no longer import; reinstalling them");
  }
  if (!installed) {
    const indexArgs = pipIndexArguments();
    log(
      `installing ${JUPYTER_REQUIREMENTS.join(", ")} into .cache/venv` +
        (indexArgs.length ? ` (from the local index ${indexArgs[1]})` : ""),
    );
    const result = await run(python, [
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--quiet",
      ...indexArgs,
      ...JUPYTER_REQUIREMENTS,
    ], { quiet: true, timeoutMs: 15 * 60_000 });
    if (!result.success) {
      throw new Error(
        `pip could not install ${JUPYTER_REQUIREMENTS.join(" ")} (${result.lastLines}). ` +
          "Set PIP_INDEX_URL to a reachable package index.",
      );
    }
    await writeFileAtomic(stamp, wanted);
  }

  const kernelFile = join(jupyterPath, "kernels", DENO_KERNEL_NAME, "kernel.json");
  const kernelJson = JSON.stringify(denoKernelSpec(), null, 2) + "\n";
  if ((await readText(kernelFile)) !== kernelJson) {
    log(`writing the Deno kernelspec (${Deno.execPath()}) to .cache/jupyter/kernels/deno`);
    await writeFileAtomic(kernelFile, kernelJson);
  }
  const runtimeDir = join(jupyterPath, "runtime");
  await Deno.mkdir(runtimeDir, { recursive: true });

  return {
    python,
    jupyterPath,
    env: {
      JUPYTER_PATH: jupyterPath,
      JUPYTER_RUNTIME_DIR: runtimeDir,
      // Jupyter's "platformdirs" migration warning otherwise prints on every run.
      JUPYTER_PLATFORM_DIRS: "1",
      DENO_NO_UPDATE_CHECK: "1",
    },
  };
}

if (import.meta.main) {
  const jupyter = await ensureJupyter(Deno.cwd());
  console.log(JSON.stringify(jupyter, null, 2));
}
