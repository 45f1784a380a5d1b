import { createHash, webcrypto } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as asn1js from "asn1js";
import { expect } from "chai";
import * as pkijs from "pkijs";
import {
  buildBatch,
  createCredential,
  encodeCredentialUrl,
  getCertificateType,
  scanPdf,
  validateCsv,
  verifyPadesCms,
  type Credential,
} from "../../../core/index.ts";
import { DerError, readElement } from "../../../core/verify/der.ts";
import { createPadesSigner, findSignaturePlaceholder } from "../../../server/pdf/pades.ts";
import { CertificateTemplate } from "../../../server/pdf/render-certificate.ts";
import { loadSigningIdentity, type SigningIdentity } from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../../server/pki/dev-pki.ts";
import { DEPARTMENTS, VERIFIER_URL, sampleCsv } from "../../helpers/ecert-fixture.ts";
import { selfSignedIdentity } from "../../helpers/identities.ts";

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const engine = () => new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as Crypto });

/** The CMS and the digest of the signed byte ranges of a signed PDF. */
function signatureOf(pdf: Uint8Array): { cms: Uint8Array; documentDigest: Uint8Array; signedBytes: Uint8Array } {
  const { signature } = scanPdf(pdf);
  if (signature.state !== "present") throw new Error(`no signature: ${JSON.stringify(signature)}`);
  const signedBytes = new Uint8Array(Buffer.concat(signature.signedRanges));
  return {
    cms: signature.cms,
    documentDigest: new Uint8Array(createHash("sha256").update(signedBytes).digest()),
    signedBytes,
  };
}

/** Parses a CMS with pkijs, lets `change` edit its SignedData, and encodes it again. */
function reencode(cms: Uint8Array, change: (signedData: pkijs.SignedData) => void): Uint8Array {
  const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(Uint8Array.from(cms)).content });
  change(signedData);
  const contentInfo = new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.SIGNED_DATA,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}

const der = (certificate: pkijs.CertificateSetItem) =>
  Buffer.from((certificate as pkijs.Certificate).toSchema().toBER());

describe("verifyPadesCms and scanPdf", function () {
  this.timeout(30_000);
  let dir: string;
  let identity: SigningIdentity;
  let credential: Credential;
  let unsigned: Uint8Array;
  let signed: Uint8Array;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-cms-"));
    const pki = await ensureDevPki(path.join(dir, "pki"), [DEPARTMENTS.CSB]);
    // With the development CA as its chain, so the CMS carries two certificates.
    identity = await loadSigningIdentity({
      ...pki.departments.CSB,
      chainFiles: [path.join(dir, "pki", "ca.cert.pem")],
    });
    expect(identity.chainDer).to.have.length(1);
    const { records } = validateCsv(await sampleCsv("csb-cre.csv"), "csb-cre");
    const issued = records.slice(0, 3).map((record) => createCredential({ record }));
    credential = buildBatch({ issued, chainId: 31337, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" })
      .credentials[0];
    const template = new CertificateTemplate({
      schema: getCertificateType("csb-cre"),
      issuer: DEPARTMENTS.CSB,
      verifierUrl: VERIFIER_URL,
    });
    unsigned = template.render({ credential, qrUrl: encodeCredentialUrl(VERIFIER_URL, credential) });
    signed = new Uint8Array(createPadesSigner(identity).sign(unsigned));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("scanPdf finds exactly the byte ranges pades.ts signed, the CMS without its padding, and the embedded credential", () => {
    const { signature, credential: embedded } = scanPdf(signed);
    const { contentsStart, contentsEnd } = findSignaturePlaceholder(unsigned);
    expect(signature.state).to.equal("present");
    if (signature.state !== "present") return;
    expect(signature.signedRanges[0].length).to.equal(contentsStart);
    expect(signature.signedRanges[1].byteOffset - signed.byteOffset).to.equal(contentsEnd);
    expect(signature.signedRanges[1].length).to.equal(signed.length - contentsEnd);
    expect(asn1js.fromBER(Uint8Array.from(signature.cms)).offset).to.equal(signature.cms.length);
    expect(embedded).to.deep.equal({ ok: true, json: JSON.parse(JSON.stringify(credential)) });
  });

  it("accepts the department's signature and reports its certificate's registered fingerprint, as pkijs verifies it", async () => {
    const { cms, documentDigest, signedBytes } = signatureOf(signed);
    const result = await verifyPadesCms({ cms, documentDigest, subtle });
    expect(result).to.deep.equal({
      valid: true,
      signer: { fingerprint: identity.fingerprint, commonName: "Civil Service Bureau (development)" },
    });
    const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(Uint8Array.from(cms)).content });
    const pkijsResult = await signedData.verify(
      { signer: 0, data: signedBytes.buffer as ArrayBuffer, checkChain: false, extendedMode: true },
      engine(),
    );
    expect(pkijsResult.signatureVerified).to.equal(true);
  });

  it("accepts the same CMS re-encoded by pkijs unchanged (the strict reader reads standard DER)", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const again = reencode(cms, () => {});
    expect(Buffer.from(again).equals(Buffer.from(cms))).to.equal(true);
    expect((await verifyPadesCms({ cms: again, documentDigest, subtle })).valid).to.equal(true);
  });

  it("accepts an ECDSA P-256 signature", async () => {
    const ec = await selfSignedIdentity({
      dir,
      name: "ec",
      subject: "CN=EC signer, O=Civil Service Bureau, C=HK",
      key: "ec",
    });
    const { cms, documentDigest } = signatureOf(new Uint8Array(createPadesSigner(ec).sign(unsigned)));
    expect(await verifyPadesCms({ cms, documentDigest, subtle })).to.deep.equal({
      valid: true,
      signer: { fingerprint: ec.fingerprint, commonName: "EC signer" },
    });
  });

  it("reports digestMismatch when the PDF's bytes are not the ones that were signed", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const other = documentDigest.slice();
    other[0] ^= 1;
    const result = await verifyPadesCms({ cms, documentDigest: other, subtle });
    expect(result).to.deep.include({ valid: false, digestMismatch: true });
    expect(result.valid === false && result.signer?.fingerprint).to.equal(identity.fingerprint);
  });

  it("refuses unsigned attributes (bytes no signature covers)", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const changed = reencode(cms, (sd) => {
      sd.signerInfos[0].unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
        type: 1,
        attributes: [
          new pkijs.Attribute({ type: "1.2.840.113549.1.9.16.2.14", values: [new asn1js.Utf8String({ value: "x" })] }),
        ],
      });
    });
    const result = await verifyPadesCms({ cms: changed, documentDigest, subtle });
    expect(result).to.deep.include({ valid: false, digestMismatch: false });
    expect(result.valid === false && result.problem).to.match(/no unsigned attributes/);
  });

  it("refuses a certificate that is not on the signer's chain", async () => {
    const stranger = await selfSignedIdentity({ dir, name: "stranger", subject: "CN=Stranger, C=HK" });
    const { cms, documentDigest } = signatureOf(signed);
    const changed = reencode(cms, (sd) => {
      sd.certificates = [...sd.certificates!, pkijs.Certificate.fromBER(Uint8Array.from(stranger.certificateDer))].sort(
        (a, b) => Buffer.compare(der(a), der(b)),
      );
    });
    const result = await verifyPadesCms({ cms: changed, documentDigest, subtle });
    expect(result.valid === false && result.problem).to.match(/not on the signer's chain/);
  });

  it("refuses a chain certificate whose bytes were changed", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const ca = Buffer.from(identity.chainDer[0]);
    const at = Buffer.from(cms).indexOf(ca);
    expect(at).to.be.greaterThan(0);
    const changed = cms.slice();
    changed[at + ca.length - 1] ^= 1; // the last byte of the CA's self-signature
    const result = await verifyPadesCms({ cms: changed, documentDigest, subtle });
    expect(result.valid === false && result.problem).to.match(/is not validly signed by/);
  });

  it("refuses a chain certificate that no longer names itself as its issuer (its issuer would not be included)", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const ca = Buffer.from(identity.chainDer[0]);
    const caAt = Buffer.from(cms).indexOf(ca);
    const issuerName = Buffer.from(cms).indexOf("HK e-Cert Development CA", caAt); // the issuer comes before the subject
    const changed = cms.slice();
    changed[issuerName] ^= 0x20; // "HK" -> "hK"
    const result = await verifyPadesCms({ cms: changed, documentDigest, subtle });
    expect(result.valid === false && result.problem).to.match(/cannot be checked: its issuer is not included/);
  });

  it("refuses certificates out of DER order", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const changed = reencode(cms, (sd) => {
      sd.certificates = [...sd.certificates!].reverse();
    });
    const result = await verifyPadesCms({ cms: changed, documentDigest, subtle });
    expect(result.valid === false && result.problem).to.match(/DER SET OF order/);
  });

  it("refuses a SignerInfo that names another certificate than the signed attributes do", async () => {
    const { cms, documentDigest } = signatureOf(signed);
    const ca = pkijs.Certificate.fromBER(Uint8Array.from(identity.chainDer[0]));
    const changed = reencode(cms, (sd) => {
      sd.signerInfos[0].sid = new pkijs.IssuerAndSerialNumber({ issuer: ca.issuer, serialNumber: ca.serialNumber });
    });
    const result = await verifyPadesCms({ cms: changed, documentDigest, subtle });
    expect(result.valid === false && result.problem).to.match(/not the one the signature's attributes name/);
  });

  it("never throws, whatever bytes it is given", async () => {
    const { documentDigest } = signatureOf(signed);
    for (const cms of [
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x80, 0, 0),
      Uint8Array.of(0x30, 0x03, 2, 1, 1),
      new Uint8Array(300).fill(0x30),
    ]) {
      expect((await verifyPadesCms({ cms, documentDigest, subtle })).valid).to.equal(false);
    }
  });

  describe("the DER reader", () => {
    it("refuses indefinite lengths, non-minimal lengths and elements longer than their container", () => {
      expect(() => readElement(Uint8Array.of(0x30, 0x80, 0x00, 0x00), 0)).to.throw(DerError, /indefinite/);
      expect(() => readElement(Uint8Array.of(0x04, 0x81, 0x05, 1, 2, 3, 4, 5), 0)).to.throw(DerError, /non-minimal/);
      expect(() => readElement(Uint8Array.of(0x04, 0x82, 0x00, 0x90), 0)).to.throw(DerError, /non-minimal/);
      expect(() => readElement(Uint8Array.of(0x04, 0x05, 1, 2), 0)).to.throw(DerError, /longer than its container/);
      expect(readElement(Uint8Array.of(0x04, 0x81, 0x80, ...new Uint8Array(128)), 0)).to.deep.equal({
        tag: 4,
        start: 0,
        valueStart: 3,
        end: 131,
      });
    });
  });
});
