/**
 * # QR code / share-link payload (trust model point 5): the format
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
 *
 * ## Files
 * `core/qr/`: `index.ts` the public API (encode / decode a payload or a verifier URL); `text.ts` the two
 * text forms; `encode.ts` and `decode.ts` credential <-> bytes; `fields.ts` times and values;
 * `byte-codec.ts` the byte writer and reader (varints, strings); this file the format's constants and the
 * claim layout of a type. Hex and base64url come from `core/bytes.ts`, bounded inflation from
 * `core/inflate.ts`.
 */
import { claimSlots } from "../credential.ts";
import type { ClaimSlot } from "../credential.ts";
import { CoreError } from "../errors.ts";
import type { CertificateTypeSchema } from "../types/index.ts";

/** The byte format version written by `encodeCredentialPayload`. */
export const CREDENTIAL_PAYLOAD_VERSION = 1;
/** Largest payload, in bytes before base64url, that is decoded (or encoded). */
export const MAX_CREDENTIAL_PAYLOAD_BYTES = 8192;
/** Largest inflated values block. */
export const MAX_VALUES_BYTES = 65536;
/** Largest input string (a URL or a payload) that `decodeCredentialUrl` looks at. */
export const MAX_INPUT_CHARS = 32768;

export const FLAG_VALID_UNTIL = 1;
export const FLAG_MERKLE = 2;
export const FLAG_TEXT_SALTS = 4;
export const FLAG_REGISTRY_CASE = 8;
export const FLAG_DEFLATED = 16;
export const KNOWN_FLAGS = 31;

export const TIME_LITERAL = 0;
export const TIME_UTC_SECONDS = 1;
export const TIME_HK_DAY_START = 2;
export const TIME_HK_DAY_END = 3;

export const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59Z: the last second an ISO 8601 four-digit year can write. */
export const MAX_SECONDS = 253_402_300_799;
export const MAX_DAYS_1970 = Math.floor(MAX_SECONDS / 86_400);
/** Days from 1900-01-01 to 1970-01-01 (date columns count from 1900). */
export const DAYS_1900_TO_1970 = 25_567;
export const MAX_DAYS_1900 = MAX_DAYS_1970 + DAYS_1900_TO_1970;

/** Envelope slots rebuilt from the schema: they carry a salt but no value in the payload. */
export const DERIVED_POINTERS = new Set([
  "/@context",
  "/type",
  "/issuer",
  "/credentialSchema/id",
  "/credentialSchema/type",
  "/credentialSubject/type",
]);
/** Zigzag code of 2^53 - 1, the largest an integer claim (a safe integer) can have. */
export const MAX_ZIGZAG = 2n ** 54n - 2n;
export const SUBJECT_PREFIX = "/credentialSubject/";
export const CERTIFICATE_NUMBER = "/credentialSubject/certificateNumber";

/** Throws `CoreError("MALFORMED")`: what every decoding failure is. */
export function malformed(message: string): never {
  throw new CoreError("MALFORMED", message);
}

export type Layout = {
  /** Every slot, sorted by pointer. */
  sorted: ClaimSlot[];
  /** The slots whose state is written (not required-and-non-hideable). */
  variable: ClaimSlot[];
};

const layouts = new WeakMap<CertificateTypeSchema, Layout>();

export function layoutOf(schema: CertificateTypeSchema): Layout {
  let layout = layouts.get(schema);
  if (!layout) {
    const sorted = [...claimSlots(schema).values()].sort((a, b) =>
      a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0,
    );
    layout = { sorted, variable: sorted.filter((s) => !(s.required && !s.hideable)) };
    layouts.set(schema, layout);
  }
  return layout;
}
