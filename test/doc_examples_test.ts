/**
 * The JSDoc examples: every one in the project type-checks (`deno check --doc .`, and the README's
 * and docs/' code blocks with `--doc-only`), and the
 * augment layer's run (`deno test --doc lib/augment/`, on `@tensorflow/tfjs`' pure-JS backend, as
 * a user who imports only the package and tfjs would run them). Examples elsewhere need data
 * sets or train for minutes, so they are only type-checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const root = join(import.meta.dirname!, "..");

async function deno(args: string[]): Promise<{ success: boolean; output: string }> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { success, output: text.split("\n").filter((l) => !l.startsWith("I0000")).join("\n") };
}

Deno.test("doc examples: every JSDoc example type-checks", async () => {
  const { success, output } = await deno(["check", "--quiet", "--doc", "."]);
  assert.ok(success, output.slice(-4000));
});

Deno.test("doc examples: the README's and docs/' code blocks type-check", async () => {
  const docs = [...Deno.readDirSync(join(root, "docs"))].map((e) => `docs/${e.name}`);
  const { success, output } = await deno(["check", "--quiet", "--doc-only", "README.md", ...docs]);
  assert.ok(success, output.slice(-4000));
});

Deno.test("doc examples: the augment layer's examples run", async () => {
  const { success, output } = await deno(["test", "--quiet", "-A", "--doc", "lib/augment/"]);
  assert.ok(success, output.slice(-4000));
  assert.match(output, /ok \| \d+ passed \| 0 failed/);
});
