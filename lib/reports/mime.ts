/**
 * MIME bundles: how a value shows itself in Jupyter.
 *
 * Deno's Jupyter kernel displays any object with a `[Symbol.for("Jupyter.display")]()` method by
 * sending the MIME bundle it returns (a map from MIME type to content). Every chart, table and
 * image helper in lib/reports returns a {@link Displayable}, so a notebook cell that ends with one
 * shows it, and `deno test` can inspect the same bundle without a kernel (`Deno.jupyter` only
 * exists inside the kernel).
 *
 * Which MIME types survive where: nbconvert's HTML export keeps text/html, image/svg+xml,
 * image/png, image/jpeg, text/markdown, text/latex, application/javascript and text/plain, and
 * drops vendor types such as `application/vnd.vegalite.v5+json`; JupyterLab prefers the vendor
 * types. So every helper sends both: a rich type for live frontends and a static one for export.
 *
 * @example
 * ```ts
 * import { displayable, escapeHtml, JUPYTER_DISPLAY } from "./mime.ts";
 * const note = displayable({ "text/html": `<b>${escapeHtml("a < b")}</b>`, "text/plain": "a < b" });
 * note[JUPYTER_DISPLAY]()["text/plain"]; // "a < b"
 * ```
 * @module
 */

/** The symbol Deno's kernel looks for on a cell's value to display it. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** MIME type → content: strings for text types, base64 for binary images, objects for JSON types. */
export type MimeBundle = Record<string, unknown>;

/** A value that Deno's Jupyter kernel displays through its MIME bundle. */
export interface Displayable {
  /** The MIME bundle to send to the frontend. */
  [JUPYTER_DISPLAY](): MimeBundle;
  /** The same bundle, for tests and for writing reports outside Jupyter. */
  readonly bundle: MimeBundle;
}

/**
 * Wraps a MIME bundle so the Deno kernel displays it. Throws if the bundle is empty or lacks
 * `text/plain` (every frontend, including terminals and logs, needs a plain fallback).
 */
export function displayable(bundle: MimeBundle): Displayable {
  if (Object.keys(bundle).length === 0) throw new Error("bundle must not be empty, got {}");
  if (typeof bundle["text/plain"] !== "string") {
    throw new Error(
      `bundle must carry a text/plain string, got types ${Object.keys(bundle).join(", ")}`,
    );
  }
  const frozen = Object.freeze({ ...bundle });
  return {
    bundle: frozen,
    [JUPYTER_DISPLAY]: () => frozen,
  };
}

/** Escapes `&`, `<`, `>`, `"` and `'` for use in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** An HTML fragment (with a plain-text fallback) as a displayable. */
export function html(fragment: string, plain = "[html]"): Displayable {
  return displayable({ "text/html": fragment, "text/plain": plain });
}

/** Markdown text as a displayable (rendered by JupyterLab and by nbconvert's HTML export). */
export function markdown(text: string): Displayable {
  return displayable({ "text/markdown": text, "text/plain": text });
}

/**
 * Serialises JSON for embedding inside an HTML `<script>` element: `<`, `>`, `&` and the line
 * separators are escaped so no value can close the script or start a comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}
