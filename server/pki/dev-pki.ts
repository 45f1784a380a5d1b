import "reflect-metadata"; // required by @peculiar/x509 (tsyringe)
import { webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

/** id-kp-documentSigning (RFC 9336): the purpose PDF readers look for on a document-signing certificate. */
const DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36";
/** id-kp-emailProtection: older readers accept it for document signatures. */
const EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";

export interface DevDepartment {
  /** Issuer id, e.g. "CSB"; also the file name stem. */
  id: string;
  nameEn: string;
}

export interface DevPkiResult {
  caCertPem: string;
  /** Per issuer id: the PEM files of its PDF-signing certificate and PKCS#8 key. */
  departments: Record<string, { certFile: string; keyFile: string }>;
}

/**
 * Makes sure `dir` holds a development CA and one PDF-signing certificate per department, creating
 * what is missing (RSA-2048, SHA-256, ten years). Keys are PKCS#8 PEM files readable by the owner
 * only. For the embedded default only: production keys come from PKCS#12 or PEM files.
 *
 * @example
 * const pki = await ensureDevPki(".data/pki", [{ id: "CSB", nameEn: "Civil Service Bureau" }]);
 * pki.departments.CSB.certFile; // ".data/pki/CSB.cert.pem"
 */
export async function ensureDevPki(dir: string, departments: DevDepartment[]): Promise<DevPkiResult> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCertFile = path.join(dir, "ca.cert.pem");
  const caKeyFile = path.join(dir, "ca.key.pem");
  let ca = await readPair(caCertFile, caKeyFile);
  if (!ca) {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: "CN=HK e-Cert Development CA, O=HK e-Cert (development only), C=HK",
      notBefore: new Date(Date.UTC(2026, 0, 1)),
      notAfter: new Date(Date.UTC(2036, 0, 1)),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    await writePair(caCertFile, caKeyFile, cert, keys.privateKey);
    ca = { cert, key: keys.privateKey };
  }

  const result: DevPkiResult = { caCertPem: ca.cert.toString("pem"), departments: {} };
  for (const department of departments) {
    const certFile = path.join(dir, `${department.id}.cert.pem`);
    const keyFile = path.join(dir, `${department.id}.key.pem`);
    if (!(await readPair(certFile, keyFile))) {
      const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: `CN=${department.nameEn} (development), O=${department.nameEn}, C=HK`,
        issuer: ca.cert.subject,
        notBefore: new Date(Date.UTC(2026, 0, 1)),
        notAfter: new Date(Date.UTC(2036, 0, 1)),
        signingAlgorithm: ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: ca.key,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
          new x509.ExtendedKeyUsageExtension([DOCUMENT_SIGNING, EMAIL_PROTECTION]),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
        ],
      });
      await writePair(certFile, keyFile, cert, keys.privateKey);
    }
    result.departments[department.id] = { certFile, keyFile };
  }
  return result;
}

async function readPair(
  certFile: string,
  keyFile: string,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey } | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
  } catch {
    return undefined;
  }
  const der = x509.PemConverter.decodeFirst(keyPem);
  const key = await webcrypto.subtle.importKey("pkcs8", der, ALGORITHM, true, ["sign"]);
  return { cert: new x509.X509Certificate(certPem), key: key as unknown as CryptoKey };
}

async function writePair(
  certFile: string,
  keyFile: string,
  cert: x509.X509Certificate,
  key: CryptoKey | webcrypto.CryptoKey,
): Promise<void> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", key as webcrypto.CryptoKey);
  await writeFile(keyFile, x509.PemConverter.encode(pkcs8, "PRIVATE KEY"), { mode: 0o600 });
  await writeFile(certFile, cert.toString("pem"));
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString("hex");
}
