/**
 * The project's one Python environment, `.cache/venv`: Jupyter's notebook execution
 * (tools/setup/jupyter.ts) and torch for the PyTorch parity tests and the bench's reference
 * (tools/setup/torch.ts) live in it, so a machine installs each once.
 *
 * @example
 * ```ts
 * import { ensureVenv, projectVenvPython } from "./venv.ts";
 * const python = await ensureVenv(Deno.cwd());
 * console.log(python === projectVenvPython(Deno.cwd())); // true
 * ```
 * @module
 */
import { join } from "node:path";
import { log, run } from "./util.ts";

/** The venv's folder, relative to the project root. */
export const PROJECT_VENV_DIR = ".cache/venv";

/** The venv's python executable under the project `root` (it may not exist yet). */
export function projectVenvPython(root: string): string {
  return join(root, PROJECT_VENV_DIR, "bin/python");
}

/**
 * Creates `.cache/venv` with `python3 -m venv` unless its python is there; returns that python.
 * Throws naming the fix when python3 has no venv module.
 */
export async function ensureVenv(root: string): Promise<string> {
  const python = projectVenvPython(root);
  try {
    await Deno.stat(python);
    return python;
  } catch { /* not made yet */ }
  log(`creating the project's Python venv in ${PROJECT_VENV_DIR}`);
  const venv = join(root, PROJECT_VENV_DIR);
  const made = await run("python3", ["-m", "venv", venv], { quiet: true });
  if (!made.success) {
    throw new Error(
      `python3 -m venv ${venv} failed (${made.lastLines}). Install python3 with its venv ` +
        "module (Debian: apt-get install python3-venv).",
    );
  }
  return python;
}
