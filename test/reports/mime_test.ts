import assert from "node:assert/strict";
import {
  displayable,
  escapeHtml,
  html,
  jsonForScript,
  JUPYTER_DISPLAY,
  markdown,
} from "../../lib/reports/mime.ts";

Deno.test("displayable exposes the bundle through Symbol.for('Jupyter.display')", () => {
  const shown = displayable({ "text/html": "<b>x</b>", "text/plain": "x" });
  const bundle = (shown as unknown as Record<symbol, () => unknown>)
    [Symbol.for("Jupyter.display")]();
  assert.deepEqual(bundle, { "text/html": "<b>x</b>", "text/plain": "x" });
  assert.equal(shown[JUPYTER_DISPLAY](), shown.bundle);
  assert.throws(() => displayable({}), /must not be empty/);
  assert.throws(() => displayable({ "text/html": "x" }), /text\/plain/);
});

Deno.test("html and markdown carry a plain fallback", () => {
  assert.deepEqual(html("<i>a</i>", "a").bundle, { "text/html": "<i>a</i>", "text/plain": "a" });
  assert.deepEqual(markdown("**a**").bundle, { "text/markdown": "**a**", "text/plain": "**a**" });
});

Deno.test("escapeHtml and jsonForScript neutralise markup", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  const text = jsonForScript({ s: "</script><!--&\u2028" });
  assert.ok(!text.includes("<") && !text.includes(">") && !text.includes("&"));
  assert.deepEqual(JSON.parse(text), { s: "</script><!--&\u2028" });
});
