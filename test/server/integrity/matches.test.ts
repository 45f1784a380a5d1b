import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { credentialMismatch, pdfMismatch } from "../../../server/integrity/matches.ts";
import { sampleBatch, type SampleBatch } from "./integrity-helpers.ts";

describe("integrity matches (credentialMismatch, pdfMismatch)", function () {
  this.timeout(60_000);
  let dir: string;
  let cre: SampleBatch;
  let blnst: SampleBatch;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-matches-"));
    cre = await sampleBatch(dir, "csb-cre.csv", "csb-cre", 4);
    blnst = await sampleBatch(dir, "csb-blnst.csv", "csb-blnst", 1);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe("credentialMismatch", () => {
    const row = (i: number) => ({ typeId: "csb-cre", issuerId: "CSB", certificateNumber: cre.certificateNumbers[i] });

    it("accepts every credential against its own row", () => {
      cre.json.forEach((json, i) => expect(credentialMismatch(json, row(i)), `row ${i}`).to.equal(undefined));
    });

    it("names the certificate numbers of a swapped pair, and nothing personal", () => {
      const subject0 = JSON.parse(cre.json[0]).credentialSubject;
      const first = credentialMismatch(cre.json[1], row(0));
      const second = credentialMismatch(cre.json[0], row(1));
      expect(first).to.equal(
        `credentialSubject.certificateNumber is "${cre.certificateNumbers[1]}" where the row has "${cre.certificateNumbers[0]}"`,
      );
      expect(second).to.include(`"${cre.certificateNumbers[0]}" where the row has "${cre.certificateNumbers[1]}"`);
      for (const message of [first!, second!]) {
        expect(message).to.not.include(subject0.name.en);
        expect(message).to.not.include(subject0.hkidPartial ?? "A123");
      }
    });

    it("names a wrong type and a wrong issuer", () => {
      expect(credentialMismatch(cre.json[0], { ...row(0), typeId: "csb-blnst" })).to.equal(
        `credentialSubject.type is "csb-cre" where the row has "csb-blnst"`,
      );
      expect(credentialMismatch(cre.json[0], { ...row(0), issuerId: "FSD" })).to.equal(
        `issuer is "urn:hk-ecert:issuer:CSB" where the row's is "urn:hk-ecert:issuer:FSD"`,
      );
      const both = credentialMismatch(blnst.json[0], row(0));
      expect(both).to.match(/credentialSubject\.type is "csb-blnst"/);
      expect(both).to.match(/certificateNumber/);
    });

    it("says so for text that is not a credential", () => {
      expect(credentialMismatch("{", row(0))).to.equal("the credential is not JSON");
      expect(credentialMismatch("[]", row(0))).to.equal("the credential is not a JSON object");
      expect(credentialMismatch("{}", row(0))).to.equal("the credential has no credentialSubject");
    });
  });

  describe("pdfMismatch", () => {
    const expected = (i: number, batch = cre) => ({
      credentialJson: batch.json[i],
      root: batch.tree.root,
      path: batch.tree.proof(i),
    });

    it("accepts every PDF against its own credential, root and path (and without a path)", () => {
      cre.pdfs.forEach((pdf, i) => {
        expect(pdfMismatch(pdf, expected(i)), `pdf ${i}`).to.equal(undefined);
        expect(
          pdfMismatch(pdf, { credentialJson: cre.json[i], root: cre.tree.root.toUpperCase().replace("0X", "0x") }),
        ).to.equal(undefined);
      });
    });

    it("detects a swapped pair: each PDF names the other credential and its number", () => {
      const first = pdfMismatch(cre.pdfs[1], expected(0));
      const second = pdfMismatch(cre.pdfs[0], expected(1));
      const id0 = JSON.parse(cre.json[0]).id as string;
      const id1 = JSON.parse(cre.json[1]).id as string;
      expect(first).to.include(`it embeds credential "${id1}", not "${id0}"`);
      expect(first).to.include(
        `it embeds certificate number "${cre.certificateNumbers[1]}", not "${cre.certificateNumbers[0]}"`,
      );
      expect(first).to.include("its Merkle path is not the certificate's path in the batch tree");
      expect(second).to.include(`it embeds credential "${id0}", not "${id1}"`);
    });

    it("detects another batch's root, a wrong path, and another type", () => {
      expect(pdfMismatch(cre.pdfs[0], { ...expected(0), root: blnst.tree.root })).to.equal(
        `its Merkle root is "${cre.tree.root}", not the batch root ${blnst.tree.root}`,
      );
      expect(pdfMismatch(cre.pdfs[0], { ...expected(0), path: cre.tree.proof(1) })).to.equal(
        "its Merkle path is not the certificate's path in the batch tree",
      );
      expect(pdfMismatch(cre.pdfs[0], { ...expected(0), path: [] })).to.equal(
        "its Merkle path is not the certificate's path in the batch tree",
      );
      expect(pdfMismatch(blnst.pdfs[0], expected(0))).to.include(
        `it embeds a credential of type "csb-blnst", not "csb-cre"`,
      );
    });

    it("refuses a PDF whose signature was removed, and a file that is no certificate", () => {
      const unsigned = cre.pdfs[2].slice();
      const text = Buffer.from(unsigned).toString("latin1");
      const contents = text.indexOf("/Contents <", text.indexOf("/ByteRange"));
      expect(contents).to.be.greaterThan(0);
      const start = text.indexOf("<", contents) + 1;
      const end = text.indexOf(">", start);
      unsigned.fill(0x30, start, end); // the CMS hex digits zeroed: the signature field is empty
      expect(pdfMismatch(unsigned, expected(2))).to.match(/^its signature is missing: /);
      expect(pdfMismatch(new TextEncoder().encode("%PDF-1.7\n%%EOF\n"), expected(2))).to.match(
        /no HK e-Cert credential attachment/,
      );
    });

    it("is cheap: one scan per call, no CMS verification, no digest (measured; a loose bound for a loaded machine)", () => {
      const pdf = cre.pdfs[3];
      const exp = expected(3);
      for (let i = 0; i < 1000; i++) pdfMismatch(pdf, exp); // warm up
      const runs = 3000;
      const start = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) if (pdfMismatch(pdf, exp) !== undefined) throw new Error("mismatch");
      const micros = Number(process.hrtime.bigint() - start) / 1000 / runs;
      console.log(
        `      pdfMismatch: ${micros.toFixed(1)} µs per call on a ${(pdf.length / 1024).toFixed(0)} KiB certificate`,
      );
      expect(micros).to.be.lessThan(2000);
    });
  });
});
