import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  buildMerkleTree,
  computeCredentialDigest,
  validateCsv,
  verifyMerkleProof,
  type Credential,
} from "../../../core/index.ts";
import { DocumentWorkers } from "../../../server/documents/document-workers.ts";
import { loadSigningIdentity } from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../../server/pki/dev-pki.ts";
import { scanPdf } from "../../../core/verify/scanPdf.ts";
import { ISSUERS, REGISTRY, VERIFIER_URL, sampleCsv } from "../pdf/documents-helpers.ts";

describe("DocumentWorkers", function () {
  this.timeout(60_000);
  let dir: string;
  let workers: DocumentWorkers;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-workers-"));
    const pki = await ensureDevPki(path.join(dir, "pki"), [ISSUERS.FSD]);
    const identity = await loadSigningIdentity(pki.departments.FSD);
    workers = new DocumentWorkers(
      { typeId: "fsd-dg-licence", issuer: ISSUERS.FSD, verifierUrl: VERIFIER_URL, identity },
      2,
    );
  });
  after(async () => {
    await workers.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the credentials of every record in record order, each with a correct digest", async () => {
    const { records } = validateCsv(sampleCsv("fsd-dg-licence.csv"), "fsd-dg-licence");
    const { json, digests } = await workers.createCredentials(records, new Date());
    expect(json).to.have.length(records.length);
    json.forEach((text, i) => {
      const credential = JSON.parse(text) as Credential;
      expect(credential.credentialSubject.certificateNumber).to.equal(records[i].subject.certificateNumber);
      expect(computeCredentialDigest(credential)).to.equal(digests[i]);
    });
  });

  it("renders and signs one PDF per credential, each with its own credential inside, reporting progress", async () => {
    const { records } = validateCsv(sampleCsv("fsd-dg-licence.csv"), "fsd-dg-licence");
    const { json, digests } = await workers.createCredentials(records, new Date());
    const tree = buildMerkleTree(digests);
    const pdfs = new Map<number, Uint8Array>();
    const progress: number[] = [];
    const merkle = (i: number) => ({ root: tree.root, path: tree.proof(i), chainId: 31337, registry: REGISTRY });
    await workers.render(
      json,
      merkle,
      (i, pdf) => void pdfs.set(i, pdf),
      (done) => progress.push(done),
    );
    expect([...pdfs.keys()].sort((a, b) => a - b)).to.deep.equal(json.map((_, i) => i));
    expect(progress.at(-1)).to.equal(json.length);
    const file = path.join(dir, "licence.pdf");
    await writeFile(file, pdfs.get(3)!);
    expect(spawnSync("pdfsig", [file], { encoding: "utf8" }).stdout).to.include("Signature is Valid.");
    const text = spawnSync("pdftotext", [file, "-"], { encoding: "utf8" }).stdout;
    expect(text).to.include(String(records[3].subject.certificateNumber));
    spawnSync("pdfdetach", ["-save", "1", "-o", path.join(dir, "attached.json"), file]);
    const attached = JSON.parse(await readFile(path.join(dir, "attached.json"), "utf8")) as Credential;
    expect(attached.proof.merkle).to.deep.equal(merkle(3));
    expect(verifyMerkleProof(digests[3], attached.proof.merkle!.path, tree.root)).to.equal(true);
  });

  it("rejects with the failing chunk named when a credential cannot be rendered", async () => {
    try {
      await workers.render(
        ["{}"],
        () => ({ root: `0x${"0".repeat(64)}`, path: [], chainId: 1, registry: REGISTRY }),
        () => undefined,
      );
      expect.fail("render should have failed");
    } catch (error) {
      expect((error as Error).message).to.match(/^document worker failed on items 1 to 1: /);
    }
  });

  it("gives each of several jobs sent at once its own results (two credential jobs and a render on one pool)", async () => {
    const { records } = validateCsv(sampleCsv("fsd-dg-licence.csv"), "fsd-dg-licence");
    // Three inputs that cannot be mistaken for each other: each its own records, in its own order.
    const a = [...records, ...records, ...records];
    const b = [...records].reverse();
    const first = await workers.createCredentials(records, new Date());
    const tree = buildMerkleTree(first.digests);
    const merkle = (i: number) => ({ root: tree.root, path: tree.proof(i), chainId: 31337, registry: REGISTRY });
    const pdfs = new Map<number, Uint8Array>();
    const [ra, rb] = await Promise.all([
      workers.createCredentials(a, new Date()),
      workers.createCredentials(b, new Date()),
      workers.render(first.json, merkle, (i, pdf) => void pdfs.set(i, pdf)),
    ]);
    for (const [input, result] of [
      [a, ra],
      [b, rb],
    ] as const) {
      expect(result.json).to.have.length(input.length);
      result.json.forEach((text, i) => {
        const credential = JSON.parse(text) as Credential;
        expect(credential.credentialSubject.certificateNumber).to.equal(input[i].subject.certificateNumber);
        expect(computeCredentialDigest(credential)).to.equal(result.digests[i]);
      });
    }
    for (const [i, pdf] of pdfs) {
      const scan = scanPdf(pdf);
      expect(scan.credential.ok).to.equal(true);
      const embedded = (scan.credential as { json: Credential }).json;
      expect(embedded.id).to.equal((JSON.parse(first.json[i]) as Credential).id);
    }
    expect(pdfs.size).to.equal(first.json.length);
  });

  it("fails only the job whose worker died, and the pool goes on with a new worker", async () => {
    const { records } = validateCsv(sampleCsv("fsd-dg-licence.csv"), "fsd-dg-licence");
    const many = Array.from({ length: 40 }, () => records).flat();
    const { json, digests } = await workers.createCredentials(many.slice(0, 400), new Date());
    const tree = buildMerkleTree(digests);
    const rendering = workers.render(
      json,
      (i) => ({ root: tree.root, path: tree.proof(i), chainId: 31337, registry: REGISTRY }),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 300));
    await workers.threads[0].terminate();
    let failure: Error | undefined;
    await rendering.catch((error: Error) => (failure = error));
    expect(failure?.message).to.match(/^document worker failed on items \d+ to \d+: /);
    // The next job runs on the replaced worker(s) and is complete and in order.
    const again = await workers.createCredentials(records, new Date());
    again.json.forEach((text, i) =>
      expect((JSON.parse(text) as Credential).credentialSubject.certificateNumber).to.equal(
        records[i].subject.certificateNumber,
      ),
    );
  });
});
