/**
 * PAdES baseline B-B signing (ETSI EN 319 142-1, SubFilter `ETSI.CAdES.detached`) of PDFs that already
 * contain a signature placeholder. Built for bulk issuance: everything that does not depend on the PDF
 * (certificate set, SignerInfo prefix, signed attributes with only the 32-byte message digest left open)
 * is encoded once in {@link createPadesSigner}; per PDF, `sign()` fills in the byte range, hashes the
 * file once with SHA-256, signs the ~400-byte signed attributes with node:crypto and splices bytes.
 *
 * ## The placeholder contract
 *
 * The PDF given to `sign()` holds exactly one unfilled signature dictionary, byte for byte as
 * `@signpdf/placeholder-pdf-lib` 3.3 `pdflibAddPlaceholder({ ..., subFilter: "ETSI.CAdES.detached" })`
 * writes it with pdf-lib 1.17 (a module writing it by hand must keep to the same rules):
 *
 * ```
 * 7 0 obj
 * <<
 * /Type /Sig
 * /Filter /Adobe.PPKLite
 * /SubFilter /ETSI.CAdES.detached
 * /ByteRange [ 0 /********** /********** /********** ]
 * /Contents <00000000...00000000>
 * /Reason (...)
 * /M (D:20260301120000Z)
 * ...
 * >>
 * endobj
 * ```
 *
 * 1. **ByteRange**: the name `/ByteRange`, optional white space, then an array of `0` and three times
 *    the name `/**********` (a slash and ten asterisks), white space between the elements and optional
 *    white space inside the brackets: `[ 0 /********** /********** /********** ]` (41 bytes, pdf-lib) or
 *    `[0 /********** /********** /**********]` (39 bytes, {@link BYTE_RANGE_PLACEHOLDER}). Exactly one
 *    such array in the file. `sign()` rewrites it in place as `[0 a b c]` padded with spaces before the
 *    `]`, so no offset in the file moves.
 * 2. **Contents**: in the same indirect object (between the `obj` before the ByteRange and the `endobj`
 *    after it), exactly one `/Contents`, optional white space, `<`, N placeholder bytes, `>`. Each
 *    placeholder byte is ASCII `0` (0x30) or NUL (0x00). Note: pdf-lib 1.17's `PDFHexString.of` writes
 *    its argument verbatim, so `pdflibAddPlaceholder` writes `signatureLength` NUL bytes, not `0`
 *    characters; a hand-written placeholder should use ASCII `0`. N is the capacity in hex digits and must
 *    be at least the signer's {@link PadesSigner.contentsLength} (about 5,200 for RSA-2048 with a
 *    two-certificate chain; use {@link DEFAULT_CONTENTS_LENGTH}, 16384, as pdflibAddPlaceholder's
 *    `signatureLength`). The CMS is written as lowercase hex, the rest filled with ASCII `0`.
 * 3. The same object has `/SubFilter /ETSI.CAdES.detached` and `/M (D:...)`: PAdES B-B carries the
 *    signing time in /M and forbids the CMS signing-time attribute.
 * 4. The object is a plain indirect object (not inside an object stream) and the file is final: the
 *    signed byte range is `[0, lt, gt + 1, length - (gt + 1)]` where `lt` and `gt` are the offsets of
 *    the `<` and `>` of /Contents, i.e. everything but the hex string, up to the last byte of the file.
 *    Anything appended after signing is outside the signature (and the verifier calls it TAMPERED).
 *
 * ## The CMS (RFC 5652), DER
 *
 * ContentInfo { id-signedData, SignedData { version 1, digestAlgorithms { sha-256 },
 * encapContentInfo { id-data, no eContent }, certificates [0] { signer + chain, DER-sorted },
 * signerInfos { SignerInfo { version 1, sid issuerAndSerialNumber, digestAlgorithm sha-256,
 * signedAttrs [0] { contentType id-data, messageDigest, signingCertificateV2 { ESSCertIDv2 {
 * certHash sha-256 (hashAlgorithm left at its sha-256 default), issuerSerial } } },
 * signatureAlgorithm rsaEncryption (PKCS#1 v1.5 over SHA-256) or ecdsa-with-SHA256, signature } } } }.
 * No signingTime, no unsigned attributes (B-T would add a timestamp there).
 */
import { createHash, createPublicKey, sign as cryptoSign, type KeyObject } from "node:crypto";
import { der, oid } from "./der.ts";
import { PdfSigningError } from "./signing-error.ts";
import { readCertificateFields, type SigningIdentity } from "./signing-identity.ts";

/** The ByteRange array a hand-written placeholder should use (see the placeholder contract above). */
export const BYTE_RANGE_PLACEHOLDER = "[0 /********** /********** /**********]";

/** A /Contents capacity, in hex digits, that fits RSA-4096 with a chain of several certificates. */
export const DEFAULT_CONTENTS_LENGTH = 16384;

/** The part of a {@link SigningIdentity} a signer needs. */
export type PadesSignerIdentity = Pick<SigningIdentity, "certificateDer" | "chainDer" | "privateKey">;

export interface PadesSigner {
  /**
   * Signs a PDF that holds one signature placeholder (see the contract at the top of this file).
   * Synchronous. The input is not modified.
   *
   * @returns A new buffer of the same length: the signed PDF.
   * @throws {PdfSigningError} NO_PLACEHOLDER, MULTIPLE_PLACEHOLDERS, MALFORMED_PLACEHOLDER or
   * PLACEHOLDER_TOO_SMALL.
   */
  sign(pdf: Uint8Array): Uint8Array;
  /** The smallest /Contents placeholder, in hex digits, that always fits this signer's CMS. */
  readonly contentsLength: number;
}

/** Where the placeholder of a PDF is; offsets into the file. */
export interface SignaturePlaceholder {
  /** Offset of the `[` of the ByteRange array. */
  byteRangeStart: number;
  /** Offset just after its `]`. */
  byteRangeEnd: number;
  /** Offset of the `<` of /Contents. */
  contentsStart: number;
  /** Offset just after its `>`. */
  contentsEnd: number;
}

const OIDS = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
} as const;

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OBJECT_IDENTIFIER = 0x06;
const CONTEXT_0 = 0xa0;
/** GeneralName directoryName: [4], explicit because Name is a CHOICE. */
const CONTEXT_4 = 0xa4;

/**
 * Prepares a PAdES B-B signer for one identity. All constant DER is built here, once.
 *
 * @param identity Certificate, chain and private key, as returned by `loadSigningIdentity`.
 * @returns `{ sign, contentsLength }`.
 * @throws {PdfSigningError} UNSUPPORTED_KEY for keys other than RSA and EC.
 * @example
 * const identity = await loadSigningIdentity({ certFile, keyFile });
 * const signer = createPadesSigner(identity);
 * const signed = signer.sign(pdfWithPlaceholder); // ~1 ms for RSA-2048
 */
export function createPadesSigner(identity: PadesSignerIdentity): PadesSigner {
  const { certificateDer, chainDer, privateKey } = identity;
  const keyType = privateKey.asymmetricKeyType;
  let signatureAlgorithm: Buffer;
  let maxSignatureLength: number;
  if (keyType === "rsa") {
    signatureAlgorithm = der(SEQUENCE, der(OBJECT_IDENTIFIER, oid(OIDS.rsaEncryption)), Uint8Array.of(0x05, 0x00));
    maxSignatureLength = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  } else if (keyType === "ec") {
    signatureAlgorithm = der(SEQUENCE, der(OBJECT_IDENTIFIER, oid(OIDS.ecdsaWithSha256)));
    // Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }: each at most n + 1 bytes plus a 2-byte header.
    maxSignatureLength = 2 * (ecOrderBytes(privateKey) + 3) + 3;
  } else {
    throw new PdfSigningError("UNSUPPORTED_KEY", `Cannot sign PAdES with a ${keyType ?? "unknown"} key; use RSA or EC`);
  }

  const { issuer, serialNumber } = readCertificateFields(certificateDer);
  const sha256Algorithm = der(SEQUENCE, der(OBJECT_IDENTIFIER, oid(OIDS.sha256)));

  // SignedData up to (not including) signerInfos.
  const certificates = [certificateDer, ...chainDer].map((cert) => Buffer.from(cert)).sort(Buffer.compare);
  const signedDataPrefix = Buffer.concat([
    der(INTEGER, Uint8Array.of(1)),
    der(SET, sha256Algorithm),
    der(SEQUENCE, der(OBJECT_IDENTIFIER, oid(OIDS.data))),
    der(CONTEXT_0, ...certificates),
  ]);
  // SignerInfo up to (not including) signedAttrs.
  const signerInfoPrefix = Buffer.concat([
    der(INTEGER, Uint8Array.of(1)),
    der(SEQUENCE, issuer, serialNumber),
    sha256Algorithm,
  ]);

  // Signed attributes, DER SET OF: sorted by encoding. The message digest's value sits after bytes that
  // already differ between the three attributes, so the order is the same for every digest.
  const messageDigestAttribute = attribute(OIDS.messageDigest, der(OCTET_STRING, Buffer.alloc(32)));
  const attributes = [
    attribute(OIDS.contentType, der(OBJECT_IDENTIFIER, oid(OIDS.data))),
    messageDigestAttribute,
    attribute(
      OIDS.signingCertificateV2,
      // SigningCertificateV2 { certs { ESSCertIDv2 { certHash, issuerSerial { issuer GeneralNames, serial } } } }
      der(
        SEQUENCE,
        der(
          SEQUENCE,
          der(
            SEQUENCE,
            der(OCTET_STRING, createHash("sha256").update(certificateDer).digest()),
            der(SEQUENCE, der(SEQUENCE, der(CONTEXT_4, issuer)), serialNumber),
          ),
        ),
      ),
    ),
  ].sort(Buffer.compare);
  const signedAttributesTemplate = der(SET, ...attributes);
  // The digest is the last 32 bytes of the messageDigest attribute.
  const index = attributes.indexOf(messageDigestAttribute);
  const digestOffset =
    signedAttributesTemplate.length - attributes.slice(index + 1).reduce((sum, a) => sum + a.length, 0) - 32;

  const contentInfoType = der(OBJECT_IDENTIFIER, oid(OIDS.signedData));
  const buildCms = (signedAttributes: Uint8Array, signature: Uint8Array): Buffer =>
    der(
      SEQUENCE,
      contentInfoType,
      der(
        CONTEXT_0,
        der(
          SEQUENCE,
          signedDataPrefix,
          der(SET, der(SEQUENCE, signerInfoPrefix, signedAttributes, signatureAlgorithm, der(OCTET_STRING, signature))),
        ),
      ),
    );
  const contentsLength = 2 * buildCms(signedAttributesTemplate, Buffer.alloc(maxSignatureLength)).length;

  return {
    contentsLength,
    sign(pdf: Uint8Array): Uint8Array {
      const input = Buffer.isBuffer(pdf) ? pdf : Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
      const placeholder = findSignaturePlaceholder(input);
      const { byteRangeStart, byteRangeEnd, contentsStart, contentsEnd } = placeholder;
      const capacity = contentsEnd - contentsStart - 2;
      if (capacity < contentsLength) {
        throw new PdfSigningError(
          "PLACEHOLDER_TOO_SMALL",
          `The /Contents placeholder holds ${capacity} hex digits; this signing identity needs at least ${contentsLength}`,
        );
      }

      const out = Buffer.allocUnsafe(input.length);
      input.copy(out);
      const byteRange = `[0 ${contentsStart} ${contentsEnd} ${out.length - contentsEnd}`;
      out.write(byteRange, byteRangeStart, "latin1");
      out.fill(0x20, byteRangeStart + byteRange.length, byteRangeEnd - 1);
      out[byteRangeEnd - 1] = 0x5d; // "]"

      const digest = createHash("sha256")
        .update(out.subarray(0, contentsStart))
        .update(out.subarray(contentsEnd))
        .digest();
      const signedAttributes = Buffer.from(signedAttributesTemplate);
      digest.copy(signedAttributes, digestOffset);
      // RFC 5652 5.4: the signature covers the attributes with the SET OF tag, stored as [0] IMPLICIT.
      const signature = cryptoSign("sha256", signedAttributes, privateKey);
      signedAttributes[0] = CONTEXT_0;
      const hex = buildCms(signedAttributes, signature).toString("hex");

      out.write(hex, contentsStart + 1, "latin1");
      out.fill(0x30, contentsStart + 1 + hex.length, contentsEnd - 1);
      return out;
    },
  };
}

/**
 * Finds the one unfilled signature placeholder of a PDF and checks it against the placeholder contract
 * (top of this file).
 *
 * @throws {PdfSigningError} NO_PLACEHOLDER, MULTIPLE_PLACEHOLDERS or MALFORMED_PLACEHOLDER.
 * @example
 * const { contentsStart, contentsEnd } = findSignaturePlaceholder(pdf);
 * const capacity = contentsEnd - contentsStart - 2; // hex digits
 */
export function findSignaturePlaceholder(pdf: Uint8Array): SignaturePlaceholder {
  const bytes = Buffer.isBuffer(pdf) ? pdf : Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  let found: { keyStart: number; start: number; end: number } | undefined;
  let filled = 0;
  for (let at = bytes.indexOf(BYTE_RANGE_KEY); at !== -1; at = bytes.indexOf(BYTE_RANGE_KEY, at + 1)) {
    const after = at + BYTE_RANGE_KEY.length;
    const match = PLACEHOLDER_ARRAY.exec(bytes.toString("latin1", after, after + 64));
    if (!match) {
      filled++;
      continue;
    }
    if (found) {
      throw new PdfSigningError("MULTIPLE_PLACEHOLDERS", "The PDF has more than one unfilled /ByteRange placeholder");
    }
    const start = after + match[1].length;
    found = { keyStart: at, start, end: start + match[2].length };
  }
  if (!found) {
    throw new PdfSigningError(
      "NO_PLACEHOLDER",
      filled > 0
        ? "The PDF has no unfilled signature placeholder: its /ByteRange is already filled in (signed already?)"
        : "The PDF has no signature placeholder (/ByteRange [0 /********** /********** /**********])",
    );
  }

  // The indirect object holding the placeholder.
  const objectStart = bytes.lastIndexOf(OBJ, found.keyStart);
  const objectEnd = bytes.indexOf(ENDOBJ, found.end);
  if (objectStart === -1 || objectEnd === -1) {
    throw new PdfSigningError("MALFORMED_PLACEHOLDER", "The /ByteRange placeholder is not inside an indirect object");
  }

  let contents: { start: number; end: number } | undefined;
  for (
    let at = bytes.indexOf(CONTENTS_KEY, objectStart);
    at !== -1 && at < objectEnd;
    at = bytes.indexOf(CONTENTS_KEY, at + 1)
  ) {
    let lt = at + CONTENTS_KEY.length;
    while (lt < objectEnd && isWhiteSpace(bytes[lt])) lt++;
    if (bytes[lt] !== 0x3c /* < */) continue;
    const gt = bytes.indexOf(0x3e /* > */, lt);
    if (gt === -1 || gt > objectEnd) continue;
    let zeros = true;
    for (let i = lt + 1; i < gt && zeros; i++) zeros = bytes[i] === 0x30 || bytes[i] === 0x00;
    if (!zeros || gt === lt + 1) continue;
    if (contents) {
      throw new PdfSigningError(
        "MALFORMED_PLACEHOLDER",
        "The signature dictionary has more than one /Contents placeholder",
      );
    }
    contents = { start: lt, end: gt + 1 };
  }
  if (!contents) {
    throw new PdfSigningError(
      "MALFORMED_PLACEHOLDER",
      "The signature dictionary has no /Contents placeholder (/Contents <000...000>) next to its /ByteRange",
    );
  }

  const dictionary =
    bytes.toString("latin1", objectStart, contents.start) + bytes.toString("latin1", contents.end, objectEnd);
  if (!SUBFILTER_CADES.test(dictionary)) {
    throw new PdfSigningError(
      "MALFORMED_PLACEHOLDER",
      "The signature dictionary's /SubFilter is not /ETSI.CAdES.detached (required for PAdES)",
    );
  }
  if (!SIGNING_TIME.test(dictionary)) {
    throw new PdfSigningError(
      "MALFORMED_PLACEHOLDER",
      "The signature dictionary has no /M (D:...) signing time (required for PAdES B-B)",
    );
  }
  return {
    byteRangeStart: found.start,
    byteRangeEnd: found.end,
    contentsStart: contents.start,
    contentsEnd: contents.end,
  };
}

const BYTE_RANGE_KEY = Buffer.from("/ByteRange", "latin1");
const CONTENTS_KEY = Buffer.from("/Contents", "latin1");
const OBJ = Buffer.from("obj", "latin1");
const ENDOBJ = Buffer.from("endobj", "latin1");
/** PDF white space (ISO 32000-1 7.2.2): NUL, HT, LF, FF, CR, SP. Group 1: before `[`; group 2: the array. */
const PLACEHOLDER_ARRAY =
  /^([\0\t\n\f\r ]*)(\[[\0\t\n\f\r ]*0[\0\t\n\f\r ]+\/\*{10}[\0\t\n\f\r ]+\/\*{10}[\0\t\n\f\r ]+\/\*{10}[\0\t\n\f\r ]*\])/;
const SUBFILTER_CADES = /\/SubFilter[\0\t\n\f\r ]*\/ETSI\.CAdES\.detached(?![^\0\t\n\f\r ()<>[\]{}/%])/;
const SIGNING_TIME = /\/M[\0\t\n\f\r ]*\(D:\d{4}/;

function isWhiteSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00;
}

/** One Attribute { attrType, attrValues SET { value } }. */
function attribute(type: string, value: Uint8Array): Buffer {
  return der(SEQUENCE, der(OBJECT_IDENTIFIER, oid(type)), der(SET, value));
}

/** Byte length of the group order of an EC key, from its public point (JWK `x`, base64url). */
function ecOrderBytes(privateKey: KeyObject): number {
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  // P-521's coordinates are 66 bytes, as is its order; for the other named curves both are equal too.
  return Buffer.from(jwk.x ?? "", "base64url").length;
}
