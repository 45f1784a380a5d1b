import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import {
  buildBatch,
  computeCredentialDigest,
  createCredential,
  decodeCredentialUrl,
  encodeCredentialUrl,
  getCertificateType,
  validateCsv,
  type Credential,
} from "../../../core/index.ts";
import { createPadesSigner } from "../../../server/pdf/pades.ts";
import QRCode from "qrcode";
import { CREDENTIAL_ATTACHMENT, CertificateTemplate, qrSegments } from "../../../server/pdf/render-certificate.ts";
import { loadSigningIdentity, type SigningIdentity } from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../../server/pki/dev-pki.ts";
import { ISSUERS, REGISTRY, VERIFIER_URL, sampleCsv } from "./documents-helpers.ts";

const SAMPLES = [
  ["csb-cre.csv", "csb-cre"],
  ["csb-blnst.csv", "csb-blnst"],
  ["fsd-dg-licence.csv", "fsd-dg-licence"],
  ["fsd-fsi-contractor.csv", "fsd-fsi-contractor"],
] as const;

// jsqr is CommonJS with an ES-style `export default` in its types: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

/** 300 dpi: the QR code is printed 170 pt square, 48 pt from the bottom-left corner of the page. */
function decodeQrAt300Dpi(pdfFile: string): string | undefined {
  const scale = 300 / 72;
  const box = { x: 48 - 12, y: 841.89 - 48 - 170 - 12, size: 170 + 24 };
  const out = execFileSync(
    "pdftoppm",
    [
      "-r",
      "300",
      "-png",
      "-singlefile",
      "-x",
      String(Math.floor(box.x * scale)),
      "-y",
      String(Math.floor(box.y * scale)),
      "-W",
      String(Math.ceil(box.size * scale)),
      "-H",
      String(Math.ceil(box.size * scale)),
      pdfFile,
    ],
    { maxBuffer: 64 * 2 ** 20 },
  );
  const png = PNG.sync.read(out);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)
    ?.data;
}

describe("certificate PDFs (render, QR, PAdES)", function () {
  this.timeout(120_000);
  let dir: string;
  const identities: Record<string, SigningIdentity> = {};
  const signed: { type: string; row: number; credential: Credential; qrUrl: string; file: string }[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-pdf-"));
    const pki = await ensureDevPki(path.join(dir, "pki"), Object.values(ISSUERS));
    for (const id of Object.keys(ISSUERS)) identities[id] = await loadSigningIdentity(pki.departments[id]);
    for (const [file, typeId] of SAMPLES) {
      const schema = getCertificateType(typeId);
      const issuer = ISSUERS[schema.issuer as keyof typeof ISSUERS];
      const { records } = validateCsv(sampleCsv(file), typeId);
      const issued = records.map((record) => createCredential({ record }));
      // A 10,000-leaf tree, so every QR code carries a full-length (14-hash) Merkle path.
      const padding = Array.from({ length: 10_000 - issued.length }, (_, i) => ({
        ...issued[0],
        digest: `0x${(i + 1).toString(16).padStart(64, "0")}` as const,
      }));
      const { credentials } = buildBatch({ issued: [...issued, ...padding], chainId: 31337, registry: REGISTRY });
      const signer = createPadesSigner(identities[issuer.id]);
      // As the document workers make it: a placeholder with room for this signer's CMS and no more.
      const template = new CertificateTemplate({
        schema,
        issuer,
        verifierUrl: VERIFIER_URL,
        signatureLength: signer.contentsLength / 2,
      });
      for (let row = 0; row < records.length; row++) {
        const credential = credentials[row];
        const qrUrl = encodeCredentialUrl(VERIFIER_URL, credential);
        const pdfFile = path.join(dir, `${typeId}-${row + 1}.pdf`);
        await writeFile(pdfFile, signer.sign(template.render({ credential, qrUrl })));
        signed.push({ type: typeId, row: row + 1, credential, qrUrl, file: pdfFile });
      }
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const [, typeId] of SAMPLES) {
    it(`pdfsig reports the ${typeId} certificate's signature valid, covering the whole file, by its department`, () => {
      const { file } = signed.find((s) => s.type === typeId)!;
      const out = spawnSync("pdfsig", [file], { encoding: "utf8" }).stdout;
      const department = ISSUERS[getCertificateType(typeId).issuer as keyof typeof ISSUERS].nameEn;
      expect(out).to.include("Signature Validation: Signature is Valid.");
      expect(out).to.include("Total document signed");
      expect(out).to.include("Signature Type: ETSI.CAdES.detached");
      expect(out).to.include(`Signer Certificate Common Name: ${department} (development)`);
    });
  }

  it("sizes the signature placeholder to its signer: 13 KB smaller than the default, the same text, signed whole", async () => {
    const { credential, qrUrl, file } = signed.find((s) => s.type === "csb-cre")!;
    const schema = getCertificateType("csb-cre");
    const signer = createPadesSigner(identities.CSB);
    const signingTime = new Date("2026-12-04T08:00:00Z");
    const sized = signer.sign(
      new CertificateTemplate({
        schema,
        issuer: ISSUERS.CSB,
        verifierUrl: VERIFIER_URL,
        signatureLength: signer.contentsLength / 2,
      }).render({ credential, qrUrl, signingTime }),
    );
    const roomy = signer.sign(
      new CertificateTemplate({ schema, issuer: ISSUERS.CSB, verifierUrl: VERIFIER_URL }).render({
        credential,
        qrUrl,
        signingTime,
      }),
    );
    // The default leaves 8,192 bytes (16,384 hex digits); an RSA-2048 identity's CMS takes under 2,000.
    expect(roomy.length - sized.length).to.equal(2 * 8192 - signer.contentsLength);
    expect(roomy.length - sized.length).to.be.greaterThan(12_000);
    const sizedFile = path.join(dir, "sized.pdf");
    await writeFile(sizedFile, sized);
    expect(spawnSync("pdfsig", [sizedFile], { encoding: "utf8" }).stdout).to.include(
      "Signature Validation: Signature is Valid.",
    );
    const text = (f: string) => execFileSync("pdftotext", [f, "-"], { encoding: "utf8" });
    expect(text(sizedFile)).to.equal(text(file));
    // One byte short of the CMS: the signer refuses it rather than cut the signature.
    const short = new CertificateTemplate({
      schema,
      issuer: ISSUERS.CSB,
      verifierUrl: VERIFIER_URL,
      signatureLength: signer.contentsLength / 2 - 1,
    }).render({ credential, qrUrl });
    expect(() => signer.sign(short)).to.throw(/this signing identity needs at least/);
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(
        () => new CertificateTemplate({ schema, issuer: ISSUERS.CSB, verifierUrl: VERIFIER_URL, signatureLength: bad }),
      ).to.throw(RangeError, /signatureLength must be a positive whole number/);
  });

  it("gives qrcode the segments its optimiser finds: the same code for every sample row, the optimiser for other text", () => {
    const options = { errorCorrectionLevel: "M", maskPattern: 0 } as const;
    for (const { qrUrl } of signed) {
      const segments = qrSegments(qrUrl);
      expect(segments).to.be.an("array");
      const given = QRCode.create(segments, options);
      const found = QRCode.create(qrUrl, options);
      expect(given.version).to.equal(found.version);
      expect(Buffer.from(given.modules.data).equals(Buffer.from(found.modules.data))).to.equal(true);
    }
    for (const text of ["https://verify.ecert.gov.hk/#1.AQID", "1234567", "https://x.hk/#1-123"])
      expect(qrSegments(text)).to.equal(text);
  });

  it("decodes the QR code of every sample row from a 300 dpi rendering to the credential it was made from", () => {
    const failures: string[] = [];
    for (const { type, row, credential, qrUrl, file } of signed) {
      const text = decodeQrAt300Dpi(file);
      if (text !== qrUrl) {
        failures.push(`${type} row ${row}: ${text === undefined ? "no QR code found" : "decoded a different text"}`);
        continue;
      }
      expect(computeCredentialDigest(decodeCredentialUrl(text))).to.equal(computeCredentialDigest(credential));
    }
    expect(failures).to.deep.equal([]);
    expect(signed).to.have.length(62);
  });

  it("embeds the credential, with its Merkle proof, as an associated file", async () => {
    const { file, credential } = signed.find((s) => s.type === "csb-cre")!;
    const list = execFileSync("pdfdetach", ["-list", file], { encoding: "utf8" });
    expect(list).to.include(CREDENTIAL_ATTACHMENT);
    const saved = path.join(dir, "attached.json");
    execFileSync("pdfdetach", ["-save", "1", "-o", saved, file]);
    const attached = JSON.parse(await readFile(saved, "utf8"));
    expect(attached).to.deep.equal(credential);
    expect(attached.proof.merkle.path).to.have.length(14);
  });

  it("prints every name of csb-cre.csv, the supplementary-plane character 𡃁 included, as extractable text", () => {
    const rows = signed.filter((s) => s.type === "csb-cre");
    for (const { file, credential } of rows) {
      const text = execFileSync("pdftotext", [file, "-"], { encoding: "utf8" });
      const name = (credential.credentialSubject as unknown as { name: { en: string; "zh-HK"?: string } }).name;
      // pdftotext may break a long English name over lines: compare without whitespace.
      expect(text.replace(/\s+/g, "")).to.include(name.en.replace(/\s+/g, ""));
      if (name["zh-HK"]) expect(text).to.include(name["zh-HK"]);
    }
    expect(rows.some((r) => JSON.stringify(r.credential).includes("𡃁"))).to.equal(true);
  });

  it("embeds only subsets of Noto Sans HK, with Unicode maps", () => {
    const fonts = execFileSync("pdffonts", [signed[0].file], { encoding: "utf8" });
    const rows = fonts.split("\n").slice(2).filter(Boolean);
    expect(rows).to.have.length(3);
    for (const row of rows) expect(row).to.match(/^[A-Z]{6}\+NotoSansHK-\w+\s+CID TrueType\s+Identity-H\s+yes yes yes/);
  });

  it("fits the licence with the most dangerous-goods items and the longest address on one A4 page", () => {
    const licences = signed.filter((s) => s.type === "fsd-dg-licence");
    const size = (s: (typeof licences)[number]) => JSON.stringify(s.credential.credentialSubject).length;
    const longest = licences.reduce((a, b) => (size(b) > size(a) ? b : a));
    const info = execFileSync("pdfinfo", [longest.file], { encoding: "utf8" });
    expect(info).to.match(/Pages:\s+1\n/);
    expect(info).to.match(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/);
    const text = execFileSync("pdftotext", [longest.file, "-"], { encoding: "utf8" }).replace(/\s+/g, "");
    const subject = longest.credential.credentialSubject as unknown as {
      dangerousGoods: string[];
      premises: { en: string };
    };
    for (const item of subject.dangerousGoods) expect(text).to.include(item.replace(/\s+/g, ""));
    expect(text).to.include(subject.premises.en.replace(/\s+/g, ""));
  });

  it("prints the verifier's address in plain text beside the QR code", () => {
    const text = execFileSync("pdftotext", [signed[0].file, "-"], { encoding: "utf8" });
    expect(text).to.include(VERIFIER_URL);
  });
});
