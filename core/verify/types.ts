/**
 * The verification result (DESIGN.md, "Verification result") and the fragment each check returns.
 * The result is plain JSON: no `undefined` values, no bigints, no class instances.
 */
import type { Hex, JsonValue } from "../credential.ts";
import type { CheckId, CheckStatus, ReasonCode, VerificationStatus } from "./codes.ts";

/** A message in English and Traditional Chinese (Hong Kong). */
export type LocalizedMessage = { en: string; "zh-HK": string };

/**
 * What one check returns. `reason` is set exactly when `status` is `fail` or `error`: the verdict reads
 * it, the result's `checks` entries leave it out (the reasons are listed once, in `reasons`).
 */
export type CheckFragment = {
  id: CheckId;
  status: CheckStatus;
  message: LocalizedMessage;
  reason?: ReasonCode;
};

/** One entry of {@link VerificationResult.checks}. */
export type CheckResult = {
  id: CheckId;
  status: CheckStatus;
  message: LocalizedMessage;
};

/** The certificate as the credential discloses it. */
export type CertificateSummary = {
  /** The credential id, `urn:uuid:...`. */
  id: string;
  /** The certificate type id, e.g. `csb-cre`. */
  type: string;
  /** The disclosed `credentialSubject` without its `type`: certificate number and fields, as in the credential. */
  fields: { [field: string]: JsonValue };
  /** JSON pointers of the claims the holder hid (selective disclosure); empty when none. */
  hidden: string[];
  validFrom: string;
  /** `null` for permanent types. */
  validUntil: string | null;
  /** The credential digest of the renewal that replaced this certificate; only when it is superseded. */
  successor?: Hex;
};

/** The issuer as registered on chain. */
export type IssuerSummary = {
  /** E.g. `CSB`. */
  id: string;
  name: LocalizedMessage;
  domain: string;
};

/** Where and when the certificate's root was anchored, as read from the chain. */
export type AnchorSummary = {
  chainId: number;
  /** EIP-55 checksummed. */
  registry: string;
  root: Hex;
  /** The anchoring transaction; `null` when no endpoint returned its `RootAnchored` log. */
  txHash: Hex | null;
  blockNumber: number;
  /** ISO 8601, UTC, whole seconds. */
  anchoredAt: string;
};

/** The result of `verify`: the same JSON from the core, the CLI, the API and the verifier page. */
export type VerificationResult = {
  status: VerificationStatus;
  /** Empty when VALID; otherwise the reasons in check order, each once. */
  reasons: ReasonCode[];
  /** Every check of `CHECK_IDS`, in that order. */
  checks: CheckResult[];
  /** `null` when no credential could be read. */
  certificate: CertificateSummary | null;
  /** `null` unless the root is anchored in the trusted registry and the chain was read. */
  issuer: IssuerSummary | null;
  /** `null` unless the root is anchored in the trusted registry and the chain was read. */
  anchor: AnchorSummary | null;
};
