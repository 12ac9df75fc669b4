/**
 * Jupyter for `deno task reproduce` and `deno task lab`: a project-local Python environment that
 * can execute notebooks headless (nbclient, nbconvert) and, with `{ lab: true }`, serve them
 * (JupyterLab, plus plotly's JupyterLab renderer), and a project-local Deno kernelspec. Nothing is
 * written outside the project: the venv lives in `.cache/venv`, the kernelspec in
 * `.cache/jupyter/kernels/deno`, and the returned `env` points Jupyter there through
 * `JUPYTER_PATH`, and its config, data and runtime folders under `.cache/jupyter/` too (so a
 * user's `~/.jupyter` neither changes a run nor receives JupyterLab's settings), so no
 * `jupyter kernelspec install` and no `deno jupyter --install` is needed.
 *
 * Idempotent: a stamp file per package set records what was installed; a second call with the
 * same requirements only re-checks that the packages import and rewrites the kernelspec if the
 * Deno binary moved.
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

/**
 * What `deno task lab` adds, pinned exactly (the versions our local pip index has; a user's PyPI
 * has them too). JupyterLab 4 renders Vega-Lite v5 natively; the `plotly` wheel carries the
 * prebuilt `jupyterlab-plotly` renderer for `application/vnd.plotly.v1+json` (plotly.js inside,
 * so charts draw offline); the Python plotly library itself is not used.
 */
export const LAB_REQUIREMENTS: readonly string[] = ["jupyterlab==4.6.4", "plotly==7.1.0"];

/** JupyterLab settings defaults `ensureJupyter({ lab: true })` installs: nothing from the internet. */
export const LAB_SETTING_DEFAULTS: Readonly<Record<string, Record<string, unknown>>> = {
  "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false },
};

/**
 * JupyterLab extensions `ensureJupyter({ lab: true })` disables (at the venv's level, as
 * `jupyter labextension disable --level=sys_prefix` would): the debugger, because the Deno kernel
 * has none (`"debugger": false` in its kernel info) and JupyterLab 4.6's debugger panel then
 * throws "No active debugger session" into the page on every cell run.
 */
export const LAB_DISABLED_EXTENSIONS: readonly string[] = ["@jupyterlab/debugger-extension"];

/** The kernelspec name notebooks declare in their metadata and reproduce asks nbclient for. */
export const DENO_KERNEL_NAME = "deno";

/** What {@link ensureJupyter} hands back to run notebooks. */
export interface JupyterEnvironment {
  /** The venv's python executable; run `python -m jupyter …` or `python -c …` with it. */
  python: string;
  /** The project-local data folder that holds `kernels/deno/kernel.json`. */
  jupyterPath: string;
  /**
   * Environment variables to add when running Jupyter: JUPYTER_PATH, JUPYTER_CONFIG_DIR,
   * JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR and IPYTHONDIR, all under `.cache/jupyter/`.
   */
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

/** Options of {@link ensureJupyter}. */
export interface EnsureJupyterOptions {
  /** Also install {@link LAB_REQUIREMENTS} (JupyterLab and plotly's renderer); default false. */
  lab?: boolean;
}

/** One set of packages to install into the venv, with the stamp that records it and a probe. */
interface PackageSet {
  requirements: readonly string[];
  stamp: string;
  /** Python that exits 0 only when the set is usable. */
  probe: string;
}

/**
 * Makes sure `.cache/venv` has the Jupyter execution packages (and JupyterLab, with
 * `{ lab: true }`) and `.cache/jupyter` has the Deno kernelspec; returns how to use them. Throws
 * with pip's last lines when installing fails.
 */
export async function ensureJupyter(
  root: string,
  options: EnsureJupyterOptions = {},
): Promise<JupyterEnvironment> {
  const python = await ensureVenv(root);
  const venv = join(root, PROJECT_VENV_DIR);
  const jupyterPath = join(root, ".cache/jupyter");

  const sets: PackageSet[] = [{
    requirements: JUPYTER_REQUIREMENTS,
    stamp: join(venv, ".cutmix-jupyter-stamp"),
    probe: "import nbclient, nbconvert, jupyter_client",
  }];
  if (options.lab) {
    sets.push({
      requirements: LAB_REQUIREMENTS,
      stamp: join(venv, ".cutmix-lab-stamp"),
      // The renderer is a prebuilt extension the wheel puts in the venv's share/jupyter.
      probe: "import importlib.util as u, os, sys; sys.exit(not (u.find_spec('jupyterlab') and " +
        "os.path.isfile(os.path.join(sys.prefix, " +
        "'share/jupyter/labextensions/jupyterlab-plotly/package.json'))))",
    });
  }
  for (const set of sets) await ensurePackages(python, set);
  if (options.lab) {
    // JupyterLab's defaults for this venv (users' own settings still win): JupyterLab otherwise
    // asks in a pop-up whether to fetch news from the internet.
    const overrides = join(venv, "share/jupyter/lab/settings/overrides.d/cutmix-toolkit.json");
    const text = JSON.stringify(LAB_SETTING_DEFAULTS, null, 2) + "\n";
    if ((await readText(overrides)) !== text) await writeFileAtomic(overrides, text);
    await disableLabExtensions(join(venv, "etc/jupyter/labconfig/page_config.json"));
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
      JUPYTER_CONFIG_DIR: join(jupyterPath, "config"),
      JUPYTER_DATA_DIR: join(jupyterPath, "data"),
      JUPYTER_RUNTIME_DIR: runtimeDir,
      // JupyterLab's server imports IPython (through ipykernel), which otherwise creates ~/.ipython.
      IPYTHONDIR: join(jupyterPath, "ipython"),
      // Jupyter's "platformdirs" migration warning otherwise prints on every run.
      JUPYTER_PLATFORM_DIRS: "1",
      DENO_NO_UPDATE_CHECK: "1",
    },
  };
}

/**
 * A JupyterLab page_config with {@link LAB_DISABLED_EXTENSIONS} added to `disabledExtensions`;
 * every other entry is kept, and a name already there (true, or false because the user
 * re-enabled it) is left as it is.
 */
export function withDisabledLabExtensions(
  pageConfig: Record<string, unknown>,
): Record<string, unknown> {
  const disabled = { ...(pageConfig.disabledExtensions as Record<string, boolean> | undefined) };
  for (const name of LAB_DISABLED_EXTENSIONS) if (!(name in disabled)) disabled[name] = true;
  return { ...pageConfig, disabledExtensions: disabled };
}

async function disableLabExtensions(pageConfigPath: string): Promise<void> {
  const before = await readText(pageConfigPath);
  const after =
    JSON.stringify(withDisabledLabExtensions(before ? JSON.parse(before) : {}), null, 2) +
    "\n";
  if (after !== before) await writeFileAtomic(pageConfigPath, after);
}

/** Installs one package set with pip unless its stamp matches and its probe passes. */
async function ensurePackages(python: string, set: PackageSet): Promise<void> {
  const wanted = JSON.stringify({ requirements: set.requirements });
  let installed = (await readText(set.stamp)) === wanted;
  if (installed) {
    installed = (await runQuiet(python, ["-c", set.probe])).success;
    if (!installed) log(`the venv's ${set.requirements.join(", ")} no longer work; reinstalling`);
  }
  if (installed) return;
  const indexArgs = pipIndexArguments();
  log(
    `installing ${set.requirements.join(", ")} into .cache/venv` +
      (indexArgs.length ? ` (from the local index ${indexArgs[1]})` : ""),
  );
  const result = await run(python, [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--quiet",
    ...indexArgs,
    ...set.requirements,
  ], { quiet: true, timeoutMs: 15 * 60_000 });
  if (!result.success) {
    throw new Error(
      `pip could not install ${set.requirements.join(" ")} (${result.lastLines}). ` +
        "Set PIP_INDEX_URL to a reachable package index.",
    );
  }
  const probe = await runQuiet(python, ["-c", set.probe]);
  if (!probe.success) {
    throw new Error(
      `pip installed ${set.requirements.join(" ")} but they do not import: ${probe.stderr.trim()}`,
    );
  }
  await writeFileAtomic(set.stamp, wanted);
}

if (import.meta.main) {
  const jupyter = await ensureJupyter(Deno.cwd(), { lab: Deno.args.includes("--lab") });
  console.log(JSON.stringify(jupyter, null, 2));
}
