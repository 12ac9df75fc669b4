/**
 * The one way a test may be skipped: {@link testWhen}. A test that cannot run here (no torch, no
 * native TensorFlow, no Chromium, no CIFAR-10 copy) names why, and
 * - outside CI it is reported as ignored, with a warning line ({@link formatSkipLine}) that
 *   `deno task test` (tools/test.ts) collects and lists with its reason at the end;
 * - under `CI=true` it is registered as a failing test whose error is that reason: CI runs every
 *   test or fails.
 *
 * Plain `ignore:` / `Deno.test.ignore` are not used anywhere else in test/ (test/skip_test.ts
 * checks), and tools/test.ts fails under CI=true when deno test reports anything ignored.
 *
 * @example
 * ```ts
 * import { testWhen } from "./_skip.ts";
 * const python = Deno.env.get("MY_PYTHON");
 * testWhen(python !== undefined, "MY_PYTHON is not set", {
 *   name: "a test that needs a Python",
 *   fn: () => {},
 * });
 * ```
 * @module
 */

/** What starts a skip line on the test output; the rest of the line is {@link SkipRecord} JSON. */
export const SKIP_LINE_PREFIX = "[test skipped] ";

/** One skipped test. */
export interface SkipRecord {
  /** The test's name. */
  readonly test: string;
  /** Why it could not run, and how to make it run. */
  readonly reason: string;
}

/** The line {@link testWhen} prints for a skipped test. */
export function formatSkipLine(record: SkipRecord): string {
  return SKIP_LINE_PREFIX + JSON.stringify({ test: record.test, reason: record.reason });
}

/** Every skip line in `output` (deno test's, possibly coloured), in order. */
export function parseSkipLines(output: string): SkipRecord[] {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const records: SkipRecord[] = [];
  for (const line of plain.split("\n")) {
    const at = line.indexOf(SKIP_LINE_PREFIX);
    if (at < 0) continue;
    try {
      const { test, reason } = JSON.parse(line.slice(at + SKIP_LINE_PREFIX.length));
      if (typeof test === "string" && typeof reason === "string") records.push({ test, reason });
    } catch { /* not one of ours */ }
  }
  return records;
}

/** True when skips fail: `CI=true`, as CI services and .ci/run set it. */
export function skipsFail(env: { get(name: string): string | undefined } = Deno.env): boolean {
  return env.get("CI") === "true";
}

/**
 * Registers `definition` with `Deno.test` when `canRun`; otherwise skips it for `reason` (say
 * what is missing and how to get it): ignored with a warning line outside CI, a failing test
 * under `CI=true`. `definition` must not set `ignore` itself.
 */
export function testWhen(
  canRun: boolean,
  reason: string,
  definition: Deno.TestDefinition,
  env: { get(name: string): string | undefined } = Deno.env,
): void {
  if ("ignore" in definition) {
    throw new Error(`testWhen("${definition.name}"): pass the condition, not definition.ignore`);
  }
  if (canRun) {
    Deno.test(definition);
    return;
  }
  if (reason.trim() === "") throw new Error(`testWhen("${definition.name}"): name the reason`);
  console.warn(formatSkipLine({ test: definition.name, reason }));
  if (skipsFail(env)) {
    Deno.test({
      ...definition,
      fn: () => {
        throw new Error(`CI=true: this test may not be skipped, and it cannot run: ${reason}`);
      },
    });
  } else {
    Deno.test({ ...definition, ignore: true });
  }
}
