import assert from "node:assert/strict";
import { formatCell, table } from "../../lib/reports/table.ts";

Deno.test("table renders the same cells as HTML, markdown and plain text", () => {
  const shown = table([{ method: "base<line>", err: 16.449 }, {
    method: "CutMix",
    err: 14.47,
    note: "a|b",
  }], {
    caption: "T5",
  });
  assert.equal(
    shown.bundle["text/markdown"],
    "**T5**\n\n| method | err | note |\n|:---|---:|:---|\n| base<line> | 16.45 | — |\n| CutMix | 14.47 | a\\|b |",
  );
  const htmlText = shown.bundle["text/html"] as string;
  assert.ok(htmlText.includes("<caption>T5</caption>"));
  assert.ok(htmlText.includes("base&lt;line&gt;"));
  assert.ok(htmlText.includes('<td style="text-align:right">16.45</td>'));
  assert.equal(
    shown.bundle["text/plain"],
    "T5\nmethod        err  note\nbase<line>  16.45  —\nCutMix      14.47  a|b",
  );
});

Deno.test("a column with any fraction shows every number with the same decimals", () => {
  const shown = table([{ n: 3, err: 2 }, { n: 4, err: 2.5 }]);
  assert.equal(
    shown.bundle["text/markdown"],
    "| n | err |\n|---:|---:|\n| 3 | 2.00 |\n| 4 | 2.50 |",
  );
});

Deno.test("formatCell and table validation", () => {
  assert.equal(formatCell(3), "3");
  assert.equal(formatCell(2.5, 3), "2.500");
  assert.equal(formatCell(null), "—");
  assert.equal(formatCell(NaN), "NaN");
  assert.throws(() => table([]), /rows must be a non-empty array/);
  assert.throws(
    () => table([{ a: 1 }], { digits: -1 }),
    /digits must be an integer in \[0, 12\], got -1/,
  );
});
