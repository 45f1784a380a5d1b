/**
 * Credential -> payload bytes (`core/qr/format.ts`, "Bytes"): everything the type's schema determines is
 * left out, salts and digests as raw bytes, values compactly and deflated when that is smaller.
 */
import { deflateSync } from "fflate";
import { checksumCase } from "../address.ts";
import { fromBase64Url } from "../bytes.ts";
import { SALT_BYTES, analyseCredential } from "../credential.ts";
import type { Credential } from "../credential.ts";
import { CoreError } from "../errors.ts";
import { Writer } from "./byte-codec.ts";
import { writeTime, writeValue } from "./fields.ts";
import {
  CREDENTIAL_PAYLOAD_VERSION,
  DERIVED_POINTERS,
  FLAG_DEFLATED,
  FLAG_MERKLE,
  FLAG_REGISTRY_CASE,
  FLAG_TEXT_SALTS,
  FLAG_VALID_UNTIL,
  MAX_CREDENTIAL_PAYLOAD_BYTES,
  SUBJECT_PREFIX,
  layoutOf,
} from "./format.ts";

/**
 * The payload bytes of a credential (before the text form): see `core/qr/format.ts`.
 *
 * @throws CoreError `MALFORMED` / `UNKNOWN_TYPE` for a credential `computeCredentialDigest` rejects, or a
 *   string with an unpaired surrogate; `INVALID_ARGUMENT` when the bytes would exceed
 *   {@link MAX_CREDENTIAL_PAYLOAD_BYTES}.
 */
export function encodeCredentialBytes(input: Credential): Uint8Array {
  const { credential, schema, claims } = analyseCredential(input);
  const { sorted, variable } = layoutOf(schema);
  const { salts, hidden, merkle } = credential.proof;
  const w = new Writer();

  const disclosed = sorted.filter((s) => claims.has(s.pointer));
  const saltBytes = disclosed.map((s) => fromBase64Url(salts[s.pointer]));
  const textSalts = saltBytes.some((b) => b === undefined || b.length !== SALT_BYTES);
  const registryHex = merkle?.registry.slice(2);
  const registryCase = registryHex !== undefined && checksumCase(registryHex.toLowerCase()) !== registryHex;

  const values = new Writer();
  for (const slot of disclosed) {
    if (slot.pointer.startsWith(SUBJECT_PREFIX) && !DERIVED_POINTERS.has(slot.pointer)) {
      writeValue(values, slot, claims.get(slot.pointer), schema, claims);
    }
  }
  let valueBytes = values.result();
  const deflated = valueBytes.length > 0 ? deflateSync(valueBytes, { level: 9, mem: 4 }) : valueBytes;
  const deflate = deflated.length < valueBytes.length;
  if (deflate) valueBytes = deflated;

  w.byte(CREDENTIAL_PAYLOAD_VERSION);
  w.byte(
    (credential.validUntil !== undefined ? FLAG_VALID_UNTIL : 0) |
      (merkle ? FLAG_MERKLE : 0) |
      (textSalts ? FLAG_TEXT_SALTS : 0) |
      (registryCase ? FLAG_REGISTRY_CASE : 0) |
      (deflate ? FLAG_DEFLATED : 0),
  );
  w.string(schema.id);
  w.hex("0x" + credential.id.slice("urn:uuid:".length).replaceAll("-", ""), 16);
  writeTime(w, credential.validFrom);
  if (credential.validUntil !== undefined) writeTime(w, credential.validUntil);

  const states = new Uint8Array(Math.ceil(variable.length / 4));
  variable.forEach((slot, i) => {
    const state = claims.has(slot.pointer) ? 1 : Object.hasOwn(hidden, slot.pointer) ? 2 : 0;
    states[i >> 2] |= state << (2 * (i & 3));
  });
  w.raw(states);

  disclosed.forEach((slot, i) => {
    if (textSalts) w.string(salts[slot.pointer]);
    else w.raw(saltBytes[i]!);
  });
  for (const slot of sorted) if (Object.hasOwn(hidden, slot.pointer)) w.hex(hidden[slot.pointer], 32);

  if (merkle) {
    w.varint(merkle.chainId);
    w.hex(merkle.registry, 20);
    if (registryCase) {
      const mask = new Uint8Array(5);
      for (let i = 0; i < 40; i++) if (registryHex![i] >= "A" && registryHex![i] <= "F") mask[i >> 3] |= 1 << (i & 7);
      w.raw(mask);
    }
    w.hex(merkle.root, 32);
    w.varint(merkle.path.length);
    for (const node of merkle.path) w.hex(node, 32);
  }
  w.raw(valueBytes);

  const bytes = w.result();
  if (bytes.length > MAX_CREDENTIAL_PAYLOAD_BYTES) {
    throw new CoreError(
      "INVALID_ARGUMENT",
      `The credential needs ${bytes.length} payload bytes, more than the ${MAX_CREDENTIAL_PAYLOAD_BYTES} a QR code or link may carry`,
    );
  }
  return bytes;
}
