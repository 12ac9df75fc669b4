import assert from "node:assert/strict";
import { experimentSettingsFromEnv, recordsDirFromEnv } from "../../tools/experiment_env.ts";

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("experimentSettingsFromEnv reads the four variables from the environment it is given", () => {
  assert.deepEqual(experimentSettingsFromEnv(env({}), "/p"), {
    scale: "cpu",
    runsDir: "/p/runs",
    reportsDir: "/p/reports",
    recordsDir: "/p/pretrained/cpu",
  });
  assert.deepEqual(
    experimentSettingsFromEnv(
      env({ CUTMIX_SCALE: "smoke", CUTMIX_RUNS_DIR: "/r", CUTMIX_REPORTS_DIR: "/o" }),
      "/p",
    ),
    { scale: "smoke", runsDir: "/r", reportsDir: "/o", recordsDir: "/p/pretrained/smoke" },
  );
  assert.equal(
    experimentSettingsFromEnv(env({ CUTMIX_PRETRAINED_DIR: "/m" }), "/p").recordsDir,
    "/m",
  );
  assert.equal(recordsDirFromEnv("paper", env({}), "/p"), "/p/pretrained/paper");
  assert.equal(recordsDirFromEnv("smoke", env({ CUTMIX_PRETRAINED_DIR: " /m " }), "/p"), "/m");
  assert.equal(
    experimentSettingsFromEnv(env({ CUTMIX_RUNS_DIR: "rel" }), "/p").runsDir,
    `${Deno.cwd()}/rel`,
  );
  assert.throws(() => experimentSettingsFromEnv(env({ CUTMIX_SCALE: "x" })), /CUTMIX_SCALE="x"/);
});
