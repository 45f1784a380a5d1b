import { CHECK_IDS } from "./codes.ts";
import type { ReasonCode, VerificationStatus } from "./codes.ts";
import type { CheckFragment } from "./types.ts";

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
 *    (the only reason an `error` carries). An
 *    unreachable chain therefore never turns into INVALID, and never into VALID.
 * 3. Otherwise **VALID**, no reasons. `skip` never counts against a certificate: a check skips only when
 *    it does not apply (no PDF signature for a QR URL) or when another check already failed.
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
  return { status: "VALID", reasons: [] };
}
