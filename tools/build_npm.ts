/**
 * `deno task build-npm [--out DIR]` — the package for Node users: the layers that run on any
 * TensorFlow.js backend and use no Deno API (augment, models, metrics, random, backend) compiled
 * by TypeScript (npm's `typescript`, pinned in deno.json) to ES modules plus `.d.ts`, with a
 * package.json, then `npm pack` into a tarball. Prints the tarball's path.
 *
 * The compile also checks the boundary: a module of these layers that reached for `Deno.*` (or
 * imported one that does) fails the build, since the Node build has no Deno types.
 *
 *     deno task build-npm                 # → .cache/npm/cutmix-cutmix-<version>.tgz
 * @module
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import ts from "typescript";

const root = join(import.meta.dirname!, "..");

/** The package's entry points: deno.json export name → source module. */
export const NPM_ENTRIES: Readonly<Record<string, string>> = Object.freeze({
  ".": "lib/augment/mod.ts",
  "./augment": "lib/augment/mod.ts",
  "./models": "lib/models/mod.ts",
  "./metrics": "lib/metrics/mod.ts",
  "./random": "lib/random.ts",
  "./backend": "lib/backend.ts",
});

/** The npm dependencies the built modules import, with the version deno.json pins. */
const PEERS = ["@tensorflow/tfjs-core"];
/** Backends `useBackend` imports by name; a user installs the one they use. */
const OPTIONAL_PEERS = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs"];

interface DenoJson {
  name: string;
  version: string;
  imports: Record<string, string>;
}

function pinnedVersion(config: DenoJson, name: string): string {
  const spec = config.imports[name];
  const version = spec?.match(/^npm:(?:@[^/]+\/)?[^@]+@(.+)$/)?.[1];
  if (!version) throw new Error(`deno.json imports has no pinned npm: entry for ${name}`);
  return version;
}

/** @types/node as Deno's node_modules holds it (for `node:util`, `node:process`). */
function nodeTypesRoot(): string {
  const store = join(root, "node_modules/.deno");
  const dir = [...Deno.readDirSync(store)].map((e) => e.name).find((n) =>
    n.startsWith("@types+node@")
  );
  if (!dir) throw new Error("no @types/node under node_modules/.deno: run `deno install`");
  return join(store, dir, "node_modules/@types");
}

/** Compiles the entries into `outDir/lib`; throws with TypeScript's diagnostics on error. */
export function compile(outDir: string): void {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    rewriteRelativeImportExtensions: true,
    declaration: true,
    strict: true,
    skipLibCheck: true,
    rootDir: join(root, "lib"),
    outDir: join(outDir, "lib"),
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    typeRoots: [nodeTypesRoot()],
    noEmitOnError: true,
  };
  const rootNames = [...new Set(Object.values(NPM_ENTRIES))].map((f) => join(root, f));
  const program = ts.createProgram({ rootNames, options });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0) {
    const text = ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => "\n",
    });
    throw new Error(`TypeScript could not build the npm package:\n${text}`);
  }
}

/** The package.json of the built package. */
export function packageJson(config: DenoJson): Record<string, unknown> {
  const exports: Record<string, { types: string; default: string }> = {};
  for (const [name, source] of Object.entries(NPM_ENTRIES)) {
    const js = "./" + source.replace(/\.ts$/, ".js");
    exports[name] = { types: js.replace(/\.js$/, ".d.ts"), default: js };
  }
  const peers = [...PEERS, ...OPTIONAL_PEERS];
  return {
    name: config.name,
    version: config.version,
    description: "CutMix, Mixup, Cutout and relatives as seeded, exact TensorFlow.js tensor ops " +
      "that report what they drew",
    type: "module",
    exports,
    files: ["lib/", "README.md"],
    peerDependencies: Object.fromEntries(peers.map((p) => [p, pinnedVersion(config, p)])),
    peerDependenciesMeta: Object.fromEntries(OPTIONAL_PEERS.map((p) => [p, { optional: true }])),
    sideEffects: false,
  };
}

/** Builds and packs; returns the tarball's path. */
export async function buildNpmPackage(outRoot: string = join(root, ".cache/npm")): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))) as DenoJson;
  const outDir = join(outRoot, "package");
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  compile(outDir);
  await Deno.writeTextFile(
    join(outDir, "package.json"),
    JSON.stringify(packageJson(config), null, 2) + "\n",
  );
  await Deno.copyFile(join(root, "README.md"), join(outDir, "README.md"));
  const { success, stdout, stderr } = await new Deno.Command("npm", {
    args: ["pack", "--silent", "--pack-destination", outRoot],
    cwd: outDir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  if (!success) throw new Error(`npm pack failed: ${decode(stderr)}`);
  const tarball = join(outRoot, decode(stdout).split("\n").pop()!);
  if (!existsSync(tarball)) throw new Error(`npm pack said ${decode(stdout)}, but no such file`);
  return tarball;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string" } } });
  const userDir = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const out = values.out ? join(userDir, values.out) : undefined;
  try {
    const tarball = await buildNpmPackage(out);
    console.log(relative(Deno.cwd(), tarball) || tarball);
  } catch (error) {
    console.error(`[build-npm] ${(error as Error).message}`);
    Deno.exit(1);
  }
}
