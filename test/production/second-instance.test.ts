/**
 * A second issuer instance on the same chain and database (README "Production mode"): two service
 * processes on ganache and one PostgreSQL schema, each with its own CSB signer (both admitted by the admin).
 * Certificates uploaded to either are each issued once, every batch anchored once, and they verify VALID
 * whichever instance anchored them; each instance reads the other's certificates.
 */
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { Wallet } from "ethers";
import pg from "pg";
import { ganacheProvider, startGanache, type Ganache } from "../helpers/ganache.ts";
import { describePostgres, TEST_POSTGRES_URL } from "../helpers/postgres.ts";
import {
  CSB,
  call,
  certs,
  departmentFiles,
  exampleRows,
  keystoreFile,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  until,
  type ServiceProcess,
} from "../helpers/production.ts";

type Issued = { id: string; certificateNumber: string }[];

/** The header and rows `from` (1-based) to `to` of a CSV of examples/. */
function rowsBetween(name: string, from: number, to: number): Uint8Array {
  const lines = new TextDecoder().decode(exampleRows(name, to)).split("\r\n").filter(Boolean);
  return new TextEncoder().encode(`${[lines[0], ...lines.slice(from, to + 1)].join("\r\n")}\r\n`);
}

describePostgres("a second issuer instance on the same chain and database (its own signer)", function () {
  this.timeout(240_000);
  let dir: string;
  let node: Ganache;
  const services: ServiceProcess[] = [];
  let admin: pg.Client;
  const schema = `ecert_second_${process.pid}_${randomBytes(3).toString("hex")}`;
  let key: string;
  let registry: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-second-"));
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const databaseUrl = `${TEST_POSTGRES_URL}${TEST_POSTGRES_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

    node = await startGanache({ chainId: 1340, blockTime: 1, unlimitedContractSize: registryOutgrowsSizeLimit() });
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
    // CSB's second signer, for the second instance.
    const issuers = JSON.parse(await readFile(departments.issuersFile, "utf8")) as {
      issuers: { signers: unknown[] }[];
    };
    issuers.issuers[0].signers.push({ address: new Wallet(node.keys[3]).address, validFrom: "2026-01-01T00:00:00Z" });
    await writeFile(departments.issuersFile, JSON.stringify(issuers, null, 2));
    const deployer = await keystoreFile(dir, "deployer", node.keys[0], "pw");
    const deployed = await certs(
      { ECERT_ADMIN_PASSWORD: "pw", DATA_DIR: dir },
      "admin",
      "deploy",
      "--rpc",
      node.rpcUrl,
      "--keystore",
      deployer,
      "--issuers",
      departments.issuersFile,
    );
    expect(deployed.code, deployed.stderr).to.equal(0);
    expect(deployed.stdout.match(/^issuer CSB: signer added/gm)).to.have.length(2);
    registry = /^REGISTRY_ADDRESS=(0x[0-9a-fA-F]{40})$/m.exec(deployed.stdout)![1];

    const created = await certs({ DATABASE_URL: databaseUrl, DATA_DIR: dir }, "apikey", "create", "--issuer", "CSB");
    expect(created.code, created.stderr).to.equal(0);
    key = created.stdout.trim();

    const common = {
      DATABASE_URL: databaseUrl,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: "1340",
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "200",
      BATCH_SIZE: "20",
      ...departments.env,
    };
    const second = await keystoreFile(dir, "csb-signer-2", node.keys[3], "second signer password");
    services.push(await startServiceProcess({ ...common, DATA_DIR: path.join(dir, "a") }));
    services.push(
      await startServiceProcess({
        ...common,
        DATA_DIR: path.join(dir, "b"),
        CSB_SIGNER_KEYSTORE: second,
        CSB_SIGNER_PASSWORD: "second signer password",
      }),
    );
  });
  after(async () => {
    for (const service of services) {
      const code = await service.stop();
      if (code !== 0) console.error(service.output().slice(-4000));
    }
    await node?.stop();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it("issues what either instance accepted, each certificate once, each batch anchored once, all VALID", async () => {
    const [a, b] = services;
    const uploads: [ServiceProcess, Uint8Array][] = [
      [a, rowsBetween("csb-cre-10k.csv", 1, 40)],
      [b, rowsBetween("csb-cre-10k.csv", 41, 80)],
      [a, rowsBetween("csb-cre-10k.csv", 81, 100)],
    ];
    const accepted = await Promise.all(
      uploads.map(async ([service, csv]) => {
        const res = await call(service.url, "POST", "/batches?type=csb-cre", { key, csv });
        expect(res.status, JSON.stringify(res.json)).to.equal(202);
        return { batchId: res.json.batchId as string, certificates: res.json.certificates as Issued };
      }),
    );
    const all = accepted.flatMap((u) => u.certificates);
    expect(all).to.have.length(100);
    expect(new Set(all.map((c) => c.certificateNumber)).size).to.equal(100);
    for (const upload of accepted) {
      await until(
        async () => (await call(b.url, "GET", `/batches/${upload.batchId}`, { key })).json.done === true,
        150_000,
        `upload ${upload.batchId}`,
      );
      const progress = (await call(a.url, "GET", `/batches/${upload.batchId}`, { key })).json.progress;
      expect(progress.issued, JSON.stringify(progress)).to.equal(upload.certificates.length);
    }
    // Each certificate read back from either instance: issued, with its batch root.
    const signers = new Set<string>();
    for (const [i, c] of all.entries()) {
      const reader = i % 2 === 0 ? a : b;
      const detail = (await call(reader.url, "GET", `/certificates/${c.id}`, { key })).json;
      expect(detail.status, c.certificateNumber).to.equal("issued");
    }
    // A sample verified against the chain alone; the anchor check names the signer that anchored it.
    for (const c of [all[0], all[39], all[40], all[79], all[80], all[99]]) {
      const pdf = await call(a.url, "GET", `/certificates/${c.id}/pdf`, { key });
      const file = path.join(dir, `${c.id}.pdf`);
      await writeFile(file, pdf.bytes);
      const verified = await certs(
        {},
        "verify",
        file,
        "--json",
        "--rpc",
        node.rpcUrl,
        "--registry",
        registry,
        "--chain-id",
        "1340",
      );
      const result = JSON.parse(verified.stdout) as {
        status: string;
        reasons: string[];
        checks: { id: string; message: { en: string } }[];
      };
      expect(result.status, `${c.certificateNumber}: ${result.reasons.join()}`).to.equal("VALID");
      const anchor = result.checks.find((k) => k.id === "anchor")!.message.en;
      for (const k of [node.keys[1], node.keys[3]])
        if (anchor.includes(new Wallet(k).address)) signers.add(new Wallet(k).address);
    }
    expect(signers.size, "the anchors were made by CSB's signers").to.be.greaterThan(0);
    // Every batch anchored once, by one of CSB's two signers: which one, the chain says.
    const batches = (await admin.query(`SELECT root, tx_hash, status FROM ${schema}.batches`)).rows as {
      root: string;
      tx_hash: string;
      status: string;
    }[];
    const provider = ganacheProvider(node);
    const senders = new Map<string, number>();
    for (const batch of batches) {
      const tx = await provider.getTransaction(batch.tx_hash);
      expect((await provider.getTransactionReceipt(batch.tx_hash))?.status, batch.root).to.equal(1);
      senders.set(tx!.from, (senders.get(tx!.from) ?? 0) + 1);
    }
    provider.destroy();
    expect(
      [...senders.keys()].every((s) => [node.keys[1], node.keys[3]].map((k) => new Wallet(k).address).includes(s)),
    ).to.equal(true);
    expect(new Set(batches.map((b) => b.tx_hash)).size).to.equal(batches.length);
    console.log(
      `      (${batches.length} batches; anchors per signer: ${JSON.stringify(Object.fromEntries(senders))}; the sample anchored by ${signers.size})`,
    );
  });
});
