/**
 * Small process helpers for the set-up and task entry points.
 * @module
 */

/** Prints a set-up step, prefixed so it stands out from tool output. */
export function log(message: string): void {
  console.error(`[setup] ${message}`);
}

/** The outcome of a child process. */
export interface RunResult {
  success: boolean;
  code: number;
  /** The last lines of its combined output, for error messages. */
  lastLines: string;
}

/**
 * Runs a command. Output streams through unless `quiet`, in which case it is captured and only
 * its tail is kept for the error message.
 */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; quiet?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: options.quiet ? "piped" : "inherit",
    stderr: options.quiet ? "piped" : "inherit",
  }).spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (options.timeoutMs) {
    timer = setTimeout(() => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }, options.timeoutMs);
  }
  const output = await child.output();
  if (timer !== undefined) clearTimeout(timer);
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  const lastLines = text.trim().split("\n").slice(-6).join(" | ").slice(0, 1200);
  return { success: output.success, code: output.code, lastLines };
}

/** Runs a command and returns its stdout and stderr as text (empty when it cannot start). */
export async function runQuiet(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  try {
    const output = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return {
      success: output.success,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } catch (error) {
    return { success: false, stdout: "", stderr: String(error) };
  }
}
