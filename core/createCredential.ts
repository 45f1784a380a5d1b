import {
  CREDENTIAL_CONTEXT,
  CREDENTIAL_TYPES,
  PROOF_TYPE,
  SALT_BYTES,
  checkClaimsAgainstSchema,
  collectClaims,
  copyJson,
  credentialDigestFromFieldDigestBytes,
  fieldDigestInto,
  issuerUrn,
  schemaUrn,
} from "./credential.ts";
import type { CertificateRecord, Credential, Hex } from "./credential.ts";
import { toBase64Url, toHex } from "./bytes.ts";
import { CoreError } from "./errors.ts";
import { isoSeconds } from "./time.ts";
import { getCertificateType } from "./types/index.ts";

/** Fills `array` with cryptographically secure random bytes and returns it (`crypto.getRandomValues`). */
export type GetRandomValues = (array: Uint8Array) => Uint8Array;

export type CreateCredentialParameters = {
  /** A validated certificate, from `validateCsv` or `validateRecord`. */
  record: CertificateRecord;
  /**
   * The CSPRNG for the salts and the credential id. Default: `globalThis.crypto.getRandomValues`.
   * Inject a deterministic one only for test vectors.
   */
  getRandomValues?: GetRandomValues;
  /** The clock: `validFrom` of a permanent type is `now()` (whole seconds, UTC). Default: `new Date()`. */
  now?: () => Date;
};

export type CreateCredentialResult = {
  /** The credential with every claim disclosed, without `proof.merkle` (see `withMerkleProof`). */
  credential: Credential;
  /** Its credential digest: the batch Merkle leaf. */
  digest: Hex;
};

/**
 * The default CSPRNG, `globalThis.crypto.getRandomValues`, drawn 64 KiB at a time (its per-call limit)
 * and handed out in slices: one system call per ~180 credentials instead of one per credential.
 * Every byte is used once. An injected generator is called directly, once per credential.
 */
const pool = new Uint8Array(65536);
let poolOffset = pool.length;
const defaultGetRandomValues: GetRandomValues = (array) => {
  if (array.length > pool.length) {
    for (let i = 0; i < array.length; i += pool.length)
      globalThis.crypto.getRandomValues(array.subarray(i, i + pool.length));
    return array;
  }
  if (poolOffset + array.length > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  array.set(pool.subarray(poolOffset, poolOffset + array.length));
  pool.fill(0, poolOffset, poolOffset + array.length); // used bytes do not linger in memory
  poolOffset += array.length;
  return array;
};

/** UUID v4 (RFC 9562 section 5.4) from 16 random bytes. */
function uuidV4(bytes: Uint8Array): string {
  const b = bytes.slice(0, 16);
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const hex = toHex(b).slice(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A date-time in whole seconds, UTC: `2026-09-30T08:15:00Z`. */
function clockSeconds(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new CoreError("INVALID_ARGUMENT", "The clock returned an invalid date");
  return isoSeconds(date);
}

/**
 * Builds the Verifiable Credential of one certificate: envelope, subject, one fresh 16-byte salt per
 * claim, and the credential digest (see `core/credential.ts` for the format).
 *
 * @param parameters.record a validated record (its `subject.type` selects the certificate type).
 * @param parameters.getRandomValues CSPRNG, default `globalThis.crypto.getRandomValues`.
 * @param parameters.now clock, default `() => new Date()`.
 * @returns the credential and its digest.
 * @throws CoreError `INVALID_RECORD` when the record does not fit its type (a field the type does not
 *   define, a missing required field, a missing or unexpected validity date); `UNKNOWN_TYPE`.
 *
 * @example
 * ```ts
 * const { records } = validateCsv(bytes, "csb-cre");
 * const issuedAt = new Date();
 * const issued = records.map((record) => createCredential({ record, now: () => issuedAt }));
 * const tree = buildMerkleTree(issued.map((c) => c.digest));
 * ```
 */
export function createCredential(parameters: CreateCredentialParameters): CreateCredentialResult {
  const { record, getRandomValues = defaultGetRandomValues, now = () => new Date() } = parameters;
  const schema = getCertificateType(record?.subject?.type);
  const invalid = (message: string): never => {
    throw new CoreError("INVALID_RECORD", message);
  };
  let validFrom: string;
  let validUntil: string | undefined;
  if (schema.validity.kind === "period") {
    if (typeof record.validFrom !== "string" || typeof record.validUntil !== "string") {
      return invalid(`A ${schema.id} record needs validFrom and validUntil`);
    }
    validFrom = record.validFrom;
    validUntil = record.validUntil;
  } else {
    if (record.validFrom !== undefined || record.validUntil !== undefined) {
      return invalid(`A ${schema.id} certificate is permanent: its record has no validFrom or validUntil`);
    }
    validFrom = clockSeconds(now());
  }

  const credential: Credential = {
    "@context": [CREDENTIAL_CONTEXT],
    type: [...CREDENTIAL_TYPES],
    id: "",
    issuer: issuerUrn(schema.issuer),
    validFrom,
    ...(validUntil === undefined ? {} : { validUntil }),
    credentialSchema: { id: schemaUrn(schema), type: "JsonSchema" },
    // A copy, so that the caller's record and the credential never share (and mutate) objects.
    credentialSubject: copyJson(record.subject),
    proof: { type: PROOF_TYPE, salts: {}, hidden: {} },
  };
  const claims = collectClaims(credential as unknown as Record<string, unknown>, "INVALID_RECORD");
  checkClaimsAgainstSchema(schema, claims, new Set(), "INVALID_RECORD");
  // One call for the id and every salt: 16 bytes each.
  const random = new Uint8Array(16 + SALT_BYTES * claims.size);
  getRandomValues(random);
  credential.id = `urn:uuid:${uuidV4(random)}`;
  claims.set("/id", credential.id);

  const digests = new Uint8Array(32 * claims.size);
  let i = 0;
  for (const [pointer, value] of claims) {
    const offset = 16 + SALT_BYTES * i;
    const salt = toBase64Url(random.subarray(offset, offset + SALT_BYTES));
    credential.proof.salts[pointer] = salt;
    fieldDigestInto(salt, pointer, value, digests, 32 * i++);
  }
  return { credential, digest: credentialDigestFromFieldDigestBytes(digests, claims.size) };
}
