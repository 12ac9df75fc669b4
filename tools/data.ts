/**
 * `deno task data` — provides the data sets in `data/`.
 *
 *     deno task data cifar10 [--archive PATH] [--offline] [--force] [--data-dir DIR]
 *     deno task data cifar100 [--archive PATH] [--offline] [--force] [--data-dir DIR]
 *     deno task data status
 *
 * Without `--archive` it uses `<data dir>/<archive>` if present, else downloads the official
 * archive (md5-checked). With `--archive` (or `CUTMIX_CIFAR10_ARCHIVE` / `CUTMIX_CIFAR100_ARCHIVE`)
 * it uses that file. It
 * always says whether the archive matched the official md5 or was validated by structure.
 * Running it again when the data is present does nothing.
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  cifarFormat,
  type CifarName,
  defaultDataDir,
  isCifarPresent,
  localArchiveCandidates,
  prepareCifar,
  SOURCE_MARKER,
} from "../lib/data/cifar.ts";
import { cifarLocationFromEnv } from "./data_env.ts";

const USAGE = `Usage:
  deno task data cifar10|cifar100 [--archive PATH] [--offline] [--force] [--data-dir DIR]
  deno task data status

  --archive PATH   use this local copy of the official .tar.gz (no download); also
                   CUTMIX_CIFAR10_ARCHIVE / CUTMIX_CIFAR100_ARCHIVE
  --offline        do not try the official URL; use a local copy only
  --force          re-extract even if the data is already present
  --data-dir DIR   where to extract (default: data/ in the project, or CUTMIX_DATA_DIR)`;

function status(dataDir: string): void {
  for (const name of ["cifar10", "cifar100"] as const) {
    const format = cifarFormat(name);
    const dir = `${dataDir}/${format.directory}`;
    if (isCifarPresent(format, dataDir)) {
      let source = "(no source marker: placed by hand)";
      try {
        const marker = JSON.parse(Deno.readTextFileSync(`${dir}/${SOURCE_MARKER}`));
        source = `from ${marker.archive}, ${
          marker.verification === "md5" ? "official md5 verified" : "validated by structure"
        }`;
      } catch { /* no marker */ }
      console.log(`${name}: present in ${dir} ${source}`);
    } else {
      const archive = cifarLocationFromEnv().archives?.[name];
      const local = localArchiveCandidates(format, { dataDir, archive }).filter((c) => {
        try {
          return Deno.statSync(c.path).isFile;
        } catch {
          return false;
        }
      });
      console.log(
        `${name}: not extracted` +
          (local.length ? `; archive available: ${local[0].path} (${local[0].why})` : ""),
      );
    }
  }
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      archive: { type: "string" },
      offline: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  // `deno task` runs in the project folder; relative paths mean the user's own folder.
  const userDir = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const fromEnv = cifarLocationFromEnv();
  const dataDir = values["data-dir"]
    ? resolve(userDir, values["data-dir"])
    : fromEnv.dataDir ?? defaultDataDir();
  const [what] = positionals;
  const archive = values.archive
    ? resolve(userDir, values.archive)
    : fromEnv.archives?.[what as CifarName];
  if (what === "status") {
    status(dataDir);
    return 0;
  }
  if (what !== "cifar10" && what !== "cifar100") {
    console.error(`unknown data set "${what}"\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  const result = await prepareCifar(what as CifarName, {
    archive,
    dataDir,
    download: !values.offline,
    force: values.force,
    onLog: (line) => console.log(line),
  });
  if (result.action === "extracted") {
    console.log(`${what}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
