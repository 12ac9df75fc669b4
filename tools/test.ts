/**
 * `deno task test [--unit] [deno test args…]`: what CI runs. In order:
 * 1. `deno lint`, `deno fmt --check`, `deno check` (every TypeScript file), then the package's
 *    documentation as JSR sees it: one `deno doc --lint` over deno.json's exports
 *    (tools/test/doc_lint_stage.ts: every public symbol documented, no private type in a public
 *    signature);
 * 2. `deno test` over test/ (the library's tests; extra arguments go to it, e.g. a `--filter`);
 * 3. unless `--unit`: the npm package built, packed and installed into a fresh Node project that
 *    trains with it (tools/test/node_package_stage.ts); `deno task reproduce --scale smoke` into
 *    .cache/smoke/ (every notebook, headless, through real Jupyter, with its own runs cache),
 *    then `deno task check-reports` on those reports in headless Chromium — skipped with a warning when no Chromium could be had,
 *    except under CI=true, where that fails;
 *    then notebook 01 run in JupyterLab's UI in headless Chromium (tools/test/lab_stage.ts; skipped
 *    in the same way without JupyterLab or Chromium);
 *    then the Slurm stage (tools/test/slurm_stage.ts): the smoke sweep through a real single-node
 *    Slurm job array, checked bit for bit against the local pool (installed with apt when root;
 *    skipped with a warning where Slurm cannot be had, a failure under CI=true);
 * 4. a closing line `tests: N passed, N failed, N skipped` (the library's tests, plus one per
 *    report stage).
 * Stops at the first failing stage and exits non-zero.
 *
 * Skips: a test may be skipped only through test/_skip.ts, which names the reason; every skip is
 * listed with its reason after the tests. Outside CI that is a warning. Under `CI=true` a skip
 * fails (test/_skip.ts makes it a failing test), and so does any test deno reports as ignored.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseSkipLines, skipsFail } from "../test/_skip.ts";
import { docLintStage } from "./test/doc_lint_stage.ts";
import { labBrowserStage } from "./test/lab_stage.ts";
import { slurmStage } from "./test/slurm_stage.ts";

const root = join(import.meta.dirname!, "..");
const deno = Deno.execPath();
const unitOnly = Deno.args[0] === "--unit";
const testArgs = unitOnly ? Deno.args.slice(1) : Deno.args;
const smokeDir = join(root, ".cache/smoke");

async function stage(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  console.log(`\n=== ${name}: deno ${args.join(" ")}`);
  const child = new Deno.Command(deno, {
    args,
    cwd: root,
    env,
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
    if (counts) {
      reportSkips(text);
      console.log(
        `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.ignored} skipped`,
      );
    }
    Deno.exit(status.code || 1);
  }
  return text;
}

/** Reads deno test's "ok | 12 passed (3 steps) | 0 failed | 2 ignored" line. */
function summarize(
  output: string,
): { passed: number; failed: number; ignored: number } | undefined {
  // deno colours its summary; strip ANSI codes before matching.
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const steps = String.raw`(?: \(\d+ steps?\))?`;
  const summary = new RegExp(
    String.raw`(\d+) passed${steps} \| (\d+) failed${steps}(?: \| (\d+) ignored)?`,
    "g",
  );
  const match = [...plain.matchAll(summary)].pop();
  return match
    ? { passed: Number(match[1]), failed: Number(match[2]), ignored: Number(match[3] ?? 0) }
    : undefined;
}

/** Lists every test skipped through test/_skip.ts, with its reason. */
function reportSkips(output: string): void {
  const skips = parseSkipLines(output);
  if (skips.length === 0) return;
  const verdict = skipsFail() ? "FAIL under CI=true" : "WARNING: not run here";
  console.warn(`\n=== skipped tests (${skips.length}; ${verdict}):`);
  for (const { test, reason } of skips) console.warn(`  - ${test}\n      because: ${reason}`);
}

/** The Chromium setup found, if any (same search as tools/setup/chromium.ts, without installing). */
async function haveChromium(): Promise<boolean> {
  for (
    const candidate of [Deno.env.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]
  ) {
    if (!candidate) continue;
    try {
      if (
        (await new Deno.Command(candidate, { args: ["--version"], stdout: "null", stderr: "null" })
          .output()).success
      ) {
        return true;
      }
    } catch { /* not installed */ }
  }
  return false;
}

/**
 * Prints a stage module's outcome (tools/test/*_stage.ts) and exits on failure; returns the
 * number of passed stages it adds (1, or 0 when skipped).
 */
function reportStage(
  name: string,
  result: { readonly status: "passed" | "skipped" | "failed"; readonly message: string },
): number {
  if (result.status === "failed") {
    console.error(`\n=== ${name} FAILED: ${result.message}`);
    Deno.exit(1);
  }
  if (result.status === "skipped") {
    console.warn(`\n=== ${name}: SKIPPED (${result.message})`);
    return 0;
  }
  console.log(`=== ${name}: ${result.message}`);
  return 1;
}

await stage("lint", ["lint"]);
await stage("format", ["fmt", "--check"]);
await stage("type-check", ["check", "."]);
console.log(
  "\n=== doc lint: deno doc --lint over deno.json's exports (tools/test/doc_lint_stage.ts)",
);
reportStage("doc lint", await docLintStage({ root, deno }));
const output = await stage("test", ["test", "-A", ...testArgs]);
const counts = summarize(output);
if (!counts || counts.passed === 0) {
  console.error("no tests ran");
  Deno.exit(1);
}
reportSkips(output);
if (skipsFail() && counts.ignored > 0) {
  // test/_skip.ts already turns its skips into failures under CI; this catches any other ignore.
  console.error(`CI=true: deno test ignored ${counts.ignored} test(s); CI runs every test`);
  Deno.exit(1);
}
let { passed } = counts;
if (!unitOnly) {
  // The package as a Node project installs it (tools/test/node_package_stage.ts).
  await stage("node package", ["run", "-A", "tools/test/node_package_stage.ts"]);
  passed++;
  const reports = join(smokeDir, "reports");
  await Deno.remove(reports, { recursive: true }).catch(() => {});
  // Its own runs cache: smoke models must never be mistaken for real ones in runs/.
  await stage("reproduce (smoke)", [
    "task",
    "--quiet",
    "reproduce",
    "--scale",
    "smoke",
    "--out",
    reports,
  ], {
    CUTMIX_RUNS_DIR: join(smokeDir, "runs"),
  });
  passed++;
  if (await haveChromium()) {
    await stage("reports in Chromium", ["task", "--quiet", "check-reports", "--dir", reports]);
    passed++;
  } else if (skipsFail()) {
    console.error("CI=true but no Chromium: the report browser check cannot run");
    Deno.exit(1);
  } else {
    console.warn("\n=== reports in Chromium: SKIPPED (no Chromium; see `./run setup --for test`)");
  }
  if (!existsSync(join(reports, "index.html"))) {
    console.error(`reproduce wrote no ${reports}/index.html`);
    Deno.exit(1);
  }
  console.log("\n=== notebook 01 in JupyterLab, in Chromium (tools/test/lab_stage.ts)");
  passed += reportStage("JupyterLab in Chromium", await labBrowserStage({ root, ci: skipsFail() }));
  console.log("\n=== sweep through Slurm (tools/test/slurm_stage.ts)");
  passed += reportStage(
    "sweep through Slurm",
    await slurmStage({ root, work: smokeDir, deno, ci: Deno.env.get("CI") === "true" }),
  );
}
console.log(`tests: ${passed} passed, ${counts.failed} failed, ${counts.ignored} skipped`);
