/**
 * tools/lab.ts's argument handling, server command line and process bookkeeping, the lab test
 * stage's plan for notebook 01, and the JupyterLab config tools/setup/jupyter.ts writes. The lab
 * itself, in a real browser, is the test task's "JupyterLab in Chromium" stage.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_LAB_PORT,
  freePort,
  kernelProcesses,
  labRuntimeDir,
  labServerArguments,
  parseLabArguments,
  portIsFree,
  processAlive,
} from "../../tools/lab.ts";
import { ALPHA_EDIT, MODEL_CELL, planLabTest } from "../../tools/test/lab_stage.ts";
import {
  LAB_DISABLED_EXTENSIONS,
  LAB_REQUIREMENTS,
  withDisabledLabExtensions,
} from "../../tools/setup/jupyter.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("parseLabArguments: defaults, every option, and what follows -- for jupyter", () => {
  assert.deepEqual(parseLabArguments([]), {
    port: undefined,
    openBrowser: true,
    scale: "cpu",
    jupyterArgs: [],
  });
  assert.deepEqual(
    parseLabArguments(["--port", "9001", "--no-browser", "--scale", "smoke", "--", "--x=1", "-y"]),
    { port: 9001, openBrowser: false, scale: "smoke", jupyterArgs: ["--x=1", "-y"] },
  );
  assert.equal(parseLabArguments(["-h"]), "help");
});

Deno.test("parseLabArguments rejects a bad port or scale, naming the value", () => {
  for (const port of ["0", "65536", "80a", "-1", "1.5"]) {
    assert.throws(() => parseLabArguments([`--port=${port}`]), new RegExp(`--port.*got ${port}`));
  }
  assert.throws(() => parseLabArguments(["--scale", "huge"]), /--scale="huge" is not a scale/);
  assert.throws(() => parseLabArguments(["--bogus"]), /bogus/);
});

Deno.test("labServerArguments: 127.0.0.1 only, the given port or none, nothing from the internet", () => {
  const args = labServerArguments({
    port: DEFAULT_LAB_PORT,
    openBrowser: false,
    rootDir: "/p/notebooks",
    asRoot: false,
  });
  assert.deepEqual(args.slice(0, 3), ["-m", "jupyter", "lab"]);
  for (
    const expected of [
      "--ServerApp.ip=127.0.0.1",
      "--ServerApp.port=8888",
      "--ServerApp.port_retries=0",
      "--ServerApp.root_dir=/p/notebooks",
      "--ServerApp.open_browser=False",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      "--LabApp.news_url=None",
      "--LabApp.extension_manager=readonly",
      "--LanguageServerManager.autodetect=False",
    ]
  ) {
    assert.ok(args.includes(expected), `missing ${expected} in ${args.join(" ")}`);
  }
  assert.ok(!args.some((a) => a.includes("allow_root")));
  assert.ok(!args.some((a) => a.includes("token")), "the token goes in the environment");
  const asRoot = labServerArguments({ port: 1, openBrowser: true, rootDir: "/n", asRoot: true });
  assert.ok(asRoot.includes("--ServerApp.allow_root=True"));
  assert.ok(asRoot.includes("--ServerApp.open_browser=True"));
});

Deno.test("portIsFree and freePort agree with a listener on 127.0.0.1", () => {
  const port = freePort();
  assert.ok(port > 0 && port < 65536);
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  try {
    assert.equal(portIsFree(port), false);
  } finally {
    listener.close();
  }
  assert.equal(portIsFree(port), true);
});

Deno.test("kernelProcesses finds a process by its connection file in the lab's runtime folder", async () => {
  const runtimeDir = labRuntimeDir("/nonexistent-root", 4242);
  assert.equal(runtimeDir, "/nonexistent-root/.cache/jupyter/runtime/lab-4242");
  assert.deepEqual(kernelProcesses(runtimeDir), []);
  // A stand-in kernel: a process whose argv names a connection file there, as Deno's kernel does.
  const child = new Deno.Command(Deno.execPath(), {
    // After `--` the arguments are the script's: the process lives until it is killed.
    args: ["eval", "await new Promise((r) => setTimeout(r, 60_000))", "--", "--conn"]
      .concat([join(runtimeDir, "kernel-0000.json")]),
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let found: number[] = [];
    for (let i = 0; i < 100 && found.length === 0; i++) {
      found = kernelProcesses(runtimeDir);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(found, [child.pid]);
    assert.equal(processAlive(child.pid), true);
    assert.deepEqual(kernelProcesses(labRuntimeDir("/nonexistent-root", 4243)), []);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.equal(processAlive(child.pid), false);
  assert.deepEqual(kernelProcesses(runtimeDir), []);
});

Deno.test("planLabTest on notebook 01: run up to the first cell that loads models, edit α", async () => {
  const notebook = JSON.parse(
    await Deno.readTextFile(join(root, "notebooks/01-cutmix-explained.ipynb")),
  ) as { cells: { cell_type: string; source: string | string[] }[] };
  const text = (i: number) => [notebook.cells[i].source].flat().join("");
  const plan = planLabTest(notebook.cells);
  assert.match(text(plan.cellsToRun), MODEL_CELL);
  for (let i = 0; i < plan.cellsToRun; i++) assert.doesNotMatch(text(i), MODEL_CELL);
  assert.ok(plan.editedCell + 1 < plan.cellsToRun, "the cell after the edited one runs too");
  assert.equal(
    plan.editedSource,
    text(plan.editedCell).replace(ALPHA_EDIT.from, ALPHA_EDIT.to),
  );
  assert.ok(
    plan.editedSource.includes(ALPHA_EDIT.to) && !plan.editedSource.includes(ALPHA_EDIT.from),
  );
});

Deno.test("planLabTest says what is missing when the notebook changed", () => {
  const cells = [
    { cell_type: "code", source: "const a = 1;" },
    { cell_type: "code", source: "const runs = await loadRuns(list, options);" },
  ];
  assert.throws(() => planLabTest(cells), /no cell with "const ALPHA = 1;"/);
});

Deno.test("withDisabledLabExtensions adds the debugger and keeps every other entry and choice", () => {
  assert.deepEqual(withDisabledLabExtensions({}), {
    disabledExtensions: Object.fromEntries(LAB_DISABLED_EXTENSIONS.map((n) => [n, true])),
  });
  const user = {
    other: 1,
    disabledExtensions: { "x-ext": true, "@jupyterlab/debugger-extension": false },
  };
  assert.deepEqual(withDisabledLabExtensions(user), user);
});

Deno.test("LAB_REQUIREMENTS pins exact versions", () => {
  for (const requirement of LAB_REQUIREMENTS) assert.match(requirement, /^[\w-]+==\d+(\.\d+)+$/);
});
