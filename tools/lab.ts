/**
 * `deno task lab [--port N] [--no-browser] [--scale smoke|cpu|paper] [-- JUPYTER-ARGS…]` (`./run
 * lab …` from a fresh clone): the notebooks, interactively, in JupyterLab. Arguments after `--` go
 * to `jupyter lab` as they are (e.g. `--LabApp.user_settings_dir=DIR`).
 *
 * 1. Brings JupyterLab (pinned: `LAB_REQUIREMENTS` in tools/setup/jupyter.ts) into `.cache/venv`
 *    and the project's Deno kernelspec into `.cache/jupyter` (idempotent; `./run lab` has done it
 *    already through `deno task setup --for lab`).
 * 2. Starts JupyterLab on 127.0.0.1 only, on port N (default 8888, or one the system picks when
 *    8888 is taken), rooted at `notebooks/`, with a fresh random token, and prints the URL with
 *    the token on stdout once the server answers. Jupyter's settings, workspaces and runtime
 *    files stay under `.cache/jupyter/` (see tools/setup/jupyter.ts); no update or news check.
 * 3. The scale reaches every kernel as `CUTMIX_SCALE` (kernels inherit the server's environment;
 *    notebooks/setup.ts reads it), as `deno task reproduce --scale` passes it.
 *    Results a notebook saves go to `.cache/lab/reports/` (`CUTMIX_REPORTS_DIR`, unless set), so
 *    an interactive session never overwrites `reports/`.
 * 4. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops it: the server gets SIGTERM, on which Jupyter shuts
 *    its kernels down; a kernel still alive after the server exits is stopped by its pid.
 *
 * The server runs in a session of its own, so a terminal's Ctrl-C reaches this process only:
 * jupyter_server answers SIGINT (without a terminal) by exiting at once and leaving its kernels
 * running, and SIGTERM with a full clean-up.
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { DENO_KERNEL_NAME, ensureJupyter } from "./setup/jupyter.ts";
import { absolutePathVariables } from "./reproduce.ts";
import { parseScale, type ReproductionScale } from "../lib/experiments/scale.ts";

/** The port JupyterLab is asked for when `--port` is not given (Jupyter's own default). */
export const DEFAULT_LAB_PORT = 8888;

/** What `deno task lab` was asked to do. */
export interface LabOptions {
  /** The port to serve on; undefined: {@link DEFAULT_LAB_PORT}, or a free one if it is taken. */
  port?: number;
  /** Let JupyterLab open the user's browser (default true; `--no-browser` turns it off). */
  openBrowser: boolean;
  /** The scale the notebooks run at (`CUTMIX_SCALE` of every kernel). */
  scale: ReproductionScale;
  /** Extra `jupyter lab` arguments (those after `--`). */
  jupyterArgs: string[];
}

const USAGE =
  "deno task lab [--port N] [--no-browser] [--scale smoke|cpu|paper] [-- JUPYTER-LAB-ARGS…]";

/** Parses and validates the command line; throws naming the bad argument and value. */
export function parseLabArguments(args: readonly string[]): LabOptions | "help" {
  const split = args.indexOf("--");
  const own = split === -1 ? [...args] : args.slice(0, split);
  const jupyterArgs = split === -1 ? [] : args.slice(split + 1);
  const { values } = parseArgs({
    args: own,
    options: {
      port: { type: "string" },
      "no-browser": { type: "boolean", default: false },
      scale: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const scale = parseScale(values.scale, "--scale");
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
      throw new Error(`--port must be an integer in [1, 65535], got ${values.port}`);
    }
  }
  return { port, openBrowser: !values["no-browser"], scale, jupyterArgs };
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/** A port on 127.0.0.1 that the system reports free right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The folder for one lab session's connection files (the kernels' `--conn` files live there). */
export function labRuntimeDir(root: string, labPid: number = Deno.pid): string {
  return join(root, ".cache/jupyter/runtime", `lab-${labPid}`);
}

/** The `python -m jupyter lab …` arguments for a server on 127.0.0.1:`port` rooted at `rootDir`. */
export function labServerArguments(
  options: { port: number; openBrowser: boolean; rootDir: string; asRoot: boolean },
): string[] {
  return [
    "-m",
    "jupyter",
    "lab",
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${options.port}`,
    // The port was chosen (or given) and checked: fail rather than serve somewhere unannounced.
    "--ServerApp.port_retries=0",
    `--ServerApp.root_dir=${options.rootDir}`,
    `--ServerApp.open_browser=${options.openBrowser ? "True" : "False"}`,
    // Nothing is fetched from the internet: no update check, no news feed.
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=None",
    // Extensions come from the pinned venv; the PyPI-backed manager would query pypi.org.
    "--LabApp.extension_manager=readonly",
    // No language servers are installed; looking for them runs npm (which writes to ~/.npm).
    "--LanguageServerManager.autodetect=False",
    // Containers and CI run as root; Jupyter refuses that unless told.
    ...(options.asRoot ? ["--ServerApp.allow_root=True"] : []),
  ];
}

/**
 * Processes whose command line names a connection file in `runtimeDir`: the kernels a server
 * with that runtime folder started (the Deno kernel runs as `deno jupyter --kernel --conn FILE`).
 */
export function kernelProcesses(runtimeDir: string): number[] {
  const pids: number[] = [];
  const prefix = join(runtimeDir, "kernel-");
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return pids; // no /proc (not Linux): Jupyter's own shutdown is all there is
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    let argv: string[];
    try {
      argv = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (argv.some((arg) => arg.startsWith(prefix))) pids.push(Number(entry.name));
  }
  return pids;
}

/** Whether process `pid` still exists (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function log(message: string): void {
  console.error(`[lab] ${message}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the server answers `/api/status` with the token; throws if it exits first. */
async function waitUntilServing(
  baseUrl: string,
  token: string,
  exited: () => boolean,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("JupyterLab exited before it served (its log is above)");
    try {
      const response = await fetch(`${baseUrl}/api/status`, {
        headers: { Authorization: `token ${token}` },
      });
      await response.body?.cancel();
      if (response.ok) return;
    } catch { /* not listening yet */ }
    await sleep(250);
  }
  throw new Error(`JupyterLab did not answer at ${baseUrl} within ${timeoutMs / 1000} s`);
}

async function main(): Promise<number> {
  const parsed = parseLabArguments(Deno.args);
  if (parsed === "help") {
    console.log(
      `${USAGE}\nServes notebooks/ in JupyterLab on 127.0.0.1 with the Deno kernel; Ctrl-C stops it.`,
    );
    return 0;
  }
  const root = resolve(join(import.meta.dirname!, ".."));
  let port = parsed.port ?? DEFAULT_LAB_PORT;
  if (!portIsFree(port)) {
    if (parsed.port !== undefined) throw new Error(`--port ${port}: 127.0.0.1:${port} is in use`);
    port = freePort();
    log(`port ${DEFAULT_LAB_PORT} is in use; serving on ${port}`);
  }
  const jupyter = await ensureJupyter(root, { lab: true });
  const runtimeDir = labRuntimeDir(root);
  await Deno.mkdir(runtimeDir, { recursive: true });
  const token = Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const baseUrl = `http://127.0.0.1:${port}`;

  const server = new Deno.Command(jupyter.python, {
    args: labServerArguments({
      port,
      openBrowser: parsed.openBrowser,
      rootDir: join(root, "notebooks"),
      asRoot: Deno.uid() === 0,
    }).concat(parsed.jupyterArgs),
    cwd: root,
    env: {
      ...jupyter.env,
      JUPYTER_RUNTIME_DIR: runtimeDir,
      // In the environment rather than on the command line, which other users can read.
      JUPYTER_TOKEN: token,
      ...absolutePathVariables(Deno.env, Deno.cwd()),
      CUTMIX_SCALE: parsed.scale,
      // Kernels run in notebooks/, so a relative folder is resolved here, against ours.
      CUTMIX_REPORTS_DIR: resolve(
        Deno.env.get("CUTMIX_REPORTS_DIR") || join(root, ".cache/lab/reports"),
      ),
    },
    // Its own session: a terminal's Ctrl-C must reach us, not the server (see the module doc).
    detached: true,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  let exited = false;
  const status = server.status.then((s) => {
    exited = true;
    return s;
  });

  let stopping = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping JupyterLab (pid ${server.pid}) and its kernels`);
    try {
      server.kill("SIGTERM");
    } catch { /* already gone */ }
    // A server that does not finish its clean-up in time is killed; its kernels are handled below.
    killTimer = setTimeout(() => {
      if (!exited) {
        log("JupyterLab did not stop within 30 s; killing it");
        server.kill("SIGKILL");
      }
    }, 30_000);
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((signal) => {
    const handler = () => stop(signal);
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });

  let code = 0;
  try {
    await waitUntilServing(baseUrl, token, () => exited);
    const specs = await (await fetch(`${baseUrl}/api/kernelspecs`, {
      headers: { Authorization: `token ${token}` },
    })).json() as { kernelspecs: Record<string, unknown> };
    if (!(DENO_KERNEL_NAME in specs.kernelspecs)) {
      throw new Error(
        `JupyterLab does not see the "${DENO_KERNEL_NAME}" kernelspec (has ${
          Object.keys(specs.kernelspecs).join(", ")
        }); check JUPYTER_PATH=${jupyter.jupyterPath}`,
      );
    }
    log(
      `JupyterLab (pid ${server.pid}) serves notebooks/ at scale ${parsed.scale} with the Deno ` +
        "kernel; Ctrl-C stops it",
    );
    console.log(`${baseUrl}/lab?token=${token}`);
  } catch (error) {
    log(`FAILED: ${(error as Error).message}`);
    code = 1;
    stop("SIGTERM");
  }
  const { code: serverCode, signal } = await status;
  clearTimeout(killTimer);
  for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  if (!stopping) {
    log(`JupyterLab exited by itself (${signal ? `signal ${signal}` : `exit ${serverCode}`})`);
    code = code || serverCode || 1;
  }
  const leftover = kernelProcesses(runtimeDir);
  for (const pid of leftover) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
  if (leftover.length) log(`stopped ${leftover.length} kernel(s) the server left running`);
  await Deno.remove(runtimeDir, { recursive: true }).catch(() => {});
  log("stopped");
  return code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`[lab] ${(error as Error).message}`);
    Deno.exit(2);
  }
}
