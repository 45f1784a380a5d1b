// A batch's documents (issue 14 part 4), through a real embedded server: the PDFs as one zip (each entry
// byte for byte the PDF GET /certificates/{id}/pdf serves), claim letters (a page per issued certificate,
// each with a new claim code: the new codes open their certificates, the old ones nothing), a new claim
// code for one certificate, each on the caller's department only, with its permission, and audited.
import { spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Request } from "express";
import { unzipSync } from "fflate";
import { PDFDocument } from "pdf-lib";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express from "express";
import { pino, type DestinationStream } from "pino";
import { authenticate } from "../../../server/api/auth.ts";
import { auditPdfDownload, mountDocumentRoutes } from "../../../server/api/document-routes.ts";
import { errorHandler } from "../../../server/api/errors.ts";
import { writeClaimLetters, type ClaimLetter } from "../../../server/documents/claim-letters.ts";
import type { OfficerActor } from "../../../server/auth/actor.ts";
import { loadConfig } from "../../../server/config.ts";
import { pdfFileName } from "../../../server/documents/batch-zip.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { describeOn } from "../../helpers/postgres.ts";
import { api, waitFor } from "../api/api-helpers.ts";
import { postgresHarness, type Harness } from "../db/store-fixtures.ts";
import { creRows } from "./batch-helpers.ts";

/** Every claim code in a text (the claim-code alphabet has no 0, 1, I or O). */
const CODE = /[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/g;

interface Accepted {
  row: number;
  id: string;
  certificateNumber: string;
  claimCode: string;
}

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(
    `a batch's PDFs zip, claim letters and new claim codes (embedded server, ${database})`,
    function () {
      this.timeout(120_000);
      const postgres: Harness | undefined = database === "PostgreSQL" ? postgresHarness() : undefined;
      let dataDir: string;
      let server: RunningServer;
      let csbKey: string;
      let fsdKey: string;
      let batchId: string;
      let accepted: Accepted[];

      const claimStatus = async (code: string) => (await api(server, "GET", `/claim/${code}`)).status;

      /**
       * The document routes on the server's store and service, on a port of their own, making the letters
       * with `render`; returns the claim letters' answer (or the fetch's failure) and closes the port.
       */
      async function lettersWith(
        render: typeof writeClaimLetters,
        options: { logs?: string[]; signal?: AbortSignal } = {},
      ): Promise<Response | Error> {
        const log = pino({ level: "info" }, {
          write: (line: string) => void options.logs?.push(line),
        } as unknown as DestinationStream);
        const app = express();
        const router = express.Router();
        mountDocumentRoutes(router, {
          store: server.store,
          issuance: server.issuance,
          auth: authenticate({ reads: server.issuance.reads }),
          renderClaimLetters: render,
          log,
        });
        app.use("/api/v1", router);
        app.use(errorHandler({ log, maxBodyBytes: 1_000_000 }));
        const listener = app.listen(0, "127.0.0.1");
        await once(listener, "listening");
        try {
          const { port } = listener.address() as AddressInfo;
          return await fetch(`http://127.0.0.1:${port}/api/v1/batches/${batchId}/claim-letters`, {
            method: "POST",
            headers: { authorization: `Bearer ${csbKey}` },
            signal: options.signal,
          })
            .then(async (res) => {
              await res.arrayBuffer();
              return res;
            })
            .catch((error: unknown) => error as Error);
        } finally {
          listener.closeAllConnections();
          await new Promise((resolve) => listener.close(resolve));
        }
      }

      before(async () => {
        dataDir = await mkdtemp(path.join(tmpdir(), "ecert-documents-"));
        await postgres?.setup();
        server = await startServer(
          loadConfig({
            DATA_DIR: dataDir,
            PORT: "0",
            BATCH_WAIT_MS: "100",
            LOG_LEVEL: "silent",
            APPROVALS: "none",
            ...(postgres ? { DATABASE_URL: await postgres.fresh() } : {}),
          }),
        );
        csbKey = server.dev!.apiKeys.CSB;
        fsdKey = server.dev!.apiKeys.FSD;
        const upload = await api(server, "POST", "/batches?type=csb-cre", {
          key: csbKey,
          body: creRows(30),
          contentType: "text/csv",
        });
        expect(upload.status, JSON.stringify(upload.json)).to.equal(202);
        batchId = upload.json.batchId;
        accepted = upload.json.certificates;
        expect(accepted).to.have.length(30);
        await waitFor(
          async () => (await api(server, "GET", `/batches/${batchId}`, { key: csbKey })).json.done === true,
        );
        const batch = await api(server, "GET", `/batches/${batchId}`, { key: csbKey });
        expect(batch.json.progress).to.deep.equal({ issued: 30 });
      });
      after(async () => {
        await server?.stop();
        await postgres?.cleanup();
        await rm(dataDir, { recursive: true, force: true });
      });

      it("zips every PDF of a 30-row upload as <row>-<number>.pdf, each byte for byte GET /certificates/{id}/pdf, and audits it once", async () => {
        const before = await server.store.listAudit("CSB", { action: "pdfs-downloaded", limit: 100 });
        const res = await api(server, "GET", `/batches/${batchId}/pdfs.zip`, { key: csbKey });
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-type")).to.equal("application/zip");
        expect(res.headers.get("content-disposition")).to.match(/^attachment; filename="batch-[A-Za-z0-9._-]+\.zip"$/);
        const files = unzipSync(res.bytes);
        const names = accepted.map((c) => `${c.row}-${c.certificateNumber}.pdf`);
        expect(Object.keys(files)).to.deep.equal(names); // upload order
        for (const c of accepted) {
          const pdf = await api(server, "GET", `/certificates/${c.id}/pdf`, { key: csbKey });
          expect(pdf.status).to.equal(200);
          expect(Buffer.compare(files[`${c.row}-${c.certificateNumber}.pdf`], pdf.bytes), c.certificateNumber).to.equal(
            0,
          );
        }
        const after = await server.store.listAudit("CSB", { action: "pdfs-downloaded", limit: 100 });
        expect(after).to.have.length(before.length + 1);
        const entry = after.at(-1)!;
        expect(entry).to.include({ uploadId: batchId, action: "pdfs-downloaded", actorName: entry.actorName });
        expect(entry.actorId).to.match(/^api-key:/);
        expect(entry.source).to.be.a("string");
        expect(JSON.parse(entry.detailJson)).to.include({ count: 30 });
      });

      it("zips a part of the upload with ?offset=&limit=, and refuses a limit over 10,000 (400)", async () => {
        const res = await api(server, "GET", `/batches/${batchId}/pdfs.zip?offset=25&limit=10`, { key: csbKey });
        expect(res.status).to.equal(200);
        expect(Object.keys(unzipSync(res.bytes))).to.deep.equal(
          accepted.slice(25).map((c) => `${c.row}-${c.certificateNumber}.pdf`),
        );
        const tooMany = await api(server, "GET", `/batches/${batchId}/pdfs.zip?limit=10001`, { key: csbKey });
        expect(tooMany.status).to.equal(400);
        expect(tooMany.json.error.code).to.equal("INVALID_REQUEST");
        const unknown = await api(server, "GET", `/batches/${batchId}/pdfs.zip?format=tar`, { key: csbKey });
        expect(unknown.status).to.equal(400);
      });

      it("changes no claim code when the letters cannot be made (the render fails at the last page): every old code still works, nothing audited", async () => {
        const failing: typeof writeClaimLetters = (parameters, letters, sink) =>
          writeClaimLetters(
            parameters,
            (function* () {
              let n = 0;
              for (const letter of letters as Iterable<ClaimLetter>) {
                n += 1;
                if (n === accepted.length) throw new Error("the last letter cannot be made");
                yield letter;
              }
            })(),
            sink,
          );
        const logs: string[] = [];
        const res = await lettersWith(failing, { logs });
        for (const c of accepted) expect(await claimStatus(c.claimCode), c.certificateNumber).to.equal(200);
        expect(await server.store.listAudit("CSB", { action: "claim-letters-printed", limit: 10 })).to.deep.equal([]);
        expect(res, "an answer, not a download cut part way").to.be.instanceOf(Response);
        const answer = res as Response;
        expect(answer.status).to.equal(500);
        expect(answer.headers.get("content-type")).to.match(/^application\/json/);
        expect(answer.headers.get("x-claim-codes-replaced")).to.equal(null);
        // No claim code in the log (the failed letters' codes were never given out).
        expect(logs.join("")).to.not.match(CODE);
      });

      it("changes no claim code when the client leaves before the letters are made", async () => {
        const abort = new AbortController();
        let rendering: () => void = () => {};
        const started = new Promise<void>((resolve) => (rendering = resolve));
        const slow: typeof writeClaimLetters = async (parameters, letters, sink) => {
          rendering();
          // The client goes while the letters are being made, and the server sees it go.
          await new Promise((resolve) => setTimeout(resolve, 300));
          return writeClaimLetters(parameters, letters, sink);
        };
        const logs: string[] = [];
        const pending = lettersWith(slow, { logs, signal: abort.signal });
        await started;
        abort.abort();
        expect(await pending).to.be.instanceOf(Error);
        // The route has finished (it logs that it printed nothing) before the codes are checked.
        await waitFor(async () => logs.some((line) => line.includes("the client left before they were ready")), 10_000);
        for (const c of accepted) expect(await claimStatus(c.claimCode), c.certificateNumber).to.equal(200);
        expect(await server.store.listAudit("CSB", { action: "claim-letters-printed", limit: 10 })).to.deep.equal([]);
      });

      it("prints claim letters: a page per issued certificate with a new code each; the new codes open their certificates, the old ones nothing", async () => {
        const res = await api(server, "POST", `/batches/${batchId}/claim-letters`, { key: csbKey });
        expect(res.status, new TextDecoder().decode(res.bytes).slice(0, 300)).to.equal(200);
        expect(res.headers.get("content-type")).to.equal("application/pdf");
        expect(res.headers.get("content-disposition")).to.match(
          /^attachment; filename="claim-letters-[A-Za-z0-9._-]+\.pdf"$/,
        );
        expect(res.headers.get("x-claim-codes-replaced")).to.equal("30");
        const doc = await PDFDocument.load(res.bytes);
        expect(doc.getPageCount()).to.equal(30);

        const file = path.join(dataDir, "letters.pdf");
        await writeFile(file, res.bytes);
        const text = spawnSync("pdftotext", [file, "-"], { encoding: "utf8" });
        expect(text.status, text.stderr).to.equal(0);
        const pages = text.stdout.split("\f").filter((p) => p.trim() !== "");
        expect(pages).to.have.length(30);
        const fresh = new Map<string, string>(); // certificate number -> new code
        pages.forEach((page, i) => {
          const c = accepted[i];
          expect(page, `page ${i + 1}`).to.include(c.certificateNumber);
          expect(page).to.include("Common Recruitment Examination Result").and.include("綜合招聘考試成績");
          expect(page).to.include("Civil Service Bureau").and.include("公務員事務局");
          expect(page).to.include("領取碼").and.include("Claim code");
          const codes = [...new Set(page.match(CODE))];
          expect(codes, `page ${i + 1}`).to.have.length(1);
          expect(page).to.include(`${server.dev!.verifierUrl}/claim#${codes[0]}`);
          fresh.set(c.certificateNumber, codes[0]);
        });
        // The candidate's name as the certificate holds it (both languages).
        const first = await api(server, "GET", `/certificates/${accepted[0].id}`, { key: csbKey });
        expect(pages[0]).to.include(first.json.search.name.en).and.include(first.json.search.name["zh-HK"]);

        for (const c of accepted) {
          const code = fresh.get(c.certificateNumber)!;
          expect(code).to.not.equal(c.claimCode);
          const claim = await api(server, "GET", `/claim/${code}`);
          expect(claim.status, c.certificateNumber).to.equal(200);
          expect(claim.json.id).to.equal(c.id);
          expect(await claimStatus(c.claimCode), `old code of ${c.certificateNumber}`).to.equal(404);
        }
        const entry = (await server.store.listAudit("CSB", { action: "claim-letters-printed", limit: 10 })).at(-1)!;
        expect(entry.uploadId).to.equal(batchId);
        expect(JSON.parse(entry.detailJson)).to.include({ count: 30 });
        for (const code of fresh.values()) expect(entry.detailJson).to.not.include(code);
        // Later tests start from the codes the letters gave.
        accepted = accepted.map((c) => ({ ...c, claimCode: fresh.get(c.certificateNumber)! }));
      });

      it("prints a part with ?offset=&limit=, refuses a limit over 5,000 (400), and answers 409 past the last issued certificate", async () => {
        const part = await api(server, "POST", `/batches/${batchId}/claim-letters?offset=10&limit=5`, { key: csbKey });
        expect(part.status).to.equal(200);
        expect(part.headers.get("x-claim-codes-replaced")).to.equal("5");
        expect((await PDFDocument.load(part.bytes)).getPageCount()).to.equal(5);
        // Those five have new codes again; the others keep the ones the letters gave.
        const changed = await Promise.all(accepted.map(async (c) => (await claimStatus(c.claimCode)) === 404));
        expect(changed.map((x, i) => (x ? i : -1)).filter((i) => i >= 0)).to.deep.equal([10, 11, 12, 13, 14]);
        const file = path.join(dataDir, "part.pdf");
        await writeFile(file, part.bytes);
        const codes = spawnSync("pdftotext", [file, "-"], { encoding: "utf8" }).stdout.match(CODE)!;
        for (const [i, code] of [...new Set(codes)].entries()) {
          const claim = await api(server, "GET", `/claim/${code}`);
          expect(claim.json.id).to.equal(accepted[10 + i].id);
          accepted[10 + i] = { ...accepted[10 + i], claimCode: code };
        }

        const tooMany = await api(server, "POST", `/batches/${batchId}/claim-letters?limit=5001`, { key: csbKey });
        expect(tooMany.status).to.equal(400);
        const past = await api(server, "POST", `/batches/${batchId}/claim-letters?offset=30`, { key: csbKey });
        expect(past.status).to.equal(409);
        expect(past.json.error.details.message).to.have.keys("en", "zh-HK");
        // Neither refusal changed a code.
        for (const c of accepted) expect(await claimStatus(c.claimCode)).to.equal(200);
      });

      it("gives one certificate a new claim code, answered once with its link; the old code then opens nothing (nor its PDF); audited without the code", async () => {
        const c = accepted[3];
        const res = await api(server, "POST", `/certificates/${c.id}/claim-code`, { key: csbKey });
        expect(res.status, JSON.stringify(res.json)).to.equal(200);
        expect(res.headers.get("cache-control")).to.equal("no-store");
        const { claimCode, claimUrl } = res.json;
        expect(claimCode).to.match(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
        expect(claimUrl).to.equal(`${server.dev!.verifierUrl}/claim#${claimCode}`);
        expect(res.json.message).to.have.keys("en", "zh-HK");
        expect((await api(server, "GET", `/claim/${claimCode}`)).json.id).to.equal(c.id);
        expect(await claimStatus(c.claimCode)).to.equal(404);
        expect((await api(server, "GET", `/claim/${c.claimCode}/pdf`)).status).to.equal(404);
        expect((await api(server, "GET", `/claim/${claimCode}/pdf`)).status).to.equal(200);
        const entry = (await server.store.listAudit("CSB", { action: "claim-code-replaced", limit: 10 })).at(-1)!;
        expect(entry).to.include({ certificateId: c.id, uploadId: batchId });
        expect(JSON.stringify(entry)).to.not.include(claimCode).and.not.include(claimCode.replaceAll("-", ""));
        // Only the code's hash is stored.
        const row = await server.store.findCertificate(c.id);
        expect(row!.claimCodeHash).to.not.include(claimCode.replaceAll("-", ""));
        accepted[3] = { ...c, claimCode };
      });

      it("gives a suspended certificate a new claim code too", async () => {
        const c = accepted[4];
        const suspend = await api(server, "POST", `/certificates/${c.id}/suspend`, {
          key: csbKey,
          json: { reason: "under-investigation" },
        });
        expect(suspend.status, JSON.stringify(suspend.json)).to.equal(202);
        await waitFor(
          async () => (await api(server, "GET", `/certificates/${c.id}`, { key: csbKey })).json.status === "suspended",
        );
        const res = await api(server, "POST", `/certificates/${c.id}/claim-code`, { key: csbKey });
        expect(res.status).to.equal(200);
        expect((await api(server, "GET", `/claim/${res.json.claimCode}`)).json).to.include({
          id: c.id,
          status: "suspended",
        });
        expect(await claimStatus(c.claimCode)).to.equal(404);
        accepted[4] = { ...c, claimCode: res.json.claimCode };
        // The zip still holds the suspended certificate's PDF.
        const zip = await api(server, "GET", `/batches/${batchId}/pdfs.zip`, { key: csbKey });
        expect(Object.keys(unzipSync(zip.bytes))).to.include(`${c.row}-${c.certificateNumber}.pdf`);
        // The letters are for issued certificates only: 29 now.
        const letters = await api(server, "POST", `/batches/${batchId}/claim-letters?limit=1`, { key: csbKey });
        expect(letters.status).to.equal(200);
        const all = await server.store.uploadProgress(batchId);
        expect(all).to.deep.equal({ issued: 29, suspended: 1 });
        const file = path.join(dataDir, "one.pdf");
        await writeFile(file, letters.bytes);
        const code = spawnSync("pdftotext", [file, "-"], { encoding: "utf8" }).stdout.match(CODE)![0];
        expect((await api(server, "GET", `/claim/${code}`)).json.id).to.equal(accepted[0].id);
        accepted[0] = { ...accepted[0], claimCode: code };
      });

      it("answers another department's key 404 for the zip, the letters and a new claim code, and changes nothing", async () => {
        const c = accepted[5];
        for (const [method, route] of [
          ["GET", `/batches/${batchId}/pdfs.zip`],
          ["POST", `/batches/${batchId}/claim-letters`],
          ["POST", `/certificates/${c.id}/claim-code`],
        ]) {
          const res = await api(server, method, route, { key: fsdKey });
          expect(res.status, `${method} ${route}`).to.equal(404);
          expect(res.json.error.code).to.equal("NOT_FOUND");
        }
        for (const a of accepted) expect(await claimStatus(a.claimCode), a.certificateNumber).to.equal(200);
        expect(await server.store.listAudit("FSD", { action: "claim-code-replaced", limit: 10 })).to.deep.equal([]);
      });

      it("refuses without a key (401), and a key without the status scope the letters and a new code (403) but not the zip", async () => {
        expect((await api(server, "GET", `/batches/${batchId}/pdfs.zip`)).status).to.equal(401);
        expect((await api(server, "POST", `/batches/${batchId}/claim-letters`)).status).to.equal(401);
        const key = `read-only-${randomUUID()}`;
        await server.store.insertApiKey({
          id: randomUUID(),
          issuerId: "CSB",
          label: "read only",
          keyHash: createHash("sha256").update(key).digest("hex"),
          createdAt: new Date().toISOString(),
          revokedAt: null,
          scopes: ["read"],
        });
        const letters = await api(server, "POST", `/batches/${batchId}/claim-letters`, { key });
        const code = await api(server, "POST", `/certificates/${accepted[6].id}/claim-code`, { key });
        expect([letters.status, code.status]).to.deep.equal([403, 403]);
        expect(letters.json.error.code).to.equal("FORBIDDEN");
        expect((await api(server, "GET", `/batches/${batchId}/pdfs.zip`, { key })).status).to.equal(200);
        for (const a of accepted) expect(await claimStatus(a.claimCode)).to.equal(200);
      });

      it("refuses a key with only the status scope the letters and a new code (403: they answer names and codes), changing nothing", async () => {
        const key = `status-only-${randomUUID()}`;
        await server.store.insertApiKey({
          id: randomUUID(),
          issuerId: "CSB",
          label: "status only",
          keyHash: createHash("sha256").update(key).digest("hex"),
          createdAt: new Date().toISOString(),
          revokedAt: null,
          scopes: ["status"],
        });
        const printed = (await server.store.listAudit("CSB", { action: "claim-letters-printed", limit: 100 })).length;
        const replaced = (await server.store.listAudit("CSB", { action: "claim-code-replaced", limit: 100 })).length;
        const letters = await api(server, "POST", `/batches/${batchId}/claim-letters`, { key });
        const code = await api(server, "POST", `/certificates/${accepted[6].id}/claim-code`, { key });
        expect([letters.status, code.status]).to.deep.equal([403, 403]);
        for (const res of [letters, code]) {
          expect(res.json.error.code).to.equal("FORBIDDEN");
          expect(res.json.error.details.permission).to.equal("read");
          expect(JSON.stringify(res.json)).to.not.match(CODE);
        }
        for (const a of accepted) expect(await claimStatus(a.claimCode)).to.equal(200);
        expect(await server.store.listAudit("CSB", { action: "claim-letters-printed", limit: 100 })).to.have.length(
          printed,
        );
        expect(await server.store.listAudit("CSB", { action: "claim-code-replaced", limit: 100 })).to.have.length(
          replaced,
        );
      });

      it("auditPdfDownload records an officer's download of one PDF (pdf-downloaded), and not a system's", async () => {
        const officer: OfficerActor = {
          kind: "officer",
          issuerId: "CSB",
          subject: "clerk-1",
          name: "Chan Siu Ming",
          email: null,
          roles: ["clerk"],
          sessionHash: "0".repeat(64),
        };
        const id = accepted[7].id;
        await auditPdfDownload(server.store, { actor: officer, ip: "192.0.2.7" } as unknown as Request, id);
        const key = { kind: "api-key", issuerId: "CSB", keyId: "k", label: "system", scopes: ["read"] };
        await auditPdfDownload(server.store, { actor: key, ip: "192.0.2.8" } as unknown as Request, id);
        const entries = await server.store.listAudit("CSB", { action: "pdf-downloaded", certificateId: id, limit: 10 });
        expect(entries.map((e) => [e.actorId, e.actorName, e.source])).to.deep.equal([
          ["officer:clerk-1", "Chan Siu Ming", "192.0.2.7"],
        ]);
      });
    },
  );
}

describe("batch zip file names", () => {
  it("names a PDF <row>-<certificate number>.pdf with only [A-Za-z0-9._-]", () => {
    expect(pdfFileName({ row: 2, certificateNumber: "CRE2026000001" })).to.equal("2-CRE2026000001.pdf");
    expect(pdfFileName({ row: 13, certificateNumber: "DGL/2025/00001" })).to.equal("13-DGL_2025_00001.pdf");
    expect(pdfFileName({ row: 4, certificateNumber: "../證書 1\\x" })).to.equal("4-..____1_x.pdf");
  });
});
