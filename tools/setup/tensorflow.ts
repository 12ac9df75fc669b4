/**
 * Installs the native TensorFlow backend for tfjs-node (or tfjs-node-gpu), idempotently.
 *
 * 1. Already built and loading? Nothing to do.
 * 2. The official path: the package's own install script (downloads libtensorflow from Google
 *    storage, then a prebuilt or locally built binding). Needs internet.
 * 3. CPU only, when 2 fails (air-gapped machines, and every machine of this project): build
 *    tfjs-node's binding against the TensorFlow C library inside the `tensorflow-cpu` pip wheel.
 *    The library comes from, in order: `CUTMIX_TF_DIR` (a TensorFlow install holding
 *    libtensorflow_cc.so.2, libtensorflow_framework.so.2 and include/, e.g. a site-packages
 *    `tensorflow/` folder), `CUTMIX_TF_WHEEL` (a downloaded .whl), or `pip download
 *    tensorflow-cpu==<TF_WHEEL_VERSION>` (honours PIP_INDEX_URL / PIP_EXTRA_INDEX_URL).
 *
 * What was done is recorded in .cache/backend.json, which the tests read to insist on the native
 * backend when setup built it.
 * @module
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../lib/io/atomic_write.ts";
import { log, run, runQuiet } from "./util.ts";

/** The TensorFlow wheel whose C library the fallback builds against (tested with tfjs-node 4.22). */
export const TF_WHEEL_VERSION = "2.21.0";
/** tfjs-node picks the highest N-API version the runtime supports from 3..8. */
const NAPI_VERSION = 8;

/** What `.cache/backend.json` records. */
export interface BackendRecord {
  packageName: string;
  method: "official-download" | "pip-wheel" | "tensorflow-dir" | "already-present";
  source: string;
  builtAt: string;
}

function packageDir(root: string, packageName: string): string {
  const link = join(root, "node_modules", packageName);
  if (!existsSync(link)) {
    throw new Error(
      `${packageName} is not installed under node_modules/: did \`deno install\` run?`,
    );
  }
  return realpathSync(link);
}

/** Loads the backend in a child process (lib/backend.ts's useBackend); true if it came up native. */
async function probe(root: string, requested: string): Promise<{ ok: boolean; detail: string }> {
  const code = `const { useBackend } = await import(${
    JSON.stringify(join(root, "lib/backend.ts"))
  });
console.log(JSON.stringify(await useBackend({ kind: ${JSON.stringify(requested)} })));`;
  const result = await runQuiet(Deno.execPath(), ["eval", code], {
    cwd: root,
    env: { CUTMIX_BACKEND: requested, TF_CPP_MIN_LOG_LEVEL: "2" },
  });
  const line = result.stdout.trim().split("\n").pop() ?? "";
  try {
    const info = JSON.parse(line);
    return { ok: info.native === true, detail: info.fallbackReason ?? info.name };
  } catch {
    return { ok: false, detail: (result.stderr.trim().split("\n")[0] ?? "").slice(0, 300) };
  }
}

async function officialInstall(pkgDir: string): Promise<boolean> {
  const manifest = JSON.parse(await Deno.readTextFile(join(pkgDir, "package.json")));
  const script: string = manifest.scripts?.install ?? "node scripts/install.js";
  // The package's own dependencies sit beside it in Deno's node_modules layout.
  const preGypBin = join(pkgDir, "../../@mapbox/node-pre-gyp/bin");
  const env: Record<string, string> = {
    PATH: `${preGypBin}:${Deno.env.get("PATH") ?? ""}`,
    ...(await nodeGypEnv()),
  };
  log(`trying the official install (${script}): downloads libtensorflow from Google storage`);
  const ok = await run("sh", ["-c", script], {
    cwd: pkgDir,
    env,
    quiet: true,
    timeoutMs: 15 * 60_000,
  });
  if (!ok.success) log(`official install failed: ${ok.lastLines}`);
  return ok.success;
}

/** Where npm's bundled node-gyp and Node's headers are, so builds need no download. */
async function nodeGypEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const nodedir = await nodeHeadersDir();
  if (nodedir) env.npm_config_nodedir = nodedir;
  const gyp = await nodeGypScript();
  if (gyp) env.npm_config_node_gyp = gyp;
  return env;
}

async function nodeHeadersDir(): Promise<string | undefined> {
  const configured = (await runQuiet("npm", ["config", "get", "nodedir"])).stdout.trim();
  if (configured && configured !== "undefined" && configured !== "null") return configured;
  const nodePath = (await runQuiet("node", ["-p", "process.execPath"])).stdout.trim();
  if (!nodePath) return undefined;
  const prefix = dirname(dirname(realpathSync(nodePath)));
  return existsSync(join(prefix, "include/node/node_api.h")) ? prefix : undefined;
}

async function nodeGypScript(): Promise<string | undefined> {
  const globalRoot = (await runQuiet("npm", ["root", "-g"])).stdout.trim();
  const candidate = join(globalRoot, "npm/node_modules/node-gyp/bin/node-gyp.js");
  return existsSync(candidate) ? candidate : undefined;
}

/** A folder with libtensorflow_cc.so.2, libtensorflow_framework.so.2 and include/. */
async function tensorflowLibraryDir(root: string): Promise<{ dir: string; record: BackendRecord }> {
  const given = Deno.env.get("CUTMIX_TF_DIR");
  const now = new Date().toISOString();
  if (given) {
    for (
      const needed of [
        "libtensorflow_cc.so.2",
        "libtensorflow_framework.so.2",
        "include/tensorflow/c/c_api.h",
      ]
    ) {
      if (!existsSync(join(given, needed))) {
        throw new Error(
          `CUTMIX_TF_DIR=${given} has no ${needed}: point it at a TensorFlow folder (e.g. site-packages/tensorflow)`,
        );
      }
    }
    log(`using the TensorFlow C library in CUTMIX_TF_DIR=${given}`);
    return {
      dir: given,
      record: {
        packageName: "@tensorflow/tfjs-node",
        method: "tensorflow-dir",
        source: given,
        builtAt: now,
      },
    };
  }
  let wheel = Deno.env.get("CUTMIX_TF_WHEEL");
  if (wheel) {
    if (!existsSync(wheel)) throw new Error(`CUTMIX_TF_WHEEL=${wheel}: no such file`);
    log(`using the wheel in CUTMIX_TF_WHEEL=${wheel}`);
  } else {
    wheel = await downloadWheel(root);
  }
  const name = wheel.split("/").pop()!.replace(/\.whl$/, "");
  const dir = join(root, ".cache/tensorflow", name);
  if (!existsSync(join(dir, "libtensorflow_cc.so.2"))) await extractWheel(wheel, dir);
  return {
    dir,
    record: {
      packageName: "@tensorflow/tfjs-node",
      method: "pip-wheel",
      source: name,
      builtAt: now,
    },
  };
}

async function downloadWheel(root: string): Promise<string> {
  const wheels = join(root, ".cache/wheels");
  await Deno.mkdir(wheels, { recursive: true });
  const existing = [...Deno.readDirSync(wheels)].find((e) =>
    e.name.startsWith(`tensorflow_cpu-${TF_WHEEL_VERSION}-`) && e.name.endsWith(".whl")
  );
  if (existing) return join(wheels, existing.name);
  log(
    `downloading the tensorflow-cpu==${TF_WHEEL_VERSION} wheel with pip (≈275 MB) into .cache/wheels/`,
  );
  const result = await run("python3", [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--only-binary=:all:",
    "--disable-pip-version-check",
    "-d",
    wheels,
    `tensorflow-cpu==${TF_WHEEL_VERSION}`,
  ], { quiet: true });
  const found = [...Deno.readDirSync(wheels)].find((e) => e.name.endsWith(".whl"));
  if (!result.success || !found) {
    throw new Error(
      `pip could not download tensorflow-cpu==${TF_WHEEL_VERSION} (${result.lastLines}). ` +
        "Set PIP_INDEX_URL to a reachable index, or CUTMIX_TF_WHEEL to a downloaded wheel, " +
        "or CUTMIX_TF_DIR to an installed TensorFlow folder.",
    );
  }
  return join(wheels, found.name);
}

/** Extracts the C library and headers from the wheel into `dir`, via a temp dir + rename. */
async function extractWheel(wheel: string, dir: string): Promise<void> {
  log(`extracting the TensorFlow C library and headers from ${wheel.split("/").pop()}`);
  const partial = `${dir}.partial-${Deno.pid}`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(partial, { recursive: true });
  // A wheel is a zip; python3 (present wherever pip is) reads it without extra dependencies.
  const script = `
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(wheel)
wanted = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
names = [n for n in z.namelist() if n in wanted or (n.startswith("tensorflow/include/") and not n.endswith("/"))]
missing = wanted - set(names)
if missing: sys.exit("the wheel has no " + ", ".join(sorted(missing)))
for n in names:
    target = os.path.join(out, n[len("tensorflow/"):])
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with z.open(n) as src, open(target, "wb") as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk: break
            dst.write(chunk)
`;
  const result = await run("python3", ["-c", script, wheel, partial], { quiet: true });
  if (!result.success) {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    throw new Error(`could not extract ${wheel}: ${result.lastLines}`);
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, dir);
}

/** Links the library into the package's deps/ (where binding.gyp looks) and builds the binding. */
async function buildBinding(pkgDir: string, libDir: string): Promise<void> {
  const deps = join(pkgDir, "deps");
  await Deno.remove(deps, { recursive: true }).catch(() => {});
  await Deno.mkdir(join(deps, "lib"), { recursive: true });
  await Deno.symlink(join(libDir, "include"), join(deps, "include"));
  // binding.gyp links -ltensorflow -ltensorflow_framework; the loader then asks for the SONAMEs.
  const links: Record<string, string> = {
    "libtensorflow.so": "libtensorflow_cc.so.2",
    "libtensorflow_cc.so.2": "libtensorflow_cc.so.2",
    "libtensorflow_framework.so": "libtensorflow_framework.so.2",
    "libtensorflow_framework.so.2": "libtensorflow_framework.so.2",
  };
  for (const [link, target] of Object.entries(links)) {
    await Deno.symlink(join(libDir, target), join(deps, "lib", link));
  }
  const gyp = await nodeGypScript();
  const nodedir = await nodeHeadersDir();
  const args = [
    "rebuild",
    ...(nodedir ? [`--nodedir=${nodedir}`] : []),
    "--module_name=tfjs_binding",
    `--module_path=${join(pkgDir, `lib/napi-v${NAPI_VERSION}`)}`,
    `--napi_build_version=${NAPI_VERSION}`,
  ];
  log("building tfjs-node's binding with node-gyp (about a minute)");
  const result = gyp
    ? await run("node", [gyp, ...args], { cwd: pkgDir, quiet: true })
    : await run("npx", ["--yes", "node-gyp", ...args], { cwd: pkgDir, quiet: true });
  if (!result.success) {
    throw new Error(
      `node-gyp could not build tfjs-node's binding (needs g++, make, python3): ${result.lastLines}`,
    );
  }
}

/**
 * Makes the requested native backend load. Returns what was done; throws with a clear message
 * when nothing worked.
 */
export async function ensureNativeBackend(
  root: string,
  requested: "tensorflow" | "gpu",
): Promise<void> {
  const packageName = requested === "gpu" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  const recordPath = join(root, ".cache/backend.json");
  const before = await probe(root, requested);
  if (before.ok) {
    if (!existsSync(recordPath)) {
      const record: BackendRecord = {
        packageName,
        method: "already-present",
        source: "a binding that loaded before setup ran",
        builtAt: new Date().toISOString(),
      };
      await writeFileAtomic(recordPath, JSON.stringify(record, null, 2) + "\n");
    }
    log(`native TensorFlow (${packageName}): ok`);
    return;
  }
  const pkgDir = packageDir(root, packageName);
  let record: BackendRecord | undefined;
  if (
    Deno.env.get("CUTMIX_TF_DIR") === undefined && Deno.env.get("CUTMIX_TF_WHEEL") === undefined
  ) {
    if (await officialInstall(pkgDir)) {
      record = {
        packageName,
        method: "official-download",
        source: "libtensorflow (Google storage)",
        builtAt: new Date().toISOString(),
      };
    }
  }
  if (!record) {
    if (requested === "gpu") {
      throw new Error(
        "@tensorflow/tfjs-node-gpu needs its libtensorflow GPU download (CUDA 11.2 / cuDNN 8.1 era, see " +
          "tfjs-node-gpu's README); it failed and there is no offline fallback for GPU. " +
          "Unset CUTMIX_BACKEND to use native TensorFlow on CPU.",
      );
    }
    log("falling back to the TensorFlow C library of the tensorflow-cpu pip wheel");
    const { dir, record: fromWheel } = await tensorflowLibraryDir(root);
    await buildBinding(pkgDir, dir);
    record = fromWheel;
  }
  const after = await probe(root, requested);
  if (!after.ok) {
    throw new Error(`built ${packageName}, but it still does not load: ${after.detail}`);
  }
  await writeFileAtomic(recordPath, JSON.stringify(record, null, 2) + "\n");
  log(`native TensorFlow (${packageName}): built by ${record.method} from ${record.source}`);
}
