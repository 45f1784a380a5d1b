/**
 * The fuzz suite's oracle: which inputs *may* be VALID. Nothing runs on import.
 *
 * An input may be VALID only when it is, exactly, a genuine document in one of the forms `verify` reads:
 * - bytes (or `{ pdf }`) byte for byte equal to a genuine signed PDF. This is stricter than "no signed
 *   byte changed": a change only inside the unsigned `/Contents` hex string (a padding digit, an
 *   upper-case digit, white space) must not be VALID either, because `scanPdf.ts` promises that every
 *   such change shows (its header: the value is the CMS in lowercase hex then `0` digits, the DER's
 *   length says where it ends). A change of the signed ranges, or any change of length, is covered too;
 * - JSON text (or bytes decoding to it) that `JSON.parse` reads to a value deep-equal to a genuine
 *   credential and that names no member twice (key order, white space and number spelling are free);
 * - a parsed object deep-equal to a genuine credential;
 * - a verifier URL or bare payload that `decodeCredentialUrl` decodes to a value deep-equal to a genuine
 *   credential (an encoding's spelling is free: the digest is over the credential, not the text).
 *
 * Every other input must not be VALID. Whether a given one is INVALID or UNABLE_TO_CHECK is not asserted
 * (the recorded registry always answers, so it is in practice INVALID).
 */
import { isDeepStrictEqual } from "node:util";
import { decodeCredentialUrl, type Credential } from "../../../core/index.ts";

/** Whether a text `JSON.parse` accepts names a member twice in one object (keys compared decoded). */
export function hasDuplicateMember(text: string): boolean {
  let i = 0;
  let duplicate = false;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const string = (): string => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    ws();
    if (text[i] === "{") {
      i++;
      const keys = new Set<string>();
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        const key = string();
        if (keys.has(key)) duplicate = true;
        keys.add(key);
        ws();
        i++; // ':'
        value();
        ws();
        if (text[i++] !== ",") return;
      }
    }
    if (text[i] === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i++] !== ",") return;
      }
    }
    if (text[i] === '"') return void string();
    while (i < text.length && !",]} \t\n\r".includes(text[i])) i++;
  };
  value();
  return duplicate;
}

export type Genuine = { pdfs: readonly Uint8Array[]; credentials: readonly Credential[] };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function isGenuineCredential(value: unknown, genuine: Genuine): boolean {
  return genuine.credentials.some((c) => isDeepStrictEqual(value, c));
}

function textMayBeValid(text: string, genuine: Genuine): boolean {
  const body = text.replace(/^\uFEFF/, "");
  try {
    const value: unknown = JSON.parse(body);
    if (!hasDuplicateMember(body) && isGenuineCredential(value, genuine)) return true;
  } catch {
    // not JSON: maybe a URL
  }
  try {
    return isGenuineCredential(decodeCredentialUrl(body.trim()), genuine);
  } catch {
    return false;
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Whether `input` is a genuine document (see the module comment); anything else must not be VALID. */
export function mayBeValid(input: unknown, genuine: Genuine): boolean {
  if (input instanceof ArrayBuffer) return mayBeValid(new Uint8Array(input), genuine);
  if (input instanceof Uint8Array) {
    if (genuine.pdfs.some((pdf) => sameBytes(pdf, input))) return true;
    try {
      return textMayBeValid(UTF8.decode(input), genuine);
    } catch {
      return false;
    }
  }
  if (typeof input === "string") return textMayBeValid(input, genuine);
  if (typeof input === "object" && input !== null) {
    const keys = Object.keys(input);
    const only = keys.length === 1 ? keys[0] : undefined;
    const inner = only === undefined ? undefined : (input as Record<string, unknown>)[only];
    if (only === "pdf")
      return (inner instanceof Uint8Array || inner instanceof ArrayBuffer) && mayBeValid(inner, genuine);
    if (only === "url") return typeof inner === "string" && textMayBeValid(inner, genuine);
    if (only === "credential")
      return typeof inner === "string" ? textMayBeValid(inner, genuine) : isGenuineCredential(inner, genuine);
    return isGenuineCredential(input, genuine);
  }
  return false;
}
