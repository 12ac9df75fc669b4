/**
 * The notebooks as files: well-formed for the reproduce run, saved without outputs, ending with
 * saveResults, and type-correct (their code cells, concatenated in order, must pass `deno check`
 * as one module, which is how the kernel sees them: one scope, cell after cell).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectNotebooks } from "../../tools/reproduce.ts";

const notebooksDir = fileURLToPath(new URL("../../notebooks/", import.meta.url));

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

const text = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);

function notebooks(): { name: string; cells: Cell[]; metadata: Record<string, unknown> }[] {
  const names = selectNotebooks([...Deno.readDirSync(notebooksDir)].map((e) => e.name));
  return names.map((name) => ({
    name,
    ...JSON.parse(Deno.readTextFileSync(join(notebooksDir, name))),
  }));
}

Deno.test("notebooks declare the Deno kernel, carry no outputs and end by saving results", () => {
  const all = notebooks();
  assert.ok(all.length >= 1, "at least one notebook");
  for (const { name, cells, metadata } of all) {
    const kernelspec = metadata.kernelspec as { name?: string };
    assert.equal(kernelspec?.name, "deno", `${name}: kernelspec.name`);
    const code = cells.filter((c) => c.cell_type === "code");
    assert.ok(code.length > 0, `${name}: has code cells`);
    for (const cell of code) {
      assert.deepEqual(cell.outputs ?? [], [], `${name}: saved with outputs`);
      assert.equal(cell.execution_count ?? null, null, `${name}: saved with execution counts`);
    }
    assert.match(
      text(code[code.length - 1]),
      /saveResults\(\{/,
      `${name}: last cell saves results`,
    );
    const stem = name.replace(/\.ipynb$/, "");
    assert.ok(
      text(code[code.length - 1]).includes(`notebook: "${stem}"`),
      `${name}: saves under its own name`,
    );
  }
});

Deno.test("every notebook's code type-checks as one module", async () => {
  const files: string[] = [];
  try {
    for (const { name, cells } of notebooks()) {
      const file = join(notebooksDir, `.typecheck-${name.replace(/\.ipynb$/, "")}-${Deno.pid}.ts`);
      const source = cells.filter((c) => c.cell_type === "code").map((c) => `${text(c)};`).join(
        "\n",
      );
      await Deno.writeTextFile(file, `${source}\nexport {};\n`);
      files.push(file);
    }
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", ...files],
      cwd: notebooksDir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const errors = new TextDecoder().decode(result.stderr);
    assert.ok(result.success, `deno check of the notebooks failed:\n${errors.slice(0, 4000)}`);
  } finally {
    for (const file of files) await Deno.remove(file).catch(() => {});
  }
});
