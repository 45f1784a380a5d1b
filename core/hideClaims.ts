import { analyseCredential, claimSlots, copyJson, fieldDigest } from "./credential.ts";
import type { Credential } from "./credential.ts";
import { CoreError } from "./errors.ts";
import { pathTokens } from "./types/index.ts";

/**
 * The claims to hide, as JSON pointers. A pointer to an object hides every claim under it
 * (`/credentialSubject/name` hides `/name/en` and `/name/zh-HK`). A pointer that is already hidden is
 * ignored, so hiding is idempotent.
 */
export type HideClaimsParameters = readonly string[];

/** A new credential with the claims hidden; the input is not modified. */
export type HideClaimsResult = Credential;

/**
 * Selective disclosure: removes claims from a credential, each with its salt, and records each claim's
 * field digest under `proof.hidden`, so the credential digest is unchanged. Objects left empty are
 * removed. `proof.merkle` is kept.
 *
 * @param credential a valid credential (checked as `computeCredentialDigest` checks it).
 * @param pointers the claims to hide.
 * @returns a new credential.
 * @throws CoreError `NOT_HIDEABLE` for a claim that must stay disclosed (the envelope, the certificate
 *   number, fields the schema marks not hideable); `UNKNOWN_CLAIM` for a pointer that addresses no claim;
 *   `MALFORMED` / `UNKNOWN_TYPE` for a credential `computeCredentialDigest` would reject.
 *
 * @example
 * ```ts
 * const shared = hideClaims(vc, ["/credentialSubject/hkidPartial", "/credentialSubject/results/uc"]);
 * computeCredentialDigest(shared) === computeCredentialDigest(vc); // true
 * ```
 */
export function hideClaims(credential: Credential, pointers: HideClaimsParameters): HideClaimsResult {
  const { schema, claims } = analyseCredential(credential);
  const slots = claimSlots(schema);
  const hidden = credential.proof.hidden;
  const toHide = new Set<string>();
  for (const pointer of pointers) {
    if (typeof pointer !== "string") throw new CoreError("UNKNOWN_CLAIM", "A pointer to hide is not a string");
    if (Object.hasOwn(hidden, pointer)) continue;
    const under = [...claims.keys()].filter((p) => p === pointer || p.startsWith(pointer + "/"));
    if (under.length === 0 || pointer === "") {
      throw new CoreError("UNKNOWN_CLAIM", `${pointer.slice(0, 100)} is not a claim of this credential`, {
        details: { pointer },
      });
    }
    for (const p of under) {
      if (!slots.get(p)?.hideable)
        throw new CoreError("NOT_HIDEABLE", `${p} may not be hidden`, { details: { pointer: p } });
      toHide.add(p);
    }
  }

  const result = copyJson(credential);
  for (const pointer of toHide) {
    result.proof.hidden[pointer] = fieldDigest(credential.proof.salts[pointer], pointer, claims.get(pointer));
    delete result.proof.salts[pointer];
    // Remove the value, then every object the removal left empty.
    const tokens = pathTokens(pointer);
    const parents: Record<string, unknown>[] = [result as unknown as Record<string, unknown>];
    for (const token of tokens.slice(0, -1))
      parents.push(parents[parents.length - 1][token] as Record<string, unknown>);
    delete parents[parents.length - 1][tokens[tokens.length - 1]];
    for (let i = parents.length - 1; i > 0 && Object.keys(parents[i]).length === 0; i--) {
      delete parents[i - 1][tokens[i - 1]];
    }
  }
  return result;
}
