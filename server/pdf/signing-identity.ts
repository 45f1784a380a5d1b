/**
 * Loads the department's PDF-signing identity (X.509 certificate, its chain and its private key) from a
 * PKCS#12 file, as production departments provide it, or from PEM files, as the development PKI
 * (`server/pki/dev-pki.ts`) writes them. Pure JS / node:crypto: nothing is shelled out.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { childrenOf, DerError, encodingOf, oidOf, readElement, stringOf, TAG, valueOf } from "../../core/verify/der.ts";
import { decodePkcs12 } from "./pkcs12.ts";
import { PdfSigningError } from "./signing-error.ts";

/** Where the identity comes from: a PKCS#12 file, or PEM (or DER) files. */
export type SigningIdentitySource =
  | {
      /** PKCS#12 (.p12 / .pfx) file holding the private key, its certificate and optionally the chain. */
      p12File: string;
      p12Password: string;
    }
  | {
      /** The signing certificate; more certificates after the first one are taken as its chain. */
      certFile: string;
      /** The private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC); PEM or DER. */
      keyFile: string;
      /** Intermediate (and optionally root) CA certificates; each file may hold several. */
      chainFiles?: readonly string[];
      /** Password of an encrypted PKCS#8 PEM key, if it is encrypted. */
      keyPassword?: string;
    };

export interface LoadSigningIdentityOptions {
  /** The clock for the validity check (default: now). */
  now?: Date;
}

/** A loaded signing identity. Holds a private key: never log it, never serialise it. */
export interface SigningIdentity {
  /** The signing certificate, DER. */
  certificateDer: Uint8Array;
  /** The other certificates to embed in signatures, DER, from the issuer of the signing certificate up. */
  chainDer: Uint8Array[];
  /** The private key of the signing certificate (RSA of at least 2048 bits, or EC). */
  privateKey: KeyObject;
  /** `0x` + SHA-256 of `certificateDer`, lowercase hex: what the on-chain registry stores. */
  fingerprint: `0x${string}`;
  /** The subject's first commonName ("" if it has none). */
  subjectCommonName: string;
  /** The subject's first organizationName, if any. */
  organization: string | undefined;
  keyType: "rsa" | "ec";
  notBefore: Date;
  notAfter: Date;
}

/** Type of the X.520 attributes read from the subject. */
const COMMON_NAME = "2.5.4.3";
const ORGANIZATION = "2.5.4.10";
/** Weakest RSA modulus accepted (NIST SP 800-131A: 2048 bits for signatures). */
const MIN_RSA_BITS = 2048;

/**
 * Reads and checks a signing identity: the certificate must be well formed (strict DER, as the verifier
 * reads it) and currently valid, the key must be RSA (2048 bits or more) or EC and must be the
 * certificate's key. A PKCS#12 file must hold the signing certificate alone or its whole chain up to a
 * self-signed root, the only two shapes the verifier accepts in a signature; so must PEM files, when
 * they give any chain certificate at all (INCOMPLETE_CHAIN names the certificate whose issuer is
 * missing, or whose signature the certificate given as its issuer does not verify).
 *
 * Errors are {@link PdfSigningError}s naming the file and the problem (FILE_UNREADABLE,
 * NOT_A_CERTIFICATE, NOT_A_PRIVATE_KEY, WRONG_PASSWORD, KEY_MISMATCH, CERTIFICATE_EXPIRED,
 * CERTIFICATE_NOT_YET_VALID, UNSUPPORTED_KEY, MALFORMED_PKCS12, UNSUPPORTED_PKCS12, INCOMPLETE_CHAIN); they never contain
 * key material or passwords.
 *
 * @param source A PKCS#12 file and its password, or PEM certificate, key and chain files.
 * @param options `now` for the validity check.
 * @returns The identity, ready for `createPadesSigner`.
 * @example
 * const pki = await ensureDevPki(".data/pki", [{ id: "CSB", nameEn: "Civil Service Bureau" }]);
 * const identity = await loadSigningIdentity(pki.departments.CSB);
 * identity.fingerprint; // "0x3f1c..." as registered on chain
 *
 * const production = await loadSigningIdentity({ p12File: "/run/secrets/csb.p12", p12Password });
 */
export async function loadSigningIdentity(
  source: SigningIdentitySource,
  options: LoadSigningIdentityOptions = {},
): Promise<SigningIdentity> {
  const now = options.now ?? new Date();
  let certificateDer: Uint8Array;
  let others: Uint8Array[];
  let privateKey: KeyObject;
  let certificateFile: string;
  let keyFile: string;
  let chainDer: Uint8Array[] | undefined;
  let chainFiles: string[] = [];

  if ("p12File" in source) {
    certificateFile = keyFile = source.p12File;
    const contents = decodePkcs12(await readSource(source.p12File, "PKCS#12 file"), source.p12Password, source.p12File);
    if (contents.keys.length === 0) {
      throw new PdfSigningError("MALFORMED_PKCS12", `The PKCS#12 file ${source.p12File} holds no private key`, {
        file: source.p12File,
      });
    }
    if (contents.keys.length > 1) {
      throw new PdfSigningError(
        "MALFORMED_PKCS12",
        `The PKCS#12 file ${source.p12File} holds ${contents.keys.length} private keys; a signing identity has exactly one`,
        { file: source.p12File },
      );
    }
    if (contents.certificates.length === 0) {
      throw new PdfSigningError("MALFORMED_PKCS12", `The PKCS#12 file ${source.p12File} holds no certificate`, {
        file: source.p12File,
      });
    }
    privateKey = importKey(contents.keys[0], undefined, source.p12File);
    const certificates = contents.certificates.map((der) => ({ der, x509: parseCertificate(der, source.p12File) }));
    const own = certificates.find((entry) => entry.x509.checkPrivateKey(privateKey));
    if (!own) {
      throw new PdfSigningError(
        "KEY_MISMATCH",
        `None of the certificates in the PKCS#12 file ${source.p12File} belongs to its private key`,
        { file: source.p12File },
      );
    }
    certificateDer = own.der;
    others = certificates.filter((entry) => entry !== own).map((entry) => entry.der);
    chainDer = fullChain(own.x509, others, source.p12File);
  } else {
    certificateFile = source.certFile;
    keyFile = source.keyFile;
    const certificates = readCertificates(await readSource(source.certFile, "certificate file"), source.certFile);
    [certificateDer, ...others] = certificates;
    chainFiles = [source.certFile, ...(source.chainFiles ?? [])];
    for (const chainFile of source.chainFiles ?? []) {
      others.push(...readCertificates(await readSource(chainFile, "chain file"), chainFile));
    }
    privateKey = importKey(await readSource(source.keyFile, "key file"), source.keyPassword, source.keyFile);
  }

  const certificate = parseCertificate(certificateDer, certificateFile);
  const keyType = privateKey.asymmetricKeyType;
  if (keyType !== "rsa" && keyType !== "ec") {
    throw new PdfSigningError(
      "UNSUPPORTED_KEY",
      `The key in ${keyFile} is of type ${keyType ?? "unknown"}; PAdES signing here needs RSA (PKCS#1 v1.5) or EC`,
      { file: keyFile },
    );
  }
  const rsaBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (keyType === "rsa" && rsaBits < MIN_RSA_BITS) {
    throw new PdfSigningError(
      "UNSUPPORTED_KEY",
      `The RSA key in ${keyFile} has ${rsaBits} bits; at least ${MIN_RSA_BITS} are required`,
      { file: keyFile },
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new PdfSigningError(
      "KEY_MISMATCH",
      `The private key in ${keyFile} does not belong to the certificate in ${certificateFile}`,
      { file: keyFile },
    );
  }
  const notBefore = certificate.validFromDate;
  const notAfter = certificate.validToDate;
  if (now.getTime() > notAfter.getTime()) {
    throw new PdfSigningError(
      "CERTIFICATE_EXPIRED",
      `The signing certificate in ${certificateFile} expired on ${notAfter.toISOString()}`,
      { file: certificateFile },
    );
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new PdfSigningError(
      "CERTIFICATE_NOT_YET_VALID",
      `The signing certificate in ${certificateFile} is not valid before ${notBefore.toISOString()}`,
      { file: certificateFile },
    );
  }

  const { subject } = readCertificateFields(certificateDer);
  return {
    certificateDer,
    chainDer: chainDer ?? pemChain(certificate, certificateDer, others, chainFiles),
    privateKey,
    fingerprint: `0x${createHash("sha256").update(certificateDer).digest("hex")}`,
    subjectCommonName: nameAttribute(subject, COMMON_NAME) ?? "",
    organization: nameAttribute(subject, ORGANIZATION),
    keyType,
    notBefore,
    notAfter,
  };
}

async function readSource(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "it does not exist" : code === "EACCES" ? "permission denied" : `${code ?? "error"}`;
    throw new PdfSigningError("FILE_UNREADABLE", `Cannot read the signing ${what} ${file}: ${reason}`, {
      file,
      cause: error,
    });
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER certificates of a PEM file (all CERTIFICATE blocks) or of a DER file. */
function readCertificates(bytes: Buffer, file: string): Uint8Array[] {
  const text = bytes.toString("latin1");
  if (!text.includes("-----BEGIN ")) {
    parseCertificate(bytes, file);
    return [bytes];
  }
  const certificates: Uint8Array[] = [];
  const otherLabels: string[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (match[1] === "CERTIFICATE" || match[1] === "X509 CERTIFICATE") {
      const der = Buffer.from(match[2].replace(/\s+/g, ""), "base64");
      parseCertificate(der, file);
      certificates.push(der);
    } else {
      otherLabels.push(match[1]);
    }
  }
  if (certificates.length === 0) {
    const holdsKey = otherLabels.some((label) => label.includes("PRIVATE KEY"));
    throw new PdfSigningError(
      "NOT_A_CERTIFICATE",
      holdsKey
        ? `${file} holds a private key, not a certificate (are the certificate and key files swapped?)`
        : `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      { file },
    );
  }
  return certificates;
}

function parseCertificate(der: Uint8Array, file: string): X509Certificate {
  try {
    const certificate = new X509Certificate(der);
    readCertificateFields(der);
    return certificate;
  } catch (error) {
    throw new PdfSigningError("NOT_A_CERTIFICATE", `${file} holds no valid X.509 certificate (it cannot be parsed)`, {
      file,
      cause: error,
    });
  }
}

/**
 * Imports a private key from PEM or DER. Errors never carry the key bytes or the password; the
 * underlying OpenSSL error is left out as well, so nothing of the input can leak through it.
 */
function importKey(bytes: Uint8Array, password: string | undefined, file: string): KeyObject {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString("latin1");
  if (text.includes("-----BEGIN ")) {
    const labels = [...text.matchAll(PEM_BLOCK)].map((match) => match[1]);
    if (!labels.some((label) => label.includes("PRIVATE KEY"))) {
      throw new PdfSigningError(
        "NOT_A_PRIVATE_KEY",
        labels.some((label) => label.includes("CERTIFICATE"))
          ? `${file} holds a certificate, not a private key (are the certificate and key files swapped?)`
          : `${file} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
        { file },
      );
    }
    const encrypted = labels.includes("ENCRYPTED PRIVATE KEY") || /Proc-Type: 4,ENCRYPTED/.test(text);
    if (encrypted && password === undefined) {
      throw new PdfSigningError("WRONG_PASSWORD", `The private key in ${file} is encrypted and no password was given`, {
        file,
      });
    }
    try {
      return createPrivateKey({ key: text, format: "pem", ...(encrypted ? { passphrase: password } : {}) });
    } catch {
      if (encrypted) {
        throw new PdfSigningError("WRONG_PASSWORD", `The password for the private key in ${file} is wrong`, { file });
      }
      throw new PdfSigningError("NOT_A_PRIVATE_KEY", `${file} holds a damaged or unsupported private key`, { file });
    }
  }
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      return createPrivateKey({ key: buffer, format: "der", type });
    } catch {
      // try the next encoding
    }
  }
  throw new PdfSigningError("NOT_A_PRIVATE_KEY", `${file} holds no private key (PEM, or DER PKCS#8, PKCS#1 or SEC1)`, {
    file,
  });
}

/**
 * Orders chain certificates from the issuer of `leaf` upwards (`path`); `rest` are the ones not on that
 * path, in their original order. Drops duplicates and copies of the leaf.
 */
function orderChain(leaf: X509Certificate, candidates: Uint8Array[]): [path: Uint8Array[], rest: Uint8Array[]] {
  const seen = new Set<string>([leaf.fingerprint256]);
  const pool: { der: Uint8Array; x509: X509Certificate }[] = [];
  for (const der of candidates) {
    const x509 = new X509Certificate(der);
    if (seen.has(x509.fingerprint256)) continue;
    seen.add(x509.fingerprint256);
    pool.push({ der, x509 });
  }
  const ordered: Uint8Array[] = [];
  let current = leaf;
  for (;;) {
    const index = pool.findIndex((entry) => current.checkIssued(entry.x509) && current.verify(entry.x509.publicKey));
    if (index === -1) break;
    const [next] = pool.splice(index, 1);
    ordered.push(next.der);
    current = next.x509;
  }
  return [ordered, pool.map((entry) => entry.der)];
}

/**
 * The chain of a PKCS#12 file, from the issuer of `leaf` up: none, or all of it up to a self-signed root.
 * The verifier refuses anything else in a signature (`core/verify/verifyPadesCms.ts`): a chain that
 * stops at an intermediate, or a certificate off the signer's chain.
 */
function fullChain(leaf: X509Certificate, others: Uint8Array[], file: string): Uint8Array[] {
  const [path, rest] = orderChain(leaf, others);
  if (rest.length > 0) {
    const name = new X509Certificate(rest[0]).subject.replace(/\n/g, ", ");
    throw new PdfSigningError(
      "MALFORMED_PKCS12",
      `The PKCS#12 file ${file} holds a certificate (${name}) that is not on the signing certificate's chain; verifiers refuse signatures that carry one`,
      { file },
    );
  }
  const top = path.at(-1);
  if (top && !isSelfSigned(top)) {
    throw new PdfSigningError(
      "MALFORMED_PKCS12",
      `The PKCS#12 file ${file} holds a partial chain: it stops at the intermediate "${nameAttribute(readCertificateFields(top).subject, COMMON_NAME) ?? new X509Certificate(top).subject}", whose issuer is not included, and verifiers refuse partial chains. Include the whole chain up to the self-signed root, or the signing certificate alone`,
      { file },
    );
  }
  return path;
}

/**
 * The chain of PEM files (`files`: the certificate file, then the chain files), from the issuer of
 * `leaf` up, then any other certificate they hold: none when they hold no other certificate; else the
 * path from `leaf` must reach a self-signed certificate (`leaf` itself, or its last link). The verifier
 * refuses a chain that stops short of its root (`core/verify/verifyPadesCms.ts`).
 */
function pemChain(leaf: X509Certificate, leafDer: Uint8Array, others: Uint8Array[], files: string[]): Uint8Array[] {
  const [path, rest] = orderChain(leaf, others);
  if (path.length === 0 && rest.length === 0) return [];
  const top = path.at(-1) ?? leafDer;
  if (isSelfSigned(top)) {
    if (rest.length > 0) {
      throw new PdfSigningError(
        "CERTIFICATE_NOT_ON_CHAIN",
        `The chain files ${files.slice(1).join(", ")} hold a certificate ("${displayName(rest[0], "subject")}") that is not on the signing certificate's chain; every signature would carry it, and verifiers refuse such a signature. Give only the chain from the signing certificate's issuer up to its root`,
        { file: files[0], details: { certificate: displayName(rest[0], "subject") } },
      );
    }
    return path;
  }
  const name = displayName(top, "subject");
  const issuerName = displayName(top, "issuer");
  const where = files.join(", ");
  // A certificate given under the issuer's name whose key does not verify the last link: a broken link.
  const { issuer } = readCertificateFields(top);
  const namesake = rest.find((der) => Buffer.compare(readCertificateFields(der).subject, issuer) === 0);
  const options = { file: files[0], details: { certificate: name, missing: issuerName } };
  if (namesake) {
    throw new PdfSigningError(
      "INCOMPLETE_CHAIN",
      `The signing certificate's chain in ${where} is incomplete: "${name}" names "${issuerName}" as its issuer, but its signature does not verify with the key of the "${issuerName}" certificate given, and verifiers refuse partial chains. Give that issuer's own certificate and the chain up to the self-signed root, or the signing certificate alone`,
      options,
    );
  }
  throw new PdfSigningError(
    "INCOMPLETE_CHAIN",
    `The signing certificate's chain in ${where} is incomplete: the issuer "${issuerName}" of "${name}" is missing (it is not in these files, and "${name}" is not self-signed), and verifiers refuse partial chains. Include the whole chain up to the self-signed root, or give the signing certificate alone`,
    options,
  );
}

/** Whether `der` is self-signed: its issuer is its subject, and its own key verifies its signature. */
function isSelfSigned(der: Uint8Array): boolean {
  const { issuer, subject } = readCertificateFields(der);
  const x509 = new X509Certificate(der);
  return Buffer.compare(issuer, subject) === 0 && x509.verify(x509.publicKey);
}

/** The commonName of a certificate's subject or issuer, else that whole name as node:crypto writes it. */
function displayName(der: Uint8Array, which: "subject" | "issuer"): string {
  const x509 = new X509Certificate(der);
  return nameAttribute(readCertificateFields(der)[which], COMMON_NAME) ?? x509[which].replace(/\n/g, ", ");
}

/** A certificate's serial number, issuer and subject elements (tag, length and value), RFC 5280 4.1. */
export interface CertificateFields {
  serialNumber: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
}

/**
 * Locates serial number, issuer and subject in a DER certificate, read as strictly as the verifier reads
 * it, so they can be copied byte for byte into CMS structures.
 *
 * @throws {DerError} when the bytes are not a strict-DER certificate.
 * @example
 * const { issuer, serialNumber } = readCertificateFields(identity.certificateDer);
 */
export function readCertificateFields(certificateDer: Uint8Array): CertificateFields {
  const certificate = readElement(certificateDer, 0);
  if (certificate.tag !== TAG.SEQUENCE || certificate.end !== certificateDer.length)
    throw new DerError("not a DER certificate");
  const [tbs] = childrenOf(certificateDer, certificate);
  if (tbs?.tag !== TAG.SEQUENCE) throw new DerError("not a DER certificate");
  const fields = childrenOf(certificateDer, tbs);
  const first = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const [serialNumber, , issuer, , subject] = fields.slice(first);
  if (serialNumber?.tag !== TAG.INTEGER || issuer?.tag !== TAG.SEQUENCE || subject?.tag !== TAG.SEQUENCE) {
    throw new DerError("not a DER certificate");
  }
  return {
    serialNumber: encodingOf(certificateDer, serialNumber),
    issuer: encodingOf(certificateDer, issuer),
    subject: encodingOf(certificateDer, subject),
  };
}

/** The first value of attribute `type` (e.g. "2.5.4.3" commonName) in the X.509 Name `name` (its DER). */
function nameAttribute(name: Uint8Array, type: string): string | undefined {
  for (const rdn of childrenOf(name, readElement(name, 0))) {
    for (const attribute of childrenOf(name, rdn)) {
      const [attributeType, value] = childrenOf(name, attribute);
      if (!attributeType || !value || oidOf(name, attributeType) !== type) continue;
      // TeletexString, which the verifier's reader does not decode: in practice Latin-1.
      if (value.tag === 0x14) return Buffer.from(valueOf(name, value)).toString("latin1");
      return stringOf(name, value);
    }
  }
  return undefined;
}
