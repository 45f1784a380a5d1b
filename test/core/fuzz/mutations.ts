/**
 * Mutators of the fuzz suite, as fast-check arbitraries of *plans* (small records of numbers and
 * choices) applied to a seed by pure functions: fast-check shrinks a failing plan, and a plan is
 * replayed exactly from the seed and path fast-check prints. Nothing runs on import.
 *
 * - bytes: flip (XOR), overwrite, insert (random bytes or PDF tokens), delete, truncate, duplicate a
 *   range, splice with another seed;
 * - JSON: values changed, tweaked (one character, a number's neighbour, another type), keys renamed,
 *   members deleted, added or duplicated (`{"a":1,"a":2}`, with the same or another value), array items
 *   swapped, numbers written another way (`31337.0`), then optionally byte-level mutations of the text;
 * - URLs: the fragment's characters changed, inserted, deleted, percent-encoded, the version prefix,
 *   host, scheme or query changed, a second `#`, white space.
 */
import fc from "fast-check";

const encoder = new TextEncoder();

/**
 * `arbitrary` about once in `n` values, otherwise `nil` (`fc.option`'s `freq` is the other way round:
 * nil once in `freq`).
 */
export function onceIn<T, N = null>(n: number, arbitrary: fc.Arbitrary<T>, nil: N = null as N): fc.Arbitrary<T | N> {
  return fc.oneof({ weight: n - 1, arbitrary: fc.constant(nil) }, { weight: 1, arbitrary });
}

/** Tokens that steer byte mutations towards what the PDF scanner and the JSON / URL readers look for. */
export const TOKENS = [
  "/ByteRange [0 1 2 3]",
  "/ByteRange [",
  "/ByteRange",
  "/Contents <",
  "/Contents",
  "/Type /Sig",
  "/Type /EmbeddedFile",
  "/Filter /FlateDecode",
  "/Length 0",
  "/Length 99999999999",
  "/Size 1",
  "/EF << /F",
  "/AF [",
  "<<",
  ">>",
  "<",
  ">",
  "[",
  "]",
  "(",
  ")",
  "\\",
  " 0 obj\n",
  "\nendobj\n",
  "stream\n",
  "\nendstream",
  "%%EOF\n",
  "startxref\n",
  "xref\n",
  "trailer",
  "%PDF-1.7\n",
  "9999999999999999999999",
  "-1",
  "0",
  " ",
  "\n",
  "\r\n",
  "\0",
  "\u00ff",
  "{",
  "}",
  '"',
  ":",
  ",",
  "#",
  "1-",
  "1.",
  "%",
  "\ufeff",
  "\ud800",
  "__proto__",
].map((t) => encoder.encode(t));

/** One byte-level mutation; positions are fractions of the current length so they fit any seed. */
export type ByteOp =
  | { kind: "flip"; at: number; mask: number }
  | { kind: "overwrite"; at: number; bytes: Uint8Array }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; length: number; to: number }
  | { kind: "splice"; at: number; other: number; from: number };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const insertBytes = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 16 }),
  fc.constantFrom(...TOKENS),
  fc.tuple(fc.constantFrom(...TOKENS), fc.uint8Array({ maxLength: 4 })).map(([t, b]) => concat([t, b])),
);

/** A byte-level mutation; `others` is the number of seeds a splice may take its tail from. */
export function byteOp(others: number): fc.Arbitrary<ByteOp> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("flip" as const),
        at: fraction,
        mask: fc.integer({ min: 1, max: 255 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("overwrite" as const), at: fraction, bytes: insertBytes }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fraction, bytes: insertBytes }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("delete" as const),
        at: fraction,
        length: fc.integer({ min: 1, max: 64 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fraction }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("duplicate" as const),
        at: fraction,
        length: fc.integer({ min: 1, max: 512 }),
        to: fraction,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("splice" as const),
        at: fraction,
        other: fc.nat({ max: Math.max(0, others - 1) }),
        from: fraction,
      }),
    },
  );
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `op` applied to `bytes` (never in place); `others` are the seeds a splice takes its tail from. */
export function applyByteOp(bytes: Uint8Array, op: ByteOp, others: readonly Uint8Array[]): Uint8Array {
  const n = bytes.length;
  const pos = (f: number, size = n) => Math.min(size, Math.floor(f * (size + 1)));
  switch (op.kind) {
    case "flip": {
      if (n === 0) return bytes;
      const out = new Uint8Array(bytes);
      out[Math.min(n - 1, Math.floor(op.at * n))] ^= op.mask;
      return out;
    }
    case "overwrite": {
      const at = pos(op.at);
      const out = concat([bytes.subarray(0, at), op.bytes, bytes.subarray(Math.min(n, at + op.bytes.length))]);
      return out;
    }
    case "insert": {
      const at = pos(op.at);
      return concat([bytes.subarray(0, at), op.bytes, bytes.subarray(at)]);
    }
    case "delete": {
      const at = pos(op.at);
      return concat([bytes.subarray(0, at), bytes.subarray(Math.min(n, at + op.length))]);
    }
    case "truncate":
      return bytes.slice(0, pos(op.at));
    case "duplicate": {
      const at = pos(op.at);
      const range = bytes.subarray(at, Math.min(n, at + op.length));
      const to = pos(op.to);
      return concat([bytes.subarray(0, to), range, bytes.subarray(to)]);
    }
    case "splice": {
      const other = others[op.other % Math.max(1, others.length)] ?? bytes;
      return concat([bytes.subarray(0, pos(op.at)), other.subarray(pos(op.from, other.length))]);
    }
  }
}

export function applyByteOps(bytes: Uint8Array, ops: readonly ByteOp[], others: readonly Uint8Array[]): Uint8Array {
  return ops.reduce((b, op) => applyByteOp(b, op, others), bytes);
}

// ---------------------------------------------------------------------------------------------------
// JSON: a tree that can hold a member twice and a number written as it is.

export type JsonTree =
  | { t: "obj"; m: [string, JsonTree][] }
  | { t: "arr"; a: JsonTree[] }
  | { t: "lit"; v: string | number | boolean | null }
  | { t: "raw"; text: string };

export function toTree(value: unknown): JsonTree {
  if (Array.isArray(value)) return { t: "arr", a: value.map(toTree) };
  if (value !== null && typeof value === "object") {
    return { t: "obj", m: Object.entries(value).map(([k, v]) => [k, toTree(v)] as [string, JsonTree]) };
  }
  return { t: "lit", v: value as string | number | boolean | null };
}

export function serialise(tree: JsonTree, indent = 0, depth = 0): string {
  const nl = indent > 0 ? `\n${" ".repeat(indent * (depth + 1))}` : "";
  const end = indent > 0 ? `\n${" ".repeat(indent * depth)}` : "";
  switch (tree.t) {
    case "lit":
      return JSON.stringify(tree.v);
    case "raw":
      return tree.text;
    case "arr":
      return tree.a.length === 0
        ? "[]"
        : `[${tree.a.map((v) => nl + serialise(v, indent, depth + 1)).join(",")}${end}]`;
    case "obj":
      return tree.m.length === 0
        ? "{}"
        : `{${tree.m.map(([k, v]) => `${nl}${JSON.stringify(k)}:${indent > 0 ? " " : ""}${serialise(v, indent, depth + 1)}`).join(",")}${end}}`;
  }
}

/** Every node with its parent, depth first (the root's parent is null). */
function nodes(tree: JsonTree): { node: JsonTree; parent: JsonTree | null; index: number }[] {
  const out: { node: JsonTree; parent: JsonTree | null; index: number }[] = [];
  const walk = (node: JsonTree, parent: JsonTree | null, index: number) => {
    out.push({ node, parent, index });
    if (node.t === "obj") node.m.forEach(([, v], i) => walk(v, node, i));
    if (node.t === "arr") node.a.forEach((v, i) => walk(v, node, i));
  };
  walk(tree, null, 0);
  return out;
}

function replaceChild(parent: JsonTree, index: number, value: JsonTree): void {
  if (parent.t === "obj") parent.m[index] = [parent.m[index][0], value];
  else if (parent.t === "arr") parent.a[index] = value;
}

export type JsonOp = {
  kind: "set" | "tweak" | "rename" | "delete" | "add" | "duplicate" | "swap" | "raw-number";
  /** Which node (index into the depth-first list, modulo its length). */
  at: number;
  /** A second choice (which character, which sibling ...). */
  pick: number;
  value: unknown;
  key: string;
};

const SPECIAL_KEYS = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "",
  "type",
  "proof",
  "merkle",
  "/id",
  "/credentialSubject/name/en",
  "hidden",
  "salts",
  "root",
  "path",
  "chainId",
  "registry",
];
const SPECIAL_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  31337,
  2 ** 53,
  1e21,
  "",
  " ",
  "0x",
  `0x${"0".repeat(64)}`,
  `0x${"f".repeat(64)}`,
  "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  "urn:hk-ecert:issuer:FSD",
  "urn:hk-ecert:issuer:CSB",
  "csb-cre",
  "fsd-dg-licence",
  "2026-12-01T12:00:00Z",
  "9999-12-31T23:59:59Z",
  "AAAAAAAAAAAAAAAAAAAAAA",
  [],
  {},
  [[]],
  { "": null },
];
const RAW_NUMBERS = ["31337.0", "3.1337e4", "-0", "1e400", "0x7a69", "00", "1.", ".5", "+1", "NaN", "Infinity", "1E2"];

export const jsonOp: fc.Arbitrary<JsonOp> = fc.record({
  kind: fc.constantFrom(
    "set",
    "tweak",
    "tweak",
    "tweak",
    "rename",
    "delete",
    "add",
    "duplicate",
    "duplicate",
    "swap",
    "raw-number",
  ),
  at: fc.nat(),
  pick: fc.nat(),
  value: fc.oneof(fc.constantFrom(...SPECIAL_VALUES), fc.jsonValue({ maxDepth: 2 })),
  key: fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ maxLength: 8 })),
});

/** A string with one change: a character replaced, dropped, doubled, its case changed, or a suffix added. */
function tweakString(s: string, pick: number): string {
  const chars = [...s];
  const i = chars.length > 0 ? pick % chars.length : 0;
  switch (pick % 8) {
    case 6:
    case 7: {
      // The same kind of character (a digit, a hex digit, a letter of the same case): a salt stays
      // base64url, a digest stays hex, a date stays a date.
      const ch = chars[i] ?? "a";
      const next = (from: string, to: string) =>
        String.fromCharCode(ch.charCodeAt(0) === to.charCodeAt(0) ? from.charCodeAt(0) : ch.charCodeAt(0) + 1);
      const changed = /[0-9]/.test(ch)
        ? next("0", "9")
        : /[a-f]/.test(ch)
          ? next("a", "f")
          : /[g-z]/.test(ch)
            ? next("g", "z")
            : /[A-Z]/.test(ch)
              ? next("A", "Z")
              : ch === "-"
                ? "_"
                : "-";
      return [...chars.slice(0, i), changed, ...chars.slice(i + 1)].join("");
    }
    case 0:
      return chars.length > 0
        ? [
            ...chars.slice(0, i),
            String.fromCodePoint(chars[i].codePointAt(0)! ^ 1 || 0x41),
            ...chars.slice(i + 1),
          ].join("")
        : "x";
    case 1:
      return [...chars.slice(0, i), ...chars.slice(i + 1)].join("");
    case 2:
      return [...chars.slice(0, i + 1), ...chars.slice(i)].join("");
    case 3:
      return s.toUpperCase() === s ? s.toLowerCase() + (s.toLowerCase() === s ? "a" : "") : s.toUpperCase();
    case 4:
      return `${s} `;
    default:
      return s.normalize("NFD") === s ? `${s}\u0301` : s.normalize("NFD");
  }
}

export function applyJsonOp(tree: JsonTree, op: JsonOp): JsonTree {
  // Only the nodes the op can change: containers for add and swap, members and items for rename,
  // duplicate and delete (so that few ops are no-ops).
  const every = nodes(tree);
  const applicable = every.filter(({ node, parent }) =>
    op.kind === "add"
      ? node.t === "obj" || node.t === "arr"
      : op.kind === "swap"
        ? (node.t === "obj" && node.m.length > 1) || (node.t === "arr" && node.a.length > 1)
        : op.kind === "rename"
          ? parent?.t === "obj"
          : op.kind === "duplicate" || op.kind === "delete"
            ? parent !== null
            : true,
  );
  const all = applicable.length > 0 ? applicable : every;
  const { node, parent, index } = all[op.at % all.length];
  switch (op.kind) {
    case "set":
      if (!parent) return toTree(op.value);
      replaceChild(parent, index, toTree(op.value));
      return tree;
    case "tweak": {
      let value: JsonTree;
      if (node.t === "lit" && typeof node.v === "string") value = { t: "lit", v: tweakString(node.v, op.pick) };
      else if (node.t === "lit" && typeof node.v === "number")
        value = { t: "lit", v: [node.v + 1, node.v - 1, -node.v, node.v / 2, String(node.v)][op.pick % 5] };
      else if (node.t === "lit" && typeof node.v === "boolean") value = { t: "lit", v: !node.v };
      else if (node.t === "lit") value = { t: "lit", v: ["null", 0, false][op.pick % 3] };
      else if (node.t === "arr")
        value = { t: "arr", a: op.pick % 2 === 0 ? node.a.slice(1) : [...node.a, node.a[0] ?? { t: "lit", v: null }] };
      else value = { t: "lit", v: "[object Object]" };
      if (!parent) return value;
      replaceChild(parent, index, value);
      return tree;
    }
    case "rename":
    case "duplicate":
    case "delete": {
      // A member of an object (or an item of an array, for delete): the node's own slot in its parent.
      if (!parent) return tree;
      if (parent.t === "arr") {
        if (op.kind === "delete") parent.a.splice(index, 1);
        else if (op.kind === "duplicate") parent.a.splice(index, 0, node);
        return tree;
      }
      if (parent.t !== "obj") return tree;
      const [key, value] = parent.m[index];
      if (op.kind === "delete") parent.m.splice(index, 1);
      else if (op.kind === "rename") {
        const siblings = parent.m.map(([k]) => k);
        const keys = [op.key, tweakString(key, op.pick), siblings[op.pick % siblings.length]];
        parent.m[index] = [keys[op.pick % 3], value];
      } else {
        // The same member again: with the same value, or another, before or after the original.
        const copy: [string, JsonTree] = [key, op.pick % 2 === 0 ? value : toTree(op.value)];
        parent.m.splice(op.pick % 4 < 2 ? index + 1 : index, 0, copy);
      }
      return tree;
    }
    case "add":
      if (node.t === "obj") node.m.splice(op.pick % (node.m.length + 1), 0, [op.key, toTree(op.value)]);
      else if (node.t === "arr") node.a.splice(op.pick % (node.a.length + 1), 0, toTree(op.value));
      return tree;
    case "swap":
      if (node.t === "arr" && node.a.length > 1) {
        const j = op.pick % node.a.length;
        const k = (j + 1) % node.a.length;
        [node.a[j], node.a[k]] = [node.a[k], node.a[j]];
      } else if (node.t === "obj" && node.m.length > 1) {
        // Two members' values exchanged (keys stay).
        const j = op.pick % node.m.length;
        const k = (j + 1) % node.m.length;
        const vj = node.m[j][1];
        node.m[j] = [node.m[j][0], node.m[k][1]];
        node.m[k] = [node.m[k][0], vj];
      }
      return tree;
    case "raw-number": {
      // A number written another way, or any literal replaced by a raw (maybe invalid) number text.
      const raw: JsonTree =
        node.t === "lit" && typeof node.v === "number" && op.pick % 2 === 0
          ? { t: "raw", text: [`${node.v}.0`, `${node.v}e0`, `${node.v}E+0`, `${node.v}.000`][op.pick % 4] }
          : { t: "raw", text: RAW_NUMBERS[op.pick % RAW_NUMBERS.length] };
      if (!parent) return raw;
      replaceChild(parent, index, raw);
      return tree;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// URLs.

export type UrlOp = { kind: number; at: number; pick: number; text: string };

const URL_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.~%# \t\n+/=?&";
export const urlOp: fc.Arbitrary<UrlOp> = fc.record({
  kind: fc.nat({ max: 13 }),
  at: fraction,
  pick: fc.nat(),
  text: fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom(
      "#",
      "1-",
      "1.",
      "2-",
      "%23",
      "%31",
      "?a=b",
      " ",
      "\u200b",
      "０",
      "https://",
      "http://evil.example/",
    ),
  ),
});

export function applyUrlOp(url: string, op: UrlOp): string {
  const hash = url.indexOf("#");
  const base = hash >= 0 ? url.slice(0, hash + 1) : "";
  const payload = hash >= 0 ? url.slice(hash + 1) : url;
  const i = Math.min(payload.length, Math.floor(op.at * (payload.length + 1)));
  const c = URL_CHARS[op.pick % URL_CHARS.length];
  switch (op.kind) {
    case 0: // one payload character replaced
      return base + payload.slice(0, i) + c + payload.slice(i + 1);
    case 1: // a character inserted
      return base + payload.slice(0, i) + c + payload.slice(i);
    case 2: // a range deleted
      return base + payload.slice(0, i) + payload.slice(i + 1 + (op.pick % 8));
    case 3: // truncated
      return base + payload.slice(0, i);
    case 4: // a range duplicated
      return base + payload.slice(0, i) + payload.slice(i, i + 1 + (op.pick % 40)) + payload.slice(i);
    case 5: // text inserted
      return base + payload.slice(0, i) + op.text + payload.slice(i);
    case 6: // a character percent-encoded
      return (
        base +
        payload.slice(0, i) +
        encodeURIComponent(payload[i] ?? "").replace(/^([^%])/, (m) => `%${m.charCodeAt(0).toString(16)}`) +
        payload.slice(i + 1)
      );
    case 7: // the version prefix changed
      return base + ["2-", "1.", "1-", "0-", "", "1", "-", "1--"][op.pick % 8] + payload.slice(2);
    case 8: // another host, scheme, path or query
      return (
        [
          "https://evil.example/#",
          "http://verify.ecert.gov.hk/#",
          "",
          "#",
          "https://verify.ecert.gov.hk/?x=1#",
          "verify.ecert.gov.hk#",
          "https://verify.ecert.gov.hk/#x#",
        ][op.pick % 7] + payload
      );
    case 9: // white space around or inside
      return [` ${url}`, `${url}\n`, `${base} ${payload}`, `${url}\u00a0`, `\ufeff${url}`][op.pick % 5];
    case 10: // letter case
      return op.pick % 2 === 0 ? base + payload.toUpperCase() : base + payload.toLowerCase();
    case 11: // one digit changed by one (numeric form)
      return (
        base + payload.slice(0, i) + String((Number(payload[i]) + 1) % 10).replace("NaN", "0") + payload.slice(i + 1)
      );
    case 12: // a second fragment
      return `${url}#${op.text}`;
    default: // the whole URL as one text mutation
      return url.slice(0, Math.floor(op.at * url.length)) + op.text + url.slice(Math.floor(op.at * url.length));
  }
}
