/**
 * The two text forms of the QR payload (`core/qr/format.ts`, "Text"): numeric (`1-` + decimal digits,
 * for QR codes) and base64url (`1.` + unpadded base64url, for links).
 */
import { fromBase64Url, toBase64Url } from "../bytes.ts";
import { CREDENTIAL_PAYLOAD_VERSION, MAX_CREDENTIAL_PAYLOAD_BYTES, malformed } from "./format.ts";

/** Text prefix of a format-1 payload in base64url form. */
const BASE64URL_PREFIX = "1.";
/** Text prefix of a format-1 payload in numeric form. */
const NUMERIC_PREFIX = "1-";
/** Digits of a numeric-form group of 0..7 bytes. */
const GROUP_DIGITS = [0, 3, 5, 8, 10, 13, 15, 17];

/** Numeric form: 7-byte groups as 17 decimal digits, a last shorter group as fewer (see `core/qr/format.ts`). */
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

/**
 * The text of payload bytes: `1-` + digits (`numeric`) or `1.` + unpadded base64url (`base64url`).
 */
export function payloadText(bytes: Uint8Array, form: "numeric" | "base64url"): string {
  return form === "numeric" ? NUMERIC_PREFIX + toDigits(bytes) : BASE64URL_PREFIX + toBase64Url(bytes);
}

/**
 * The payload bytes of a payload text in either form (already trimmed, without the URL before `#`).
 *
 * @throws CoreError `MALFORMED` for an empty or oversized text, an unknown prefix or format, bad digits
 *   or bad base64url.
 */
export function payloadBytes(payload: string): Uint8Array {
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
      malformed(
        `The credential payload has format ${version[1]}; this verifier reads format ${CREDENTIAL_PAYLOAD_VERSION}`,
      );
    }
    malformed(`The credential payload does not start with "${NUMERIC_PREFIX}" or "${BASE64URL_PREFIX}"`);
  }
  return bytes;
}
