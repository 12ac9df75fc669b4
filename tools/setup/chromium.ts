/**
 * Chromium for the browser tests (tools/check_reports.ts, tools/test/lab_stage.ts): found on PATH
 * (or `CHROMIUM`), else installed from Debian/Ubuntu packages when this process may (root with
 * apt-get).
 * @module
 */
import { log, run, runQuiet } from "./util.ts";

/** The first Chromium that answers `--version` (`CHROMIUM`, then the usual names), or undefined. */
export async function findChromium(): Promise<{ executable: string; version: string } | undefined> {
  const candidates = [Deno.env.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const probe = await runQuiet(candidate, ["--version"]);
    if (probe.success) return { executable: candidate, version: probe.stdout.trim() };
  }
  return undefined;
}

/** A Chromium binary to use, or undefined (with the reason logged) when there is none. */
export async function ensureChromium(): Promise<string | undefined> {
  const found = await findChromium();
  if (found) {
    log(`Chromium for the browser checks: ${found.version}`);
    return found.executable;
  }
  const isRoot = Deno.uid() === 0;
  const hasApt = (await runQuiet("apt-get", ["--version"])).success;
  if (!isRoot || !hasApt) {
    log(
      "no Chromium found and this process cannot apt-get it: the report browser check will be " +
        "skipped. Install Chromium (Debian: `apt-get install chromium`) or set CHROMIUM=/path.",
    );
    return undefined;
  }
  log("installing Chromium with apt-get (Debian package `chromium`) for the report check");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const update = await run("apt-get", ["update", "-qq"], { env, quiet: true });
  const install = update.success
    ? await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], {
      env,
      quiet: true,
    })
    : update;
  if (!install.success) {
    log(
      `apt-get could not install chromium (${install.lastLines}): the browser check will be skipped`,
    );
    return undefined;
  }
  return "chromium";
}
