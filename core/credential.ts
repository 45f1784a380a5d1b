/**
 * # The HK e-Cert credential (trust model point 1)
 *
 * Each certificate is a W3C Verifiable Credential (Data Model 2.0) whose every claim is salted and hashed
 * on its own, so any hideable claim can be withheld (selective disclosure) while the credential digest,
 * the Merkle leaf anchored on chain, stays the same; and so that no low-entropy personal value (a name, a
 * partial HKID) can be guessed from anything public.
 *
 * ```json
 * { "@context": ["https://www.w3.org/ns/credentials/v2"],
 *   "type": ["VerifiableCredential", "HkECertCredential"],
 *   "id": "urn:uuid:<uuid v4>",
 *   "issuer": "urn:hk-ecert:issuer:<ISSUER_ID>",
 *   "validFrom": "<ISO 8601 date-time>", "validUntil": "<...>",          (validUntil: period types only)
 *   "credentialSchema": { "id": "urn:hk-ecert:schema:<typeId>:1", "type": "JsonSchema" },
 *   "credentialSubject": { "type": "<typeId>", "certificateNumber": "...", "name": { "en": "...", "zh-HK": "..." }, ... },
 *   "proof": { "type": "HkECertMerkleProof2026",
 *              "salts": { "<json pointer>": "<base64url, 16 bytes>", ... },
 *              "hidden": { "<json pointer>": "0x<sha256 hex>", ... },
 *              "merkle": { "root": "0x..", "path": ["0x..", ...], "chainId": 31337, "registry": "0x.." } } }
 * ```
 *
 * ## Claims
 * The claims are the leaf values of the document without `proof`: objects are walked recursively;
 * arrays, strings, numbers, booleans and null are leaf values (an array is one claim). A claim is
 * addressed by its RFC 6901 JSON pointer, e.g. `/credentialSubject/name/zh-HK`. Which claims a
 * credential may have is fixed by its type's schema (`core/types/`): the envelope claims listed below
 * plus one claim per schema column, at `"/credentialSubject" + column.path`. Optional columns left
 * empty are simply absent. Objects are never empty (hiding the last claim of an object removes it).
 *
 * ## Digests
 * - Every claim has its own salt: 16 bytes from the injected CSPRNG, base64url without padding
 *   (22 characters), in `proof.salts` under the claim's pointer.
 * - Field digest = sha256(utf8(JCS([salt, pointer, value]))), JCS being RFC 8785 (`canonicalize`),
 *   `salt` the base64url string, `value` the JSON value of the claim.
 * - Credential digest = keccak256(utf8("hk-ecert:credential:v1") || field digests sorted ascending as
 *   32-byte values). The domain prefix makes the hashed input 23 + 32n bytes long, so a credential digest
 *   can never equal a 64-byte internal Merkle node (`core/merkle.ts`).
 *
 * ## Selective disclosure
 * Hiding a claim removes it from the document and its salt from `proof.salts`, and puts its field digest
 * in `proof.hidden` under the same pointer: the credential digest is unchanged. Never hideable:
 * `/@context`, `/type`, `/id`, `/issuer`, `/validFrom`, `/validUntil`, `/credentialSchema/*`,
 * `/credentialSubject/type`, `/credentialSubject/certificateNumber`, and every column the schema marks
 * `hideable: false`.
 *
 * ## Strictness
 * `computeCredentialDigest` rejects, with `CoreError("MALFORMED")`: a claim without a salt; a salt without
 * a claim; a hidden pointer that is not a claim slot of the type, or whose claim is still present, or
 * that is not hideable; a salt shorter than 16 bytes; a hidden digest that is not `0x` + 64 lowercase
 * hex; a claim outside the type's slots or of the wrong JSON type; a required claim neither disclosed nor
 * hidden; an envelope value that disagrees with the type (issuer, schema id, contexts).
 *
 * ## Dates
 * Period types: `validFrom` is the start of the `valid_from` day and `validUntil` the last second of the
 * `valid_until` day, Hong Kong time (`2026-10-08T00:00:00+08:00`, `2027-10-08T23:59:59+08:00`).
 * Permanent types: `validFrom` is the issuance time from the injected clock, in whole seconds, UTC.
 *
 * The functions live one per file: `createCredential.ts`, `computeCredentialDigest.ts`,
 * `hideClaims.ts`, `withMerkleProof.ts`. This file holds the types and the shared internals.
 */
import canonicalize from "canonicalize";
import { en as zodEnglish } from "zod/locales";
import * as z from "zod/mini";
import { base64UrlByteLength, compare32, isBytes32Hex, utf8, writeHex, toHex } from "./bytes.ts";
import { CoreError } from "./errors.ts";
import type { CoreErrorCode } from "./errors.ts";
import { keccak256Bytes } from "./keccak.ts";
import { sha256Into } from "./sha256.ts";
import { getCertificateType } from "./types/index.ts";
import type { CertificateTypeSchema, ColumnSchema } from "./types/index.ts";

export type Hex = `0x${string}`;

/** `@context` of every credential: the VC Data Model 2.0 base context. */
export const CREDENTIAL_CONTEXT = "https://www.w3.org/ns/credentials/v2";
/** `type` of every credential. */
export const CREDENTIAL_TYPES = ["VerifiableCredential", "HkECertCredential"] as const;
/** `proof.type` of every credential. */
export const PROOF_TYPE = "HkECertMerkleProof2026";
/** Domain prefix of the credential digest (see the module comment). */
export const CREDENTIAL_DIGEST_DOMAIN = "hk-ecert:credential:v1";
/** Salt length in bytes (128 bits). */
export const SALT_BYTES = 16;

/** `issuer` of a credential issued by department `issuerId`, e.g. `urn:hk-ecert:issuer:CSB`. */
export function issuerUrn(issuerId: string): string {
  return `urn:hk-ecert:issuer:${issuerId}`;
}

/** `credentialSchema.id` of a type, e.g. `urn:hk-ecert:schema:csb-cre:1`. */
export function schemaUrn(schema: Pick<CertificateTypeSchema, "id" | "version">): string {
  return `urn:hk-ecert:schema:${schema.id}:${schema.version}`;
}

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** `credentialSubject`: the type, the certificate number, and the schema's fields at their paths. */
export type CredentialSubject = {
  type: string;
  certificateNumber: string;
  [field: string]: JsonValue;
};

/** Where the credential's digest is anchored: added by `withMerkleProof` once the batch tree is built. */
export type MerkleAnchor = {
  /** Merkle root anchored on chain, `0x` + 64 lowercase hex. */
  root: Hex;
  /** Sibling hashes from the credential digest up to the root (OpenZeppelin `MerkleProof` order). */
  path: Hex[];
  /** EVM chain id of the registry. */
  chainId: number;
  /** Registry contract address (EIP-55 checksummed). */
  registry: string;
};

export type CredentialProof = {
  type: typeof PROOF_TYPE;
  /** Salt of every disclosed claim, by JSON pointer. */
  salts: Record<string, string>;
  /** Field digest of every hidden claim, by JSON pointer. */
  hidden: Record<string, Hex>;
  merkle?: MerkleAnchor;
};

/** An HK e-Cert Verifiable Credential (see the module comment). */
export type Credential = {
  "@context": string[];
  type: string[];
  id: string;
  issuer: string;
  validFrom: string;
  validUntil?: string;
  credentialSchema: { id: string; type: "JsonSchema" };
  credentialSubject: CredentialSubject;
  proof: CredentialProof;
};

/**
 * A validated certificate, ready to become a credential: what `validateCsv` / `validateRecord` return.
 * `validFrom` / `validUntil` are ISO 8601 date-times, present for period types only.
 */
export type CertificateRecord = {
  subject: CredentialSubject;
  validFrom?: string;
  validUntil?: string;
};

// ---------------------------------------------------------------------------------------------------
// Internals shared by the credential functions. Not part of the public API.
// ---------------------------------------------------------------------------------------------------

/** RFC 6901: escape one reference token. */
export function escapePointerToken(token: string): string {
  if (!token.includes("~") && !token.includes("/")) return token;
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** A deep copy of JSON data (a record's subject, a credential), faster than structuredClone for small objects. */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const copied = copyJson((value as Record<string, unknown>)[key]);
      // A "__proto__" key stays a key (and is then refused as an unknown field), never a prototype.
      if (key === "__proto__")
        Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
      else out[key] = copied;
    }
    return out as T;
  }
  return value;
}

/** A claim slot: a pointer a credential of the type may carry, and what may go there. */
export type ClaimSlot = {
  pointer: string;
  hideable: boolean;
  /** Must be disclosed or hidden (never absent). */
  required: boolean;
  /** The JSON type the value must have. */
  value: "string" | "string[]" | "integer";
  /** The schema column, for `credentialSubject` fields. */
  column?: ColumnSchema;
};

const slotCache = new WeakMap<CertificateTypeSchema, Map<string, ClaimSlot>>();

/** The claim slots of a type: the fixed envelope plus one per schema column. */
export function claimSlots(schema: CertificateTypeSchema): Map<string, ClaimSlot> {
  let slots = slotCache.get(schema);
  if (slots) return slots;
  slots = new Map();
  const fixed = (pointer: string, value: ClaimSlot["value"], required = true): void => {
    slots!.set(pointer, { pointer, hideable: false, required, value });
  };
  fixed("/@context", "string[]");
  fixed("/type", "string[]");
  fixed("/id", "string");
  fixed("/issuer", "string");
  fixed("/validFrom", "string");
  if (schema.validity.kind === "period") fixed("/validUntil", "string");
  fixed("/credentialSchema/id", "string");
  fixed("/credentialSchema/type", "string");
  fixed("/credentialSubject/type", "string");
  fixed("/credentialSubject/certificateNumber", "string");
  for (const column of schema.columns) {
    const pointer = "/credentialSubject" + column.path;
    if (pointer === "/credentialSubject/certificateNumber") continue;
    slots.set(pointer, {
      pointer,
      hideable: column.hideable,
      required: column.required,
      value: column.kind === "integer" ? "integer" : column.kind === "list" ? "string[]" : "string",
      column,
    });
  }
  slotCache.set(schema, slots);
  return slots;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether `value` is JSON: null, a string, a boolean, a finite number, or an array / plain object of JSON. */
function isJson(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (depth > 32) return false;
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  return isPlainObject(value) && Object.values(value).every((v) => isJson(v, depth + 1));
}

/**
 * The claims of a document (without `proof`), by pointer, in document order.
 * Throws `code` for an empty object or a value that is not JSON.
 */
export function collectClaims(document: Record<string, unknown>, code: CoreErrorCode): Map<string, unknown> {
  const claims = new Map<string, unknown>();
  const walk = (node: Record<string, unknown>, prefix: string, depth: number): void => {
    if (depth > 16) throw new CoreError(code, `Objects nested too deeply at ${prefix.slice(0, 100)}`);
    const keys = Object.keys(node);
    if (keys.length === 0 && prefix !== "") {
      throw new CoreError(code, `Empty object at ${prefix}`, { details: { pointer: prefix } });
    }
    for (const key of keys) {
      if (prefix === "" && key === "proof") continue;
      const pointer = `${prefix}/${escapePointerToken(key)}`;
      const value = node[key];
      if (isPlainObject(value)) {
        walk(value, pointer, depth + 1);
      } else if (isJson(value)) {
        claims.set(pointer, value);
      } else {
        throw new CoreError(code, `The value at ${pointer} is not JSON`, { details: { pointer } });
      }
    }
  };
  walk(document, "", 0);
  return claims;
}

/** Checks a claim value against its slot's JSON type. */
export function valueFitsSlot(slot: ClaimSlot, value: unknown): boolean {
  switch (slot.value) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

/**
 * Checks disclosed claims (and hidden pointers) against the slots of the type: every claim at a slot,
 * of the slot's JSON type; every hidden pointer a hideable slot with no claim; every required slot
 * either disclosed or hidden. Throws `code`.
 */
export function checkClaimsAgainstSchema(
  schema: CertificateTypeSchema,
  claims: Map<string, unknown>,
  hidden: ReadonlySet<string>,
  code: CoreErrorCode,
): void {
  const slots = claimSlots(schema);
  for (const [pointer, value] of claims) {
    const slot = slots.get(pointer);
    if (!slot)
      throw new CoreError(code, `${pointer} is not a field of a ${schema.id} credential`, { details: { pointer } });
    if (!valueFitsSlot(slot, value)) {
      throw new CoreError(code, `${pointer} must be a ${slot.value}`, { details: { pointer } });
    }
    if (hidden.has(pointer)) {
      throw new CoreError(code, `${pointer} is both disclosed and hidden`, { details: { pointer } });
    }
  }
  for (const pointer of hidden) {
    const slot = slots.get(pointer);
    if (!slot) {
      throw new CoreError(code, `Hidden entry ${pointer.slice(0, 100)} is not a field of a ${schema.id} credential`, {
        details: { pointer },
      });
    }
    if (!slot.hideable) throw new CoreError(code, `${pointer} may not be hidden`, { details: { pointer } });
  }
  for (const slot of slots.values()) {
    if (slot.required && !claims.has(slot.pointer) && !hidden.has(slot.pointer)) {
      throw new CoreError(code, `Required field ${slot.pointer} is missing`, { details: { pointer: slot.pointer } });
    }
  }
}

/**
 * True for a value whose RFC 8785 serialisation is exactly `JSON.stringify`'s: a string, a finite number,
 * a boolean, null, or an array of those (JCS only differs on object key order, and refuses non-finite
 * numbers). Every claim value of the certificate types is one; the check skips the slower general path.
 */
function isFlatJson(value: unknown): boolean {
  const scalar = (v: unknown) =>
    typeof v === "string" || typeof v === "boolean" || v === null || (typeof v === "number" && Number.isFinite(v));
  return scalar(value) || (Array.isArray(value) && value.every(scalar));
}

/** Reused buffer for the UTF-8 of one JCS string (grown when a claim needs more). */
let utf8Scratch = new Uint8Array(1024);
const textEncoder = new TextEncoder();

/** Field digest = sha256(utf8(JCS([salt, pointer, value]))), written as 32 bytes into `out` at `offset`. */
export function fieldDigestInto(salt: string, pointer: string, value: unknown, out: Uint8Array, offset: number): void {
  const canonical = isFlatJson(value) ? JSON.stringify([salt, pointer, value]) : canonicalize([salt, pointer, value]);
  if (canonical === undefined) throw new CoreError("MALFORMED", `The value at ${pointer} is not JSON`);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (utf8Scratch.length < canonical.length * 3) utf8Scratch = new Uint8Array(canonical.length * 3);
  const { written } = textEncoder.encodeInto(canonical, utf8Scratch);
  sha256Into(utf8Scratch, written, out, offset);
}

/** Field digest = sha256(utf8(JCS([salt, pointer, value]))), as `0x` + 64 lowercase hex. */
export function fieldDigest(salt: string, pointer: string, value: unknown): Hex {
  const out = new Uint8Array(32);
  fieldDigestInto(salt, pointer, value, out, 0);
  return toHex(out);
}

const DOMAIN_BYTES = utf8(CREDENTIAL_DIGEST_DOMAIN);

/**
 * Credential digest from `count` field digests stored back to back in `digests` (any order):
 * keccak256(domain || the digests sorted ascending as 32-byte values).
 */
export function credentialDigestFromFieldDigestBytes(digests: Uint8Array, count: number): Hex {
  const order = Array.from({ length: count }, (_, i) => i * 32).sort((a, b) => compare32(digests, a, digests, b));
  const input = new Uint8Array(DOMAIN_BYTES.length + 32 * count);
  input.set(DOMAIN_BYTES, 0);
  order.forEach((from, i) => input.set(digests.subarray(from, from + 32), DOMAIN_BYTES.length + 32 * i));
  return toHex(keccak256Bytes(input));
}

const bytes32 = z.string().check(z.regex(/^0x[0-9a-f]{64}$/, "must be 0x + 64 lowercase hex digits"));

/** The Merkle anchor as `withMerkleProof` writes it. */
export const merkleAnchorSchema = z.strictObject({
  root: bytes32,
  path: z.array(bytes32).check(z.maxLength(256)),
  chainId: z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
  registry: z.string().check(z.regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address")),
});

const envelopeSchema = z.looseObject({
  "@context": z.array(z.string()),
  type: z.array(z.string()),
  id: z
    .string()
    .check(
      z.regex(
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        "must be urn:uuid: + a lowercase UUID v4",
      ),
    ),
  issuer: z.string(),
  validFrom: z.string(),
  validUntil: z.optional(z.string()),
  credentialSchema: z.strictObject({ id: z.string(), type: z.literal("JsonSchema") }),
  credentialSubject: z.looseObject({ type: z.string(), certificateNumber: z.string() }),
  proof: z.strictObject({
    type: z.literal(PROOF_TYPE),
    salts: z.record(z.string(), z.string()),
    hidden: z.record(z.string(), z.string()),
    merkle: z.optional(merkleAnchorSchema),
  }),
});

/**
 * Parse options for the schemas above: zod's English messages ("Invalid input: expected string, received
 * number"), passed per parse rather than set globally. zod/mini has no messages of its own, and the full
 * zod (which sets these globally) is ten times larger in the browser bundle.
 */
export const ZOD_ENGLISH = { error: zodEnglish().localeError } as const;

/** An ISO 8601 date-time with seconds and a zone (xsd:dateTimeStamp as VC DM 2.0 requires). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A credential checked by {@link analyseCredential}. */
export type AnalysedCredential = {
  credential: Credential;
  schema: CertificateTypeSchema;
  /** Disclosed claims by pointer. */
  claims: Map<string, unknown>;
};

/**
 * Checks everything `computeCredentialDigest` promises to check, except the digests themselves, and
 * returns the parsed pieces. Throws `CoreError("MALFORMED")` (or `UNKNOWN_TYPE`).
 */
export function analyseCredential(input: unknown): AnalysedCredential {
  const parsed = envelopeSchema.safeParse(input, ZOD_ENGLISH);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = "/" + issue.path.map((p) => escapePointerToken(String(p))).join("/");
    throw new CoreError("MALFORMED", `Not an HK e-Cert credential: ${where} ${issue.message}`, {
      cause: parsed.error,
      details: { pointer: where },
    });
  }
  const credential = input as Credential;
  const schema = getCertificateType(credential.credentialSubject.type);
  const malformed = (message: string): never => {
    throw new CoreError("MALFORMED", message);
  };
  if (credential["@context"].length !== 1 || credential["@context"][0] !== CREDENTIAL_CONTEXT) {
    malformed(`@context must be ["${CREDENTIAL_CONTEXT}"]`);
  }
  if (
    credential.type.length !== 2 ||
    credential.type[0] !== CREDENTIAL_TYPES[0] ||
    credential.type[1] !== CREDENTIAL_TYPES[1]
  ) {
    malformed(`type must be ${JSON.stringify(CREDENTIAL_TYPES)}`);
  }
  if (credential.issuer !== issuerUrn(schema.issuer))
    malformed(`A ${schema.id} credential is issued by ${issuerUrn(schema.issuer)}`);
  if (credential.credentialSchema.id !== schemaUrn(schema))
    malformed(`credentialSchema.id must be ${schemaUrn(schema)}`);
  if (!DATE_TIME.test(credential.validFrom) || Number.isNaN(Date.parse(credential.validFrom))) {
    malformed("validFrom must be an ISO 8601 date-time with a time zone");
  }
  if (schema.validity.kind === "period") {
    if (
      credential.validUntil === undefined ||
      !DATE_TIME.test(credential.validUntil) ||
      Number.isNaN(Date.parse(credential.validUntil))
    ) {
      malformed("validUntil must be an ISO 8601 date-time with a time zone");
    }
  } else if ("validUntil" in credential) {
    malformed(`A ${schema.id} credential is permanent and has no validUntil`);
  }
  const { salts, hidden } = credential.proof;
  const claims = collectClaims(credential as unknown as Record<string, unknown>, "MALFORMED");
  checkClaimsAgainstSchema(schema, claims, new Set(Object.keys(hidden)), "MALFORMED");
  for (const pointer of claims.keys()) {
    if (!Object.hasOwn(salts, pointer)) malformed(`Claim ${pointer} has no salt`);
  }
  for (const [pointer, salt] of Object.entries(salts)) {
    if (!claims.has(pointer)) malformed(`Salt for ${pointer.slice(0, 100)}, which is not a disclosed claim`);
    if (base64UrlByteLength(salt) < SALT_BYTES)
      malformed(`The salt of ${pointer} is not base64url of at least ${SALT_BYTES} bytes`);
  }
  for (const [pointer, digest] of Object.entries(hidden)) {
    if (!isBytes32Hex(digest)) malformed(`The hidden digest of ${pointer} is not 0x + 64 lowercase hex digits`);
  }
  return { credential, schema, claims };
}

/** Credential digest of an analysed credential. */
export function digestOfAnalysed({ credential, claims }: AnalysedCredential): Hex {
  const hidden = Object.values(credential.proof.hidden);
  const count = claims.size + hidden.length;
  const digests = new Uint8Array(32 * count);
  let i = 0;
  for (const [pointer, value] of claims)
    fieldDigestInto(credential.proof.salts[pointer], pointer, value, digests, 32 * i++);
  for (const digest of hidden) {
    if (!writeHex(digest, 32, digests, 32 * i++))
      throw new CoreError("MALFORMED", "A hidden digest is not 0x + 64 hex digits");
  }
  return credentialDigestFromFieldDigestBytes(digests, count);
}
