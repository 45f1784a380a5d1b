/**
 * Two issuer instances on one PostgreSQL database and one chain, sharing CSB's one signer (README "Several
 * instances"): a 5,000-row sitting is uploaded half to each; one is killed with SIGKILL in the middle of a
 * batch it holds and not restarted; the other takes its leases over when they expire and finishes
 * everything. Afterwards the whole state is checked: every certificate issued once with its own row's data,
 * every root anchored once (the registry's `RootAnchored` logs), one transaction per root from the shared
 * signer (no nonce clash, nothing replaced), no batch step failed, and every PDF verifies against the chain.
 */
import { mkdtemp, rm } from "node:fs/promises";
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
  deployForService,
  departmentFiles,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  until,
  type ServiceProcess,
} from "../helpers/production.ts";
import { openPostgresStore } from "../../server/db/postgres-store.ts";
import type { Store } from "../../server/db/store.ts";
import { makeUpload, seededRandom, type Upload } from "../server/issuance/issuance-inputs.ts";
import { checkWholeState, expectWholeStateOk, ROOT_ANCHORED, sendUpload } from "../server/issuance/whole-state.ts";

const ROWS = 5000;
const LEASE_TTL_MS = 3000;

describePostgres("two instances, one signer, one killed mid-batch (SIGKILL, not restarted)", function () {
  this.timeout(420_000);
  let dir: string;
  let node: Ganache;
  const services: ServiceProcess[] = [];
  let admin: pg.Client;
  let store: Store;
  const schema = `ecert_kill_${process.pid}_${randomBytes(3).toString("hex")}`;
  let databaseUrl: string;
  let key: string;
  let registry: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-kill-"));
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    databaseUrl = `${TEST_POSTGRES_URL}${TEST_POSTGRES_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    node = await startGanache({ chainId: 1341, blockTime: 1, unlimitedContractSize: registryOutgrowsSizeLimit() });
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
    const deployed = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile, {
      DATABASE_URL: databaseUrl,
    });
    registry = deployed.registry;
    key = deployed.key;
    store = await openPostgresStore(databaseUrl);
    const env = {
      DATABASE_URL: databaseUrl,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: "1341",
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "300",
      BATCH_SIZE: "500",
      LEASE_TTL_MS: String(LEASE_TTL_MS),
      PUBLIC_RATE_LIMIT: "10000000", // the whole-state check opens every claim code
      ...departments.env, // the same signer keystore for both
    };
    services.push(await startServiceProcess({ ...env, DATA_DIR: path.join(dir, "a") }));
    services.push(await startServiceProcess({ ...env, DATA_DIR: path.join(dir, "b") }));
  });
  after(async () => {
    for (const service of services) {
      const code = await service.stop();
      if (code !== 0 && code !== null) console.error(service.output().slice(-4000));
    }
    await store?.close();
    await node?.stop();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it("the survivor takes the dead instance's leases over and issues every certificate exactly once", async () => {
    const [a, b] = services;
    const random = seededRandom(13);
    const uploads: Upload[] = [
      makeUpload("csb-cre", ROWS / 2, "KILLA", random),
      makeUpload("csb-cre", ROWS / 2, "KILLB", random),
    ];
    const started = Date.now();
    await Promise.all([
      sendUpload({ apiUrl: `${a.url}/api/v1`, keys: { CSB: key } }, uploads[0]),
      sendUpload({ apiUrl: `${b.url}/api/v1`, keys: { CSB: key } }, uploads[1]),
    ]);
    for (const u of uploads) expect(u.response?.status, JSON.stringify(u.response?.json).slice(0, 300)).to.equal(202);

    // A holds a batch half-way: anchored, some of its PDFs stored, not all.
    const holderA = `%/${a.child.pid}/%`;
    let killedIn = "";
    await until(
      async () => {
        const { rows } = await admin.query(
          `SELECT l.name, b.status,
             (SELECT count(*) FROM ${schema}.certificates c WHERE c.batch_id = b.id AND c.pdf_hash IS NOT NULL)::int AS rendered,
             b.certificate_count AS count
           FROM ${schema}.leases l JOIN ${schema}.batches b ON l.name = 'batch:' || b.id
           WHERE l.holder LIKE $1 AND l.expires_at > 0 AND b.status = 'anchored'`,
          [holderA],
        );
        const mid = rows.find((r) => r.rendered > 0 && r.rendered < r.count);
        if (mid) killedIn = `${mid.name} with ${mid.rendered} of ${mid.count} PDFs stored`;
        return mid !== undefined;
      },
      180_000,
      "instance A half-way through rendering a batch",
    );
    process.kill(-a.child.pid!, "SIGKILL");
    const killedAt = Date.now();
    await until(async () => a.child.exitCode !== null || a.child.signalCode !== null, 10_000, "A to die");
    const heldByA = (
      await admin.query(`SELECT name FROM ${schema}.leases WHERE holder LIKE $1 AND expires_at > 0`, [holderA])
    ).rows.map((r) => r.name as string);

    await until(
      async () => {
        const { rows } = await admin.query(
          `SELECT count(*)::int AS n FROM ${schema}.certificates WHERE status = 'issued'`,
        );
        return rows[0].n === ROWS;
      },
      300_000,
      `all ${ROWS} certificates issued by B`,
    );
    const doneAt = Date.now();

    // The database: every certificate issued in a rendered batch, every batch's root once.
    const batches = (
      await admin.query(`SELECT id, root, status, tx_hash, certificate_count, attempts, failure FROM ${schema}.batches`)
    ).rows as {
      id: string;
      root: string;
      status: string;
      tx_hash: string;
      certificate_count: number;
      attempts: number;
      failure: string | null;
    }[];
    expect(
      batches.every((x) => x.status === "rendered" && x.failure === null && x.attempts === 0),
      JSON.stringify(batches),
    ).to.equal(true);
    expect(batches.reduce((n, x) => n + x.certificate_count, 0)).to.equal(ROWS);
    const pdfs = (
      await admin.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE encode(sha256(p.pdf), 'hex') = c.pdf_hash)::int AS matching
         FROM ${schema}.certificates c JOIN ${schema}.certificate_pdfs p ON p.certificate_id = c.id`,
      )
    ).rows[0];
    expect(pdfs).to.deep.equal({ n: ROWS, matching: ROWS });

    // The chain: each root anchored once, one transaction each from the shared signer, none wasted.
    const provider = ganacheProvider(node);
    const logs = await provider.getLogs({ address: registry, topics: [ROOT_ANCHORED], fromBlock: 0 });
    const anchoredRoots = logs.map((l) => l.topics[1]);
    expect(new Set(anchoredRoots).size, "no root anchored twice").to.equal(anchoredRoots.length);
    expect([...anchoredRoots].sort()).to.deep.equal(batches.map((x) => x.root).sort());
    const signer = new Wallet(node.keys[1]).address;
    for (const x of batches) {
      const tx = await provider.getTransaction(x.tx_hash);
      expect(tx?.from, x.root).to.equal(signer);
      expect((await provider.getTransactionReceipt(x.tx_hash))?.status, x.root).to.equal(1);
    }
    expect(await provider.getTransactionCount(signer), "the signer sent one transaction per root").to.equal(
      batches.length,
    );
    provider.destroy();

    // Neither instance had a batch step fail (no two instances worked on one batch).
    for (const [name, s] of [
      ["A", a],
      ["B", b],
    ] as const) {
      const failed = s.logs().filter((l) => /batch step failed|pipeline step failed|set aside/.test(String(l.msg)));
      expect(failed, `${name}: ${JSON.stringify(failed).slice(0, 1000)}`).to.deep.equal([]);
    }

    // The whole state, read back through B: every certificate its own row's, and every PDF verifies.
    const report = await checkWholeState(
      { apiUrl: `${b.url}/api/v1`, keys: { CSB: key }, rpcUrl: node.rpcUrl, chainId: 1341, registry, store },
      uploads,
      { verifySample: ROWS },
    );
    expectWholeStateOk(report, "after the kill");
    expect(report.verified).to.equal(ROWS);
    console.log(
      `      (A killed in ${killedIn}, holding ${heldByA.join(", ")}; ${batches.length} batches; ` +
        `issued ${((doneAt - started) / 1000).toFixed(1)} s after upload, ${((doneAt - killedAt) / 1000).toFixed(1)} s after the kill)`,
    );
  });
});
