/**
 * test/_skip.ts: the skip line round-trips, a skipped test is ignored with its reason outside CI
 * and fails under CI=true (both in a real `deno test` child), and no test in test/ skips any
 * other way.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { formatSkipLine, parseSkipLines, skipsFail } from "./_skip.ts";

const testDir = import.meta.dirname!;

Deno.test("skip lines round-trip through deno test's coloured output, other lines are not skips", () => {
  const a = {
    test: 'resnet8 "A" matches PyTorch',
    reason: "no torch: run `./run setup --for test`",
  };
  const b = { test: "b", reason: "line\nbreak" };
  const output = [
    "\x1b[38;5;245m------- pre-test output -------\x1b[0m",
    formatSkipLine(a),
    "\x1b[33m" + formatSkipLine(b) + "\x1b[0m",
    "[test skipped] not json",
    '[test skipped] {"test": 1, "reason": "wrong type"}',
    "x ... ignored (0ms)",
  ].join("\n");
  assert.deepEqual(parseSkipLines(output), [a, b]);
  assert.deepEqual(parseSkipLines("ok | 3 passed | 0 failed"), []);
});

Deno.test("skips fail exactly when CI=true", () => {
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  assert.equal(skipsFail(env({ CI: "true" })), true);
  assert.equal(skipsFail(env({})), false);
  assert.equal(skipsFail(env({ CI: "false" })), false);
});

Deno.test("testWhen: ignored with its reason outside CI, a failure naming it under CI=true", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cutmix-skip-test-" });
  try {
    const file = join(dir, "probe_test.ts");
    const helper = new URL("./_skip.ts", import.meta.url).href;
    await Deno.writeTextFile(
      file,
      `import { testWhen } from ${JSON.stringify(helper)};\n` +
        `testWhen(false, "the probe's requirement is absent", { name: "probe", fn: () => {} });\n` +
        `testWhen(true, "unused", { name: "runs", fn: () => {} });\n`,
    );
    const run = async (ci: string | undefined) => {
      const env = Deno.env.toObject();
      delete env.CI;
      if (ci !== undefined) env.CI = ci;
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["test", "--no-check", "--no-config", "-A", file],
        env: { ...env, NO_COLOR: "1" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      return { code: output.code, text: decode(output.stdout) + decode(output.stderr) };
    };
    const local = await run(undefined);
    assert.equal(local.code, 0, local.text);
    assert.match(local.text, /1 passed \| 0 failed \| 1 ignored/);
    assert.deepEqual(parseSkipLines(local.text), [
      { test: "probe", reason: "the probe's requirement is absent" },
    ]);
    const ci = await run("true");
    assert.notEqual(ci.code, 0, ci.text);
    assert.match(ci.text, /1 passed \| 1 failed/);
    assert.doesNotMatch(ci.text, /ignored/);
    assert.match(
      ci.text,
      /CI=true: this test may not be skipped, and it cannot run: the probe's requirement is absent/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no test under test/ skips except through test/_skip.ts's testWhen", async () => {
  // Deno's own ways to skip: the ignore option of a test or step (as a key or shorthand
  // property) and the ignore method of Deno.test.
  const pattern = /\bignore\b\s*[:,}]|\.ignore\s*\(/;
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts") && path !== join(testDir, "_skip.ts")) {
        const lines = (await Deno.readTextFile(path)).split("\n");
        lines.forEach((line, i) => {
          if (pattern.test(line) && !line.includes("deno-lint-ignore")) {
            offenders.push(`${relative(testDir, path)}:${i + 1}: ${line.trim()}`);
          }
        });
      }
    }
  };
  await walk(testDir);
  assert.deepEqual(offenders, [], "use testWhen from test/_skip.ts, which names the reason");
});
