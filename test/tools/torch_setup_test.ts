import assert from "node:assert/strict";
import { join } from "node:path";
import {
  projectTorchVenv,
  TORCH_CPU_INDEX,
  TORCH_VERSION,
  torchIndexArguments,
} from "../../tools/setup/torch.ts";

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("torch's pin is one exact CPU build", () => {
  assert.match(TORCH_VERSION, /^\d+\.\d+\.\d+\+cpu$/);
});

Deno.test("torch comes from the user's index, else the local mirror, else PyTorch's CPU index", () => {
  const all = () => true;
  assert.deepEqual(torchIndexArguments(env({ PIP_INDEX_URL: "https://mirror/simple" }), all), []);
  assert.deepEqual(torchIndexArguments(env({ PIP_EXTRA_INDEX_URL: "https://extra" }), all), []);
  assert.deepEqual(torchIndexArguments(env({}), all), [
    "--index-url",
    "file:///opt/pypi/simple",
    "--extra-index-url",
    "file:///opt/pypi-more/simple",
  ]);
  assert.deepEqual(torchIndexArguments(env({}), () => false), [
    "--extra-index-url",
    TORCH_CPU_INDEX,
  ]);
});

Deno.test("projectTorchVenv: the venv only once setup's torch stamp is in it", async () => {
  const root = await Deno.makeTempDir({ prefix: "cutmix-torch-venv-" });
  try {
    assert.equal(projectTorchVenv(root), undefined);
    await Deno.mkdir(join(root, ".cache/venv/bin"), { recursive: true });
    assert.equal(projectTorchVenv(root), undefined);
    await Deno.writeTextFile(join(root, ".cache/venv/.cutmix-torch-stamp"), "torch==x");
    assert.equal(projectTorchVenv(root), join(root, ".cache/venv"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
