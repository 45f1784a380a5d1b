/**
 * # QR code / share-link payload (trust model point 5)
 *
 * A credential travels in the fragment of a verifier URL, `https://verify.example.hk/#<payload>`: the
 * fragment is never sent to a server, and it carries everything a verifier needs to rebuild the exact
 * credential (disclosed claims, their salts, hidden claims' digests, the Merkle proof) and recompute its
 * digest, with no issuer server. It must fit a QR code that still decodes from a 300 dpi print, so
 * everything the type's schema determines is left out and everything else is packed as bytes.
 *
 * ## Text
 * The payload bytes (below) are written in one of two text forms; decoding accepts both:
 * - **numeric** (the default, for QR codes): `1-` then decimal digits. The bytes are cut into 7-byte
 *   groups from the start; each group, read as a big-endian number, is written as 17 digits (zero-padded);
 *   a last group of k = 1..6 bytes takes 3, 5, 8, 10, 13 or 15 digits. A QR encoder puts digit runs in
 *   numeric mode (10 bits per 3 digits), so this costs 8.1 QR bits per byte, against 10.7 for base64url in
 *   byte mode: about 4 QR versions less for a typical certificate.
 * - **base64url** (shorter as text, for links typed or pasted): `1.` then the unpadded base64url
 *   (RFC 4648 section 5) of the bytes.
 * The `1` is the format version; the first byte repeats it, so a reader can tell a newer payload from
 * garbage and say so. Decoding accepts a whole URL (everything after the first `#`) or the bare payload,
 * and ignores white space around it.
 *
 * ## Bytes (format version 1)
 * Integers are unsigned LEB128 varints (7 bits a byte, low group first, minimal length, at most 8 bytes,
 * at most 2^53 - 1 unless said otherwise).
 * Strings are a varint byte length then UTF-8. "Sorted slots" means the claim slots of the type
 * (`claimSlots`: the envelope plus one per schema column) sorted by JSON pointer (UTF-16 code units).
 *
 * | field | bytes |
 * | --- | --- |
 * | version | 1 byte, `0x01` |
 * | flags | 1 byte: bit 0 `validUntil` present; bit 1 `proof.merkle` present; bit 2 salts stored as text (some salt is not the canonical base64url of exactly 16 bytes); bit 3 registry letter-case mask present; bit 4 values block deflated; bits 5-7 zero |
 * | type | string: `credentialSubject.type`, e.g. `csb-cre` (1 to 64 bytes) |
 * | id | 16 bytes: the UUID of `id` (`urn:uuid:` + lowercase hex rebuilt) |
 * | validFrom | time (below) |
 * | validUntil | time, when flag bit 0 |
 * | claim states | 2 bits for each *variable* sorted slot (every slot except the required, non-hideable ones, which are always disclosed), four to a byte, first slot in the low bits, unused high bits zero: `0` absent, `1` disclosed, `2` hidden |
 * | salts | for every disclosed claim in sorted-slot order: its 16 salt bytes; with flag bit 2, the salt string instead |
 * | hidden | for every hidden claim in sorted-slot order: its 32-byte field digest |
 * | merkle | when flag bit 1: chain id (varint, >= 1); registry (20 bytes); with flag bit 3, a 5-byte mask, bit i (byte i >> 3, bit i & 7) set when hex digit i of the address is an upper-case letter (without the mask the address is EIP-55 checksummed); root (32 bytes); path length (varint, <= 256); path (32 bytes each) |
 * | values | the rest: with flag bit 4 a raw DEFLATE (RFC 1951) stream, inflating to at most 64 KiB; the value of every disclosed claim under `credentialSubject` except `/credentialSubject/type`, in sorted-slot order (below) |
 *
 * Not in the payload, rebuilt from the type's schema: `@context`, `type`, `issuer`, `credentialSchema`,
 * `credentialSubject.type`, `proof.type`, and every pointer (the claim states say which slots are used).
 *
 * A *time* (`validFrom`, `validUntil`) is one varint `t`, with `tag = t mod 4`, `n = floor(t / 4)`:
 * tag 0: a string of `n` UTF-8 bytes follows (the literal value); tag 1: `n` seconds after 1970-01-01,
 * written `YYYY-MM-DDTHH:MM:SSZ`; tag 2: day `n` after 1970-01-01, written `YYYY-MM-DDT00:00:00+08:00`
 * (a period type's first day, Hong Kong time); tag 3: the same day written `YYYY-MM-DDT23:59:59+08:00`
 * (its last second).
 *
 * A *value* depends on its slot:
 * - integer: a varint `z`, zigzag-coded (`n >= 0`: `2n`; `n < 0`: `-2n - 1`), `z <= 2^54 - 2`;
 * - list: a varint item count, then each item as a string of the list's item kind;
 * - `certificateNumber` when the schema derives it (`certificateNumber.derive`): a varint, `0` for "the
 *   schema's derivation of the other disclosed values", `L + 1` for a literal of `L` UTF-8 bytes;
 * - enum column or enum list item: a varint `k`: `k < values.length` is `values[k]`, otherwise a
 *   literal of `k - values.length` UTF-8 bytes follows;
 * - date column: a varint `d`: `0`, then a literal string; `d >= 1`, day `d - 1` after 1900-01-01
 *   written `YYYY-MM-DD`;
 * - any other string: a string (varint length, UTF-8).
 *
 * The encoder picks the compact form of each item when it rebuilds the same string, and deflates the
 * values block only when that makes it smaller. Decoding is strict: an unknown version or flag, a
 * truncated or oversized input, bytes left over, non-minimal varints, bad UTF-8 and anything that
 * does not rebuild a credential `computeCredentialDigest` accepts throw `CoreError("MALFORMED")`.
 * Limits: at most 8 KiB of payload bytes (checked before anything is decoded or inflated), 64 KiB of
 * inflated values (inflated 256 input bytes at a time, so a zip bomb stops within a few steps), 32 Ki
 * characters of input text. Bytes after the end of the DEFLATE stream's final block are ignored (fflate
 * does not report them); they cannot change the credential.
 *
 * ## Sizes
 * With a 14-hash Merkle path (a 10,000-certificate batch), a typical `csb-cre` certificate is about 865
 * payload bytes (17 salts: 272; path and root: 480; registry, chain id, id, dates, states: about 45; its
 * values: about 60): 2,100 digits, QR version 24 at error correction M (1,154 base64url characters,
 * version 28). The longest sample dangerous-goods licence is about 1,210 bytes: version 29 (34).
 *
 * A credential JSON value cannot carry -0 here: it comes back as 0 (same digest, JCS writes both as 0).
 * Strings with unpaired UTF-16 surrogates cannot be written as UTF-8 and are refused by the encoder.
 */
import { deflateSync } from "fflate";
import { checksumCase } from "./address.ts";
import { fromBase64Url, toBase64Url, toHex, writeHex } from "./bytes.ts";
import {
  CREDENTIAL_CONTEXT,
  CREDENTIAL_TYPES,
  PROOF_TYPE,
  SALT_BYTES,
  analyseCredential,
  claimSlots,
  issuerUrn,
  schemaUrn,
} from "./credential.ts";
import type { ClaimSlot, Credential, Hex, MerkleAnchor } from "./credential.ts";
import { CoreError, isCoreError } from "./errors.ts";
import { inflateBounded } from "./inflate.ts";
import { getCertificateType, pathTokens } from "./types/index.ts";
import type { CertificateTypeSchema, ColumnSchema, RowValues } from "./types/index.ts";

/** The byte format version written by {@link encodeCredentialPayload}. */
export const CREDENTIAL_PAYLOAD_VERSION = 1;
/** Largest payload, in bytes before base64url, that is decoded (or encoded). */
export const MAX_CREDENTIAL_PAYLOAD_BYTES = 8192;
/** Largest inflated values block. */
const MAX_VALUES_BYTES = 65536;
/** Largest input string (a URL or a payload) that {@link decodeCredentialUrl} looks at. */
const MAX_INPUT_CHARS = 32768;
/** Text prefix of a format-1 payload in base64url form. */
const BASE64URL_PREFIX = "1.";
/** Text prefix of a format-1 payload in numeric form. */
const NUMERIC_PREFIX = "1-";
/** Digits of a numeric-form group of 0..7 bytes. */
const GROUP_DIGITS = [0, 3, 5, 8, 10, 13, 15, 17];

const FLAG_VALID_UNTIL = 1;
const FLAG_MERKLE = 2;
const FLAG_TEXT_SALTS = 4;
const FLAG_REGISTRY_CASE = 8;
const FLAG_DEFLATED = 16;
const KNOWN_FLAGS = 31;

const TIME_LITERAL = 0;
const TIME_UTC_SECONDS = 1;
const TIME_HK_DAY_START = 2;
const TIME_HK_DAY_END = 3;

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59Z: the last second an ISO 8601 four-digit year can write. */
const MAX_SECONDS = 253_402_300_799;
const MAX_DAYS_1970 = Math.floor(MAX_SECONDS / 86_400);
/** Days from 1900-01-01 to 1970-01-01 (date columns count from 1900). */
const DAYS_1900_TO_1970 = 25_567;
const MAX_DAYS_1900 = MAX_DAYS_1970 + DAYS_1900_TO_1970;

/** Envelope slots rebuilt from the schema: they carry a salt but no value in the payload. */
const DERIVED_POINTERS = new Set([
  "/@context",
  "/type",
  "/issuer",
  "/credentialSchema/id",
  "/credentialSchema/type",
  "/credentialSubject/type",
]);
/** Zigzag code of 2^53 - 1, the largest an integer claim (a safe integer) can have. */
const MAX_ZIGZAG = 2n ** 54n - 2n;
const SUBJECT_PREFIX = "/credentialSubject/";
const CERTIFICATE_NUMBER = "/credentialSubject/certificateNumber";

// ---------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------

/** Options of {@link encodeCredentialPayload} and {@link encodeCredentialUrl}. */
export type EncodeCredentialPayloadOptions = {
  /**
   * `"numeric"` (default): decimal digits, the smallest QR code. `"base64url"`: the shortest text, for
   * links that people paste or type. Both decode the same.
   */
  form?: "numeric" | "base64url";
};

/**
 * The QR / share-link payload of a credential (see the module comment): `1-` + digits, or `1.` +
 * base64url, of the payload bytes.
 *
 * @param credential a credential `computeCredentialDigest` accepts, any claims hidden, usually with
 *   `proof.merkle`.
 * @param options.form the text form, default `"numeric"`.
 * @returns the payload, URL-safe, to put after `#`.
 * @throws CoreError `MALFORMED` / `UNKNOWN_TYPE` for a credential `computeCredentialDigest` rejects, or
 *   a string with an unpaired surrogate; `INVALID_ARGUMENT` when the payload would exceed
 *   {@link MAX_CREDENTIAL_PAYLOAD_BYTES}.
 *
 * @example
 * ```ts
 * const qrPayload = encodeCredentialPayload(vc); // "1-00028..."
 * const linkPayload = encodeCredentialPayload(vc, { form: "base64url" }); // "1.AQ..."
 * ```
 */
export function encodeCredentialPayload(credential: Credential, options: EncodeCredentialPayloadOptions = {}): string {
  const form = options?.form ?? "numeric";
  if (form !== "numeric" && form !== "base64url") {
    throw new CoreError("INVALID_ARGUMENT", 'The payload form must be "numeric" or "base64url"');
  }
  const bytes = encodeCredentialBytes(credential);
  return form === "numeric" ? NUMERIC_PREFIX + toDigits(bytes) : BASE64URL_PREFIX + toBase64Url(bytes);
}

/**
 * Rebuilds the credential carried by a payload.
 *
 * @param payload what {@link encodeCredentialPayload} returned (white space around it is ignored).
 * @returns the credential, equal to the one encoded; `computeCredentialDigest` accepts it.
 * @throws CoreError `MALFORMED`, with a message saying what is wrong, for anything else: never another
 *   error.
 *
 * @example
 * ```ts
 * const vc = decodeCredentialPayload(location.hash.slice(1));
 * ```
 */
export function decodeCredentialPayload(payload: string): Credential {
  return guarded(() => {
    if (typeof payload !== "string") malformed("The credential payload is not a string");
    if (payload.length > MAX_INPUT_CHARS) malformed(`The credential payload is longer than ${MAX_INPUT_CHARS} characters`);
    return decodeText(payload.trim());
  });
}

/**
 * The verifier URL of a credential, for the QR code and share links: `${verifierBaseUrl}/#${payload}`
 * (no second `/` when the base already ends with one).
 *
 * @param verifierBaseUrl the verifier page, an absolute http(s) URL without a fragment.
 * @param credential as for {@link encodeCredentialPayload}.
 * @param options.form the text form, default `"numeric"` (the smallest QR code).
 * @throws CoreError `INVALID_ARGUMENT` for a bad base URL; as {@link encodeCredentialPayload} otherwise.
 *
 * @example
 * ```ts
 * const url = encodeCredentialUrl("https://verify.ecert.gov.hk", vc); // "https://verify.ecert.gov.hk/#1-00028..."
 * await QRCode.toBuffer(url, { errorCorrectionLevel: "M" });
 * ```
 */
export function encodeCredentialUrl(verifierBaseUrl: string, credential: Credential, options: EncodeCredentialPayloadOptions = {}): string {
  let url: URL | undefined;
  try {
    url = typeof verifierBaseUrl === "string" ? new URL(verifierBaseUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || verifierBaseUrl.includes("#")) {
    throw new CoreError("INVALID_ARGUMENT", "The verifier base URL must be an absolute http(s) URL without a # fragment");
  }
  const payload = encodeCredentialPayload(credential, options);
  return `${verifierBaseUrl.endsWith("/") ? verifierBaseUrl : verifierBaseUrl + "/"}#${payload}`;
}

/**
 * Rebuilds the credential from a scanned or shared verifier URL (the part after the first `#`), or from
 * the bare payload.
 *
 * @throws CoreError `MALFORMED` for anything that is not a valid payload: never another error.
 *
 * @example
 * ```ts
 * const vc = decodeCredentialUrl(scannedText);
 * const digest = computeCredentialDigest(vc);
 * verifyMerkleProof(digest, vc.proof.merkle!.path, vc.proof.merkle!.root);
 * ```
 */
export function decodeCredentialUrl(url: string): Credential {
  return guarded(() => {
    if (typeof url !== "string") malformed("The verifier URL is not a string");
    if (url.length > MAX_INPUT_CHARS) malformed(`The verifier URL is longer than ${MAX_INPUT_CHARS} characters`);
    const hash = url.indexOf("#");
    return decodeText((hash >= 0 ? url.slice(hash + 1) : url).trim());
  });
}

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

function malformed(message: string): never {
  throw new CoreError("MALFORMED", message);
}

/** Runs a decoder; anything thrown that is not already `CoreError("MALFORMED")` becomes one. */
function guarded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isCoreError(error, "MALFORMED")) throw error;
    const reason = isCoreError(error) ? error.message : "it could not be decoded";
    throw new CoreError("MALFORMED", `The credential payload is not valid: ${reason}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------------
// Text layer
// ---------------------------------------------------------------------------------------------------

/** Numeric form: 7-byte groups as 17 decimal digits, a last shorter group as fewer (see the module comment). */
function toDigits(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 7) {
    const group = bytes.subarray(i, i + 7);
    let value = 0n;
    for (const b of group) value = (value << 8n) | BigInt(b);
    out += value.toString().padStart(GROUP_DIGITS[group.length], "0");
  }
  return out;
}

/** Inverse of {@link toDigits}; undefined for a non-digit, an impossible length or a group too large. */
function fromDigits(text: string): Uint8Array | undefined {
  if (!/^[0-9]*$/.test(text)) return undefined;
  const lastDigits = text.length % 17;
  const lastBytes = GROUP_DIGITS.indexOf(lastDigits);
  if (lastBytes < 0 || lastBytes === 7) return undefined;
  const full = (text.length - lastDigits) / 17;
  const out = new Uint8Array(full * 7 + lastBytes);
  for (let g = 0, o = 0; g * 17 < text.length; g++) {
    const size = g < full ? 7 : lastBytes;
    let value = BigInt(text.slice(g * 17, g * 17 + GROUP_DIGITS[size]));
    if (value >> BigInt(8 * size) !== 0n) return undefined;
    for (let k = size - 1; k >= 0; k--) {
      out[o + k] = Number(value & 255n);
      value >>= 8n;
    }
    o += size;
  }
  return out;
}

function decodeText(payload: string): Credential {
  if (payload.length === 0) malformed("The credential payload is empty (nothing after #)");
  let bytes: Uint8Array | undefined;
  if (payload.startsWith(NUMERIC_PREFIX)) {
    const body = payload.slice(NUMERIC_PREFIX.length);
    if (body.length > Math.ceil(MAX_CREDENTIAL_PAYLOAD_BYTES / 7) * 17) {
      malformed(`The credential payload is larger than ${MAX_CREDENTIAL_PAYLOAD_BYTES} bytes`);
    }
    bytes = fromDigits(body);
    if (!bytes) malformed("The credential payload is not well-formed digits (a digit is wrong or missing)");
  } else if (payload.startsWith(BASE64URL_PREFIX)) {
    const body = payload.slice(BASE64URL_PREFIX.length);
    if (body.length > Math.ceil((MAX_CREDENTIAL_PAYLOAD_BYTES * 4) / 3)) {
      malformed(`The credential payload is larger than ${MAX_CREDENTIAL_PAYLOAD_BYTES} bytes`);
    }
    bytes = fromBase64Url(body);
    if (!bytes) malformed("The credential payload is not base64url (A-Z a-z 0-9 - _, no padding)");
  } else {
    const version = /^([0-9]{1,3})[.-]/.exec(payload);
    if (version) {
      malformed(`The credential payload has format ${version[1]}; this verifier reads format ${CREDENTIAL_PAYLOAD_VERSION}`);
    }
    malformed(`The credential payload does not start with "${NUMERIC_PREFIX}" or "${BASE64URL_PREFIX}"`);
  }
  return decodeCredentialBytes(bytes);
}

// ---------------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------------

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** An unpaired UTF-16 surrogate (in `u` mode a well-formed pair is one code point, not matched). */
const LONE_SURROGATE = /\p{Cs}/u;

class Writer {
  bytes: number[] = [];

  byte(b: number): void {
    this.bytes.push(b);
  }

  raw(bytes: Uint8Array): void {
    for (const b of bytes) this.bytes.push(b);
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varint(n: number): void {
    while (n >= 128) {
      this.bytes.push(n % 128 | 128);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
  }

  /** Unsigned LEB128 of a non-negative bigint. */
  bigVarint(n: bigint): void {
    while (n >= 128n) {
      this.bytes.push(Number(n % 128n) | 128);
      n /= 128n;
    }
    this.bytes.push(Number(n));
  }

  utf8(text: string): Uint8Array {
    if (LONE_SURROGATE.test(text)) {
      throw new CoreError("MALFORMED", "A claim holds an unpaired UTF-16 surrogate, which a credential payload cannot carry");
    }
    return textEncoder.encode(text);
  }

  /** A string with its length, the length first offset by `bias` (room for special values below it). */
  string(text: string, bias = 0): void {
    const bytes = this.utf8(text);
    this.varint(bytes.length + bias);
    this.raw(bytes);
  }

  hex(hex: string, length: number): void {
    const out = new Uint8Array(length);
    if (!writeHex(hex, length, out, 0)) throw new CoreError("MALFORMED", `${hex.slice(0, 80)} is not ${length} bytes of hex`);
    this.raw(out);
  }

  result(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.bytes.length - this.pos) malformed(`The credential payload is truncated (in ${what})`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  byte(what: string): number {
    return this.take(1, what)[0];
  }

  /** Unsigned LEB128, minimal, at most `max` (a safe integer). */
  varint(what: string, max = Number.MAX_SAFE_INTEGER): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.byte(what);
      if (i === 8) malformed(`The credential payload has an over-long number (in ${what})`);
      n += (b & 127) * scale;
      scale *= 128;
      if (b < 128) {
        if (b === 0 && i > 0) malformed(`The credential payload has a non-minimal number (in ${what})`);
        break;
      }
    }
    if (n > max) malformed(`The credential payload has ${what} out of range (${n} > ${max})`);
    return n;
  }

  /** Unsigned LEB128 as a bigint, minimal, at most `max`. */
  bigVarint(what: string, max: bigint): bigint {
    let n = 0n;
    for (let i = 0; ; i++) {
      const b = this.byte(what);
      if (i === 8) malformed(`The credential payload has an over-long number (in ${what})`);
      n |= BigInt(b & 127) << BigInt(7 * i);
      if (b < 128) {
        if (b === 0 && i > 0) malformed(`The credential payload has a non-minimal number (in ${what})`);
        break;
      }
    }
    if (n > max) malformed(`The credential payload has ${what} out of range`);
    return n;
  }

  utf8(length: number, what: string): string {
    const bytes = this.take(length, what);
    try {
      return textDecoder.decode(bytes);
    } catch {
      return malformed(`The credential payload has text that is not UTF-8 (in ${what})`);
    }
  }

  string(what: string): string {
    return this.utf8(this.varint(what, this.bytes.length), what);
  }

  hex(length: number, what: string): Hex {
    return toHex(this.take(length, what));
  }

  end(what: string): void {
    if (this.pos !== this.bytes.length)
      malformed(`The credential payload has ${this.bytes.length - this.pos} unexpected bytes after ${what}`);
  }
}

type Layout = {
  /** Every slot, sorted by pointer. */
  sorted: ClaimSlot[];
  /** The slots whose state is written (not required-and-non-hideable). */
  variable: ClaimSlot[];
};

const layouts = new WeakMap<CertificateTypeSchema, Layout>();

function layoutOf(schema: CertificateTypeSchema): Layout {
  let layout = layouts.get(schema);
  if (!layout) {
    const sorted = [...claimSlots(schema).values()].sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
    layout = { sorted, variable: sorted.filter((s) => !(s.required && !s.hideable)) };
    layouts.set(schema, layout);
  }
  return layout;
}

// ----- times --------------------------------------------------------------------------------------

function isoDay(days1970: number): string {
  return new Date(days1970 * DAY_MS).toISOString().slice(0, 10);
}

function writeTime(w: Writer, value: string): void {
  const day = /^(\d{4}-\d{2}-\d{2})T(00:00:00|23:59:59)\+08:00$/.exec(value);
  if (day) {
    const ms = Date.parse(`${day[1]}T00:00:00Z`);
    const days = ms / DAY_MS;
    if (Number.isSafeInteger(days) && days >= 0 && days <= MAX_DAYS_1970 && isoDay(days) === day[1]) {
      w.varint(days * 4 + (day[2] === "00:00:00" ? TIME_HK_DAY_START : TIME_HK_DAY_END));
      return;
    }
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) {
    const seconds = Date.parse(value) / 1000;
    if (Number.isSafeInteger(seconds) && seconds >= 0 && seconds <= MAX_SECONDS && isoSeconds(seconds) === value) {
      w.varint(seconds * 4 + TIME_UTC_SECONDS);
      return;
    }
  }
  const bytes = w.utf8(value);
  w.varint(bytes.length * 4 + TIME_LITERAL);
  w.raw(bytes);
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

function readTime(r: Reader, what: string): string {
  const t = r.varint(what);
  const tag = t % 4;
  const n = (t - tag) / 4;
  switch (tag) {
    case TIME_LITERAL:
      return r.utf8(n, what);
    case TIME_UTC_SECONDS:
      if (n > MAX_SECONDS) malformed(`The credential payload has ${what} after the year 9999`);
      return isoSeconds(n);
    default:
      if (n > MAX_DAYS_1970) malformed(`The credential payload has ${what} after the year 9999`);
      return `${isoDay(n)}T${tag === TIME_HK_DAY_START ? "00:00:00" : "23:59:59"}+08:00`;
  }
}

// ----- values -------------------------------------------------------------------------------------

/** Options for one string: enum values (written as their index) or a date column. */
type StringKind = { enumValues?: readonly string[]; date?: boolean };

function stringKindOf(column: ColumnSchema | undefined): StringKind {
  if (column?.kind === "enum") return { enumValues: column.values };
  if (column?.kind === "list" && column.item.kind === "enum") return { enumValues: column.item.values };
  if (column?.kind === "date") return { date: true };
  return {};
}

function writeString(w: Writer, value: string, kind: StringKind): void {
  if (kind.enumValues) {
    const index = kind.enumValues.indexOf(value);
    if (index >= 0) w.varint(index);
    else w.string(value, kind.enumValues.length);
  } else if (kind.date) {
    const days = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) / DAY_MS + DAYS_1900_TO_1970 : -1;
    if (Number.isSafeInteger(days) && days >= 0 && days <= MAX_DAYS_1900 && isoDay(days - DAYS_1900_TO_1970) === value) {
      w.varint(days + 1);
    } else {
      w.varint(0);
      w.string(value);
    }
  } else {
    w.string(value);
  }
}

function readString(r: Reader, kind: StringKind, what: string): string {
  if (kind.enumValues) {
    const k = r.varint(what, kind.enumValues.length + r.bytes.length);
    return k < kind.enumValues.length ? kind.enumValues[k] : r.utf8(k - kind.enumValues.length, what);
  }
  if (kind.date) {
    const d = r.varint(what, MAX_DAYS_1900 + 1);
    return d === 0 ? r.string(what) : isoDay(d - 1 - DAYS_1900_TO_1970);
  }
  return r.string(what);
}

/** The values a certificate-number derivation reads: disclosed subject claims by column name. */
function rowValuesOf(schema: CertificateTypeSchema, claims: ReadonlyMap<string, unknown>): RowValues {
  const values: Record<string, string | number | readonly string[]> = {};
  for (const column of schema.columns) {
    const value = claims.get("/credentialSubject" + column.path);
    if (value !== undefined) values[column.column] = value as string | number | readonly string[];
  }
  return values;
}

function derivedCertificateNumber(schema: CertificateTypeSchema, claims: ReadonlyMap<string, unknown>): string | undefined {
  if (!schema.certificateNumber) return undefined;
  try {
    const number: unknown = schema.certificateNumber.derive(rowValuesOf(schema, claims));
    return typeof number === "string" ? number : undefined;
  } catch {
    return undefined;
  }
}

function writeValue(w: Writer, slot: ClaimSlot, value: unknown, schema: CertificateTypeSchema, claims: ReadonlyMap<string, unknown>): void {
  if (slot.pointer === CERTIFICATE_NUMBER && schema.certificateNumber) {
    if (derivedCertificateNumber(schema, claims) === value) w.varint(0);
    else w.string(value as string, 1);
    return;
  }
  const kind = stringKindOf(slot.column);
  switch (slot.value) {
    case "integer": {
      // Zigzag codes of safe integers reach 2^54 - 1: computed and written as a bigint, exactly.
      const n = BigInt(value as number);
      w.bigVarint(n >= 0n ? 2n * n : -2n * n - 1n);
      return;
    }
    case "string[]":
      w.varint((value as string[]).length);
      for (const item of value as string[]) writeString(w, item, kind);
      return;
    case "string":
      writeString(w, value as string, kind);
  }
}

/** Reads a value; `undefined` for a certificate number the schema derives (filled in afterwards). */
function readValue(r: Reader, slot: ClaimSlot, schema: CertificateTypeSchema): unknown {
  const what = slot.pointer;
  if (slot.pointer === CERTIFICATE_NUMBER && schema.certificateNumber) {
    const t = r.varint(what, r.bytes.length + 1);
    return t === 0 ? undefined : r.utf8(t - 1, what);
  }
  const kind = stringKindOf(slot.column);
  switch (slot.value) {
    case "integer": {
      const z = r.bigVarint(what, MAX_ZIGZAG);
      return Number(z % 2n === 0n ? z / 2n : -(z + 1n) / 2n);
    }
    case "string[]": {
      const count = r.varint(what, r.bytes.length);
      const items: string[] = [];
      for (let i = 0; i < count; i++) items.push(readString(r, kind, what));
      return items;
    }
    case "string":
      return readString(r, kind, what);
  }
}

// ----- registry -----------------------------------------------------------------------------------

// ----- credential <-> bytes -------------------------------------------------------------------------

/** The payload bytes of a credential (before base64url). */
function encodeCredentialBytes(input: Credential): Uint8Array {
  const { credential, schema, claims } = analyseCredential(input);
  const { sorted, variable } = layoutOf(schema);
  const { salts, hidden, merkle } = credential.proof;
  const w = new Writer();

  const disclosed = sorted.filter((s) => claims.has(s.pointer));
  const saltBytes = disclosed.map((s) => fromBase64Url(salts[s.pointer]));
  const textSalts = saltBytes.some((b) => b === undefined || b.length !== SALT_BYTES);
  const registryHex = merkle?.registry.slice(2);
  const registryCase = registryHex !== undefined && checksumCase(registryHex.toLowerCase()) !== registryHex;

  const values = new Writer();
  for (const slot of disclosed) {
    if (slot.pointer.startsWith(SUBJECT_PREFIX) && !DERIVED_POINTERS.has(slot.pointer)) {
      writeValue(values, slot, claims.get(slot.pointer), schema, claims);
    }
  }
  let valueBytes = values.result();
  const deflated = valueBytes.length > 0 ? deflateSync(valueBytes, { level: 9, mem: 4 }) : valueBytes;
  const deflate = deflated.length < valueBytes.length;
  if (deflate) valueBytes = deflated;

  w.byte(CREDENTIAL_PAYLOAD_VERSION);
  w.byte(
    (credential.validUntil !== undefined ? FLAG_VALID_UNTIL : 0) |
      (merkle ? FLAG_MERKLE : 0) |
      (textSalts ? FLAG_TEXT_SALTS : 0) |
      (registryCase ? FLAG_REGISTRY_CASE : 0) |
      (deflate ? FLAG_DEFLATED : 0)
  );
  w.string(schema.id);
  w.hex("0x" + credential.id.slice("urn:uuid:".length).replaceAll("-", ""), 16);
  writeTime(w, credential.validFrom);
  if (credential.validUntil !== undefined) writeTime(w, credential.validUntil);

  const states = new Uint8Array(Math.ceil(variable.length / 4));
  variable.forEach((slot, i) => {
    const state = claims.has(slot.pointer) ? 1 : Object.hasOwn(hidden, slot.pointer) ? 2 : 0;
    states[i >> 2] |= state << (2 * (i & 3));
  });
  w.raw(states);

  disclosed.forEach((slot, i) => {
    if (textSalts) w.string(salts[slot.pointer]);
    else w.raw(saltBytes[i]!);
  });
  for (const slot of sorted) if (Object.hasOwn(hidden, slot.pointer)) w.hex(hidden[slot.pointer], 32);

  if (merkle) {
    w.varint(merkle.chainId);
    w.hex(merkle.registry, 20);
    if (registryCase) {
      const mask = new Uint8Array(5);
      for (let i = 0; i < 40; i++) if (registryHex![i] >= "A" && registryHex![i] <= "F") mask[i >> 3] |= 1 << (i & 7);
      w.raw(mask);
    }
    w.hex(merkle.root, 32);
    w.varint(merkle.path.length);
    for (const node of merkle.path) w.hex(node, 32);
  }
  w.raw(valueBytes);

  const bytes = w.result();
  if (bytes.length > MAX_CREDENTIAL_PAYLOAD_BYTES) {
    throw new CoreError(
      "INVALID_ARGUMENT",
      `The credential needs ${bytes.length} payload bytes, more than the ${MAX_CREDENTIAL_PAYLOAD_BYTES} a QR code or link may carry`
    );
  }
  return bytes;
}

/** Inflates a values block, refusing more than {@link MAX_VALUES_BYTES} (zip bombs). */
function inflateValues(data: Uint8Array): Uint8Array {
  // Fed 256 bytes at a time, fflate inflates at most ~264 KB per step (DEFLATE expands at most
  // 1032:1), so a bomb is stopped after a few steps instead of being inflated whole.
  const inflated = inflateBounded(data, { format: "raw", maxBytes: MAX_VALUES_BYTES, chunkBytes: 256 });
  if (inflated.ok) return inflated.bytes;
  switch (inflated.reason) {
    case "empty":
      return malformed("The credential payload's compressed values are empty");
    case "too-large":
      return malformed(`The credential payload's values inflate to more than ${MAX_VALUES_BYTES} bytes`);
    case "corrupt":
      return malformed("The credential payload's compressed values are corrupt or truncated");
  }
}

/** Sets `value` at a path of object keys, creating the objects on the way. */
function setAt(target: Record<string, unknown>, tokens: readonly string[], value: unknown): void {
  let node = target;
  for (const token of tokens.slice(0, -1)) {
    if (!Object.hasOwn(node, token)) node[token] = {};
    node = node[token] as Record<string, unknown>;
  }
  node[tokens[tokens.length - 1]] = value;
}

function decodeCredentialBytes(bytes: Uint8Array): Credential {
  if (bytes.length > MAX_CREDENTIAL_PAYLOAD_BYTES) malformed(`The credential payload is larger than ${MAX_CREDENTIAL_PAYLOAD_BYTES} bytes`);
  const r = new Reader(bytes);
  const version = r.byte("the version");
  if (version !== CREDENTIAL_PAYLOAD_VERSION) {
    malformed(`The credential payload has format version ${version}; this verifier reads version ${CREDENTIAL_PAYLOAD_VERSION}`);
  }
  const flags = r.byte("the flags");
  if ((flags & ~KNOWN_FLAGS) !== 0) malformed(`The credential payload has unknown flags (0x${flags.toString(16)})`);

  const typeId = r.utf8(r.varint("the certificate type", 64), "the certificate type");
  let schema: CertificateTypeSchema;
  try {
    schema = getCertificateType(typeId);
  } catch {
    return malformed(`The credential payload has an unknown certificate type ${JSON.stringify(typeId)}`);
  }
  const { sorted, variable } = layoutOf(schema);
  const uuid = r.hex(16, "the credential id").slice(2);
  const id = `urn:uuid:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`;
  const validFrom = readTime(r, "validFrom");
  const validUntil = flags & FLAG_VALID_UNTIL ? readTime(r, "validUntil") : undefined;

  const stateBytes = r.take(Math.ceil(variable.length / 4), "the claim states");
  const state = new Map<string, number>();
  for (const slot of sorted) state.set(slot.pointer, 1);
  variable.forEach((slot, i) => {
    const s = (stateBytes[i >> 2] >> (2 * (i & 3))) & 3;
    if (s === 3) malformed(`The credential payload has an invalid state for ${slot.pointer}`);
    if (s === 2 && !slot.hideable) malformed(`The credential payload hides ${slot.pointer}, which may not be hidden`);
    if (s === 0 && slot.required) malformed(`The credential payload leaves out the required ${slot.pointer}`);
    state.set(slot.pointer, s);
  });
  if (variable.length % 4 !== 0 && stateBytes[stateBytes.length - 1] >> (2 * (variable.length % 4)) !== 0) {
    malformed("The credential payload has unused claim-state bits set");
  }
  const disclosed = sorted.filter((s) => state.get(s.pointer) === 1);

  const salts: Record<string, string> = {};
  for (const slot of disclosed) {
    salts[slot.pointer] =
      flags & FLAG_TEXT_SALTS ? r.string(`the salt of ${slot.pointer}`) : toBase64Url(r.take(SALT_BYTES, `the salt of ${slot.pointer}`));
  }
  const hidden: Record<string, Hex> = {};
  for (const slot of sorted) if (state.get(slot.pointer) === 2) hidden[slot.pointer] = r.hex(32, `the digest of ${slot.pointer}`);

  let merkle: MerkleAnchor | undefined;
  if (flags & FLAG_MERKLE) {
    const chainId = r.varint("the chain id");
    if (chainId < 1) malformed("The credential payload has chain id 0");
    const lower = r.hex(20, "the registry address").slice(2);
    let registry: string;
    if (flags & FLAG_REGISTRY_CASE) {
      const mask = r.take(5, "the registry address");
      registry = "";
      for (let i = 0; i < 40; i++) {
        const upper = (mask[i >> 3] >> (i & 7)) & 1;
        if (upper && lower[i] < "a") malformed("The credential payload's registry letter-case mask marks a digit");
        registry += upper ? lower[i].toUpperCase() : lower[i];
      }
    } else {
      registry = checksumCase(lower);
    }
    const root = r.hex(32, "the Merkle root");
    const length = r.varint("the Merkle path length", 256);
    const path: Hex[] = [];
    for (let i = 0; i < length; i++) path.push(r.hex(32, "the Merkle path"));
    merkle = { root, path, chainId, registry: "0x" + registry };
  } else if (flags & FLAG_REGISTRY_CASE) {
    malformed("The credential payload has a registry letter-case mask but no Merkle proof");
  }

  const rest = r.take(bytes.length - r.pos, "the values");
  const values = new Reader(flags & FLAG_DEFLATED ? inflateValues(rest) : rest);
  const claims = new Map<string, unknown>();
  for (const slot of disclosed) {
    if (slot.pointer.startsWith(SUBJECT_PREFIX) && !DERIVED_POINTERS.has(slot.pointer)) {
      claims.set(slot.pointer, readValue(values, slot, schema));
    }
  }
  values.end("the last value");
  if (claims.get(CERTIFICATE_NUMBER) === undefined) {
    const derived = derivedCertificateNumber(schema, claims);
    if (derived === undefined) malformed("The credential payload's certificate number cannot be derived");
    claims.set(CERTIFICATE_NUMBER, derived);
  }

  // The subject in the order createCredential writes it: type, certificate number, then the columns.
  const subject: Record<string, unknown> = { type: schema.id, certificateNumber: claims.get(CERTIFICATE_NUMBER) };
  for (const column of schema.columns) {
    const pointer = "/credentialSubject" + column.path;
    if (pointer !== CERTIFICATE_NUMBER && claims.has(pointer)) setAt(subject, pathTokens(column.path), claims.get(pointer));
  }
  const credential: Credential = {
    "@context": [CREDENTIAL_CONTEXT],
    type: [...CREDENTIAL_TYPES],
    id,
    issuer: issuerUrn(schema.issuer),
    validFrom,
    ...(validUntil === undefined ? {} : { validUntil }),
    credentialSchema: { id: schemaUrn(schema), type: "JsonSchema" },
    credentialSubject: subject as Credential["credentialSubject"],
    proof: { type: PROOF_TYPE, salts, hidden, ...(merkle ? { merkle } : {}) },
  };
  // Everything computeCredentialDigest checks (validity dates, salts, the id's UUID form ...).
  analyseCredential(credential);
  return credential;
}
