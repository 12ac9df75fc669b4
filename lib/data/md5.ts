/**
 * MD5 of a byte array as lowercase hex, the checksum the CIFAR page publishes for its archives.
 * Deno's WebCrypto has no MD5, so this uses `node:crypto`. For integrity against accidents, not
 * against an adversary.
 *
 * @example
 * ```ts
 * import { md5Hex } from "./md5.ts";
 * console.log(md5Hex(new TextEncoder().encode("abc"))); // 900150983cd24fb0d6963f7d28e17f72
 * ```
 * @module
 */
import { createHash } from "node:crypto";

/** Hex md5 of `bytes` (Deno's WebCrypto has no md5). */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}
