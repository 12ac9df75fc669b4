/**
 * Where CIFAR is, as the environment says, read here at the entry points (tools, notebooks'
 * setup helper, tests) and handed to lib/data as a {@link CifarLocation}:
 * - `CUTMIX_DATA_DIR`: the folder of extracted sets (default: `data/` in the project);
 * - `CUTMIX_CIFAR10_ARCHIVE` / `CUTMIX_CIFAR100_ARCHIVE`: a local copy of the official archive,
 *   extracted on first use (`.ci/run` points the first at this machine's shared copy).
 *
 * @example
 * ```ts
 * import { loadCifar } from "../lib/data/cifar.ts";
 * import { cifarLocationFromEnv } from "./data_env.ts";
 * const test = await loadCifar("cifar10", "test", cifarLocationFromEnv());
 * ```
 * @module
 */
import { resolve } from "node:path";
import type { CifarLocation } from "../lib/data/cifar.ts";
import { CIFAR100_FORMAT, CIFAR10_FORMAT } from "../lib/data/cifar_format.ts";
import type { EnvReader } from "./backend_env.ts";

/** The {@link CifarLocation} the environment names (relative paths resolved from the cwd). */
export function cifarLocationFromEnv(env: EnvReader = Deno.env): CifarLocation {
  const path = (name: string) => {
    const value = env.get(name)?.trim();
    return value ? resolve(value) : undefined;
  };
  const cifar10 = path(CIFAR10_FORMAT.archiveEnv);
  const cifar100 = path(CIFAR100_FORMAT.archiveEnv);
  return {
    ...(path("CUTMIX_DATA_DIR") ? { dataDir: path("CUTMIX_DATA_DIR") } : {}),
    archives: { ...(cifar10 ? { cifar10 } : {}), ...(cifar100 ? { cifar100 } : {}) },
  };
}
