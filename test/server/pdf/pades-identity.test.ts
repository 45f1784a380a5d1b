import { createHash, sign, verify, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { certificateFingerprint } from "../../../server/chain/issuers.ts";
import { rc2DecryptCbc, rc2DecryptEcb } from "../../../server/pdf/rc2.ts";
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
      await expectLoadError({ certFile: junk, keyFile: csb.keyFile }, "NOT_A_CERTIFICATE", /junk\.pem holds no valid X\.509 certificate/);
    });

    it("refuses with NOT_A_CERTIFICATE a damaged PEM certificate", async () => {
      const damaged = path.join(dir, "damaged.pem");
      await writeFile(damaged, "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----\n");
      await expectLoadError({ certFile: damaged, keyFile: csb.keyFile }, "NOT_A_CERTIFICATE", /damaged\.pem holds no valid X\.509/);
    });

    it("refuses swapped certificate and key files with a message saying they look swapped", async () => {
      await expectLoadError({ certFile: csb.keyFile, keyFile: csb.certFile }, "NOT_A_CERTIFICATE", /swapped/);
    });

    it("refuses with FILE_UNREADABLE, naming the file, a key file that does not exist", async () => {
      const missing = path.join(dir, "missing.key.pem");
      await expectLoadError({ certFile: csb.certFile, keyFile: missing }, "FILE_UNREADABLE", /missing\.key\.pem: it does not exist/);
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
      await expectLoadError(csb, "CERTIFICATE_NOT_YET_VALID", /not valid before 2026-01-01/, new Date(Date.UTC(2025, 11, 31)));
    });

    it("loads an encrypted PKCS#8 key with keyPassword and refuses a wrong one with WRONG_PASSWORD", async () => {
      const keyFile = path.join(dir, "csb.enc.pem");
      openssl("pkcs8", "-topk8", "-in", csb.keyFile, "-v2", "aes-256-cbc", "-passout", `pass:${PASSWORD}`, "-out", keyFile);
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
      openssl("req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", keyFile, "-out", certFile, "-subj", "/CN=weak", "-days", "1");
      await expectLoadError({ certFile, keyFile }, "UNSUPPORTED_KEY", /1024 bits; at least 2048/);
    });

    it("refuses with UNSUPPORTED_KEY an Ed25519 key", async () => {
      const keyFile = path.join(dir, "ed.key.pem");
      const certFile = path.join(dir, "ed.cert.pem");
      openssl("req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", keyFile, "-out", certFile, "-subj", "/CN=ed", "-days", "1");
      await expectLoadError({ certFile, keyFile }, "UNSUPPORTED_KEY", /ed25519/);
    });
  });

  describe("from PKCS#12 files", () => {
    const p12 = (name: string, ...extra: string[]): string => {
      const file = path.join(dir, name);
      openssl(
        "pkcs12", "-export", "-inkey", csb.keyFile, "-in", csb.certFile, "-certfile", caFile,
        "-passout", `pass:${PASSWORD}`, "-out", file, ...extra,
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
        "pkcs12", "-export", "-inkey", csb.keyFile, "-in", csb.certFile, "-passout", "pass:公務員事務局 2026",
        "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1", "-out", p12File,
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
      await expectLoadError({ p12File: csb.certFile, p12Password: PASSWORD }, "MALFORMED_PKCS12", /CSB\.cert\.pem is not a well-formed PKCS#12 file/);
    });

    it("refuses with MALFORMED_PKCS12 a file that holds no private key", async () => {
      const p12File = path.join(dir, "nokey.p12");
      openssl("pkcs12", "-export", "-nokeys", "-in", csb.certFile, "-passout", `pass:${PASSWORD}`, "-out", p12File);
      await expectLoadError({ p12File, p12Password: PASSWORD }, "MALFORMED_PKCS12", /holds no private key/);
    });
  });
});

describe("rc2DecryptEcb", () => {
  // RFC 2268 section 5: key, effective key bits, plaintext, ciphertext.
  const vectors: [string, number, string, string][] = [
    ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
    ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
    ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
    ["88", 64, "0000000000000000", "61a8a244adacccf0"],
    ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
    ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
    ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  ];
  for (const [key, bits, plaintext, ciphertext] of vectors) {
    it(`decrypts the RFC 2268 vector key ${key} / ${bits} bits to ${plaintext}`, () => {
      const out = rc2DecryptEcb(Buffer.from(ciphertext, "hex"), Buffer.from(key, "hex"), bits);
      expect(Buffer.from(out).toString("hex")).to.equal(plaintext);
    });
  }

  it("rc2DecryptCbc throws on bad padding, as with a wrong key", () => {
    expect(() => rc2DecryptCbc(Buffer.alloc(16, 1), Buffer.alloc(5, 2), Buffer.alloc(8))).to.throw(RangeError);
  });
});
