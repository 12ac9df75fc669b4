/**
 * The test task's doc-lint stage: the package's documentation as JSR sees it. One
 * `deno doc --lint` over every entry of deno.json's `exports` together (a type exported by any
 * entry is public, so it is not a private reference from another), and the stage fails listing
 * each diagnostic: a public symbol without JSDoc (`missing-jsdoc`), a public signature naming a
 * type no entry exports (`private-type-ref`), and any other rule deno doc adds.
 *
 * One kind is excused: a `private-type-ref` to a type declared outside our sources, i.e. in an npm
 * package (tfjs-core's `Tensor4D`, vega-lite's `TopLevelSpec`). Deno 2.8.1, the one deno.json
 * pins, reports those although they are public in their own package: a false positive,
 * https://github.com/denoland/deno/issues/27364, fixed upstream (denoland/deno#34339) in a newer
 * Deno than ours.
 * @module
 */
import { join, relative } from "node:path";

/** One diagnostic of `deno doc --lint`. */
export interface DocLintError {
  /** The rule, e.g. "missing-jsdoc" or "private-type-ref". */
  readonly rule: string;
  /** deno's one-line message, e.g. "exported symbol is missing JSDoc documentation". */
  readonly message: string;
  /** Where: `path:line:column` as deno prints it (absolute path). */
  readonly location: string;
  /** The source line deno points at, trimmed (e.g. "readonly lock?: Omit<LockOptions, …>;"). */
  readonly code: string;
  /** For `private-type-ref`: the name of the type referenced, e.g. "Tensor4D". */
  readonly referencedType?: string;
}

/** How the stage ended (as tools/test.ts's `reportStage` takes it). */
export interface DocLintStageResult {
  readonly status: "passed" | "failed";
  readonly message: string;
}

/**
 * Every diagnostic in `output` (deno doc --lint's stderr, without colours), in order. Throws when
 * the count does not match deno's closing "Found N documentation lint errors." line, so a change
 * of deno's format cannot turn into a silently passing stage.
 */
export function parseDocLint(output: string): DocLintError[] {
  const lines = output.split("\n");
  const errors: DocLintError[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^error\[([\w-]+)\]: (.*)$/.exec(lines[i]);
    if (head === null) continue;
    const at = /^\s*--> (.+:\d+:\d+)\s*$/.exec(lines[i + 1] ?? "");
    if (at === null) {
      throw new Error(`deno doc --lint: no "--> file:line:column" after: ${lines[i]}`);
    }
    const [, rule, message] = head;
    const referenced = /references private type '(.+)'$/.exec(message)?.[1];
    // The snippet's first numbered line: "67 |   readonly testTop1Error: number | null;".
    const code = /^\s*\d+ \| (.*)$/.exec(lines[i + 3] ?? "")?.[1].trim() ?? "";
    errors.push({
      rule,
      message,
      location: at[1],
      code,
      ...(referenced === undefined ? {} : { referencedType: referenced }),
    });
  }
  const found = /^error: Found (\d+) documentation lint errors?\.$/m.exec(output);
  const expected = found === null ? 0 : Number(found[1]);
  if (expected !== errors.length) {
    throw new Error(
      `deno doc --lint says it found ${expected} error(s), ${errors.length} were parsed`,
    );
  }
  return errors;
}

/**
 * The type names our own sources declare (`type`, `interface`, `class`, `enum` at the start of a
 * line, exported or not): a `private-type-ref` to one of these is ours to fix.
 */
export function declaredTypeNames(sources: Iterable<string>): Set<string> {
  const names = new Set<string>();
  const declaration =
    /^\s*(?:export\s+)?(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:const\s+)?(?:type|interface|class|enum)\s+([A-Za-z_$][\w$]*)/gm;
  for (const text of sources) {
    for (const match of text.matchAll(declaration)) names.add(match[1]);
  }
  return names;
}

/**
 * The diagnostics that fail the stage: all but the `private-type-ref`s whose referenced type is
 * not among `ownTypes` (it comes from an npm package: denoland/deno#27364, see the module doc).
 */
export function failingDocLint(
  errors: readonly DocLintError[],
  ownTypes: ReadonlySet<string>,
): DocLintError[] {
  return errors.filter((e) =>
    !(e.rule === "private-type-ref" && e.referencedType !== undefined &&
      !ownTypes.has(e.referencedType))
  );
}

async function* typeScriptFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* typeScriptFiles(path);
    else if (entry.isFile && /\.m?ts$/.test(entry.name)) yield path;
  }
}

/**
 * Runs the stage in the project at `root` with the `deno` executable given: the entries are
 * deno.json's `exports`, our own types those declared under the entries' folders.
 */
export async function docLintStage(
  options: { readonly root: string; readonly deno: string },
): Promise<DocLintStageResult> {
  const { root, deno } = options;
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const entries = [...new Set(Object.values(config.exports as Record<string, string>))].sort();
  const out = await new Deno.Command(deno, {
    args: ["doc", "--lint", ...entries],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  let errors: DocLintError[];
  try {
    errors = parseDocLint(output);
  } catch (error) {
    return { status: "failed", message: `${(error as Error).message}\n${output}` };
  }
  if (!out.success && errors.length === 0) {
    return { status: "failed", message: `deno doc --lint exited ${out.code}:\n${output}` };
  }
  const folders = [
    ...new Set(entries.map((e) => join(root, e.split("/").slice(0, -1).join("/") || "."))),
  ];
  // The shallowest folders cover the rest (lib/ holds lib/augment/ …).
  const roots = folders.filter((f) => !folders.some((g) => g !== f && f.startsWith(g + "/")));
  const sources: string[] = [];
  for (const folder of roots) {
    for await (const file of typeScriptFiles(folder)) sources.push(await Deno.readTextFile(file));
  }
  const failing = failingDocLint(errors, declaredTypeNames(sources));
  const excused = errors.length - failing.length;
  const summary =
    `${entries.length} entry point(s), ${excused} npm-type private-type-ref(s) excused ` +
    "(denoland/deno#27364)";
  if (failing.length === 0) return { status: "passed", message: `0 errors (${summary})` };
  const list = failing.map((e) =>
    `  ${relative(root, e.location)}  ${e.rule}: ${e.message}\n      ${e.code}`
  ).join("\n");
  return {
    status: "failed",
    message: `${failing.length} documentation error(s) (${summary}):\n${list}`,
  };
}
