/**
 * Why a department revoked or suspended a certificate: the `uint8` reason code the registry stores with
 * the change, with its name (used by the API and the CLI) and its words in both languages (shown by the
 * verifier). Codes are only ever added, never changed or reused.
 */
export const REVOCATION_REASONS = Object.freeze({
  unspecified: { code: 0, en: "No reason given", "zh-HK": "未註明原因" },
  "issued-in-error": { code: 1, en: "Issued in error", "zh-HK": "錯誤簽發" },
  "key-compromise": { code: 2, en: "The issuer's key was compromised", "zh-HK": "簽發機構的密鑰外洩" },
  fraud: { code: 3, en: "Obtained by fraud", "zh-HK": "以欺詐手段取得" },
  "licence-cancelled": { code: 4, en: "Licence cancelled", "zh-HK": "牌照已被取消" },
  "under-investigation": { code: 5, en: "Under investigation", "zh-HK": "正接受調查" },
  "non-compliance": { code: 6, en: "Conditions not complied with", "zh-HK": "未有遵守條件" },
  superseded: { code: 7, en: "Replaced by a renewal", "zh-HK": "已由續期證書取代" },
} as const);

export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** The reasons a department gives when it revokes or suspends: all but "superseded", which the service sets on renewal. */
export type DepartmentReason = Exclude<RevocationReason, "superseded">;
export const DEPARTMENT_REASONS: readonly DepartmentReason[] = Object.freeze(
  (Object.keys(REVOCATION_REASONS) as RevocationReason[]).filter((r): r is DepartmentReason => r !== "superseded"),
);

/** The reason whose code is `code`, if any. */
export function revocationReasonOf(code: number): RevocationReason | undefined {
  return (Object.keys(REVOCATION_REASONS) as RevocationReason[]).find((name) => REVOCATION_REASONS[name].code === code);
}
