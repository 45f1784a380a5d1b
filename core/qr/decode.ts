/**
 * Payload bytes -> credential (`core/qr/format.ts`, "Bytes"): the type's schema rebuilds everything left
 * out; every byte is checked (flags, states, lengths, varints, UTF-8, no bytes left over) and the result
 * goes through `analyseCredential`, so what decodes is a credential `computeCredentialDigest` accepts.
 */
import { checksumCase } from "../address.ts";
import { toBase64Url } from "../bytes.ts";
import {
  CREDENTIAL_CONTEXT,
  CREDENTIAL_TYPES,
  PROOF_TYPE,
  SALT_BYTES,
  analyseCredential,
  issuerUrn,
  schemaUrn,
} from "../credential.ts";
import type { Credential, Hex, MerkleAnchor } from "../credential.ts";
import { inflateBounded } from "../inflate.ts";
import { getCertificateType, pathTokens } from "../types/index.ts";
import type { CertificateTypeSchema } from "../types/index.ts";
import { Reader } from "./byte-codec.ts";
import { derivedCertificateNumber, readTime, readValue } from "./fields.ts";
import {
  CERTIFICATE_NUMBER,
  CREDENTIAL_PAYLOAD_VERSION,
  DERIVED_POINTERS,
  FLAG_DEFLATED,
  FLAG_MERKLE,
  FLAG_REGISTRY_CASE,
  FLAG_TEXT_SALTS,
  FLAG_VALID_UNTIL,
  KNOWN_FLAGS,
  MAX_CREDENTIAL_PAYLOAD_BYTES,
  MAX_VALUES_BYTES,
  SUBJECT_PREFIX,
  layoutOf,
  malformed,
} from "./format.ts";

/** Inflates a values block, refusing more than {@link MAX_VALUES_BYTES} (zip bombs). */
function inflateValues(data: Uint8Array): Uint8Array {
  // Fed 256 bytes at a time, fflate inflates at most ~264 KB per step (DEFLATE expands at most
  // 1032:1), so a bomb is stopped after a few steps instead of being inflated whole.
  const inflated = inflateBounded(data, { format: "raw", maxBytes: MAX_VALUES_BYTES, chunkBytes: 256 });
  if (inflated.ok) return inflated.bytes;
  switch (inflated.reason) {
    case "empty":
      return malformed("The credential payload's compressed values are empty");
    case "too-large":
      return malformed(`The credential payload's values inflate to more than ${MAX_VALUES_BYTES} bytes`);
    case "corrupt":
      return malformed("The credential payload's compressed values are corrupt or truncated");
  }
}

/** Sets `value` at a path of object keys, creating the objects on the way. */
function setAt(target: Record<string, unknown>, tokens: readonly string[], value: unknown): void {
  let node = target;
  for (const token of tokens.slice(0, -1)) {
    if (!Object.hasOwn(node, token)) node[token] = {};
    node = node[token] as Record<string, unknown>;
  }
  node[tokens[tokens.length - 1]] = value;
}

/**
 * Payload bytes -> the credential (`core/qr/format.ts`, "Bytes"), strictly.
 *
 * @throws CoreError `MALFORMED` for bytes that are not a format-1 payload of a credential
 *   `computeCredentialDigest` accepts (other core errors, from rebuilding it, are turned into `MALFORMED`
 *   by the public API's guard).
 */
export function decodeCredentialBytes(bytes: Uint8Array): Credential {
  if (bytes.length > MAX_CREDENTIAL_PAYLOAD_BYTES)
    malformed(`The credential payload is larger than ${MAX_CREDENTIAL_PAYLOAD_BYTES} bytes`);
  const r = new Reader(bytes);
  const version = r.byte("the version");
  if (version !== CREDENTIAL_PAYLOAD_VERSION) {
    malformed(
      `The credential payload has format version ${version}; this verifier reads version ${CREDENTIAL_PAYLOAD_VERSION}`,
    );
  }
  const flags = r.byte("the flags");
  if ((flags & ~KNOWN_FLAGS) !== 0) malformed(`The credential payload has unknown flags (0x${flags.toString(16)})`);

  const typeId = r.utf8(r.varint("the certificate type", 64), "the certificate type");
  let schema: CertificateTypeSchema;
  try {
    schema = getCertificateType(typeId);
  } catch {
    return malformed(`The credential payload has an unknown certificate type ${JSON.stringify(typeId)}`);
  }
  const { sorted, variable } = layoutOf(schema);
  const uuid = r.hex(16, "the credential id").slice(2);
  const id = `urn:uuid:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`;
  const validFrom = readTime(r, "validFrom");
  const validUntil = flags & FLAG_VALID_UNTIL ? readTime(r, "validUntil") : undefined;

  const stateBytes = r.take(Math.ceil(variable.length / 4), "the claim states");
  const state = new Map<string, number>();
  for (const slot of sorted) state.set(slot.pointer, 1);
  variable.forEach((slot, i) => {
    const s = (stateBytes[i >> 2] >> (2 * (i & 3))) & 3;
    if (s === 3) malformed(`The credential payload has an invalid state for ${slot.pointer}`);
    if (s === 2 && !slot.hideable) malformed(`The credential payload hides ${slot.pointer}, which may not be hidden`);
    if (s === 0 && slot.required) malformed(`The credential payload leaves out the required ${slot.pointer}`);
    state.set(slot.pointer, s);
  });
  if (variable.length % 4 !== 0 && stateBytes[stateBytes.length - 1] >> (2 * (variable.length % 4)) !== 0) {
    malformed("The credential payload has unused claim-state bits set");
  }
  const disclosed = sorted.filter((s) => state.get(s.pointer) === 1);

  const salts: Record<string, string> = {};
  for (const slot of disclosed) {
    salts[slot.pointer] =
      flags & FLAG_TEXT_SALTS
        ? r.string(`the salt of ${slot.pointer}`)
        : toBase64Url(r.take(SALT_BYTES, `the salt of ${slot.pointer}`));
  }
  const hidden: Record<string, Hex> = {};
  for (const slot of sorted)
    if (state.get(slot.pointer) === 2) hidden[slot.pointer] = r.hex(32, `the digest of ${slot.pointer}`);

  let merkle: MerkleAnchor | undefined;
  if (flags & FLAG_MERKLE) {
    const chainId = r.varint("the chain id");
    if (chainId < 1) malformed("The credential payload has chain id 0");
    const lower = r.hex(20, "the registry address").slice(2);
    let registry: string;
    if (flags & FLAG_REGISTRY_CASE) {
      const mask = r.take(5, "the registry address");
      registry = "";
      for (let i = 0; i < 40; i++) {
        const upper = (mask[i >> 3] >> (i & 7)) & 1;
        if (upper && lower[i] < "a") malformed("The credential payload's registry letter-case mask marks a digit");
        registry += upper ? lower[i].toUpperCase() : lower[i];
      }
    } else {
      registry = checksumCase(lower);
    }
    const root = r.hex(32, "the Merkle root");
    const length = r.varint("the Merkle path length", 256);
    const path: Hex[] = [];
    for (let i = 0; i < length; i++) path.push(r.hex(32, "the Merkle path"));
    merkle = { root, path, chainId, registry: "0x" + registry };
  } else if (flags & FLAG_REGISTRY_CASE) {
    malformed("The credential payload has a registry letter-case mask but no Merkle proof");
  }

  const rest = r.take(bytes.length - r.pos, "the values");
  const values = new Reader(flags & FLAG_DEFLATED ? inflateValues(rest) : rest);
  const claims = new Map<string, unknown>();
  for (const slot of disclosed) {
    if (slot.pointer.startsWith(SUBJECT_PREFIX) && !DERIVED_POINTERS.has(slot.pointer)) {
      claims.set(slot.pointer, readValue(values, slot, schema));
    }
  }
  values.end("the last value");
  if (claims.get(CERTIFICATE_NUMBER) === undefined) {
    const derived = derivedCertificateNumber(schema, claims);
    if (derived === undefined) malformed("The credential payload's certificate number cannot be derived");
    claims.set(CERTIFICATE_NUMBER, derived);
  }

  // The subject in the order createCredential writes it: type, certificate number, then the columns.
  const subject: Record<string, unknown> = { type: schema.id, certificateNumber: claims.get(CERTIFICATE_NUMBER) };
  for (const column of schema.columns) {
    const pointer = "/credentialSubject" + column.path;
    if (pointer !== CERTIFICATE_NUMBER && claims.has(pointer))
      setAt(subject, pathTokens(column.path), claims.get(pointer));
  }
  const credential: Credential = {
    "@context": [CREDENTIAL_CONTEXT],
    type: [...CREDENTIAL_TYPES],
    id,
    issuer: issuerUrn(schema.issuer),
    validFrom,
    ...(validUntil === undefined ? {} : { validUntil }),
    credentialSchema: { id: schemaUrn(schema), type: "JsonSchema" },
    credentialSubject: subject as Credential["credentialSubject"],
    proof: { type: PROOF_TYPE, salts, hidden, ...(merkle ? { merkle } : {}) },
  };
  // Everything computeCredentialDigest checks (validity dates, salts, the id's UUID form ...).
  analyseCredential(credential);
  return credential;
}
