import { CHECK_IDS } from "./codes.ts";
import type { CheckId, ReasonCode, VerificationStatus } from "./codes.ts";
import type { CheckFragment } from "./types.ts";

/**
 * The checks that must pass for VALID, whatever the input: what makes a certificate one (read, its digest
 * reaching an anchored root of the trusted network, its issuer, its status, its dates). The PDF's own
 * checks are not here: a QR URL or a credential has no PDF signature.
 */
export const REQUIRED_FOR_VALID: readonly CheckId[] = Object.freeze([
  "well-formed",
  "credential-digest",
  "merkle-proof",
  "network",
  "anchor",
  "issuer",
  "certificate-status",
  "validity-period",
]);

/** The status and reasons a set of check fragments amounts to. */
export type VerdictResult = { status: VerificationStatus; reasons: ReasonCode[] };

/**
 * The verdict: a pure function of the check fragments (OpenAttestation's `isValid` over fragments).
 *
 * 1. **INVALID** when any check `fail`s. The reasons are those of the failed checks, in check order
 *    (`CHECK_IDS`), each once. A failed check always proves the certificate is not valid whatever the
 *    chain would answer (a changed byte, a digest that no longer reaches the root, an expiry date that
 *    has passed, a credential for another network), so it is reported even when the chain could not be
 *    read; the checks that needed the chain are then listed with status `error`.
 * 2. Otherwise **UNABLE_TO_CHECK** when any check is `error`, with their reasons: `["CHAIN_UNREACHABLE"]`
 *    or `["CHAIN_DISAGREEMENT"]` (the only reasons an `error` carries). An unreachable chain, or
 *    endpoints that disagree, therefore never turn into INVALID, and never into VALID.
 * 3. Otherwise **VALID**, no reasons, if every check of {@link REQUIRED_FOR_VALID} passed: `skip` counts
 *    against a certificate only there (a check skips when it does not apply, such as the PDF signature of
 *    a QR URL, or when another check already failed). When one of them did not pass and nothing failed,
 *    nothing proves the certificate (an input with nothing in it to check): **INVALID**, `MALFORMED`.
 *
 * @param fragments what the checks returned (any order).
 * @returns `{ status, reasons }`.
 * @example
 * ```ts
 * verdict([{ id: "merkle-proof", status: "fail", reason: "TAMPERED", message }]);
 * // { status: "INVALID", reasons: ["TAMPERED"] }
 * ```
 */
export function verdict(fragments: readonly CheckFragment[]): VerdictResult {
  const ordered = [...fragments].sort((a, b) => CHECK_IDS.indexOf(a.id) - CHECK_IDS.indexOf(b.id));
  const reasonsOf = (status: "fail" | "error"): ReasonCode[] => {
    const reasons: ReasonCode[] = [];
    for (const fragment of ordered) {
      if (fragment.status !== status) continue;
      // A fragment without a reason is a programming error; it must still never read as VALID.
      const reason = fragment.reason ?? (status === "fail" ? "MALFORMED" : "CHAIN_UNREACHABLE");
      if (!reasons.includes(reason)) reasons.push(reason);
    }
    return reasons;
  };
  const failed = reasonsOf("fail");
  if (failed.length > 0) return { status: "INVALID", reasons: failed };
  const unknown = reasonsOf("error");
  if (unknown.length > 0) return { status: "UNABLE_TO_CHECK", reasons: unknown };
  const passed = new Set(ordered.filter((f) => f.status === "pass").map((f) => f.id));
  if (!REQUIRED_FOR_VALID.every((id) => passed.has(id))) return { status: "INVALID", reasons: ["MALFORMED"] };
  return { status: "VALID", reasons: [] };
}
