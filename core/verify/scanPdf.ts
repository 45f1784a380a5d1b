/**
 * A targeted scan of an HK e-Cert PDF (`server/pdf/render-certificate.ts` writes them: classic xref
 * table, one signature dictionary, the credential as an embedded file). No object model is built: the
 * scan finds the signature's `/ByteRange` and `/Contents`, and the credential attachment through its
 * Filespec, by byte search. This is enough because a PDF only verifies when its one signature covers
 * every byte but the `/Contents` hex string, so every byte the scan reads outside it was written by the
 * department; for a PDF that does not verify, the scan only has to fail safely and explain.
 *
 * Rules for the signature (what `server/pdf/pades.ts` produces):
 * - exactly one filled `/ByteRange [0 a b c]` in the file; more is a signature added later;
 * - `b + c` is the file length: bytes after it are an incremental update appended after signing, a
 *   shorter file was truncated;
 * - `a` is the `<` and `b - 1` the `>` of the `/Contents` hex string that follows the key `/Contents`,
 *   in a dictionary with `/SubFilter /ETSI.CAdES.detached`;
 * - the hex string is the CMS in lowercase hex, then `0` digits to the end: the CMS's DER length says
 *   where it ends, so a changed padding digit, an upper-case digit or white space shows as a change.
 */
import { unzlibSync } from "fflate";
import { inflateBounded } from "../inflate.ts";
import { duplicateMemberMessage, scanJsonText } from "../strictJson.ts";
import type { LocalizedMessage } from "./types.ts";

/** Where the PDF's signature is, or why there is none. */
export type PdfSignatureScan =
  | { state: "missing"; detail: LocalizedMessage }
  | { state: "broken"; detail: LocalizedMessage }
  | {
      state: "present";
      /** The two signed byte ranges: `[0, a)` and `[b, b + c)`. */
      signedRanges: [Uint8Array, Uint8Array];
      /** The CMS ContentInfo DER, exactly (padding removed). */
      cms: Uint8Array;
    };

/** The credential attachment, parsed as JSON, or why it could not be read. */
export type PdfCredentialScan = { ok: true; json: unknown } | { ok: false; problem: LocalizedMessage };

export type ScanPdfResult = { signature: PdfSignatureScan; credential: PdfCredentialScan };

/** File name of the credential attachment (`CREDENTIAL_ATTACHMENT` in render-certificate.ts). */
export const CREDENTIAL_ATTACHMENT_NAME = "hk-ecert-credential.json";
/** Largest credential attachment, inflated. */
const MAX_CREDENTIAL_BYTES = 1 << 20;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const PDF_HEADER = ascii("%PDF-");
const PDF_TRAILER = ascii("%%EOF");
/** Entries only a signature dictionary has: one of them left means a signature was there. */
const SIGNATURE_MARKERS = [ascii("/ETSI.CAdES.detached"), ascii("/Adobe.PPKLite"), ascii("/SubFilter")];
const BYTE_RANGE = ascii("/ByteRange");
const CONTENTS = ascii("/Contents");
const OBJ = ascii("obj");
const ENDOBJ = ascii("endobj");
const ENDSTREAM = ascii("endstream");
const FILESPEC_NAME = ascii(`/F (${CREDENTIAL_ATTACHMENT_NAME})`);
const LATIN1 = new TextDecoder("latin1");
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Whether `bytes` are (what is left of) a PDF: `%PDF-` within the first 1024 bytes, as readers accept, or
 * `%%EOF` within the last 1024 (so a PDF whose header was damaged is still checked, and found TAMPERED).
 */
export function looksLikePdf(bytes: Uint8Array): boolean {
  const header = indexOf(bytes.subarray(0, 1024 + PDF_HEADER.length), PDF_HEADER, 0);
  if (header >= 0) return true;
  return indexOf(bytes, PDF_TRAILER, Math.max(0, bytes.length - 1024)) >= 0;
}

/**
 * Finds the signature and the credential attachment of a PDF.
 *
 * @param bytes the whole file.
 * @returns the signature (`present` with its ranges and CMS, `missing` or `broken` with an English
 *   detail) and the credential (`ok` with its JSON, or a problem).
 * @example
 * ```ts
 * const { signature, credential } = scanPdf(pdfBytes);
 * if (signature.state === "present") await crypto.subtle.digest("SHA-256", concat(signature.signedRanges));
 * ```
 */
export function scanPdf(bytes: Uint8Array): ScanPdfResult {
  return { signature: scanSignature(bytes), credential: scanCredential(bytes) };
}

function scanSignature(bytes: Uint8Array): PdfSignatureScan {
  const filled: number[][] = [];
  let placeholders = 0;
  let unreadable = 0;
  for (let at = indexOf(bytes, BYTE_RANGE, 0); at >= 0; at = indexOf(bytes, BYTE_RANGE, at + 1)) {
    const text = latin1(bytes, at + BYTE_RANGE.length, at + BYTE_RANGE.length + 120);
    const match = /^[\0\t\n\f\r ]*\[([^\]]*)\]/.exec(text);
    const items = match ? match[1].trim().split(/[\0\t\n\f\r ]+/) : [];
    if (items.length === 4 && items.every((item) => /^\d{1,10}$/.test(item))) filled.push(items.map(Number));
    else if (items.length === 4 && items[0] === "0" && items.slice(1).every((item) => item === "/**********"))
      placeholders++;
    else unreadable++;
  }
  if (filled.length + unreadable === 0) {
    if (placeholders > 0)
      return {
        state: "missing",
        detail: m("its signature field is empty: it was never signed", "其簽署欄位是空白的：文件從未簽署"),
      };
    if (SIGNATURE_MARKERS.some((marker) => indexOf(bytes, marker, 0) >= 0)) {
      return {
        state: "broken",
        detail: m("its signature dictionary is damaged (no /ByteRange)", "其簽署字典已損壞（沒有 /ByteRange）"),
      };
    }
    return { state: "missing", detail: m("it has no signature", "文件沒有任何簽署") };
  }
  if (filled.length + unreadable > 1) {
    return {
      state: "broken",
      detail: m(
        `it has ${filled.length + unreadable} signatures, where an HK e-Cert PDF has exactly one (a signature or update was added after signing)`,
        `文件有 ${filled.length + unreadable} 個簽署，但HK e-Cert的PDF只有一個（簽署後曾加入簽署或更新）`,
      ),
    };
  }
  if (unreadable > 0)
    return { state: "broken", detail: m("the signature's /ByteRange cannot be read", "無法讀取簽署的 /ByteRange") };

  const [zero, a, b, c] = filled[0];
  if (zero !== 0 || a < 1 || b <= a + 1) {
    return {
      state: "broken",
      detail: m(
        "the signature's /ByteRange does not cover the file from its start",
        "簽署的 /ByteRange 並非由檔案開首起涵蓋整個檔案",
      ),
    };
  }
  if (b + c < bytes.length) {
    return {
      state: "broken",
      detail: m(
        `${bytes.length - (b + c)} bytes were added after the signed part of the file (an update appended after signing)`,
        `已簽署部分之後被加入了 ${bytes.length - (b + c)} 個位元組（簽署後附加的更新）`,
      ),
    };
  }
  if (b + c > bytes.length) {
    return {
      state: "broken",
      detail: m(
        `the file is ${b + c - bytes.length} bytes shorter than the part that was signed: it was truncated`,
        `檔案比已簽署部分短了 ${b + c - bytes.length} 個位元組：檔案已被截短`,
      ),
    };
  }
  const contentsMismatch: PdfSignatureScan = {
    state: "broken",
    detail: m(
      "the signature's /ByteRange does not leave out exactly its /Contents value",
      "簽署的 /ByteRange 與其 /Contents 值不相符",
    ),
  };
  if (bytes[a] !== 0x3c || bytes[b - 1] !== 0x3e) return contentsMismatch;
  let key = a - 1;
  while (key > 0 && isWhiteSpace(bytes[key])) key--;
  if (!startsWith(bytes, key - CONTENTS.length + 1, CONTENTS)) return contentsMismatch;
  const objectStart = lastIndexOf(bytes, OBJ, key);
  const objectEnd = indexOf(bytes, ENDOBJ, b);
  const dictionary =
    objectStart >= 0 && objectEnd >= 0 ? latin1(bytes, objectStart, a) + latin1(bytes, b, objectEnd) : "";
  if (!/\/SubFilter[\0\t\n\f\r ]*\/ETSI\.CAdES\.detached(?![^\0\t\n\f\r ()<>[\]{}/%])/.test(dictionary)) {
    return {
      state: "broken",
      detail: m(
        "the signature is not a PAdES signature (its /SubFilter is not /ETSI.CAdES.detached)",
        "簽署並非PAdES簽署（其 /SubFilter 不是 /ETSI.CAdES.detached）",
      ),
    };
  }

  // The hex string: lowercase CMS, then '0' digits.
  const digits = b - a - 2;
  if (digits % 2 !== 0)
    return {
      state: "broken",
      detail: m("the signature value has an odd number of hex digits", "簽署值的十六進位數字數目為單數"),
    };
  let empty = true;
  for (let i = a + 1; i < b - 1 && empty; i++) empty = bytes[i] === 0x30 || bytes[i] === 0x00;
  if (empty) {
    return {
      state: "missing",
      detail: m(
        "its signature field holds no signature (it was removed, or never signed)",
        "其簽署欄位沒有簽署值（簽署已被移除或從未簽署）",
      ),
    };
  }
  // Decode the DER header (at most 5 bytes) to learn the CMS's length, then only the CMS itself.
  const notHex: PdfSignatureScan = {
    state: "broken",
    detail: m("the signature value is not lowercase hexadecimal", "簽署值不是小寫十六進位數字"),
  };
  const header = decodeHex(bytes, a + 1, Math.min(5, digits / 2));
  if (!header) return notHex;
  const length = derLength(header, digits / 2);
  if (length === undefined)
    return { state: "broken", detail: m("the signature value is not a CMS structure", "簽署值不是CMS結構") };
  const cms = decodeHex(bytes, a + 1, length);
  if (!cms) return notHex;
  for (let i = a + 1 + 2 * length; i < b - 1; i++) {
    if (bytes[i] !== 0x30)
      return {
        state: "broken",
        detail: m("the padding after the signature value was changed", "簽署值之後的填充位元組曾被改動"),
      };
  }
  return { state: "present", signedRanges: [bytes.subarray(0, a), bytes.subarray(b, b + c)], cms };
}

function scanCredential(bytes: Uint8Array): PdfCredentialScan {
  const none: PdfCredentialScan = {
    ok: false,
    problem: m(
      `the PDF has no HK e-Cert credential attachment (${CREDENTIAL_ATTACHMENT_NAME}): it is not an HK e-Cert certificate`,
      `PDF沒有HK e-Cert憑證附件（${CREDENTIAL_ATTACHMENT_NAME}）：並非HK e-Cert證書`,
    ),
  };
  const damaged = (what: string): PdfCredentialScan => ({
    ok: false,
    problem: m(`the PDF's credential attachment is damaged (${what})`, `PDF的憑證附件已損壞（${what}）`),
  });
  const at = lastIndexOf(bytes, FILESPEC_NAME, bytes.length);
  if (at < 0) return none;
  // The Filespec's dictionary: from its `obj` to its `endobj`.
  const start = lastIndexOf(bytes, OBJ, at);
  const end = indexOf(bytes, ENDOBJ, at);
  if (start < 0 || end < 0 || end - start > 65536) return none;
  const filespec = latin1(bytes, start, end);
  const ef = /\/EF[\0\t\n\f\r ]*<<[\0\t\n\f\r ]*\/F[\0\t\n\f\r ]+(\d{1,7})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+R/.exec(
    filespec,
  );
  if (!ef) return damaged("its file specification has no embedded file");

  // The embedded file stream: the last definition of the object (as a reader would take it).
  const header = ascii(`${ef[1]} ${ef[2]} obj`);
  let object = lastIndexOf(bytes, header, bytes.length);
  while (object > 0 && bytes[object - 1] !== 0x0a && bytes[object - 1] !== 0x0d)
    object = lastIndexOf(bytes, header, object);
  if (object < 0) return damaged("its stream is missing");
  const head = latin1(bytes, object + header.length, object + header.length + 1024);
  const stream = /^[\0\t\n\f\r ]*<<([\s\S]*?)>>[\0\t\n\f\r ]*stream(\r\n|\n)/.exec(head);
  if (!stream) return damaged("it is not a stream");
  const dictionary = stream[1];
  if (!/\/Type[\0\t\n\f\r ]*\/EmbeddedFile\b/.test(dictionary)) return damaged("it is not an embedded file");
  const lengthMatch = /\/Length[\0\t\n\f\r ]+(\d{1,9})(?!\d)(?![\0\t\n\f\r ]+\d+[\0\t\n\f\r ]+R)/.exec(dictionary);
  if (!lengthMatch) return damaged("its /Length is missing or indirect");
  const filter = /\/Filter[\0\t\n\f\r ]*(\/[A-Za-z0-9]+|\[)/.exec(dictionary)?.[1];
  if (filter !== undefined && filter !== "/FlateDecode") return damaged(`it uses the unsupported filter ${filter}`);
  const dataStart = object + header.length + stream[0].length;
  const dataEnd = dataStart + Number(lengthMatch[1]);
  let after = dataEnd;
  while (after < bytes.length && isWhiteSpace(bytes[after])) after++;
  if (dataEnd > bytes.length || !startsWith(bytes, after, ENDSTREAM)) {
    return damaged("its /Length does not match its stream");
  }
  const data = bytes.subarray(dataStart, dataEnd);
  const json = filter === "/FlateDecode" ? inflate(data) : data;
  if (!json) return damaged("it cannot be decompressed");
  let text: string;
  try {
    text = UTF8.decode(json);
  } catch {
    return damaged("it is not UTF-8 JSON");
  }
  // Two members of one name could show a reader one value and the verifier another: refused.
  const { duplicate } = scanJsonText(text);
  if (duplicate) return { ok: false, problem: duplicateMemberMessage(duplicate) };
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return damaged("it is not UTF-8 JSON");
  }
}

/** Input bytes `inflate` feeds `inflateBounded` a step at a time. */
const INFLATE_STEP_BYTES = 4096;
/** Where a one-step stream is inflated (made on first use, reused: the bytes are decoded before the next). */
let scratch: Uint8Array | undefined;

/**
 * zlib-inflates `data`, refusing more than {@link MAX_CREDENTIAL_BYTES} (so a bomb stops early). The
 * result may be a view of {@link scratch}: read it before the next call.
 *
 * A stream of at most one step (the credential of a certificate: a few KB) is inflated at once into
 * `scratch`, which has room for one byte over the limit: the same bytes, and the same refusals, as
 * `inflateBounded` feeding that step (fflate's Unzlib, final), whose limit is checked only after the step,
 * so at most as much work for a bomb; without Unzlib's 128 KB output buffer and its copies for each
 * stream. Over the limit, fflate drops the writes past the end of `scratch` (or throws), so the view
 * fills `scratch`: refused, as `inflateBounded`'s too-large or corrupt (which `scanCredential` does not
 * tell apart). Streams of 6 bytes or fewer (zlib header and trailer, no data) take `inflateBounded`.
 */
function inflate(data: Uint8Array): Uint8Array | undefined {
  if (data.length > 6 && data.length <= INFLATE_STEP_BYTES) {
    scratch ??= new Uint8Array(MAX_CREDENTIAL_BYTES + 1);
    let bytes: Uint8Array;
    try {
      bytes = unzlibSync(data, { out: scratch });
    } catch {
      return undefined;
    }
    return bytes.length > MAX_CREDENTIAL_BYTES ? undefined : bytes;
  }
  const inflated = inflateBounded(data, {
    format: "zlib",
    maxBytes: MAX_CREDENTIAL_BYTES,
    chunkBytes: INFLATE_STEP_BYTES,
  });
  return inflated.ok ? inflated.bytes : undefined;
}

/**
 * Total length of the DER SEQUENCE whose header starts `header`, or undefined when the header is
 * unreadable or the element would not fit in `capacity` bytes.
 */
function derLength(header: Uint8Array, capacity: number): number | undefined {
  if (header.length < 2 || header[0] !== 0x30) return undefined;
  const first = header[1];
  if (first < 0x80) return 2 + first <= capacity ? 2 + first : undefined;
  const count = first & 0x7f;
  if (count === 0 || count > 3 || header.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + header[2 + i];
  const total = 2 + count + length;
  return total <= capacity ? total : undefined;
}

/**
 * `count` bytes from lowercase hex digits at `bytes[at..]`, or undefined for any other character. Not
 * `core/bytes.ts`'s `fromHex`: this reads the file's bytes in place, and an upper-case digit is refused
 * (the signer writes lowercase, so one would be a change to the file).
 */
function decodeHex(bytes: Uint8Array, at: number, count: number): Uint8Array | undefined {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const hi = lowerHexNibble(bytes[at + 2 * i]);
    const lo = lowerHexNibble(bytes[at + 2 * i + 1]);
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function m(en: string, zh: string): LocalizedMessage {
  return { en, "zh-HK": zh };
}

function lowerHexNibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** PDF white space (ISO 32000-1 7.2.2). */
function isWhiteSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return LATIN1.decode(bytes.subarray(Math.max(0, start), Math.min(bytes.length, end)));
}

function startsWith(bytes: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at < 0 || at + needle.length > bytes.length) return false;
  for (let i = 0; i < needle.length; i++) if (bytes[at + i] !== needle[i]) return false;
  return true;
}

/** Bytes rarely seen in PDF syntax and text, searched for first (any byte is as rare as another in compressed data). */
const RARE = ascii("jqzxyJQZXYBRkw");

/** The index in `needle` of its rarest byte, by {@link RARE}. */
function anchorOf(needle: Uint8Array): number {
  for (const rare of RARE) {
    const at = needle.indexOf(rare);
    if (at >= 0) return at;
  }
  return 0;
}

/** First offset >= `from` of `needle` in `bytes`, or -1 (native search for the needle's rarest byte). */
function indexOf(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  const k = anchorOf(needle);
  const anchor = needle[k];
  const last = bytes.length - needle.length;
  for (let i = bytes.indexOf(anchor, from + k); i >= 0 && i - k <= last; i = bytes.indexOf(anchor, i + 1)) {
    if (startsWith(bytes, i - k, needle)) return i - k;
  }
  return -1;
}

/** Last offset < `before` of `needle` in `bytes`, or -1. */
function lastIndexOf(bytes: Uint8Array, needle: Uint8Array, before: number): number {
  const k = anchorOf(needle);
  const anchor = needle[k];
  const start = Math.min(before - 1, bytes.length - needle.length) + k;
  if (start - k < 0) return -1;
  for (let i = bytes.lastIndexOf(anchor, start); i - k >= 0; i = i > 0 ? bytes.lastIndexOf(anchor, i - 1) : -1) {
    if (startsWith(bytes, i - k, needle)) return i - k;
  }
  return -1;
}
