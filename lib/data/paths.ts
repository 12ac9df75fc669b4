/**
 * Where the project and its data live on disk: the project root (found from this file's own
 * location, so it does not depend on the working directory) and the `data/` folder that
 * extracted data sets go into unless a caller passes another `dataDir` (the tools and notebooks
 * pass `CUTMIX_DATA_DIR` when it is set).
 *
 * @example
 * ```ts
 * import { defaultDataDir, projectRoot } from "./paths.ts";
 * console.log(projectRoot(), defaultDataDir()); // e.g. /work/main /work/main/data
 * ```
 * @module
 */
import { resolve } from "node:path";

/** The project root (two folders above this file). */
export function projectRoot(): string {
  return resolve(new URL("../../", import.meta.url).pathname);
}

/** `data/` under the project root: where data sets go when no `dataDir` is given. */
export function defaultDataDir(): string {
  return `${projectRoot()}/data`;
}
