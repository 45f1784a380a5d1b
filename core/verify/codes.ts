/**
 * The frozen vocabulary of a verification result (DESIGN.md, "Verification result"): reason codes, check
 * ids, check statuses and verdicts. The CLI, the API, the verifier page and outside tools branch on these
 * strings, so, as with OpenAttestation's `src/types/error.ts`: a published value is never renamed,
 * reused or given another meaning; new values are only ever added at the end.
 */

/**
 * Why a certificate is not VALID. Every code but `CHAIN_UNREACHABLE` and `CHAIN_DISAGREEMENT` comes with
 * status `INVALID`; those two come only with `UNABLE_TO_CHECK`.
 */
export const REASON_CODES = Object.freeze([
  /** The input is not a PDF, credential or verifier URL this verifier can read, or the credential breaks the format. */
  "MALFORMED",
  /** The PDF changed after signing (any byte, an appended update), or a field no longer matches the anchored digest. */
  "TAMPERED",
  /** The PDF carries no PAdES signature. */
  "SIGNATURE_MISSING",
  /** The PDF's signature is valid, but its certificate is not registered on chain for the issuer. */
  "SIGNER_NOT_REGISTERED",
  /** The Merkle root is not anchored in the trusted registry (or the credential has no Merkle proof). */
  "NOT_ANCHORED",
  /** The root was anchored by an issuer other than the credential's, or the issuer is deactivated. */
  "UNKNOWN_ISSUER",
  /** The root was anchored by a signer whose key was not valid at that time (cut off, or not yet valid). */
  "ISSUER_KEY_REVOKED",
  /** The certificate, or its whole batch, is revoked. */
  "REVOKED",
  /** The certificate is suspended. */
  "SUSPENDED",
  /** The certificate was replaced by a renewal (`certificate.successor`). */
  "SUPERSEDED",
  /** `validUntil` has passed. */
  "EXPIRED",
  /** `validFrom` has not come yet. */
  "NOT_YET_VALID",
  /** The credential names a chain id or registry other than the ones this verifier trusts. */
  "WRONG_NETWORK",
  /**
   * No JSON-RPC endpoint of the trusted chain answered (with a quorum of k endpoints: fewer than k
   * answered).
   */
  "CHAIN_UNREACHABLE",
  /**
   * With a quorum of k >= 2 endpoints: the endpoints that answered gave different answers about the
   * certificate (its status, its anchoring transaction, or the chain's latest block): one of them may be
   * lying, so nothing is believed.
   */
  "CHAIN_DISAGREEMENT",
] as const);

export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * The checks, in the order they appear in `checks` (and in which their reasons are listed).
 * - `well-formed`: the input is read: a PDF with the credential attachment, credential JSON, or a QR URL.
 * - `pdf-signature`: PAdES signature valid, covering the whole file, nothing appended (PDF only).
 * - `signing-certificate`: the signature's certificate is registered on chain for the issuer (PDF only).
 * - `credential-digest`: the digest recomputed from the disclosed fields and the hidden-field digests.
 * - `merkle-proof`: the digest leads through the Merkle path to the root.
 * - `network`: the credential names the trusted chain id and registry.
 * - `anchor`: the root is anchored, by a signer that was valid at that time.
 * - `issuer`: the anchoring issuer is the credential's issuer, registered and active.
 * - `certificate-status`: neither the certificate nor its batch is revoked, suspended or superseded.
 * - `validity-period`: `validFrom` <= now <= `validUntil`.
 */
export const CHECK_IDS = Object.freeze([
  "well-formed",
  "pdf-signature",
  "signing-certificate",
  "credential-digest",
  "merkle-proof",
  "network",
  "anchor",
  "issuer",
  "certificate-status",
  "validity-period",
] as const);

export type CheckId = (typeof CHECK_IDS)[number];

/**
 * The outcome of one check: `pass`; `fail` (the certificate is not valid, for the check's reason);
 * `skip` (does not apply, e.g. no PDF signature for a QR URL, or an earlier step gave it nothing to
 * check); `error` (could not be determined: the chain could not be read).
 */
export const CHECK_STATUSES = Object.freeze(["pass", "fail", "skip", "error"] as const);

export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** The verdict. */
export const VERIFICATION_STATUSES = Object.freeze(["VALID", "INVALID", "UNABLE_TO_CHECK"] as const);

export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];
