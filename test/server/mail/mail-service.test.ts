import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import { describeOn } from "../../helpers/postgres.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { api, waitFor } from "../api/api-helpers.ts";
import { postgresHarness } from "../db/store-fixtures.ts";
import { closedPort, startSmtpPeer, type SmtpPeer } from "./smtp-peer.ts";

type Accepted = {
  batchId: string;
  certificates: { id: string; row: number; certificateNumber: string; claimCode: string }[];
};

const HEADER = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result,email";

/** A CSB exam-result CSV: one row per address ("" for a row with no e-mail), numbers from `first`. */
function csv(addresses: string[], first: number): Uint8Array {
  const rows = addresses.map(
    (address, i) =>
      `CRE${String(2026900000 + first + i)},CHAN Tai Man,陳大文,A123***(*),2026-09-12,L2,L1,Pass,${address}`,
  );
  return new TextEncoder().encode(`${[HEADER, ...rows].join("\n")}\n`);
}

/** A writable that keeps the service's log lines. */
function logSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString("utf8"));
      callback();
    },
  });
  return { stream, lines };
}

async function upload(server: RunningServer, key: string, addresses: string[], first: number): Promise<Accepted> {
  const res = await api(server, "POST", "/batches?type=csb-cre", {
    key,
    body: csv(addresses, first),
    contentType: "text/csv",
  });
  expect(res.status, JSON.stringify(res.json)).to.equal(202);
  const accepted = res.json as Accepted;
  expect(accepted.certificates).to.have.length(addresses.length);
  return accepted;
}

async function issued(server: RunningServer, key: string, batchId: string): Promise<void> {
  await waitFor(async () => (await api(server, "GET", `/batches/${batchId}`, { key })).json.done === true);
}

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(
    `candidates' e-mail through the service (local chain, ${database}, a real SMTP peer)`,
    function () {
      this.timeout(180_000);
      const postgres = database === "PostgreSQL" ? postgresHarness() : undefined;
      let dataDir: string;
      let server: RunningServer;
      let peer: SmtpPeer;
      let csbKey: string;
      let fsdKey: string;
      let batch: Accepted;
      const log = logSink();
      const addresses = ["chan.tai.man@example.com", "", "lee.siu.ming@example.org"];

      before(async () => {
        dataDir = await mkdtemp(path.join(tmpdir(), "ecert-mail-"));
        peer = await startSmtpPeer();
        await postgres?.setup();
        const databaseUrl = await postgres?.fresh();
        server = await startServer(
          loadConfig({
            DATA_DIR: dataDir,
            PORT: "0",
            BATCH_WAIT_MS: "100",
            LOG_LEVEL: "debug",
            APPROVALS: "none",
            SMTP_URL: peer.url,
            MAIL_FROM: "HK e-Cert <no-reply@ecert.example.gov.hk>",
            ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          }),
          { logStream: log.stream },
        );
        csbKey = server.dev!.apiKeys.CSB;
        fsdKey = server.dev!.apiKeys.FSD;
        batch = await upload(server, csbKey, addresses, 1);
        await issued(server, csbKey, batch.batchId);
        await waitFor(async () => peer.messages.length >= 2, 30_000);
      });
      after(async () => {
        await server?.stop();
        await peer?.close();
        await postgres?.cleanup();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
      });

      it("sends one bilingual e-mail to each row with an address, whose claim link opens the certificate and downloads its PDF", async () => {
        // A little longer: nothing more may arrive.
        await new Promise((r) => setTimeout(r, 500));
        expect(peer.messages).to.have.length(2);
        for (const [i, address] of addresses.entries()) {
          const received = peer.messages.filter((m) => m.to.includes(address));
          if (!address) continue;
          expect(received, address).to.have.length(1);
          const message = received[0];
          const certificate = batch.certificates[i];
          expect(message.from).to.equal("no-reply@ecert.example.gov.hk");
          expect(message.subject).to.equal(
            "Your certificate from the Civil Service Bureau · 公務員事務局簽發給你的證書",
          );
          expect(message.text).to.include("Dear candidate").and.include("考生你好");
          expect(message.text).to.include("Common Recruitment Examination Result");
          expect(message.text).to.include(certificate.certificateNumber);
          const link = /https?:\/\/\S+\/claim#\S+/.exec(message.text!)![0];
          expect(link).to.equal(`${server.url}/claim#${certificate.claimCode}`);
          expect(message.html).to.include(`href="${link}"`);
          expect(message.raw).to.not.include("CHAN Tai Man").and.not.include("A123");
          // The link works: the claim page is served, and its code downloads the PDF.
          expect((await fetch(link.split("#")[0])).status).to.equal(200);
          const code = decodeURIComponent(new URL(link).hash.slice(1));
          const pdf = await api(server, "GET", `/claim/${encodeURIComponent(code)}/pdf`);
          expect(pdf.status).to.equal(200);
          expect(Buffer.from(pdf.bytes.subarray(0, 5)).toString()).to.equal("%PDF-");
        }
      });

      it("shows the officer each certificate's e-mail (masked) and the outbox, only for their department", async () => {
        const [first, none] = batch.certificates;
        const email = await api(server, "GET", `/certificates/${first.id}/email`, { key: csbKey });
        expect(email.status).to.equal(200);
        expect(email.json).to.include({
          certificateId: first.id,
          status: "sent",
          attempts: 1,
          lastError: null,
          nextAttemptAt: null,
          toAddress: "c***@example.com",
        });
        expect(email.json.sentAt).to.be.a("string");
        expect(JSON.stringify(email.json)).to.not.include(first.claimCode);
        expect((await api(server, "GET", `/certificates/${none.id}/email`, { key: csbKey })).status).to.equal(404);
        expect((await api(server, "GET", `/certificates/${first.id}/email`, { key: fsdKey })).status).to.equal(404);
        expect((await api(server, "GET", `/certificates/${first.id}/email`)).status).to.equal(401);
        const outbox = await api(server, "GET", "/outbox?status=sent", { key: csbKey });
        expect(outbox.status).to.equal(200);
        expect(outbox.json.emails.map((e: { toAddress: string }) => e.toAddress).sort()).to.deep.equal([
          "c***@example.com",
          "l***@example.org",
        ]);
        expect((await api(server, "GET", "/outbox", { key: fsdKey })).json.emails).to.deep.equal([]);
        expect((await api(server, "GET", "/outbox?status=lost", { key: csbKey })).status).to.equal(400);
      });

      it("shows a 451 answer and the next attempt to the officer, while the certificate is issued all the same", async () => {
        peer.failNext(1);
        const later = await upload(server, csbKey, ["ho.ka.yan@example.net"], 10);
        const id = later.certificates[0].id;
        await issued(server, csbKey, later.batchId);
        await waitFor(
          async () => (await api(server, "GET", `/certificates/${id}/email`, { key: csbKey })).json.attempts === 1,
          30_000,
        );
        const email = (await api(server, "GET", `/certificates/${id}/email`, { key: csbKey })).json;
        expect(email).to.include({ status: "waiting", attempts: 1, toAddress: "h***@example.net", sentAt: null });
        expect(email.lastError).to.match(/^451 4\.3\.0/);
        const next = Date.parse(email.nextAttemptAt) - Date.now();
        expect(next).to.be.within(50_000, 61_000);
        expect((await api(server, "GET", `/certificates/${id}`, { key: csbKey })).json.status).to.equal("issued");
        const waiting = (await api(server, "GET", "/outbox?status=waiting", { key: csbKey })).json.emails;
        expect(waiting.map((e: { certificateId: string }) => e.certificateId)).to.deep.equal([id]);
        const row = (await server.store.findEmail(id))!;
        expect(row.lastError).to.equal(email.lastError);
        expect(peer.messages.filter((m) => m.to.includes("ho.ka.yan@example.net"))).to.have.length(0);
      });

      it("keeps the address out of the credential, the record, the search fields and every log line, and the claim code out of the logs", async () => {
        for (const [i, address] of addresses.entries()) {
          if (!address) continue;
          const { id, claimCode } = batch.certificates[i];
          const credential = await api(server, "GET", `/certificates/${id}/credential`, { key: csbKey });
          expect(JSON.stringify(credential.json)).to.not.include(address).and.not.include(address.split("@")[1]);
          const summary = await api(server, "GET", `/certificates/${id}`, { key: csbKey });
          expect(JSON.stringify(summary.json)).to.not.include(address);
          const row = (await server.store.findCertificate(id))!;
          for (const stored of [row.credentialJson, row.recordJson, row.searchJson])
            expect(stored).to.not.include(address);
          const found = await api(server, "GET", `/certificates?q=${encodeURIComponent(address)}`, { key: csbKey });
          expect(found.json.certificates).to.deep.equal([]);
          expect((await server.store.findEmail(id))!.claimCode).to.equal(null);
          const logs = log.lines.join("");
          expect(logs).to.include("e-mail sent");
          expect(logs).to.not.include(address).and.not.include(claimCode);
        }
        expect(log.lines.join("")).to.not.include("ho.ka.yan@example.net");
      });
    },
  );
}

describe("candidates' e-mail with the SMTP server down (local chain, SQLite)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-mail-down-"));
    server = await startServer(
      loadConfig({
        DATA_DIR: dataDir,
        PORT: "0",
        BATCH_WAIT_MS: "100",
        LOG_LEVEL: "silent",
        APPROVALS: "none",
        SMTP_URL: `smtp://mailer:pa55word-never-shown@127.0.0.1:${await closedPort()}`,
        MAIL_FROM: "no-reply@ecert.example.gov.hk",
      }),
    );
  });
  after(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("issues the certificates as fast as ever, and the officer sees the e-mail waiting with the connection error", async () => {
    const key = server.dev!.apiKeys.CSB;
    const started = Date.now();
    const batch = await upload(server, key, ["wong.mei@example.com", "lam.chi@example.com"], 20);
    await issued(server, key, batch.batchId);
    expect(Date.now() - started).to.be.below(30_000);
    for (const c of batch.certificates) {
      expect((await api(server, "GET", `/certificates/${c.id}`, { key })).json.status).to.equal("issued");
      await waitFor(async () => (await api(server, "GET", `/certificates/${c.id}/email`, { key })).json.attempts >= 1);
      const email = (await api(server, "GET", `/certificates/${c.id}/email`, { key })).json;
      expect(email.status).to.equal("waiting");
      expect(email.lastError).to.match(/ECONNREFUSED/);
      expect(email.lastError).to.not.include("pa55word");
      // The claim code works without the e-mail.
      expect((await api(server, "GET", `/claim/${c.claimCode}/pdf`)).status).to.equal(200);
    }
  });
});

describe("the embedded default's SMTP sink and GET /dev/outbox (local chain, SQLite)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-mail-sink-"));
    server = await startServer(
      loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent", APPROVALS: "none" }),
    );
  });
  after(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("receives the candidate's e-mail, keeps it as an .eml file under DATA_DIR/outbox, and shows it on a bilingual page under the strict CSP", async () => {
    const key = server.dev!.apiKeys.CSB;
    const batch = await upload(server, key, ["yip.wing@example.com"], 30);
    await issued(server, key, batch.batchId);
    await waitFor(async () => server.outbox!.messages().length === 1, 30_000);
    const [message] = server.outbox!.messages();
    expect(message.to).to.deep.equal(["yip.wing@example.com"]);
    expect(message.text).to.include(`${server.url}/claim#${batch.certificates[0].claimCode}`);
    const files = await readdir(path.join(dataDir, "outbox"));
    expect(files.filter((f) => f.endsWith(".eml"))).to.have.length(1);
    expect(existsSync(message.file)).to.equal(true);
    expect(await readFile(message.file, "utf8")).to.equal(message.raw);

    const res = await fetch(`${server.url}/dev/outbox`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/html/);
    expect(res.headers.get("content-security-policy") ?? "")
      .to.include("script-src 'self'")
      .and.include("style-src 'self'");
    const html = await res.text();
    expect(html).to.include("Development outbox").and.include("開發用寄件匣");
    expect(html).to.include("yip.wing@example.com");
    expect(html).to.include(`href="${server.url}/claim#${batch.certificates[0].claimCode}"`);
    expect(html).to.not.match(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect((await api(server, "GET", `/certificates/${batch.certificates[0].id}/email`, { key })).json.status).to.equal(
      "sent",
    );
  });

  it("has no outbox page in production mode (no route without the sink)", async () => {
    // The route exists only where the sink runs: a server given SMTP_URL answers 404.
    const peer = await startSmtpPeer();
    const dir = await mkdtemp(path.join(tmpdir(), "ecert-mail-nosink-"));
    const other = await startServer(
      loadConfig({
        DATA_DIR: dir,
        PORT: "0",
        LOG_LEVEL: "silent",
        APPROVALS: "none",
        SMTP_URL: peer.url,
        MAIL_FROM: "no-reply@example.com",
      }),
    );
    try {
      expect((await fetch(`${other.url}/dev/outbox`)).status).to.equal(404);
      expect(other.outbox).to.equal(undefined);
    } finally {
      await other.stop();
      await peer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
