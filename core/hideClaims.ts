import { analyseCredential, claimSlots, copyJson, fieldDigest } from "./credential.ts";
import type { Credential } from "./credential.ts";
import { CoreError } from "./errors.ts";
import { pathTokens } from "./types/index.ts";
import type { CertificateTypeSchema, DisclosureRule } from "./types/index.ts";

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
 *   number, fields the schema marks not hideable), or a hide that would leave none of a schema disclosure
 *   rule's columns disclosed (details: `pointers`, `columns`, and the rule's bilingual `reason`; the
 *   message holds the reason in English and Chinese); a credential that already breaks a rule is not
 *   refused for hiding other claims; `UNKNOWN_CLAIM` for a pointer that addresses no claim;
 *   `MALFORMED` / `UNKNOWN_TYPE` for a credential `computeCredentialDigest` would reject.
 *
 * @example
 * ```ts
 * const shared = hideClaims(vc, ["/credentialSubject/hkidPartial", "/credentialSubject/results/uc"]);
 * computeCredentialDigest(shared) === computeCredentialDigest(vc); // true
 * ```
 */
export function hideClaims(credential: Credential, pointers: HideClaimsParameters): HideClaimsResult {
  const { schema, claims, toHide } = planHide(credential, pointers);
  const broken = brokenRule(schema, claims, toHide);
  if (broken) {
    const { rule, pointers: guarded } = broken;
    throw new CoreError(
      "NOT_HIDEABLE",
      `${guarded.join(" and ")} may not all be hidden: ${rule.reason.en} ${rule.reason["zh-HK"]}`,
      { details: { pointers: guarded, columns: [...rule.atLeastOneOf], reason: { ...rule.reason } } },
    );
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

/**
 * The schema's disclosure rule (see `DisclosureRule` in `core/types/schema.ts`) that hiding `pointers`
 * would break, if any: the rule `hideClaims` would refuse the same pointers for. The candidate page asks
 * this to disable the box that would break a rule and say why.
 *
 * @throws CoreError as `hideClaims` does for a pointer that is not a hideable claim, or a bad credential.
 * @example
 * ```ts
 * brokenDisclosureRule(vc, ["/credentialSubject/name"])?.reason.en; // "At least one name must stay shown: ..."
 * ```
 */
export function brokenDisclosureRule(
  credential: Credential,
  pointers: HideClaimsParameters,
): DisclosureRule | undefined {
  const { schema, claims, toHide } = planHide(credential, pointers);
  return brokenRule(schema, claims, toHide)?.rule;
}

/** The claims `pointers` would hide, checked as `hideClaims` checks them (every one a hideable claim). */
function planHide(
  credential: Credential,
  pointers: HideClaimsParameters,
): { schema: CertificateTypeSchema; claims: Map<string, unknown>; toHide: Set<string> } {
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
  return { schema, claims, toHide };
}

/**
 * The first rule of the schema this hide breaks: it hides one of the rule's claims and leaves none of them
 * disclosed. A hide that touches none of a rule's claims never breaks it, so a credential that already
 * broke a rule (made before it) can still have its other claims hidden.
 */
function brokenRule(
  schema: CertificateTypeSchema,
  claims: Map<string, unknown>,
  toHide: Set<string>,
): { rule: DisclosureRule; pointers: string[] } | undefined {
  for (const rule of schema.disclosure ?? []) {
    const guarded = rule.atLeastOneOf.map(
      (name) => "/credentialSubject" + schema.columns.find((c) => c.column === name)!.path,
    );
    const hidesOne = guarded.some((p) => toHide.has(p));
    const keepsOne = guarded.some((p) => claims.has(p) && !toHide.has(p));
    if (hidesOne && !keepsOne) return { rule, pointers: guarded };
  }
  return undefined;
}
