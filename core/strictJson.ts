/**
 * Strict JSON (RFC 8259 text, with RFC 7493 §2.3's rule: no object has two members of one name).
 *
 * `JSON.parse` keeps the last of two members with the same name, while other parsers keep the first and
 * a person reading the text may see either: a credential with two `credentialSubject` members can say one
 * thing to the verifier and another to its reader. Everything the verifier reads as JSON (credential files,
 * the credential embedded in a PDF, `POST /verify` bodies) and every JSON body of the issuer API goes
 * through {@link scanJsonText} first. Names are compared after unescaping (`"a"` and `"\u0061"` are one
 * name).
 *
 * The scan is one pass with an explicit stack (no recursion, so no depth limit of its own); the value is
 * then made by `JSON.parse`, which also refuses whatever is not JSON.
 */
import { CoreError } from "./errors.ts";

/** What {@link scanJsonText} found. */
export type JsonTextScan = {
  /** How deeply objects and arrays nest (0 for a scalar). */
  depth: number;
  /** The first member name that appears twice in one object, with the member's JSON pointer (RFC 6901). */
  duplicate?: { member: string; pointer: string };
};

/** RFC 6901: `~` is `~0`, `/` is `~1`. */
function pointerToken(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Scans JSON text for its nesting depth and the first duplicate member name. Text that is not JSON is
 * scanned as far as it goes (leave refusing it to `JSON.parse`).
 *
 * @example
 * scanJsonText('{"a":{"b":1,"b":2}}') // { depth: 2, duplicate: { member: "b", pointer: "/a/b" } }
 */
export function scanJsonText(text: string): JsonTextScan {
  // One frame per open container: its pointer, and for objects the names seen and the pending name.
  type Frame = { pointer: string; names?: Set<string>; key?: string; index: number };
  const stack: Frame[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.names) {
        let name: string;
        try {
          name = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return { depth };
        }
        if (top.names.has(name))
          return { depth, duplicate: { member: name, pointer: `${top.pointer}/${pointerToken(name)}` } };
        top.names.add(name);
        top.key = name;
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const pointer =
        parent === undefined ? "" : `${parent.pointer}/${parent.names ? pointerToken(parent.key ?? "") : parent.index}`;
      stack.push(c === 0x7b ? { pointer, names: new Set(), index: 0 } : { pointer, index: 0 });
      depth = Math.max(depth, stack.length);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.names) expectKey = true;
      else if (top) top.index += 1;
    }
  }
  return { depth };
}

/**
 * `JSON.parse`, refusing a duplicate member name anywhere.
 *
 * @throws CoreError `MALFORMED` naming the member and its JSON pointer, or saying the text is not JSON
 * @example
 * parseStrictJson('{"credentialSubject":{},"credentialSubject":{}}')
 * // CoreError MALFORMED: the JSON member "credentialSubject" appears twice (at /credentialSubject)
 */
export function parseStrictJson(text: string): unknown {
  const { duplicate } = scanJsonText(text);
  if (duplicate) throw new CoreError("MALFORMED", duplicateMessage(duplicate));
  try {
    return JSON.parse(text);
  } catch {
    throw new CoreError("MALFORMED", "The text is not valid JSON");
  }
}

/** `the JSON member "b" appears twice (at /a/b)`. */
export function duplicateMessage(duplicate: { member: string; pointer: string }): string {
  return `the JSON member ${JSON.stringify(duplicate.member)} appears twice (at ${duplicate.pointer})`;
}

/** The same for a person, in both languages (the verifier's messages). */
export function duplicateMemberMessage(duplicate: { member: string; pointer: string }): {
  en: string;
  "zh-HK": string;
} {
  const name = JSON.stringify(duplicate.member);
  return {
    en: `the credential's JSON has the member ${name} twice (at ${duplicate.pointer}), so it could be read two ways`,
    "zh-HK": `憑證的JSON有兩個名為 ${name} 的成員（位於 ${duplicate.pointer}），內容可有兩種讀法`,
  };
}
