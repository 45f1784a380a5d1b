/**
 * The few DER (ITU-T X.690) primitives the PAdES signer and the identity loader need: read one TLV,
 * write one TLV, encode an object identifier, decode the common string types of an X.509 Name.
 *
 * Only single-byte tags (tag number below 31) and definite lengths: enough for X.509 certificates and
 * the CMS this project writes. BER input (indefinite lengths, as some PKCS#12 files use) goes through
 * asn1js instead.
 */

/** One TLV located in a byte array: `bytes.subarray(start, end)` is the whole element. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just after the last content octet. */
  end: number;
}

/**
 * Reads the DER element starting at `offset`.
 *
 * @throws {RangeError} when the bytes are not a definite-length element that fits in `bytes`.
 * @example
 * const cert = readDer(certificateDer, 0); // the outer SEQUENCE
 * const tbs = readDer(certificateDer, cert.contentStart);
 */
export function readDer(bytes: Uint8Array, offset: number): DerElement {
  if (offset + 2 > bytes.length) throw new RangeError(`DER: truncated element at offset ${offset}`);
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new RangeError(`DER: multi-byte tag at offset ${offset}`);
  let length = bytes[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new RangeError(`DER: unsupported length form at offset ${offset}`);
    if (contentStart + count > bytes.length) throw new RangeError(`DER: truncated length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > bytes.length) throw new RangeError(`DER: element at offset ${offset} runs past the end of its data`);
  return { tag, start: offset, contentStart, end };
}

/**
 * The children of a constructed element, in order.
 *
 * @example
 * const [tbs, signatureAlgorithm, signature] = readDerChildren(certificateDer, readDer(certificateDer, 0));
 */
export function readDerChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readDer(bytes, offset);
    if (child.end > parent.end) throw new RangeError(`DER: element at offset ${offset} overruns its parent`);
    children.push(child);
    offset = child.end;
  }
  return children;
}

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

/** The dotted form of the OBJECT IDENTIFIER element `element`. */
export function readOid(bytes: Uint8Array, element: DerElement): string {
  if (element.tag !== 0x06) throw new RangeError(`DER: expected an OBJECT IDENTIFIER at offset ${element.start}`);
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = element.contentStart; i < element.end; i++) {
    value = (value << 7n) | BigInt(bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (arcs.length === 0) throw new RangeError(`DER: empty OBJECT IDENTIFIER at offset ${element.start}`);
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/**
 * Decodes a directory string (UTF8String, PrintableString, IA5String, TeletexString, BMPString,
 * UniversalString), as found in the attribute values of an X.509 Name.
 */
export function readDirectoryString(bytes: Uint8Array, element: DerElement): string {
  const content = bytes.subarray(element.contentStart, element.end);
  switch (element.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder("utf-8").decode(content);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString: in practice Latin-1
      return Buffer.from(content).toString("latin1");
    case 0x1e: // BMPString: UTF-16BE
      return new TextDecoder("utf-16be").decode(content);
    case 0x1c: {
      // UniversalString: UTF-32BE
      let text = "";
      for (let i = 0; i + 3 < content.length; i += 4) {
        text += String.fromCodePoint(((content[i] << 24) | (content[i + 1] << 16) | (content[i + 2] << 8) | content[i + 3]) >>> 0);
      }
      return text;
    }
    default:
      throw new RangeError(`DER: tag 0x${element.tag.toString(16)} at offset ${element.start} is not a directory string`);
  }
}

/** The elements of an X.509 certificate's TBSCertificate that signing needs, located in its DER. */
export interface CertificateFields {
  /** The serialNumber INTEGER element (tag, length and content). */
  serialNumber: DerElement;
  /** The issuer Name element. */
  issuer: DerElement;
  /** The subject Name element. */
  subject: DerElement;
}

/**
 * Locates serial number, issuer and subject in a DER certificate (RFC 5280 section 4.1), so they can be
 * copied byte for byte into CMS structures.
 *
 * @throws {RangeError} when the bytes are not shaped like a certificate.
 */
export function readCertificateFields(certificateDer: Uint8Array): CertificateFields {
  const certificate = readDer(certificateDer, 0);
  if (certificate.tag !== 0x30 || certificate.end !== certificateDer.length) throw new RangeError("not a DER certificate");
  const tbs = readDer(certificateDer, certificate.contentStart);
  const fields = readDerChildren(certificateDer, tbs);
  const first = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const [serialNumber, , issuer, , subject] = fields.slice(first);
  if (serialNumber?.tag !== 0x02 || issuer?.tag !== 0x30 || subject?.tag !== 0x30) {
    throw new RangeError("not a DER certificate");
  }
  return { serialNumber, issuer, subject };
}

/**
 * The values of one attribute type in an X.509 Name, in order (e.g. "2.5.4.3" commonName).
 *
 * @example
 * const [cn] = readNameAttribute(certificateDer, readCertificateFields(certificateDer).subject, "2.5.4.3");
 */
export function readNameAttribute(bytes: Uint8Array, name: DerElement, type: string): string[] {
  const values: string[] = [];
  for (const rdn of readDerChildren(bytes, name)) {
    for (const attribute of readDerChildren(bytes, rdn)) {
      const [attributeType, value] = readDerChildren(bytes, attribute);
      if (attributeType && value && readOid(bytes, attributeType) === type) {
        values.push(readDirectoryString(bytes, value));
      }
    }
  }
  return values;
}
