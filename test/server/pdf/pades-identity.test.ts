import { createHash, sign, verify, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import forge from "node-forge";
import { certificateFingerprint } from "../../../server/chain/issuers.ts";
import { isPdfSigningError, type PdfSigningErrorCode } from "../../../server/pdf/signing-error.ts";
import {
  loadSigningIdentity,
  type SigningIdentity,
  type SigningIdentitySource,
} from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki, type DevPkiResult } from "../../../server/pki/dev-pki.ts";
import { openssl } from "./pades-helpers.ts";

const PASSWORD = "correct horse battery staple";

async function expectLoadError(
  source: SigningIdentitySource,
  code: PdfSigningErrorCode,
  message: RegExp,
  now?: Date,
): Promise<Error> {
  let error: unknown;
  try {
    await loadSigningIdentity(source, { now });
  } catch (e) {
    error = e;
  }
  expect(isPdfSigningError(error, code), `expected PdfSigningError ${code}, got ${String(error)}`).to.equal(true);
  expect((error as Error).message).to.match(message);
  return error as Error;
}

/** The identity's key signs and the certificate's public key verifies the signature. */
function expectWorkingKey(identity: SigningIdentity): void {
  const data = Buffer.from("HK e-Cert");
  const signature = sign("sha256", data, identity.privateKey);
  const publicKey = new X509Certificate(identity.certificateDer).publicKey;
  expect(verify("sha256", data, publicKey, signature)).to.equal(true);
}

describe("loadSigningIdentity", () => {
  let dir: string;
  let pki: DevPkiResult;
  let caFile: string;
  let csb: { certFile: string; keyFile: string };
  let fsd: { certFile: string; keyFile: string };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-identity-"));
    pki = await ensureDevPki(path.join(dir, "pki"), [
      { id: "CSB", nameEn: "Civil Service Bureau" },
      { id: "FSD", nameEn: "Fire Services Department" },
    ]);
    caFile = path.join(dir, "pki/ca.cert.pem");
    csb = pki.departments.CSB;
    fsd = pki.departments.FSD;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("from PEM files", () => {
    it("loads the CSB development identity with the fingerprint the registry stores, its names and chain", async () => {
      const identity = await loadSigningIdentity({ ...csb, chainFiles: [caFile] });
      expect(identity.fingerprint).to.equal(await certificateFingerprint(csb.certFile));
      expect(identity.fingerprint).to.equal("0x" + createHash("sha256").update(identity.certificateDer).digest("hex"));
      expect(identity.subjectCommonName).to.contain("Civil Service Bureau");
      expect(identity.organization).to.equal("Civil Service Bureau");
      expect(identity.keyType).to.equal("rsa");
      expect(identity.chainDer).to.have.length(1);
      expect(identity.privateKey.type).to.equal("private");
      expectWorkingKey(identity);
    });

    it("loads a PKCS#1 (BEGIN RSA PRIVATE KEY) key", async () => {
      const keyFile = path.join(dir, "csb.pkcs1.pem");
      openssl("rsa", "-in", csb.keyFile, "-traditional", "-out", keyFile);
      expect(await readFile(keyFile, "utf8")).to.contain("BEGIN RSA PRIVATE KEY");
      const identity = await loadSigningIdentity({ certFile: csb.certFile, keyFile });
      expectWorkingKey(identity);
    });

    it("takes further certificates of the certificate file as the chain", async () => {
      const fullChain = path.join(dir, "csb.fullchain.pem");
      await writeFile(fullChain, (await readFile(csb.certFile, "utf8")) + (await readFile(caFile, "utf8")));
      const identity = await loadSigningIdentity({ certFile: fullChain, keyFile: csb.keyFile });
      expect(identity.fingerprint).to.equal(await certificateFingerprint(csb.certFile));
      expect(identity.chainDer).to.have.length(1);
    });

    it("refuses with KEY_MISMATCH, naming both files, a key that is not the certificate's", async () => {
      const error = await expectLoadError(
        { certFile: csb.certFile, keyFile: fsd.keyFile },
        "KEY_MISMATCH",
        /private key in .*FSD\.key\.pem does not belong to the certificate in .*CSB\.cert\.pem/,
      );
      expect(error.message).not.to.contain("PRIVATE KEY-----");
    });

    it("refuses with NOT_A_CERTIFICATE a certificate file that holds something else", async () => {
      const junk = path.join(dir, "junk.pem");
      await writeFile(junk, "hello, this is not a certificate\n");
      await expectLoadError(
        { certFile: junk, keyFile: csb.keyFile },
        "NOT_A_CERTIFICATE",
        /junk\.pem holds no valid X\.509 certificate/,
      );
    });

    it("refuses with NOT_A_CERTIFICATE a damaged PEM certificate", async () => {
      const damaged = path.join(dir, "damaged.pem");
      await writeFile(damaged, "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----\n");
      await expectLoadError(
        { certFile: damaged, keyFile: csb.keyFile },
        "NOT_A_CERTIFICATE",
        /damaged\.pem holds no valid X\.509/,
      );
    });

    it("refuses swapped certificate and key files with a message saying they look swapped", async () => {
      await expectLoadError({ certFile: csb.keyFile, keyFile: csb.certFile }, "NOT_A_CERTIFICATE", /swapped/);
    });

    it("refuses with FILE_UNREADABLE, naming the file, a key file that does not exist", async () => {
      const missing = path.join(dir, "missing.key.pem");
      await expectLoadError(
        { certFile: csb.certFile, keyFile: missing },
        "FILE_UNREADABLE",
        /missing\.key\.pem: it does not exist/,
      );
    });

    it("refuses with CERTIFICATE_EXPIRED, naming the file and the date, once the certificate has expired", async () => {
      await expectLoadError(
        csb,
        "CERTIFICATE_EXPIRED",
        /CSB\.cert\.pem expired on 2036-01-01T00:00:00\.000Z/,
        new Date(Date.UTC(2036, 0, 2)),
      );
    });

    it("refuses with CERTIFICATE_NOT_YET_VALID a certificate before its validity starts", async () => {
      await expectLoadError(
        csb,
        "CERTIFICATE_NOT_YET_VALID",
        /not valid before 2026-01-01/,
        new Date(Date.UTC(2025, 11, 31)),
      );
    });

    it("loads an encrypted PKCS#8 key with keyPassword and refuses a wrong one with WRONG_PASSWORD", async () => {
      const keyFile = path.join(dir, "csb.enc.pem");
      openssl(
        "pkcs8",
        "-topk8",
        "-in",
        csb.keyFile,
        "-v2",
        "aes-256-cbc",
        "-passout",
        `pass:${PASSWORD}`,
        "-out",
        keyFile,
      );
      expectWorkingKey(await loadSigningIdentity({ certFile: csb.certFile, keyFile, keyPassword: PASSWORD }));
      const error = await expectLoadError(
        { certFile: csb.certFile, keyFile, keyPassword: "wrong" },
        "WRONG_PASSWORD",
        /password for the private key in .*csb\.enc\.pem is wrong/,
      );
      expect(error.message).not.to.contain(PASSWORD);
    });

    it("refuses with UNSUPPORTED_KEY an RSA key under 2048 bits", async () => {
      const keyFile = path.join(dir, "weak.key.pem");
      const certFile = path.join(dir, "weak.cert.pem");
      openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-subj",
        "/CN=weak",
        "-days",
        "1",
      );
      await expectLoadError({ certFile, keyFile }, "UNSUPPORTED_KEY", /1024 bits; at least 2048/);
    });

    it("refuses with UNSUPPORTED_KEY an Ed25519 key", async () => {
      const keyFile = path.join(dir, "ed.key.pem");
      const certFile = path.join(dir, "ed.cert.pem");
      openssl(
        "req",
        "-x509",
        "-newkey",
        "ed25519",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-subj",
        "/CN=ed",
        "-days",
        "1",
      );
      await expectLoadError({ certFile, keyFile }, "UNSUPPORTED_KEY", /ed25519/);
    });

    it("refuses with INCOMPLETE_CHAIN a chain whose root is missing or whose link does not verify; loads the whole chain, in order, or the certificate alone", async () => {
      const file = (name: string): string => path.join(dir, `pem-chain.${name}`);
      await writeFile(
        file("ext.cnf"),
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n[leaf]\nkeyUsage=critical,digitalSignature\n",
      );
      const issue = (name: string, subject: string, issuer: string, extensions: string): void => {
        openssl(
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          file(`${name}.key`),
          "-out",
          file(`${name}.csr`),
          "-subj",
          subject,
        );
        openssl(
          "x509",
          "-req",
          "-in",
          file(`${name}.csr`),
          "-CA",
          file(`${issuer}.pem`),
          "-CAkey",
          file(`${issuer}.key`),
          "-CAcreateserial",
          "-extfile",
          file("ext.cnf"),
          "-extensions",
          extensions,
          "-days",
          "2",
          "-out",
          file(`${name}.pem`),
        );
      };
      openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        file("root.key"),
        "-out",
        file("root.pem"),
        "-subj",
        "/CN=PEM Root",
        "-days",
        "2",
      );
      issue("int", "/CN=PEM Intermediate", "root", "ca");
      issue("leaf", "/CN=PEM Leaf", "int", "leaf");
      // Another intermediate under the same name, with another key: it did not sign the leaf.
      issue("impostor", "/CN=PEM Intermediate", "root", "ca");
      const chain = async (name: string, certificates: string[]): Promise<string> => {
        await writeFile(
          file(`${name}.chain.pem`),
          (await Promise.all(certificates.map((c) => readFile(file(`${c}.pem`), "utf8")))).join(""),
        );
        return file(`${name}.chain.pem`);
      };
      const leaf = { certFile: file("leaf.pem"), keyFile: file("leaf.key") };

      const noRoot = await expectLoadError(
        { ...leaf, chainFiles: [await chain("stops", ["int"])] },
        "INCOMPLETE_CHAIN",
        /pem-chain\.stops\.chain\.pem is incomplete: the issuer "PEM Root" of "PEM Intermediate" is missing/,
      );
      expect((noRoot as Error & { details?: unknown }).details).to.deep.include({
        certificate: "PEM Intermediate",
        missing: "PEM Root",
      });
      await expectLoadError(
        { ...leaf, chainFiles: [await chain("leaf-only", ["root"])] },
        "INCOMPLETE_CHAIN",
        /the issuer "PEM Intermediate" of "PEM Leaf" is missing/,
      );
      await expectLoadError(
        { ...leaf, chainFiles: [await chain("impostor", ["impostor", "root"])] },
        "INCOMPLETE_CHAIN",
        /"PEM Leaf" names "PEM Intermediate" as its issuer, but its signature does not verify with the key of the "PEM Intermediate" certificate given/,
      );

      const full = await loadSigningIdentity({ ...leaf, chainFiles: [await chain("full", ["root", "int"])] });
      expect(full.chainDer.map((der) => new X509Certificate(der).subject)).to.deep.equal([
        "CN=PEM Intermediate",
        "CN=PEM Root",
      ]);
      expect((await loadSigningIdentity(leaf)).chainDer).to.deep.equal([]);
      // A whole chain plus a certificate not on it: every signature would carry it, and verifiers refuse that.
      await expectLoadError(
        { ...leaf, chainFiles: [await chain("stray", ["root", "int", "impostor"])] },
        "CERTIFICATE_NOT_ON_CHAIN",
        /hold a certificate \("PEM Intermediate"\) that is not on the signing certificate's chain/,
      );
    });
  });

  describe("from PKCS#12 files", () => {
    const p12 = (name: string, ...extra: string[]): string => {
      const file = path.join(dir, name);
      openssl(
        "pkcs12",
        "-export",
        "-inkey",
        csb.keyFile,
        "-in",
        csb.certFile,
        "-certfile",
        caFile,
        "-passout",
        `pass:${PASSWORD}`,
        "-out",
        file,
        ...extra,
      );
      return file;
    };

    it("loads a file with OpenSSL 3 defaults (AES-256-CBC, PBKDF2, SHA-256 MAC): key, certificate and chain", async () => {
      const p12File = p12("csb.p12");
      const identity = await loadSigningIdentity({ p12File, p12Password: PASSWORD });
      expect(identity.fingerprint).to.equal(await certificateFingerprint(csb.certFile));
      expect(identity.subjectCommonName).to.contain("Civil Service Bureau");
      expect(identity.chainDer).to.have.length(1);
      expect(new X509Certificate(identity.chainDer[0]).subject).to.contain("HK e-Cert Development CA");
      expectWorkingKey(identity);
    });

    it("loads a legacy file (RC2-40 certificates, 3DES key, SHA-1 MAC: openssl -legacy)", async () => {
      const identity = await loadSigningIdentity({ p12File: p12("csb.legacy.p12", "-legacy"), p12Password: PASSWORD });
      expect(identity.fingerprint).to.equal(await certificateFingerprint(csb.certFile));
      expectWorkingKey(identity);
    });

    it("loads a file with 3DES for both bags and a password in Traditional Chinese", async () => {
      const p12File = path.join(dir, "csb.3des.p12");
      openssl(
        "pkcs12",
        "-export",
        "-inkey",
        csb.keyFile,
        "-in",
        csb.certFile,
        "-passout",
        "pass:公務員事務局 2026",
        "-keypbe",
        "PBE-SHA1-3DES",
        "-certpbe",
        "PBE-SHA1-3DES",
        "-macalg",
        "sha1",
        "-out",
        p12File,
      );
      expectWorkingKey(await loadSigningIdentity({ p12File, p12Password: "公務員事務局 2026" }));
    });

    it("refuses a wrong password with WRONG_PASSWORD naming the file and not repeating either password", async () => {
      const p12File = p12("csb.wrong.p12");
      const error = await expectLoadError(
        { p12File, p12Password: "not the password" },
        "WRONG_PASSWORD",
        /password for the PKCS#12 file .*csb\.wrong\.p12 is wrong/,
      );
      expect(error.message).not.to.contain("not the password");
      expect(error.message).not.to.contain(PASSWORD);
      expect(String(error.cause ?? "")).not.to.contain("not the password");
    });

    it("refuses a wrong password with WRONG_PASSWORD for a file without MAC", async () => {
      const p12File = p12("csb.nomac.p12", "-nomac");
      await expectLoadError({ p12File, p12Password: "nope" }, "WRONG_PASSWORD", /csb\.nomac\.p12 does not decrypt/);
    });

    it("refuses with MALFORMED_PKCS12 a file that is not PKCS#12", async () => {
      await expectLoadError(
        { p12File: csb.certFile, p12Password: PASSWORD },
        "MALFORMED_PKCS12",
        /CSB\.cert\.pem is not a well-formed PKCS#12 file/,
      );
    });

    it("refuses with MALFORMED_PKCS12 a file that holds no private key", async () => {
      const p12File = path.join(dir, "nokey.p12");
      openssl("pkcs12", "-export", "-nokeys", "-in", csb.certFile, "-passout", `pass:${PASSWORD}`, "-out", p12File);
      await expectLoadError({ p12File, p12Password: PASSWORD }, "MALFORMED_PKCS12", /holds no private key/);
    });

    it("loads an EC P-256 identity, the certificate byte for byte as stored (its SHA-256 is the registered fingerprint)", async () => {
      const keyFile = path.join(dir, "ec.key.pem");
      const certFile = path.join(dir, "ec.cert.pem");
      openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-subj",
        "/CN=EC signer/O=Fire Services Department",
        "-days",
        "1",
      );
      const p12File = path.join(dir, "ec.p12");
      openssl("pkcs12", "-export", "-inkey", keyFile, "-in", certFile, "-passout", `pass:${PASSWORD}`, "-out", p12File);
      const identity = await loadSigningIdentity({ p12File, p12Password: PASSWORD });
      expect(identity.keyType).to.equal("ec");
      expect(identity.subjectCommonName).to.equal("EC signer");
      expect(identity.organization).to.equal("Fire Services Department");
      expect(Buffer.from(identity.certificateDer).equals(new X509Certificate(await readFile(certFile)).raw)).to.equal(
        true,
      );
      expect(identity.fingerprint).to.equal(await certificateFingerprint(certFile));
      expectWorkingKey(identity);
    });

    it("loads a file with OpenSSL 3 defaults and a password in Traditional Chinese (UTF-8 for PBKDF2, BMPString for the MAC)", async () => {
      const p12File = path.join(dir, "csb.aes-zh.p12");
      openssl(
        "pkcs12",
        "-export",
        "-inkey",
        csb.keyFile,
        "-in",
        csb.certFile,
        "-certfile",
        caFile,
        "-passout",
        "pass:公務員事務局 2026",
        "-out",
        p12File,
      );
      const identity = await loadSigningIdentity({ p12File, p12Password: "公務員事務局 2026" });
      expect(identity.fingerprint).to.equal(await certificateFingerprint(csb.certFile));
      expect(identity.chainDer).to.have.length(1);
      expectWorkingKey(identity);
      await expectLoadError({ p12File, p12Password: "公務員事務局 2025" }, "WRONG_PASSWORD", /is wrong/);
    });

    it("refuses with MALFORMED_PKCS12 a file with a certificate off the signing certificate's chain", async () => {
      const p12File = path.join(dir, "offchain.p12");
      openssl(
        "pkcs12",
        "-export",
        "-inkey",
        csb.keyFile,
        "-in",
        csb.certFile,
        "-certfile",
        fsd.certFile,
        "-passout",
        `pass:${PASSWORD}`,
        "-out",
        p12File,
      );
      await expectLoadError(
        { p12File, p12Password: PASSWORD },
        "MALFORMED_PKCS12",
        /Fire Services Department.*not on the signing certificate's chain/,
      );
    });

    it("refuses with KEY_MISMATCH a file whose private key belongs to none of its certificates", async () => {
      const p12File = path.join(dir, "mismatch.p12");
      // OpenSSL will not write such a file; forge does.
      const pfx = forge.pkcs12.toPkcs12Asn1(
        forge.pki.privateKeyFromPem(await readFile(fsd.keyFile, "utf8")),
        [forge.pki.certificateFromPem(await readFile(csb.certFile, "utf8"))],
        PASSWORD,
        { algorithm: "3des" },
      );
      await writeFile(p12File, Buffer.from(forge.asn1.toDer(pfx).getBytes(), "binary"));
      await expectLoadError(
        { p12File, p12Password: PASSWORD },
        "KEY_MISMATCH",
        /None of the certificates in the PKCS#12 file .*mismatch\.p12 belongs to its private key/,
      );
    });

    it("refuses with MALFORMED_PKCS12 a chain that stops at an intermediate; loads the whole chain, in order, or the certificate alone", async () => {
      const file = (name: string): string => path.join(dir, `partial.${name}`);
      await writeFile(
        file("ext.cnf"),
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n[leaf]\nkeyUsage=critical,digitalSignature\n",
      );
      const issue = (name: string, subject: string, issuer: string, extensions: string): void => {
        openssl(
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          file(`${name}.key`),
          "-out",
          file(`${name}.csr`),
          "-subj",
          subject,
        );
        openssl(
          "x509",
          "-req",
          "-in",
          file(`${name}.csr`),
          "-CA",
          file(`${issuer}.pem`),
          "-CAkey",
          file(`${issuer}.key`),
          "-CAcreateserial",
          "-extfile",
          file("ext.cnf"),
          "-extensions",
          extensions,
          "-days",
          "2",
          "-out",
          file(`${name}.pem`),
        );
      };
      openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        file("root.key"),
        "-out",
        file("root.pem"),
        "-subj",
        "/CN=Partial Root",
        "-days",
        "2",
      );
      issue("int", "/CN=Partial Intermediate", "root", "ca");
      issue("leaf", "/CN=Partial Leaf", "int", "leaf");
      const p12 = async (name: string, chain: string[]): Promise<string> => {
        // One -certfile (OpenSSL takes the last one given), holding the chain in that order.
        await writeFile(
          file(`${name}.chain.pem`),
          (await Promise.all(chain.map((c) => readFile(file(`${c}.pem`), "utf8")))).join(""),
        );
        const certfiles = chain.length > 0 ? ["-certfile", file(`${name}.chain.pem`)] : [];
        openssl(
          "pkcs12",
          "-export",
          "-inkey",
          file("leaf.key"),
          "-in",
          file("leaf.pem"),
          ...certfiles,
          "-passout",
          `pass:${PASSWORD}`,
          "-out",
          file(`${name}.p12`),
        );
        return file(`${name}.p12`);
      };
      await expectLoadError(
        { p12File: await p12("stops", ["int"]), p12Password: PASSWORD },
        "MALFORMED_PKCS12",
        /partial\.stops\.p12 holds a partial chain: it stops at the intermediate "Partial Intermediate".*verifiers refuse partial chains/,
      );
      const full = await loadSigningIdentity({ p12File: await p12("full", ["root", "int"]), p12Password: PASSWORD });
      expect(full.chainDer.map((der) => new X509Certificate(der).subject)).to.deep.equal([
        "CN=Partial Intermediate",
        "CN=Partial Root",
      ]);
      expect(
        (await loadSigningIdentity({ p12File: await p12("alone", []), p12Password: PASSWORD })).chainDer,
      ).to.deep.equal([]);
    });
  });
});
