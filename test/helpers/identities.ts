/**
 * Signing identities made on the spot for tests: self-signed certificates with any subject, RSA or EC,
 * written as PEM files and loaded the way the issuer loads its own. Nothing runs on import.
 */
import "reflect-metadata"; // @peculiar/x509 needs it (tsyringe)
import { webcrypto } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import { loadSigningIdentity, type SigningIdentity } from "../../server/pdf/signing-identity.ts";

export type SelfSignedIdentityParameters = {
  /** Where the PEM files go. */
  dir: string;
  /** File name stem. */
  name: string;
  /** X.500 subject (and issuer), e.g. `CN=Civil Service Bureau (development), O=Civil Service Bureau, C=HK`. */
  subject: string;
  /** RSA-2048 (default) or EC P-256. */
  key?: "rsa" | "ec";
};

/**
 * A self-signed document-signing identity, valid 2026 to 2036.
 *
 * @example
 * const lookAlike = await selfSignedIdentity({ dir, name: "forged", subject: "CN=Civil Service Bureau (development), O=Civil Service Bureau, C=HK" });
 * createPadesSigner(lookAlike).sign(pdf);
 */
export async function selfSignedIdentity(parameters: SelfSignedIdentityParameters): Promise<SigningIdentity> {
  const { dir, name, subject, key = "rsa" } = parameters;
  const algorithm =
    key === "rsa"
      ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
      : { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0badc0de01",
    name: subject,
    notBefore: new Date(Date.UTC(2026, 0, 1)),
    notAfter: new Date(Date.UTC(2036, 0, 1)),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
    ],
  });
  const certFile = path.join(dir, `${name}.cert.pem`);
  const keyFile = path.join(dir, `${name}.key.pem`);
  await writeFile(certFile, certificate.toString("pem"));
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey as unknown as webcrypto.CryptoKey);
  await writeFile(keyFile, x509.PemConverter.encode(pkcs8, "PRIVATE KEY"), { mode: 0o600 });
  return loadSigningIdentity({ certFile, keyFile });
}
