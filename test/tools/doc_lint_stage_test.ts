import assert from "node:assert/strict";
import { join } from "node:path";
import {
  declaredTypeNames,
  docLintStage,
  failingDocLint,
  parseDocLint,
} from "../../tools/test/doc_lint_stage.ts";

// Hand-made in the shape of Deno 2.8.1's `NO_COLOR=1 deno doc --lint` output (trimmed snippets),
// with RUST_BACKTRACE's trailer after the count line.
const SAMPLE =
  `error[private-type-ref]: public type 'Batch["imagesNHWC"]' references private type 'Tensor4D'
   --> /p/lib/data/pipeline.ts:45:3
    | 
 45 |   readonly imagesNHWC: Tensor4D;
    |   ^
    = hint: make the referenced type public or remove the reference
    | 
288 | export type Tensor4D = Tensor<Rank.R4>;
    | - this is the referenced type
    | 

  info: to ensure documentation is complete all types that are exposed in the public API must be public


error[missing-jsdoc]: exported symbol is missing JSDoc documentation
  --> /p/lib/training/run_dir.ts:67:3
   | 
67 |   readonly testTop1Error: number | null;
   |   ^


error[private-type-ref]: public type 'RunDirectoryOptions["lock"]' references private type 'LockOptions'
   --> /p/lib/training/run_dir.ts:127:3
    | 
127 |   readonly lock?: Omit<LockOptions, "purpose">;
    |   ^
    = hint: make the referenced type public or remove the reference
    | 
 42 | export interface LockOptions {
    | - this is the referenced type
    | 


error[missing-return-type]: exported function is missing an explicit return type annotation
  --> /p/lib/random.ts:10:1
   | 
10 | export function draw() {
   | ^


error: Found 4 documentation lint errors.

Stack backtrace:
   0: <unknown>
`;

Deno.test("parseDocLint reads each diagnostic's rule, message, location and referenced type", () => {
  const errors = parseDocLint(SAMPLE);
  assert.deepEqual(errors, [
    {
      rule: "private-type-ref",
      message: `public type 'Batch["imagesNHWC"]' references private type 'Tensor4D'`,
      location: "/p/lib/data/pipeline.ts:45:3",
      code: "readonly imagesNHWC: Tensor4D;",
      referencedType: "Tensor4D",
    },
    {
      rule: "missing-jsdoc",
      message: "exported symbol is missing JSDoc documentation",
      location: "/p/lib/training/run_dir.ts:67:3",
      code: "readonly testTop1Error: number | null;",
    },
    {
      rule: "private-type-ref",
      message: `public type 'RunDirectoryOptions["lock"]' references private type 'LockOptions'`,
      location: "/p/lib/training/run_dir.ts:127:3",
      code: 'readonly lock?: Omit<LockOptions, "purpose">;',
      referencedType: "LockOptions",
    },
    {
      rule: "missing-return-type",
      message: "exported function is missing an explicit return type annotation",
      location: "/p/lib/random.ts:10:1",
      code: "export function draw() {",
    },
  ]);
  assert.deepEqual(parseDocLint(""), []);
});

Deno.test("parseDocLint refuses output whose count it cannot account for", () => {
  // One diagnostic dropped: deno's count no longer matches what was parsed.
  const dropped = SAMPLE.replace(/error\[missing-jsdoc\]/, "warning[missing-jsdoc]");
  assert.throws(() => parseDocLint(dropped), /found 4 error\(s\), 3 were parsed/);
  assert.throws(
    () => parseDocLint("error[missing-jsdoc]: exported symbol is missing JSDoc documentation\n"),
    /no "--> file:line:column"/,
  );
});

Deno.test("failingDocLint excuses only private-type-refs to types our sources do not declare", () => {
  const errors = parseDocLint(SAMPLE);
  const own = declaredTypeNames([
    "/** Lock options. */\nexport interface LockOptions {\n  readonly purpose?: string;\n}\n",
    "type Local = number;\n",
  ]);
  assert.deepEqual(
    failingDocLint(errors, own).map((e) => `${e.rule} ${e.location}`),
    [
      "missing-jsdoc /p/lib/training/run_dir.ts:67:3",
      "private-type-ref /p/lib/training/run_dir.ts:127:3",
      "missing-return-type /p/lib/random.ts:10:1",
    ],
  );
  // A type of ours that shares an npm type's name is ours: it fails too.
  const shadowing = declaredTypeNames([
    "export type Tensor4D = number[][][][];\nexport interface LockOptions {}\n",
  ]);
  assert.equal(failingDocLint(errors, shadowing).length, 4);
});

Deno.test("declaredTypeNames finds declarations at a line's start, not words in comments", () => {
  const names = declaredTypeNames([
    [
      "/**",
      " * The type Foo and the class Bar named in a comment.",
      " */",
      "export interface Options {}",
      "export type Shape = [number, number];",
      "  type Inner = string;",
      "export abstract class Engine {}",
      "export declare const enum Mode { A }",
      "class Private {}",
      "const type = 1; // not a declaration",
    ].join("\n"),
  ]);
  assert.deepEqual([...names].sort(), ["Engine", "Inner", "Mode", "Options", "Private", "Shape"]);
});

Deno.test("docLintStage fails naming each undocumented export, then passes once documented", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-doclint-" });
  try {
    await Deno.mkdir(join(root, "lib"));
    await Deno.writeTextFile(
      join(root, "deno.json"),
      JSON.stringify({ name: "@x/y", version: "0.0.0", exports: { ".": "./lib/mod.ts" } }),
    );
    const write = (text: string) => Deno.writeTextFile(join(root, "lib/mod.ts"), text);
    await write(
      "/** @module */\ninterface Hidden { readonly x: number }\n" +
        "/** Uses a type the package does not export. */\nexport const value: Hidden = { x: 1 };\n" +
        "export const bare = 2;\n",
    );
    const failed = await docLintStage({ root, deno: Deno.execPath() });
    assert.equal(failed.status, "failed");
    assert.match(failed.message, /^2 documentation error\(s\)/);
    assert.match(failed.message, /lib\/mod\.ts:4:\d+ {2}private-type-ref: .*'Hidden'/);
    assert.match(
      failed.message,
      /lib\/mod\.ts:5:\d+ {2}missing-jsdoc: .*\n {6}export const bare = 2;/,
    );
    await write(
      "/** @module */\n/** A point's x. */\nexport interface Shown {\n  /** The x. */\n" +
        "  readonly x: number;\n}\n/** One. */\nexport const value: Shown = { x: 1 };\n",
    );
    const passed = await docLintStage({ root, deno: Deno.execPath() });
    assert.deepEqual(passed, {
      status: "passed",
      message:
        "0 errors (1 entry point(s), 0 npm-type private-type-ref(s) excused (denoland/deno#27364))",
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
