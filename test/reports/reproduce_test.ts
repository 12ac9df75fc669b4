import assert from "node:assert/strict";
import {
  absolutePathVariables,
  checkExecutedNotebook,
  NO_OUTPUT_MARKER,
  selectNotebooks,
} from "../../tools/reproduce.ts";
import { denoKernelSpec, pipIndexArguments } from "../../tools/setup/jupyter.ts";

const code = (
  source: string,
  outputs: { output_type: string; ename?: string; evalue?: string }[] = [],
) => ({
  cell_type: "code",
  source,
  outputs,
});

Deno.test("checkExecutedNotebook demands an output from every code cell unless marked", () => {
  const problems = checkExecutedNotebook({
    cells: [
      { cell_type: "markdown", source: "# title" },
      code("table(rows)", [{ output_type: "execute_result" }]),
      code("const x = 1;"),
      code(`${NO_OUTPUT_MARKER}: setup only\nconst y = 2;`),
      code(["  ", "\n"].join("")),
      code("boom()", [{
        output_type: "error",
        ename: "TypeError",
        evalue: "boom is not a function",
      }]),
    ],
  });
  assert.deepEqual(problems, [
    `code cell 2 has no output (expected one; mark it "${NO_OUTPUT_MARKER}" if none is intended): const x = 1;`,
    "code cell 5 raised TypeError: boom is not a function",
  ]);
});

Deno.test("selectNotebooks keeps NN-*.ipynb in order and filters by number", () => {
  const names = ["02-b.ipynb", "01-a.ipynb", "README.md", "scratch.ipynb", "10-c.ipynb"];
  assert.deepEqual(selectNotebooks(names), ["01-a.ipynb", "02-b.ipynb", "10-c.ipynb"]);
  assert.deepEqual(selectNotebooks(names, ["10", "01"]), ["01-a.ipynb", "10-c.ipynb"]);
  assert.throws(
    () => selectNotebooks(names, ["03"]),
    /no notebook numbered 03 \(have 01, 02, 10\)/,
  );
});

Deno.test("the kernelspec runs the given deno as `deno jupyter --kernel --conn {connection_file}`", () => {
  assert.deepEqual(denoKernelSpec("/x/deno"), {
    argv: ["/x/deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  });
});

Deno.test("pip uses the local index only when the user set none and it exists", () => {
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  const all = () => true;
  assert.deepEqual(pipIndexArguments(env({}), all), [
    "--index-url",
    "file:///opt/pypi/simple",
    "--extra-index-url",
    "file:///opt/pypi-more/simple",
  ]);
  assert.deepEqual(pipIndexArguments(env({}), (path) => path === "/opt/pypi/simple"), [
    "--index-url",
    "file:///opt/pypi/simple",
  ]);
  assert.deepEqual(pipIndexArguments(env({ PIP_INDEX_URL: "https://mirror/simple" }), all), []);
  assert.deepEqual(pipIndexArguments(env({}), () => false), []);
});

Deno.test("absolutePathVariables resolves the notebooks' path variables against the caller's cwd", () => {
  const env = new Map([
    ["CUTMIX_RUNS_DIR", ".cache/smoke/runs"],
    ["CUTMIX_CIFAR10_ARCHIVE", "/abs/cifar-10-binary.tar.gz"],
    ["CUTMIX_DATA_DIR", ""],
    ["CUTMIX_SCALE", "smoke"],
  ]);
  assert.deepEqual(absolutePathVariables(env, "/work/project"), {
    CUTMIX_RUNS_DIR: "/work/project/.cache/smoke/runs",
    CUTMIX_CIFAR10_ARCHIVE: "/abs/cifar-10-binary.tar.gz",
  });
});
