/**
 * `deno task test [-- deno test args]`: what CI runs. In order: `deno lint`, `deno fmt --check`,
 * `deno check` (every TypeScript file), then `deno test` over test/, then a closing line
 * `tests: N passed, N failed`. Stops at the first failing stage and exits non-zero.
 * @module
 */
import { join } from "node:path";

const root = join(import.meta.dirname!, "..");
const deno = Deno.execPath();

async function stage(name: string, args: string[]): Promise<string> {
  console.log(`\n=== ${name}: deno ${args.join(" ")}`);
  const child = new Deno.Command(deno, {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Stream the output while keeping it for the summary.
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const piece = decoder.decode(chunk, { stream: true });
    text += piece;
    await Deno.stdout.write(chunk);
  }
  const status = await child.status;
  if (!status.success) {
    console.error(`\n=== ${name} FAILED (exit ${status.code})`);
    const counts = summarize(text);
    if (counts) console.log(`tests: ${counts.passed} passed, ${counts.failed} failed`);
    Deno.exit(status.code || 1);
  }
  return text;
}

/** Reads deno test's "ok | 12 passed (3 steps) | 0 failed" line. */
function summarize(output: string): { passed: number; failed: number } | undefined {
  // deno colours its summary; strip ANSI codes before matching.
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const match = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].pop();
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}

await stage("lint", ["lint"]);
await stage("format", ["fmt", "--check"]);
await stage("type-check", ["check", "."]);
const output = await stage("test", ["test", "-A", ...Deno.args]);
const counts = summarize(output);
if (!counts || counts.passed === 0) {
  console.error("no tests ran");
  Deno.exit(1);
}
console.log(`tests: ${counts.passed} passed, ${counts.failed} failed`);
