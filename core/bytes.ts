/**
 * Small byte helpers that work the same in Node and in the browser (no `Buffer`): UTF-8, hex, base64url,
 * byte comparison; the one place in `core/` that encodes and decodes hex and base64url. Hot paths (the
 * Merkle tree) use these rather than ethers' generic `getBytes` / `hexlify`, which validate and allocate
 * on every call. (`core/verify/scanPdf.ts` reads a PDF's `/Contents` hex string from the file's bytes
 * with its own lowercase-only rule: an upper-case digit there is a change to the signed file.)
 */

const textEncoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

const HEX_DIGITS = "0123456789abcdef";
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15]);

/** `0x`-prefixed lowercase hex of `bytes[offset, offset + length)`. */
export function toHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): `0x${string}` {
  let out = "0x";
  for (let i = offset; i < offset + length; i++) out += BYTE_TO_HEX[bytes[i]];
  return out as `0x${string}`;
}

/** Whether `value` is `0x` followed by exactly 64 lowercase hex digits (a bytes32 in canonical form). */
export function isBytes32Hex(value: unknown): value is `0x${string}` {
  return typeof value === "string" && /^0x[0-9a-f]{64}$/.test(value);
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/**
 * Writes the bytes of `0x`-prefixed hex `hex` (any letter case) into `target` at `offset`.
 * Returns false, writing nothing useful, when `hex` is not `0x` + exactly `2 * byteLength` hex digits.
 */
export function writeHex(hex: string, byteLength: number, target: Uint8Array, offset: number): boolean {
  if (hex.length !== 2 + 2 * byteLength || hex.charCodeAt(0) !== 48 || (hex.charCodeAt(1) | 32) !== 120) {
    return false;
  }
  for (let i = 0; i < byteLength; i++) {
    const hi = hexNibble(hex.charCodeAt(2 + 2 * i));
    const lo = hexNibble(hex.charCodeAt(3 + 2 * i));
    if (hi < 0 || lo < 0) return false;
    target[offset + i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * The bytes of `0x`-prefixed hex (any letter case), or undefined when `hex` is not `0x` followed by an
 * even number of hex digits.
 *
 * @example fromHex("0x020101") // Uint8Array [2, 1, 1]
 */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length < 2 || hex.length % 2 !== 0) return undefined;
  const out = new Uint8Array((hex.length - 2) / 2);
  return writeHex(hex, out.length, out, 0) ? out : undefined;
}

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** RFC 4648 section 5 base64url, without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out +=
      BASE64URL_ALPHABET[n >> 18] +
      BASE64URL_ALPHABET[(n >> 12) & 63] +
      BASE64URL_ALPHABET[(n >> 6) & 63] +
      BASE64URL_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += BASE64URL_ALPHABET[n >> 18] + BASE64URL_ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += BASE64URL_ALPHABET[n >> 18] + BASE64URL_ALPHABET[(n >> 12) & 63] + BASE64URL_ALPHABET[(n >> 6) & 63];
  }
  return out;
}

const BASE64URL_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++) BASE64URL_VALUES[BASE64URL_ALPHABET.charCodeAt(i)] = i;

/**
 * Strict unpadded base64url (the inverse of {@link toBase64Url}): undefined for another alphabet,
 * padding, a length no byte string encodes to, or non-zero unused bits in the last character.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? BASE64URL_VALUES[code] : -1;
    if (v < 0) return undefined;
    value = ((value << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return undefined; // unused low bits of the last character
  return out;
}

/**
 * How many bytes an unpadded base64url string decodes to, or -1 when it is not unpadded base64url
 * (wrong alphabet, padding, or a length that no byte string encodes to).
 */
export function base64UrlByteLength(text: string): number {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return -1;
  return Math.floor((text.length * 6) / 8);
}

/** Lexicographic comparison of two 32-byte values stored at `a[ai..ai+32)` and `b[bi..bi+32)`. */
export function compare32(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < 32; k++) {
    const d = a[ai + k] - b[bi + k];
    if (d !== 0) return d;
  }
  return 0;
}
