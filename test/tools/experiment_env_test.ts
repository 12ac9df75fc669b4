import assert from "node:assert/strict";
import { experimentSettingsFromEnv } from "../../tools/experiment_env.ts";

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("experimentSettingsFromEnv reads the three variables from the environment it is given", () => {
  assert.deepEqual(experimentSettingsFromEnv(env({}), "/p"), {
    scale: "cpu",
    runsDir: "/p/runs",
    reportsDir: "/p/reports",
  });
  assert.deepEqual(
    experimentSettingsFromEnv(
      env({ CUTMIX_SCALE: "smoke", CUTMIX_RUNS_DIR: "/r", CUTMIX_REPORTS_DIR: "/o" }),
      "/p",
    ),
    { scale: "smoke", runsDir: "/r", reportsDir: "/o" },
  );
  assert.equal(
    experimentSettingsFromEnv(env({ CUTMIX_RUNS_DIR: "rel" }), "/p").runsDir,
    `${Deno.cwd()}/rel`,
  );
  assert.throws(() => experimentSettingsFromEnv(env({ CUTMIX_SCALE: "x" })), /CUTMIX_SCALE="x"/);
});
