/**
 * A DER (ITU-T X.690) writer for the CMS the PAdES signer builds: one TLV, and object identifiers.
 * Reading goes through the verifier's strict reader, `core/verify/der.ts`.
 */

/** The DER length octets for a content of `length` bytes. */
export function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/**
 * Encodes one element: identifier octet `tag`, then the length, then the concatenated `contents`.
 *
 * @example
 * der(0x30, der(0x06, oid("2.16.840.1.101.3.4.2.1"))); // AlgorithmIdentifier { sha-256 }
 */
export function der(tag: number, ...contents: Uint8Array[]): Buffer {
  let length = 0;
  for (const part of contents) length += part.length;
  const header = derLength(length);
  const out = Buffer.allocUnsafe(1 + header.length + length);
  out[0] = tag;
  out.set(header, 1);
  let offset = 1 + header.length;
  for (const part of contents) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The content octets of an OBJECT IDENTIFIER (without tag and length).
 *
 * @example
 * der(0x06, oid("1.2.840.113549.1.7.1")); // id-data
 */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new RangeError(`OID needs at least two arcs: ${dotted}`);
  const out: number[] = [];
  const values = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  for (const value of values) {
    const septets: number[] = [Number(value & 0x7fn)];
    for (let rest = value >> 7n; rest > 0n; rest >>= 7n) septets.unshift(Number(rest & 0x7fn) | 0x80);
    out.push(...septets);
  }
  return Uint8Array.from(out);
}
