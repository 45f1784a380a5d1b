import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import {
  BYTE_RANGE_PLACEHOLDER,
  createPadesSigner,
  findSignaturePlaceholder,
  type PadesSigner,
} from "../../../server/pdf/pades.ts";
import { isPdfSigningError, type PdfSigningErrorCode } from "../../../server/pdf/signing-error.ts";
import { loadSigningIdentity, type SigningIdentity } from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki, type DevPkiResult } from "../../../server/pki/dev-pki.ts";
import {
  extractSignature,
  makePlaceholderPdf,
  makePlainPdf,
  openssl,
  parseSignedData,
  pdfsig,
  verifyWithPkijs,
} from "./pades-helpers.ts";

const OID = {
  data: "1.2.840.113549.1.7.1",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
};

function expectSigningError(action: () => unknown, code: PdfSigningErrorCode, message: RegExp): void {
  let error: unknown;
  try {
    action();
  } catch (e) {
    error = e;
  }
  expect(isPdfSigningError(error, code), `expected PdfSigningError ${code}, got ${String(error)}`).to.equal(true);
  expect((error as Error).message).to.match(message);
}

describe("createPadesSigner", () => {
  let dir: string;
  let pki: DevPkiResult;
  let identity: SigningIdentity;
  let signer: PadesSigner;
  let unsigned: Uint8Array;
  let unsignedCopy: Uint8Array;
  let signed: Uint8Array;
  let signedFile: string;
  let pdfsigLines: string[];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-pades-"));
    pki = await ensureDevPki(path.join(dir, "pki"), [{ id: "CSB", nameEn: "Civil Service Bureau" }]);
    identity = await loadSigningIdentity({ ...pki.departments.CSB, chainFiles: [path.join(dir, "pki/ca.cert.pem")] });
    signer = createPadesSigner(identity);
    unsigned = await makePlaceholderPdf({ attachmentBytes: 20_000 });
    unsignedCopy = Uint8Array.from(unsigned);
    signed = signer.sign(unsigned);
    signedFile = path.join(dir, "signed.pdf");
    await writeFile(signedFile, signed);
    pdfsigLines = pdfsig(signedFile);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("a PDF with a pdflibAddPlaceholder placeholder, signed with the CSB development identity", () => {
    it("passes pdfsig with 'Signature is Valid.'", () => {
      expect(pdfsigLines).to.include("- Signature Validation: Signature is Valid.");
    });

    it("shows Civil Service Bureau as the signer's common name in pdfsig", () => {
      const line = pdfsigLines.find((l) => l.startsWith("- Signer Certificate Common Name:"));
      expect(line).to.contain("Civil Service Bureau");
    });

    it("has SubFilter ETSI.CAdES.detached, SHA-256 and the whole document signed according to pdfsig", () => {
      expect(pdfsigLines).to.include("- Signature Type: ETSI.CAdES.detached");
      expect(pdfsigLines).to.include("- Signing Hash Algorithm: SHA-256");
      expect(pdfsigLines).to.include("- Total document signed");
    });

    it("shows the dictionary's /M as the signing time in pdfsig", () => {
      expect(pdfsigLines).to.include("- Signing Time: Mar 01 2026 12:00:00");
    });

    it("verifies with pkijs SignedData.verify over the byte ranges as detached data", async () => {
      expect(await verifyWithPkijs(signed)).to.equal(true);
    });

    it("has a byte range from 0 to the end of the file around the /Contents hex string", () => {
      const { byteRange } = extractSignature(signed);
      const { contentsStart, contentsEnd } = findSignaturePlaceholder(unsigned);
      expect(byteRange).to.deep.equal([0, contentsStart, contentsEnd, signed.length - contentsEnd]);
      expect(signed[contentsStart]).to.equal(0x3c); // <
      expect(signed[contentsEnd - 1]).to.equal(0x3e); // >
    });

    it("keeps the length and every byte outside /ByteRange and /Contents, and leaves the input unchanged", () => {
      const { byteRangeStart, byteRangeEnd, contentsStart, contentsEnd } = findSignaturePlaceholder(unsigned);
      expect(signed.length).to.equal(unsigned.length);
      const outside = (pdf: Uint8Array) =>
        Buffer.concat([
          pdf.subarray(0, byteRangeStart),
          pdf.subarray(byteRangeEnd, contentsStart),
          pdf.subarray(contentsEnd),
        ]);
      expect(outside(signed).equals(outside(unsigned))).to.equal(true);
      expect(Buffer.from(unsigned).equals(unsignedCopy)).to.equal(true);
    });

    it("is a detached CMS SignedData v1 with id-data, no eContent and the signer and chain certificates", () => {
      const signedData = parseSignedData(extractSignature(signed).cms);
      expect(signedData.version).to.equal(1);
      expect(signedData.encapContentInfo.eContentType).to.equal(OID.data);
      expect(signedData.encapContentInfo.eContent).to.equal(undefined);
      expect(signedData.digestAlgorithms.map((a) => a.algorithmId)).to.deep.equal([OID.sha256]);
      const certificates = (signedData.certificates ?? []).map((c) =>
        Buffer.from((c as pkijs.Certificate).toSchema().toBER()).toString("hex"),
      );
      expect(certificates).to.have.members(
        [identity.certificateDer, ...identity.chainDer].map((der) => Buffer.from(der).toString("hex")),
      );
    });

    it("has one SignerInfo with issuerAndSerialNumber, sha-256 and rsaEncryption", () => {
      const signedData = parseSignedData(extractSignature(signed).cms);
      expect(signedData.signerInfos).to.have.length(1);
      const [signerInfo] = signedData.signerInfos;
      expect(signerInfo.version).to.equal(1);
      expect(signerInfo.sid).to.be.instanceOf(pkijs.IssuerAndSerialNumber);
      const certificate = pkijs.Certificate.fromBER(Uint8Array.from(identity.certificateDer));
      expect((signerInfo.sid as pkijs.IssuerAndSerialNumber).serialNumber.isEqual(certificate.serialNumber)).to.equal(
        true,
      );
      expect((signerInfo.sid as pkijs.IssuerAndSerialNumber).issuer.isEqual(certificate.issuer)).to.equal(true);
      expect(signerInfo.digestAlgorithm.algorithmId).to.equal(OID.sha256);
      expect(signerInfo.signatureAlgorithm.algorithmId).to.equal(OID.rsaEncryption);
      expect(signerInfo.unsignedAttrs).to.equal(undefined);
    });

    it("signs contentType, messageDigest and signingCertificateV2 with the certificate's SHA-256, and no signingTime", () => {
      const { cms, signedBytes } = extractSignature(signed);
      const attributes = parseSignedData(cms).signerInfos[0].signedAttrs?.attributes ?? [];
      expect(attributes.map((a) => a.type)).to.have.members([
        OID.contentType,
        OID.messageDigest,
        OID.signingCertificateV2,
      ]);
      expect(attributes.map((a) => a.type)).not.to.include(OID.signingTime);

      const byType = (type: string) => attributes.find((a) => a.type === type)!.values[0];
      expect((byType(OID.contentType) as asn1js.ObjectIdentifier).valueBlock.toString()).to.equal(OID.data);
      const messageDigest = Buffer.from((byType(OID.messageDigest) as asn1js.OctetString).valueBlock.valueHexView);
      expect(messageDigest.equals(createHash("sha256").update(signedBytes).digest())).to.equal(true);

      // SigningCertificateV2 { certs { ESSCertIDv2 { [hashAlgorithm sha-256 by default,] certHash, issuerSerial } } }
      const essCertIds = (byType(OID.signingCertificateV2) as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
      expect(essCertIds.valueBlock.value).to.have.length(1);
      const [certHash, issuerSerial] = (essCertIds.valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
      expect(certHash).to.be.instanceOf(asn1js.OctetString); // hashAlgorithm omitted: DER default sha-256
      expect("0x" + Buffer.from((certHash as asn1js.OctetString).valueBlock.valueHexView).toString("hex")).to.equal(
        identity.fingerprint,
      );
      const serial = (issuerSerial as asn1js.Sequence).valueBlock.value[1] as asn1js.Integer;
      expect(serial.isEqual(pkijs.Certificate.fromBER(Uint8Array.from(identity.certificateDer)).serialNumber)).to.equal(
        true,
      );
    });
  });

  it("fails pkijs verification and pdfsig when one byte inside the signed range is flipped", async () => {
    const tampered = Uint8Array.from(signed);
    const { byteRange } = extractSignature(signed);
    const offset = byteRange[2] + 10; // after /Contents, inside the signed range
    tampered[offset] ^= 0x01;
    expect(await verifyWithPkijs(tampered)).to.equal(false);
    const file = path.join(dir, "tampered.pdf");
    await writeFile(file, tampered);
    expect(pdfsig(file)).to.include("- Signature Validation: Digest Mismatch.");
  });

  it("throws NO_PLACEHOLDER for a PDF without a signature placeholder", async () => {
    const plain = await makePlainPdf();
    expectSigningError(() => signer.sign(plain), "NO_PLACEHOLDER", /no signature placeholder/);
  });

  it("throws NO_PLACEHOLDER naming an already filled /ByteRange when signing a signed PDF again", () => {
    expectSigningError(() => signer.sign(signed), "NO_PLACEHOLDER", /already filled in/);
  });

  it("throws PLACEHOLDER_TOO_SMALL with both sizes when /Contents holds fewer hex digits than the CMS needs", async () => {
    const small = await makePlaceholderPdf({ signatureLength: 2048 });
    expectSigningError(
      () => signer.sign(small),
      "PLACEHOLDER_TOO_SMALL",
      new RegExp(`holds 2048 hex digits; this signing identity needs at least ${signer.contentsLength}`),
    );
  });

  it("signs a placeholder of exactly contentsLength hex digits", async () => {
    const exact = await makePlaceholderPdf({ signatureLength: signer.contentsLength });
    expect(await verifyWithPkijs(signer.sign(exact))).to.equal(true);
  });

  it("throws MULTIPLE_PLACEHOLDERS for a PDF with two placeholders", async () => {
    const two = await makePlaceholderPdf({ placeholders: 2 });
    expectSigningError(() => signer.sign(two), "MULTIPLE_PLACEHOLDERS", /more than one/);
  });

  it("throws MALFORMED_PLACEHOLDER for a placeholder with SubFilter adbe.pkcs7.detached", async () => {
    const pkcs7 = await makePlaceholderPdf({ subFilter: "adbe.pkcs7.detached" });
    expectSigningError(() => signer.sign(pkcs7), "MALFORMED_PLACEHOLDER", /ETSI\.CAdES\.detached/);
  });

  it("throws MALFORMED_PLACEHOLDER for a signature dictionary without /M", async () => {
    const pdf = Buffer.from(await makePlaceholderPdf());
    const at = pdf.indexOf("/M (D:");
    pdf.write("/X", at, "latin1");
    expectSigningError(() => signer.sign(pdf), "MALFORMED_PLACEHOLDER", /no \/M/);
  });

  it("signs a hand-written style placeholder: compact ByteRange and ASCII zeros in /Contents", async () => {
    const pdf = Buffer.from(await makePlaceholderPdf());
    const pdfLibArray = "[ 0 /********** /********** /********** ]";
    const at = pdf.indexOf(pdfLibArray);
    pdf.write(BYTE_RANGE_PLACEHOLDER.padEnd(pdfLibArray.length, " "), at, "latin1");
    const { contentsStart, contentsEnd } = findSignaturePlaceholder(pdf);
    pdf.fill(0x30, contentsStart + 1, contentsEnd - 1);
    const handSigned = signer.sign(pdf);
    expect(await verifyWithPkijs(handSigned)).to.equal(true);
    const file = path.join(dir, "hand.pdf");
    await writeFile(file, handSigned);
    expect(pdfsig(file)).to.include.members(["- Signature Validation: Signature is Valid.", "- Total document signed"]);
  });

  it("signs with ecdsa-with-SHA256 for an EC P-256 identity, valid for pkijs and pdfsig", async () => {
    const keyFile = path.join(dir, "ec.key.pem");
    const csrFile = path.join(dir, "ec.csr.pem");
    const certFile = path.join(dir, "ec.cert.pem");
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile);
    openssl(
      "req",
      "-new",
      "-key",
      keyFile,
      "-subj",
      "/CN=Fire Services Department (EC test)/O=Fire Services Department/C=HK",
      "-out",
      csrFile,
    );
    openssl(
      "x509",
      "-req",
      "-in",
      csrFile,
      "-CA",
      path.join(dir, "pki/ca.cert.pem"),
      "-CAkey",
      path.join(dir, "pki/ca.key.pem"),
      "-set_serial",
      "0x1234567890abcdef",
      "-days",
      "30",
      "-out",
      certFile,
    );
    const ecSigner = createPadesSigner(await loadSigningIdentity({ certFile, keyFile }));
    const ecSigned = ecSigner.sign(await makePlaceholderPdf());
    const signerInfo = parseSignedData(extractSignature(ecSigned).cms).signerInfos[0];
    expect(signerInfo.signatureAlgorithm.algorithmId).to.equal(OID.ecdsaWithSha256);
    expect(await verifyWithPkijs(ecSigned)).to.equal(true);
    const file = path.join(dir, "ec.pdf");
    await writeFile(file, ecSigned);
    expect(pdfsig(file)).to.include("- Signature Validation: Signature is Valid.");
  });
});
