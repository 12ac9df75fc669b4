/**
 * The augment entry in a browser: lib/augment/mod.ts bundled for the browser (`deno bundle`,
 * `@tensorflow/tfjs-core` left external and mapped by the page's import map to the
 * `@tensorflow/tfjs` ESM bundle, so the tensor namespace is the page's own), loaded in headless
 * Chromium on tfjs' pure-JS `cpu` backend. `cutMix`, `mixUp` and `cutout` run there and here (on
 * the test backend) with the same seeds; the draws must be identical, CutMix and Cutout pixels
 * exactly equal (they are copied or filled), Mixup's within float32 rounding.
 *
 * Needs Debian's `chromium` (or `CHROMIUM=path`); without it the test is skipped through
 * test/_skip.ts (a failure under CI=true).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as augment from "../../lib/augment/mod.ts";
import { startChromium } from "../../tools/check_reports.ts";
import { tf } from "../_backend.ts";
import { testWhen } from "../_skip.ts";
import { type AugmentCaseResults, augmentCases } from "./augment_cases.ts";

const root = join(import.meta.dirname!, "..", "..");
const chromium = Deno.env.get("CHROMIUM") ?? "chromium";

function haveChromium(): boolean {
  try {
    return new Deno.Command(chromium, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function bundle(entry: string, out: string): Promise<void> {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--external",
      "@tensorflow/tfjs-core",
      "-o",
      out,
      entry,
    ],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(success, `deno bundle ${entry}: ${new TextDecoder().decode(stderr)}`);
}

// The empty icon keeps Chromium from asking for /favicon.ico, whose 404 is a console error that
// fails the test whenever it arrives before the results are read.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">
{ "imports": { "@tensorflow/tfjs": "./tfjs.js", "@tensorflow/tfjs-core": "./tfjs.js" } }
</script>
<script type="module">
import * as tf from "@tensorflow/tfjs";
import * as augment from "./augment.js";
import { augmentCases } from "./cases.js";
try {
  await tf.setBackend("cpu");
  window.__results = JSON.stringify(augmentCases(tf, augment));
} catch (error) {
  window.__results = JSON.stringify({ error: String(error && error.stack || error) });
}
</script>`;

/** Serves `dir` on 127.0.0.1 (module scripts do not load from file: URLs). */
function serve(dir: string): { url: string; close: () => Promise<void> } {
  const types: Record<string, string> = { html: "text/html", js: "text/javascript" };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const name = new URL(req.url).pathname.slice(1) || "index.html";
    if (!/^[a-z]+\.(html|js)$/.test(name)) return new Response("not found", { status: 404 });
    try {
      const body = await Deno.readFile(join(dir, name));
      return new Response(body, { headers: { "content-type": types[name.split(".")[1]] } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

async function runInChromium(url: string): Promise<AugmentCaseResults> {
  const { devtools, stop } = await startChromium(chromium, { allowLoopback: true });
  try {
    const { sessionId } = await devtools.openTab();
    const problems: string[] = [];
    const off = devtools.on((message) => {
      if (message.sessionId !== sessionId) return;
      const p = message.params ?? {};
      if (message.method === "Runtime.exceptionThrown") {
        const details = p.exceptionDetails as {
          text?: string;
          exception?: { description?: string };
        };
        problems.push(details.exception?.description ?? details.text ?? "exception");
      } else if (message.method === "Log.entryAdded") {
        const entry = p.entry as { level: string; text: string; url?: string };
        if (entry.level === "error") problems.push(`${entry.text} ${entry.url ?? ""}`);
      }
    });
    for (const domain of ["Runtime", "Log", "Page"]) {
      await devtools.send(`${domain}.enable`, {}, sessionId);
    }
    const { errorText } = await devtools.send("Page.navigate", { url }, sessionId) as {
      errorText?: string;
    };
    if (errorText) throw new Error(`Chromium could not open ${url}: ${errorText}`);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { result } = await devtools.send("Runtime.evaluate", {
        expression: "window.__results ?? null",
        returnByValue: true,
      }, sessionId) as { result: { value: string | null } };
      if (problems.length > 0) throw new Error(`in the page: ${problems.join("; ")}`);
      if (result.value !== null) {
        const parsed = JSON.parse(result.value);
        if (parsed.error) throw new Error(`in the page: ${parsed.error}`);
        return parsed as AugmentCaseResults;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    off();
    throw new Error("the page computed nothing in 60 s");
  } finally {
    devtools.close();
    await stop();
  }
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

testWhen(haveChromium(), `no Chromium (${chromium}): apt-get install -y chromium`, {
  name: "augment in headless Chromium on @tensorflow/tfjs: same draws and pixels as in Deno",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cutmix-browser-" });
    const server = serve(dir);
    try {
      await bundle("lib/augment/mod.ts", join(dir, "augment.js"));
      await bundle("test/browser/augment_cases.ts", join(dir, "cases.js"));
      await Deno.copyFile(
        join(root, "node_modules/@tensorflow/tfjs/dist/tf.fesm.min.js"),
        join(dir, "tfjs.js"),
      );
      await Deno.writeTextFile(join(dir, "index.html"), PAGE);
      const browser = await runInChromium(server.url);
      const here = augmentCases(tf, augment);
      assert.equal(browser.backend, "cpu");
      assert.equal(browser.leakedTensors, 0, "the page leaked tensors");
      assert.equal(here.leakedTensors, 0, "Deno leaked tensors");
      for (const op of ["cutMix", "mixUp", "cutout"] as const) {
        assert.deepEqual(browser[op].draw, here[op].draw, `${op}: the draws differ`);
        assert.ok(maxAbsDiff(browser[op].targets, here[op].targets) < 1e-6, `${op}: targets`);
      }
      // CutMix copies pixels and Cutout fills them: bit-equal on any backend.
      assert.deepEqual(browser.cutMix.pixels, here.cutMix.pixels);
      assert.deepEqual(browser.cutout.pixels, here.cutout.pixels);
      // Mixup blends them: float32 rounding may differ by backend (values in [0, 1)).
      assert.ok(maxAbsDiff(browser.mixUp.pixels, here.mixUp.pixels) < 1e-6);
      // And the ops did something: every sample mixed, a hole cut.
      assert.ok(here.cutMix.pixels.some((v, i) => v !== i / here.cutMix.pixels.length));
      assert.ok(here.cutout.pixels.includes(0));
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
