/**
 * # QR code / share-link payload (trust model point 5): the public API
 *
 * A credential travels in the fragment of a verifier URL, `https://verify.example.hk/#<payload>`; the
 * payload carries everything a verifier needs to rebuild the exact credential and recompute its digest,
 * with no issuer server. The format (text forms, bytes, limits, sizes) is described in
 * `core/qr/format.ts`.
 */
import type { Credential } from "../credential.ts";
import { CoreError, isCoreError } from "../errors.ts";
import { decodeCredentialBytes } from "./decode.ts";
import { encodeCredentialBytes } from "./encode.ts";
import { MAX_INPUT_CHARS, malformed } from "./format.ts";
import { payloadBytes, payloadText } from "./text.ts";

export { CREDENTIAL_PAYLOAD_VERSION, MAX_CREDENTIAL_PAYLOAD_BYTES } from "./format.ts";

/** Options of {@link encodeCredentialPayload} and {@link encodeCredentialUrl}. */
export type EncodeCredentialPayloadOptions = {
  /**
   * `"numeric"` (default): decimal digits, the smallest QR code. `"base64url"`: the shortest text, for
   * links that people paste or type. Both decode the same.
   */
  form?: "numeric" | "base64url";
};

/**
 * The QR / share-link payload of a credential (see `core/qr/format.ts`): `1-` + digits, or `1.` +
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
  return payloadText(encodeCredentialBytes(credential), form);
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
    if (payload.length > MAX_INPUT_CHARS)
      malformed(`The credential payload is longer than ${MAX_INPUT_CHARS} characters`);
    return decodeCredentialBytes(payloadBytes(payload.trim()));
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
export function encodeCredentialUrl(
  verifierBaseUrl: string,
  credential: Credential,
  options: EncodeCredentialPayloadOptions = {},
): string {
  let url: URL | undefined;
  try {
    url = typeof verifierBaseUrl === "string" ? new URL(verifierBaseUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || verifierBaseUrl.includes("#")) {
    throw new CoreError(
      "INVALID_ARGUMENT",
      "The verifier base URL must be an absolute http(s) URL without a # fragment",
    );
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
    return decodeCredentialBytes(payloadBytes((hash >= 0 ? url.slice(hash + 1) : url).trim()));
  });
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
