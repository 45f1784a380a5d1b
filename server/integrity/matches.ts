/**
 * Cheap, pure comparisons of what is about to be stored (or was stored) against what it must belong to:
 * a credential against its row (type, issuer, certificate number), a PDF against its credential and the
 * batch's Merkle anchor. The issuance pipeline calls them before storing anything, and `certs check`
 * (`check.ts`) calls them over the whole database.
 *
 * Each returns `undefined` when everything matches, otherwise one short English sentence naming what
 * differs. Messages may name certificate numbers, credential ids, type ids, issuer ids and hashes; they
 * never contain personal values (names, HKIDs, results).
 */
import { issuerUrn } from "../../core/credential.ts";
import { scanPdf } from "../../core/verify/scanPdf.ts";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value for a message: short strings as they are, anything else by its JSON type. */
function shown(value: unknown): string {
  if (typeof value === "string")
    return value.length <= 80 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 77))}...`;
  if (value === undefined) return "missing";
  if (value === null) return "null";
  return `a${Array.isArray(value) ? "n array" : ` ${typeof value}`}`;
}

/**
 * Whether a credential is the one of its row: `credentialSubject.type` is the row's type,
 * `issuer` is `urn:hk-ecert:issuer:<issuerId>` and `credentialSubject.certificateNumber` is the row's
 * certificate number.
 *
 * @param credentialJson the credential's JSON text (as stored)
 * @param expected the row's type id, issuer id and certificate number
 * @returns undefined when all three match; otherwise what differs, e.g.
 *   `credentialSubject.certificateNumber is "CRE-2" where the row has "CRE-1"`
 *
 * @example
 * ```ts
 * const problem = credentialMismatch(json[i], { typeId, issuerId, certificateNumber: row.certificateNumber });
 * if (problem) throw new Error(`row ${row.row}: ${problem}`);
 * ```
 */
export function credentialMismatch(
  credentialJson: string,
  expected: { typeId: string; issuerId: string; certificateNumber: string },
): string | undefined {
  let credential: unknown;
  try {
    credential = JSON.parse(credentialJson);
  } catch {
    return "the credential is not JSON";
  }
  return credentialObjectMismatch(credential, expected);
}

/** {@link credentialMismatch} for a credential already parsed. */
export function credentialObjectMismatch(
  credential: unknown,
  expected: { typeId: string; issuerId: string; certificateNumber: string },
): string | undefined {
  if (!isObject(credential)) return "the credential is not a JSON object";
  const subject = credential.credentialSubject;
  if (!isObject(subject)) return "the credential has no credentialSubject";
  const problems: string[] = [];
  if (subject.type !== expected.typeId) {
    problems.push(`credentialSubject.type is ${shown(subject.type)} where the row has ${shown(expected.typeId)}`);
  }
  const issuer = issuerUrn(expected.issuerId);
  if (credential.issuer !== issuer)
    problems.push(`issuer is ${shown(credential.issuer)} where the row's is ${shown(issuer)}`);
  if (subject.certificateNumber !== expected.certificateNumber) {
    problems.push(
      `credentialSubject.certificateNumber is ${shown(subject.certificateNumber)} where the row has ${shown(expected.certificateNumber)}`,
    );
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/** What {@link comparePdf} found: the mismatch, if any, and the embedded credential when it could be read. */
export type PdfComparison = { mismatch: string | undefined; embedded: JsonObject | undefined };

/**
 * Whether a PDF is the one of its credential: the credential embedded in it has the same `id`,
 * `credentialSubject.certificateNumber` and `credentialSubject.type` as `expected.credentialJson`, its
 * `proof.merkle.root` is `root` (and its `proof.merkle.path` is `path`, when given), and the PDF carries a
 * signature (present and well-formed; the CMS is not verified here, nor the digest recomputed: this runs
 * for every PDF of a batch on the main thread, and costs one scan of the file).
 *
 * @param pdf the PDF's bytes
 * @param expected the credential's JSON text (as stored: without its Merkle proof), the batch root, and
 *   the certificate's Merkle path
 * @returns undefined when it matches; otherwise what differs
 *
 * @example
 * ```ts
 * const problem = pdfMismatch(pdf, { credentialJson: row.credentialJson, root: tree.root, path: tree.proof(row.leafIndex) });
 * if (problem) throw new Error(`certificate ${row.id}: ${problem}`);
 * ```
 */
export function pdfMismatch(
  pdf: Uint8Array,
  expected: { credentialJson: string; root: string; path?: readonly string[] },
): string | undefined {
  return comparePdf(pdf, expected).mismatch;
}

/** {@link pdfMismatch}, also returning the embedded credential (so a caller can compare more of it). */
export function comparePdf(
  pdf: Uint8Array,
  expected: { credentialJson: string; root: string; path?: readonly string[] },
): PdfComparison {
  let own: unknown;
  try {
    own = JSON.parse(expected.credentialJson);
  } catch {
    return { mismatch: "the expected credential is not JSON", embedded: undefined };
  }
  const scan = scanPdf(pdf);
  if (!scan.credential.ok) return { mismatch: scan.credential.problem.en, embedded: undefined };
  const embedded = scan.credential.json;
  if (!isObject(embedded))
    return { mismatch: "the PDF's embedded credential is not a JSON object", embedded: undefined };
  const problems: string[] = [];
  const ownObject = isObject(own) ? own : {};
  const ownSubject = isObject(ownObject.credentialSubject) ? ownObject.credentialSubject : {};
  const subject = isObject(embedded.credentialSubject) ? embedded.credentialSubject : {};
  if (embedded.id !== ownObject.id)
    problems.push(`it embeds credential ${shown(embedded.id)}, not ${shown(ownObject.id)}`);
  if (subject.certificateNumber !== ownSubject.certificateNumber) {
    problems.push(
      `it embeds certificate number ${shown(subject.certificateNumber)}, not ${shown(ownSubject.certificateNumber)}`,
    );
  }
  if (subject.type !== ownSubject.type)
    problems.push(`it embeds a credential of type ${shown(subject.type)}, not ${shown(ownSubject.type)}`);
  const proof = isObject(embedded.proof) ? embedded.proof : {};
  const merkle = isObject(proof.merkle) ? proof.merkle : undefined;
  if (!merkle) {
    problems.push("its credential has no Merkle proof");
  } else {
    if (typeof merkle.root !== "string" || merkle.root.toLowerCase() !== expected.root.toLowerCase()) {
      problems.push(`its Merkle root is ${shown(merkle.root)}, not the batch root ${expected.root}`);
    }
    if (expected.path !== undefined && !samePath(merkle.path, expected.path)) {
      problems.push(`its Merkle path is not the certificate's path in the batch tree`);
    }
  }
  if (scan.signature.state !== "present")
    problems.push(`its signature is ${scan.signature.state}: ${scan.signature.detail.en}`);
  return { mismatch: problems.length > 0 ? problems.join("; ") : undefined, embedded };
}

function samePath(actual: unknown, expected: readonly string[]): boolean {
  if (!Array.isArray(actual) || actual.length !== expected.length) return false;
  return actual.every((hash, i) => typeof hash === "string" && hash.toLowerCase() === expected[i].toLowerCase());
}
