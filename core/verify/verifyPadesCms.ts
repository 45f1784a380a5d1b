/**
 * Verification of the CMS in a PAdES signature (RFC 5652 SignedData, detached), exactly as
 * `server/pdf/pades.ts` writes it:
 *
 * ContentInfo { id-signedData, SignedData { version 1, digestAlgorithms { sha-256 },
 * encapContentInfo { id-data }, certificates [0] { signer + chain, DER-sorted }, signerInfos { SignerInfo {
 * version 1, sid issuerAndSerialNumber, digestAlgorithm sha-256, signedAttrs [0] { contentType id-data,
 * messageDigest, signingCertificateV2 }, signatureAlgorithm rsaEncryption | ecdsa-with-SHA256, signature } } } }
 *
 * Everything in a CMS outside the signed attributes is unsigned, so a changed byte there would go unseen
 * by the signature itself. To make any change to a signed PDF show (DESIGN.md: "any change ... is
 * TAMPERED"), every unsigned part is pinned:
 * - the constant parts (versions, algorithm identifiers, encapContentInfo) must be byte for byte what
 *   our signer writes, and there must be no CRLs and no unsigned attributes;
 * - the signer's certificate is bound by the signed `signingCertificateV2` hash (and its issuer and
 *   serial by the sid);
 * - every other certificate must be on the signer's chain and is bound by a verified signature: each
 *   certificate's signature is checked with its issuer's key, the self-issued top certificate with its
 *   own. So a signature carries either the signer's certificate alone (as the development PKI's PEM
 *   files give it) or the whole chain up to a self-signed root; a chain that stops at an intermediate
 *   whose issuer is not included leaves that certificate's bytes unbound and is refused. The chain is
 *   not a trust path: trust in the signing certificate comes from the registry, which lists its
 *   fingerprint (the `signing-certificate` check).
 * - DER is read strictly (`der.ts`), and certificates must be in DER SET OF order.
 * Not pinned: an ECDSA signature can be rewritten as (r, n - s) and still verify (no low-s rule).
 *
 * Crypto is WebCrypto (`SubtleCrypto`, injected). Imported public keys and verified certificate links are
 * cached per `SubtleCrypto` by certificate SHA-256, so the department's certificate and CA cost one
 * import and one chain verification per process, not per PDF.
 */
import { BaseError } from "../base-error.ts";
import { fromHex, toHex } from "../bytes.ts";
import { sha256Into } from "../sha256.ts";
import type { Hex } from "../credential.ts";
import {
  DerError,
  TAG,
  bytesEqual,
  childrenOf,
  compareBytes,
  encodingOf,
  expectElement,
  oidOf,
  stringOf,
  unsignedIntegerOf,
  valueOf,
} from "./der.ts";
import type { DerElement } from "./der.ts";

/** The signing certificate of a PAdES signature, as the verifier reports it. */
export type PadesSigner = {
  /** `0x` + SHA-256 of the certificate's DER, lowercase: what the registry stores. */
  fingerprint: Hex;
  /** The subject's commonName ("" when it has none). */
  commonName: string;
};

export type VerifyPadesCmsParameters = {
  /** The DER of the CMS ContentInfo, exactly (no padding). */
  cms: Uint8Array;
  /** SHA-256 of the PDF's signed byte ranges. */
  documentDigest: Uint8Array;
  subtle: SubtleCrypto;
};

/**
 * `valid: true` when the CMS is a well-formed PAdES B-B signature by `signer` over `documentDigest`.
 * `valid: false` with a `problem` (English, for the check message) otherwise; `signer` is set when the
 * signing certificate could be identified.
 */
export type VerifyPadesCmsResult =
  | { valid: true; signer: PadesSigner }
  | {
      valid: false;
      problem: string;
      /** True when the CMS is sound but the PDF's bytes are not the ones that were signed. */
      digestMismatch: boolean;
      signer?: PadesSigner;
    };

// Constant DER of the unsigned parts, as `server/pdf/pades.ts` writes them.
const VERSION_1 = fromHex("0x020101")!;
const SHA256_ALGORITHM = fromHex("0x300b0609608648016503040201")!;
const DIGEST_ALGORITHMS = fromHex("0x310d300b0609608648016503040201")!;
const ENCAP_CONTENT_INFO = fromHex("0x300b06092a864886f70d010701")!;
const RSA_ENCRYPTION = fromHex("0x300d06092a864886f70d0101010500")!;
const ECDSA_WITH_SHA256 = fromHex("0x300a06082a8648ce3d040302")!;

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  data: "1.2.840.113549.1.7.1",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
  commonName: "2.5.4.3",
} as const;

/** Certificate signature algorithms whose signatures can be checked here. */
const CERTIFICATE_SIGNATURES: Record<string, { kind: "rsa" | "ecdsa"; hash: string }> = {
  "1.2.840.113549.1.1.11": { kind: "rsa", hash: "SHA-256" },
  "1.2.840.113549.1.1.12": { kind: "rsa", hash: "SHA-384" },
  "1.2.840.113549.1.1.13": { kind: "rsa", hash: "SHA-512" },
  "1.2.840.10045.4.3.2": { kind: "ecdsa", hash: "SHA-256" },
  "1.2.840.10045.4.3.3": { kind: "ecdsa", hash: "SHA-384" },
  "1.2.840.10045.4.3.4": { kind: "ecdsa", hash: "SHA-512" },
};

/** Named curves: WebCrypto name and the byte length of the group order. */
const CURVES: Record<string, { name: string; size: number }> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
};

/** At most this many certificates in a signature (a chain of a few, not a bag of many). */
const MAX_CERTIFICATES = 8;
/** Cache bounds: entries are dropped all at once when full (the working set is a few certificates). */
const MAX_CACHE_ENTRIES = 256;

type Certificate = {
  der: Uint8Array;
  tbs: Uint8Array;
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  spki: Uint8Array;
  keyAlgorithm: string;
  /** The named curve of an EC key. */
  curve?: string;
  innerSignatureAlgorithm: Uint8Array;
  signatureAlgorithm: Uint8Array;
  signatureAlgorithmOid: string;
  signature: Uint8Array;
  commonName: string;
  /** SHA-256 of `der`, hex (filled in once hashed). */
  hash: string;
};

type Caches = { keys: Map<string, Promise<CryptoKey>>; links: Set<string> };
const caches = new WeakMap<SubtleCrypto, Caches>();

function cachesFor(subtle: SubtleCrypto): Caches {
  let c = caches.get(subtle);
  if (!c) caches.set(subtle, (c = { keys: new Map(), links: new Set() }));
  return c;
}

/** Every code a {@link CmsProblem} can carry. Only ever add to this list. */
export const CMS_PROBLEM_CODES = [
  /** The CMS is not a signature this verifier accepts, or it does not verify (the message says why). */
  "INVALID_SIGNATURE",
  /** The signature is sound but covers other bytes than the PDF's: the PDF was changed after signing. */
  "DIGEST_MISMATCH",
] as const;

/** Why a CMS is refused; caught in {@link verifyPadesCms}, which reports its message. */
class CmsProblem extends BaseError<(typeof CMS_PROBLEM_CODES)[number]> {
  override name = "CmsProblem";
  readonly digestMismatch: boolean;
  constructor(message: string, digestMismatch = false) {
    super(digestMismatch ? "DIGEST_MISMATCH" : "INVALID_SIGNATURE", message);
    this.digestMismatch = digestMismatch;
  }
}

function problem(message: string): never {
  throw new CmsProblem(message);
}

/**
 * Verifies the CMS of a PAdES signature against the digest of the PDF's signed byte ranges (see the
 * module comment for what is checked).
 *
 * @returns `{ valid: true, signer }`, or `{ valid: false, problem, signer? }`; never throws for bad input.
 * @example
 * ```ts
 * const result = await verifyPadesCms({ cms, documentDigest, subtle: crypto.subtle });
 * if (result.valid) console.log(result.signer.fingerprint);
 * ```
 */
export async function verifyPadesCms(parameters: VerifyPadesCmsParameters): Promise<VerifyPadesCmsResult> {
  const { cms, documentDigest, subtle } = parameters;
  let signer: PadesSigner | undefined;
  try {
    const parsed = parseSignedData(cms);
    // Certificates are about 1 KB: hashed in JS, which is cheaper here than a WebCrypto round trip.
    const digest = new Uint8Array(32);
    for (const c of parsed.certificates) {
      sha256Into(c.der, c.der.length, digest, 0);
      c.hash = toHex(digest).slice(2);
    }
    const signerCertificate = parsed.signerCertificate;
    signer = { fingerprint: `0x${signerCertificate.hash}`, commonName: signerCertificate.commonName };

    checkSignedAttributes(cms, parsed.signedAttributes, documentDigest, signerCertificate);

    // RFC 5652 5.4: the signature covers the DER of the attributes with the SET OF tag.
    const signedBytes = cms.slice(parsed.signedAttributes.start, parsed.signedAttributes.end);
    signedBytes[0] = TAG.SET;
    const kind = bytesEqual(parsed.signatureAlgorithm, RSA_ENCRYPTION) ? "rsa" : "ecdsa";
    const ok = await verifySignature(subtle, signerCertificate, kind, "SHA-256", parsed.signature, signedBytes);
    if (!ok) problem("the signature value does not verify with the signing certificate's key");

    await checkChain(subtle, parsed.certificates, signerCertificate);
    return { valid: true, signer };
  } catch (error) {
    const known = signer ? { signer } : {};
    if (error instanceof CmsProblem)
      return { valid: false, problem: error.message, digestMismatch: error.digestMismatch, ...known };
    if (error instanceof DerError) {
      return {
        valid: false,
        problem: `the signature is not well-formed DER (${error.message})`,
        digestMismatch: false,
        ...known,
      };
    }
    // WebCrypto refusing a key or an algorithm, and the like.
    const message = error instanceof Error ? error.message : String(error);
    return {
      valid: false,
      problem: `the signature could not be checked (${message})`,
      digestMismatch: false,
      ...known,
    };
  }
}

type ParsedSignedData = {
  certificates: Certificate[];
  signerCertificate: Certificate;
  signedAttributes: DerElement;
  signatureAlgorithm: Uint8Array;
  signature: Uint8Array;
};

function parseSignedData(cms: Uint8Array): ParsedSignedData {
  const contentInfo = expectElement(cms, 0, cms.length, TAG.SEQUENCE, "ContentInfo");
  if (contentInfo.end !== cms.length) problem("bytes follow the signature");
  const [contentType, explicit, ...rest] = childrenOf(cms, contentInfo);
  if (!contentType || !explicit || rest.length > 0) problem("the signature is not a CMS ContentInfo");
  if (contentType.tag !== TAG.OID || oidOf(cms, contentType) !== OID.signedData)
    problem("the signature is not CMS SignedData");
  if (explicit.tag !== TAG.CONTEXT_0) problem("the signature is not CMS SignedData");
  const inner = childrenOf(cms, explicit);
  if (inner.length !== 1 || inner[0].tag !== TAG.SEQUENCE) problem("the signature is not CMS SignedData");

  const fields = childrenOf(cms, inner[0]);
  if (fields.length !== 5)
    problem("the SignedData must have a version, algorithms, content, certificates and one signer, and nothing else");
  const [version, digestAlgorithms, encapContentInfo, certificateSet, signerInfos] = fields;
  if (!bytesEqual(encodingOf(cms, version), VERSION_1)) problem("the SignedData version is not 1");
  if (!bytesEqual(encodingOf(cms, digestAlgorithms), DIGEST_ALGORITHMS))
    problem("the digest algorithm is not SHA-256 alone");
  if (!bytesEqual(encodingOf(cms, encapContentInfo), ENCAP_CONTENT_INFO))
    problem("the signature is not detached over id-data");
  if (certificateSet.tag !== TAG.CONTEXT_0) problem("the signature carries no certificates");
  if (signerInfos.tag !== TAG.SET) problem("the signature has no SignerInfos");

  const certificateElements = childrenOf(cms, certificateSet);
  if (certificateElements.length === 0 || certificateElements.length > MAX_CERTIFICATES) {
    problem(`the signature carries ${certificateElements.length} certificates (1 to ${MAX_CERTIFICATES} expected)`);
  }
  const certificates = certificateElements.map((element) => parseCertificate(cms, element));
  for (let i = 1; i < certificates.length; i++) {
    if (compareBytes(certificates[i - 1].der, certificates[i].der) >= 0)
      problem("the certificates are not in DER SET OF order");
  }

  const infos = childrenOf(cms, signerInfos);
  if (infos.length !== 1 || infos[0].tag !== TAG.SEQUENCE) problem("the signature must have exactly one SignerInfo");
  const info = childrenOf(cms, infos[0]);
  if (info.length !== 6)
    problem(
      "the SignerInfo must have exactly version, sid, digest algorithm, signed attributes, algorithm and signature (no unsigned attributes)",
    );
  const [infoVersion, sid, digestAlgorithm, signedAttributes, signatureAlgorithm, signature] = info;
  if (!bytesEqual(encodingOf(cms, infoVersion), VERSION_1)) problem("the SignerInfo version is not 1");
  if (sid.tag !== TAG.SEQUENCE) problem("the SignerInfo does not name its certificate by issuer and serial number");
  if (!bytesEqual(encodingOf(cms, digestAlgorithm), SHA256_ALGORITHM))
    problem("the SignerInfo's digest algorithm is not SHA-256");
  if (signedAttributes.tag !== TAG.CONTEXT_0) problem("the SignerInfo has no signed attributes");
  const algorithm = encodingOf(cms, signatureAlgorithm);
  if (!bytesEqual(algorithm, RSA_ENCRYPTION) && !bytesEqual(algorithm, ECDSA_WITH_SHA256)) {
    problem("the signature algorithm is neither RSA PKCS#1 v1.5 nor ECDSA with SHA-256");
  }
  if (signature.tag !== TAG.OCTET_STRING) problem("the signature value is not an OCTET STRING");

  const sidParts = childrenOf(cms, sid);
  if (sidParts.length !== 2 || sidParts[0].tag !== TAG.SEQUENCE || sidParts[1].tag !== TAG.INTEGER) {
    problem("the SignerInfo does not name its certificate by issuer and serial number");
  }
  unsignedIntegerOf(cms, sidParts[1]);
  const sidIssuer = encodingOf(cms, sidParts[0]);
  const sidSerial = encodingOf(cms, sidParts[1]);
  const matches = certificates.filter((c) => bytesEqual(c.issuer, sidIssuer) && bytesEqual(c.serial, sidSerial));
  if (matches.length !== 1) problem("the signing certificate named by the SignerInfo is not in the signature");
  const signerCertificate = matches[0];
  const expectedKey = bytesEqual(algorithm, RSA_ENCRYPTION) ? OID.rsaEncryption : OID.ecPublicKey;
  if (signerCertificate.keyAlgorithm !== expectedKey)
    problem("the signing certificate's key does not match the signature algorithm");

  return {
    certificates,
    signerCertificate,
    signedAttributes,
    signatureAlgorithm: algorithm,
    signature: valueOf(cms, signature),
  };
}

function parseCertificate(bytes: Uint8Array, element: DerElement): Certificate {
  if (element.tag !== TAG.SEQUENCE) problem("a certificate in the signature is not a SEQUENCE");
  const parts = childrenOf(bytes, element);
  if (parts.length !== 3) problem("a certificate in the signature is not well-formed");
  const [tbs, signatureAlgorithm, signatureValue] = parts;
  if (tbs.tag !== TAG.SEQUENCE || signatureAlgorithm.tag !== TAG.SEQUENCE || signatureValue.tag !== TAG.BIT_STRING) {
    problem("a certificate in the signature is not well-formed");
  }
  const fields = childrenOf(bytes, tbs);
  let i = 0;
  if (fields[0]?.tag === TAG.CONTEXT_0) i++; // version
  const [serial, innerAlgorithm, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!spki || serial.tag !== TAG.INTEGER || innerAlgorithm.tag !== TAG.SEQUENCE || issuer.tag !== TAG.SEQUENCE) {
    problem("a certificate in the signature is not well-formed");
  }
  if (validity.tag !== TAG.SEQUENCE || subject.tag !== TAG.SEQUENCE || spki.tag !== TAG.SEQUENCE) {
    problem("a certificate in the signature is not well-formed");
  }
  const spkiParts = childrenOf(bytes, spki);
  if (spkiParts.length !== 2 || spkiParts[0].tag !== TAG.SEQUENCE)
    problem("a certificate's public key is not well-formed");
  const keyAlgorithm = childrenOf(bytes, spkiParts[0]);
  if (keyAlgorithm.length === 0) problem("a certificate's public key is not well-formed");
  const keyOid = oidOf(bytes, keyAlgorithm[0]);
  const curve =
    keyOid === OID.ecPublicKey && keyAlgorithm[1]?.tag === TAG.OID ? oidOf(bytes, keyAlgorithm[1]) : undefined;
  const algorithmParts = childrenOf(bytes, signatureAlgorithm);
  if (algorithmParts.length === 0) problem("a certificate's signature algorithm is not well-formed");
  const bits = valueOf(bytes, signatureValue);
  if (bits.length < 2 || bits[0] !== 0) problem("a certificate's signature value is not well-formed");
  return {
    der: encodingOf(bytes, element),
    tbs: encodingOf(bytes, tbs),
    serial: encodingOf(bytes, serial),
    issuer: encodingOf(bytes, issuer),
    subject: encodingOf(bytes, subject),
    spki: encodingOf(bytes, spki),
    keyAlgorithm: keyOid,
    ...(curve ? { curve } : {}),
    innerSignatureAlgorithm: encodingOf(bytes, innerAlgorithm),
    signatureAlgorithm: encodingOf(bytes, signatureAlgorithm),
    signatureAlgorithmOid: oidOf(bytes, algorithmParts[0]),
    signature: bits.subarray(1),
    commonName: commonNameOf(bytes, subject),
    hash: "",
  };
}

/** The first commonName of a Name, or "". */
function commonNameOf(bytes: Uint8Array, name: DerElement): string {
  for (const rdn of childrenOf(bytes, name)) {
    if (rdn.tag !== TAG.SET) problem("a certificate's name is not well-formed");
    for (const attribute of childrenOf(bytes, rdn)) {
      const [type, value] = childrenOf(bytes, attribute);
      if (type && value && oidOf(bytes, type) === OID.commonName) return stringOf(bytes, value);
    }
  }
  return "";
}

function checkSignedAttributes(
  cms: Uint8Array,
  element: DerElement,
  documentDigest: Uint8Array,
  signer: Certificate,
): void {
  const seen = new Map<string, DerElement[]>();
  for (const attribute of childrenOf(cms, element)) {
    const [type, values, ...rest] = childrenOf(cms, attribute);
    if (!type || !values || rest.length > 0 || values.tag !== TAG.SET) problem("a signed attribute is not well-formed");
    const oid = oidOf(cms, type);
    if (seen.has(oid)) problem(`the signed attribute ${oid} appears twice`);
    const list = childrenOf(cms, values);
    if (list.length !== 1) problem(`the signed attribute ${oid} must have exactly one value`);
    seen.set(oid, list);
  }
  const contentType = seen.get(OID.contentType)?.[0];
  if (!contentType || contentType.tag !== TAG.OID || oidOf(cms, contentType) !== OID.data) {
    problem("the signed content-type attribute is missing or not id-data");
  }
  const messageDigest = seen.get(OID.messageDigest)?.[0];
  if (!messageDigest || messageDigest.tag !== TAG.OCTET_STRING)
    problem("the signed message-digest attribute is missing");
  if (!bytesEqual(valueOf(cms, messageDigest), documentDigest)) {
    throw new CmsProblem("the PDF's bytes do not match the digest that was signed", true);
  }
  const signingCertificate = seen.get(OID.signingCertificateV2)?.[0];
  if (!signingCertificate) problem("the signed signing-certificate-v2 attribute (required by PAdES) is missing");
  // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }
  const [certs] = childrenOf(cms, signingCertificate);
  if (!certs || certs.tag !== TAG.SEQUENCE) problem("the signing-certificate-v2 attribute is not well-formed");
  const [first] = childrenOf(cms, certs);
  if (!first || first.tag !== TAG.SEQUENCE) problem("the signing-certificate-v2 attribute names no certificate");
  // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha-256, certHash OCTET STRING, issuerSerial OPTIONAL }
  const id = childrenOf(cms, first);
  let at = 0;
  if (id[0]?.tag === TAG.SEQUENCE) {
    if (!bytesEqual(encodingOf(cms, id[0]), SHA256_ALGORITHM))
      problem("the signing-certificate-v2 hash is not SHA-256");
    at = 1;
  }
  const certHash = id[at];
  if (!certHash || certHash.tag !== TAG.OCTET_STRING)
    problem("the signing-certificate-v2 attribute has no certificate hash");
  if (toHex(valueOf(cms, certHash)).slice(2) !== signer.hash) {
    problem("the signing certificate is not the one the signature's attributes name");
  }
}

/** Verifies `signature` over `data` with the public key of `certificate`. */
async function verifySignature(
  subtle: SubtleCrypto,
  certificate: Certificate,
  kind: "rsa" | "ecdsa",
  hash: string,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  if (kind === "rsa") {
    if (certificate.keyAlgorithm !== OID.rsaEncryption) return false;
    const key = await importKey(subtle, certificate, { name: "RSASSA-PKCS1-v1_5", hash });
    return subtle.verify("RSASSA-PKCS1-v1_5", key, source(signature), source(data));
  }
  const curve = certificate.curve ? CURVES[certificate.curve] : undefined;
  if (certificate.keyAlgorithm !== OID.ecPublicKey || !curve) return false;
  const raw = ecdsaRaw(signature, curve.size);
  if (!raw) return false;
  const key = await importKey(subtle, certificate, { name: "ECDSA", namedCurve: curve.name });
  return subtle.verify({ name: "ECDSA", hash }, key, source(raw), source(data));
}

function importKey(
  subtle: SubtleCrypto,
  certificate: Certificate,
  algorithm: RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  const { keys } = cachesFor(subtle);
  const cacheKey = `${certificate.hash}:${JSON.stringify(algorithm)}`;
  let key = keys.get(cacheKey);
  if (!key) {
    if (keys.size >= MAX_CACHE_ENTRIES) keys.clear();
    key = subtle.importKey("spki", source(certificate.spki), algorithm, false, ["verify"]);
    keys.set(cacheKey, key);
    key.catch(() => keys.delete(cacheKey));
  }
  return key;
}

/** An ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) as WebCrypto's r || s, or undefined. */
function ecdsaRaw(signature: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const sequence = expectElement(signature, 0, signature.length, TAG.SEQUENCE, "ECDSA signature");
    if (sequence.end !== signature.length) return undefined;
    const parts = childrenOf(signature, sequence);
    if (parts.length !== 2) return undefined;
    const out = new Uint8Array(2 * size);
    for (let i = 0; i < 2; i++) {
      const value = unsignedIntegerOf(signature, parts[i]);
      if (value.length > size) return undefined;
      out.set(value, (i + 1) * size - value.length);
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Every certificate other than the signer's must be on the signer's chain, each link verified by
 * signature (see the module comment).
 */
async function checkChain(subtle: SubtleCrypto, certificates: Certificate[], signer: Certificate): Promise<void> {
  const { links } = cachesFor(subtle);
  const used = new Set<Certificate>([signer]);
  for (let current = signer; ;) {
    const selfIssued = bytesEqual(current.issuer, current.subject);
    const issuer = selfIssued
      ? current
      : certificates.find((c) => c !== current && bytesEqual(c.subject, current.issuer));
    if (!issuer) {
      // The signer's certificate is bound by the signed attributes; any other must be bound by a signature.
      if (current !== signer) {
        problem(
          `the certificate "${current.commonName}" in the signature cannot be checked: its issuer is not included`,
        );
      }
      break;
    }
    if (used.has(issuer) && !selfIssued) problem("the certificates in the signature form a loop");
    const link = `${current.hash}<${issuer.hash}`;
    if (!links.has(link)) {
      if (!bytesEqual(current.signatureAlgorithm, current.innerSignatureAlgorithm)) {
        problem(`the certificate "${current.commonName}" names two different signature algorithms`);
      }
      const algorithm = CERTIFICATE_SIGNATURES[current.signatureAlgorithmOid];
      if (!algorithm) problem(`the certificate "${current.commonName}" uses an unsupported signature algorithm`);
      const ok = await verifySignature(subtle, issuer, algorithm.kind, algorithm.hash, current.signature, current.tbs);
      if (!ok) problem(`the certificate "${current.commonName}" is not validly signed by "${issuer.commonName}"`);
      if (links.size >= MAX_CACHE_ENTRIES) links.clear();
      links.add(link);
    }
    if (selfIssued) break;
    used.add(issuer);
    current = issuer;
  }
  if (used.size !== certificates.length)
    problem("the signature carries a certificate that is not on the signer's chain");
}

/** Our byte views are over plain ArrayBuffers (never shared): what WebCrypto's typings ask for. */
function source(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}
