/**
 * Production mode (ganache, the service in its own process): without SMTP_URL, e-mail is off, said in
 * one line at start; the certificates are issued and their e-mails wait. Started again on the same data
 * with SMTP_URL (a real SMTP peer), the waiting e-mails are sent, once each.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { startGanache, type Ganache } from "../../helpers/ganache.ts";
import {
  CSB,
  call,
  departmentFiles,
  deployForService,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  until,
  type ServiceProcess,
} from "../../helpers/production.ts";
import { startSmtpPeer, type SmtpPeer } from "./smtp-peer.ts";

const CSV = [
  "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result,email",
  "CRE2026800001,CHAN Tai Man,陳大文,A123***(*),2026-09-12,L2,L1,Pass,chan.tai.man@example.com",
  "CRE2026800002,LEE Siu Ming,李小明,B456***(*),2026-09-12,L1,L2,Fail,lee.siu.ming@example.org",
].join("\n");

describe("candidates' e-mail in production mode (ganache, separate processes)", function () {
  this.timeout(240_000);
  let dir: string;
  let node: Ganache;
  let peer: SmtpPeer;
  let service: ServiceProcess | undefined;
  let env: Record<string, string>;
  let key: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-mail-production-"));
    peer = await startSmtpPeer();
    node = await startGanache({ chainId: 1339, unlimitedContractSize: registryOutgrowsSizeLimit() });
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
    const deployed = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile);
    key = deployed.key;
    env = {
      DATA_DIR: dir,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: "1339",
      REGISTRY_ADDRESS: deployed.registry,
      CONFIRMATIONS: "0",
      BATCH_WAIT_MS: "100",
      ...departments.env,
    };
  });
  after(async () => {
    await service?.stop();
    await node?.stop();
    await peer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("says in one line at start that e-mail is off, issues all the same, and keeps the e-mails waiting; with SMTP_URL they are sent once", async () => {
    service = await startServiceProcess(env);
    const off = service.logs().filter((l) => String(l.msg).includes("e-mail is off"));
    expect(off).to.have.length(1);
    expect(service.logs().some((l) => l.msg === "e-mail on")).to.equal(false);
    expect((await fetch(`${service.url}/dev/outbox`)).status).to.equal(404);

    const res = await call(service.url, "POST", "/batches?type=csb-cre", { key, csv: new TextEncoder().encode(CSV) });
    expect(res.status, JSON.stringify(res.json)).to.equal(202);
    const ids = (res.json.certificates as { id: string }[]).map((c) => c.id);
    await until(
      async () => (await call(service!.url, "GET", `/batches/${res.json.batchId}`, { key })).json.done === true,
      90_000,
      "the batch issued",
    );
    for (const id of ids) {
      expect((await call(service.url, "GET", `/certificates/${id}`, { key })).json.status).to.equal("issued");
      const email = (await call(service.url, "GET", `/certificates/${id}/email`, { key })).json;
      expect(email).to.include({ status: "waiting", attempts: 0, lastError: null });
    }
    expect((await service.stop()) ?? 0).to.equal(0);

    service = await startServiceProcess({
      ...env,
      SMTP_URL: peer.url,
      MAIL_FROM: "no-reply@ecert.example.gov.hk",
    });
    expect(service.logs().some((l) => l.msg === "e-mail on")).to.equal(true);
    await until(async () => peer.messages.length >= 2, 30_000, "the two e-mails");
    await new Promise((r) => setTimeout(r, 500));
    expect(peer.messages.map((m) => m.to[0]).sort()).to.deep.equal([
      "chan.tai.man@example.com",
      "lee.siu.ming@example.org",
    ]);
    for (const id of ids)
      expect((await call(service.url, "GET", `/certificates/${id}/email`, { key })).json).to.include({
        status: "sent",
        attempts: 1,
      });
    const output = service.output();
    expect(output).to.not.include("chan.tai.man@example.com").and.not.include("lee.siu.ming@example.org");
  });
});
