/**
 * The key-compromise drill, end to end, on the embedded default (README "Governance admin: commands and
 * the key-compromise drill"):
 *   1. CSB issues batch A through the API: VALID; then batch B.
 *   2. CSB's signer key is "compromised" from T, the block time of B's anchor: the admin cuts it off from T
 *      with `certs admin signer cut-off` (after a revocation of an A certificate the key made after T).
 *   3. B's certificates verify ISSUER_KEY_REVOKED; A's stay VALID, and the revocation made after T no
 *      longer counts (that certificate is VALID again).
 *   4. The admin adds CSB's new signer (`certs admin signer add`); the service is restarted with it: the
 *      same DATA_DIR (database, chain journal, PKI), the chain brought back from its journal, the service
 *      configured with the new key as an encrypted keystore (CSB_SIGNER_KEYSTORE), as in production.
 *   5. B's certificates are renewed through the API: the renewals verify VALID, the old ones
 *      ISSUER_KEY_REVOKED (and SUPERSEDED).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parse } from "csv-parse/sync";
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { verify, type VerificationResult } from "../../../core/index.ts";
import { DEV_KEYS, startLocalChain, type LocalChainResult } from "../../../server/chain/local-chain.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api, waitFor } from "../api/api-helpers.ts";
import { certsAdmin, writeKeystore } from "./admin-helpers.ts";

const CSB_SIGNER = new Wallet(DEV_KEYS.CSB).address;

/** The header and the first `count` rows of a sample CSV. */
function firstRows(csv: Uint8Array, count: number): Uint8Array {
  const lines = new TextDecoder()
    .decode(csv)
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter(Boolean);
  return new TextEncoder().encode(`${lines.slice(0, count + 1).join("\r\n")}\r\n`);
}

type Issued = { id: string; certificateNumber: string }[];

describe("the key-compromise drill: cut off CSB's signer, verify, new signer, re-issue", function () {
  this.timeout(240_000);
  let dataDir: string;
  let server: RunningServer;
  let chain: LocalChainResult | undefined;
  let key: string;
  const pdfs = new Map<string, Uint8Array>();

  const verifyPdf = (pdf: Uint8Array): Promise<VerificationResult> =>
    verify(pdf, {
      providers: [server.dev?.rpcUrl ?? `${server.url}/rpc`],
      trusted: { chainId: 31337, registry: registry() },
    });
  let registryAddress: string;
  const registry = () => registryAddress;

  async function issueBatch(csv: Uint8Array, type: string): Promise<Issued> {
    const res = await api(server, "POST", `/batches?type=${type}`, { key, body: csv, contentType: "text/csv" });
    expect(res.status, JSON.stringify(res.json)).to.equal(202);
    const batchId = res.json.batchId as string;
    await waitFor(async () => (await api(server, "GET", `/batches/${batchId}`, { key })).json.done === true);
    expect((await api(server, "GET", `/batches/${batchId}`, { key })).json.progress.issued).to.equal(
      res.json.certificates.length,
    );
    for (const c of res.json.certificates as Issued)
      pdfs.set(c.id, (await api(server, "GET", `/certificates/${c.id}/pdf`, { key })).bytes);
    return res.json.certificates;
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-drill-"));
    server = await startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
    key = server.dev!.apiKeys.CSB;
    registryAddress = server.dev!.registry;
  });
  after(async () => {
    await server?.stop();
    await chain?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("writes the local chain's own JSON-RPC URL to dev.json as chainRpcUrl (rpcUrl stays the read-only proxy)", async () => {
    const dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8"));
    expect(dev).to.include.keys("apiUrl", "verifierUrl", "rpcUrl", "chainId", "registry", "apiKeys", "chainRpcUrl");
    expect(dev.rpcUrl).to.equal(`${server.url}/rpc`);
    expect(dev.chainRpcUrl).to.equal(server.localChain!.rpcUrl);
  });

  let batchA: Issued;
  let batchB: Issued;
  let cutOffAt: string;

  it("1-3. cuts CSB's signer off from B's anchor time: B is ISSUER_KEY_REVOKED, A VALID, a revocation made after T void", async () => {
    // 1. Batch A, VALID.
    batchA = await issueBatch(firstRows(sampleCsv("csb-cre.csv"), 4), "csb-cre");
    const a0 = await verifyPdf(pdfs.get(batchA[0].id)!);
    expect(a0.status, JSON.stringify(a0.reasons)).to.equal("VALID");
    // Then batch B: T is the block time of its anchor, after A's.
    batchB = await issueBatch(firstRows(sampleCsv("csb-blnst.csv"), 3), "csb-blnst");
    const b0 = await verifyPdf(pdfs.get(batchB[0].id)!);
    expect(b0.status).to.equal("VALID");
    cutOffAt = b0.anchor!.anchoredAt;
    expect(Date.parse(cutOffAt)).to.be.greaterThan(Date.parse(a0.anchor!.anchoredAt));

    // After T, the key revokes one of A's certificates (through the service): it counts, for now.
    const revoked = await api(server, "POST", `/certificates/${batchA[1].id}/revoke`, {
      key,
      json: { reason: "fraud" },
    });
    expect(revoked.status).to.equal(202);
    await waitFor(
      async () => (await api(server, "GET", `/certificates/${batchA[1].id}`, { key })).json.status === "revoked",
    );
    expect((await verifyPdf(pdfs.get(batchA[1].id)!)).reasons).to.deep.equal(["REVOKED"]);

    // 2. The admin cuts the key off from T.
    const cut = await certsAdmin({ DATA_DIR: dataDir }, "signer", "cut-off", CSB_SIGNER, "--from", cutOffAt);
    expect(cut.code, cut.stderr).to.equal(0);
    expect(cut.stdout).to.match(
      new RegExp(
        `^signer ${CSB_SIGNER} \\(CSB\\) cut off from .* HKT \\(${cutOffAt}\\): transaction 0x[0-9a-f]{64}, block \\d+$`,
        "m",
      ),
    );
    expect(
      (await certsAdmin({ DATA_DIR: dataDir }, "signer", "cut-off", CSB_SIGNER, "--from", cutOffAt)).stdout,
    ).to.match(/^already so: /m);
    const list = await certsAdmin({ DATA_DIR: dataDir }, "issuer", "list", "--json");
    const csb = JSON.parse(list.stdout).issuers.find((i: { id: string }) => i.id === "CSB");
    expect(csb.signers).to.deep.equal([
      { address: CSB_SIGNER, validFrom: "1767225600", validUntil: String(Date.parse(cutOffAt) / 1000), current: false },
    ]);

    // 3. Anchored at or after T: ISSUER_KEY_REVOKED. Before T: VALID, and the revocation made after T no longer counts.
    for (const c of batchB) {
      const result = await verifyPdf(pdfs.get(c.id)!);
      expect(result.reasons, c.certificateNumber).to.deep.equal(["ISSUER_KEY_REVOKED"]);
    }
    for (const c of batchA) {
      const result = await verifyPdf(pdfs.get(c.id)!);
      expect(result.status, `${c.certificateNumber}: ${result.reasons.join()}`).to.equal("VALID");
    }
    // The same through the public POST /verify.
    const viaApi = await api(server, "POST", "/verify", {
      body: pdfs.get(batchB[0].id)!,
      contentType: "application/pdf",
    });
    expect(viaApi.json.reasons).to.deep.equal(["ISSUER_KEY_REVOKED"]);
    expect(
      (await api(server, "POST", "/verify", { body: pdfs.get(batchA[1].id)!, contentType: "application/pdf" })).json
        .status,
    ).to.equal("VALID");
  });

  let newSigner: Wallet;
  let keystore: string;

  it("4. adds CSB's new signer with certs admin, and restarts the service with it (an encrypted keystore, the same DATA_DIR)", async () => {
    newSigner = Wallet.createRandom() as unknown as Wallet;
    const added = await certsAdmin({ DATA_DIR: dataDir }, "signer", "add", "CSB", newSigner.address);
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stdout).to.match(
      new RegExp(`^signer ${newSigner.address} added to CSB, window \\[.*, no end\\): transaction 0x`, "m"),
    );
    // The department funds its new key (on the local chain, from the development admin account).
    const rpc = new JsonRpcProvider(server.dev!.chainRpcUrl, 31337, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    });
    await (
      await new Wallet(DEV_KEYS.admin, rpc).sendTransaction({ to: newSigner.address, value: parseEther("1") })
    ).wait();
    rpc.destroy();
    keystore = await writeKeystore(dataDir, "csb-signer-2", newSigner.privateKey, "csb drill password");

    await server.stop();
    // The chain comes back from its journal (same registry, anchors, cut-off and new signer)...
    chain = await startLocalChain({ dataDir, persist: true, port: 0 });
    expect(chain.registry).to.equal(registryAddress);
    // ...and the service runs on it with CSB's new key, as a production deployment is configured.
    server = await startServer(
      loadConfig({
        APPROVALS: "none",
        DATA_DIR: dataDir,
        PORT: "0",
        BATCH_WAIT_MS: "100",
        LOG_LEVEL: "silent",
        CHAIN_RPC_URLS: chain.rpcUrl,
        CHAIN_ID: String(chain.chainId),
        REGISTRY_ADDRESS: chain.registry,
        ISSUER_IDS: "CSB",
        CSB_SIGNER_KEYSTORE: keystore,
        CSB_SIGNER_PASSWORD: "csb drill password",
        CSB_PADES_CERT: path.join(dataDir, "pki", "CSB.cert.pem"),
        CSB_PADES_KEY: path.join(dataDir, "pki", "CSB.key.pem"),
        CONFIRMATIONS: "0",
      }),
    );
    const list = JSON.parse(
      (await certsAdmin({}, "issuer", "list", "--json", "--rpc", chain.rpcUrl, "--registry", chain.registry)).stdout,
    );
    const csb = list.issuers.find((i: { id: string }) => i.id === "CSB");
    expect(csb.signers.map((s: { address: string; current: boolean }) => [s.address, s.current])).to.deep.equal([
      [CSB_SIGNER, false],
      [newSigner.address, true],
    ]);
    // What was issued before the restart still verifies as it did.
    expect((await verifyPdf(pdfs.get(batchA[0].id)!)).status).to.equal("VALID");
    expect((await verifyPdf(pdfs.get(batchB[0].id)!)).reasons).to.deep.equal(["ISSUER_KEY_REVOKED"]);
  });

  it("5. renews B's certificates through the service: the renewals VALID (anchored by the new signer), the old ones ISSUER_KEY_REVOKED", async () => {
    const rows = parse(new TextDecoder().decode(firstRows(sampleCsv("csb-blnst.csv"), 3)), {
      columns: true,
      bom: true,
    }) as Record<string, string>[];
    const renewals: string[] = [];
    for (const [i, c] of batchB.entries()) {
      const res = await api(server, "POST", `/certificates/${c.id}/renew`, { key, json: { fields: rows[i] } });
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      renewals.push(res.json.certificates[0].id);
    }
    for (const [i, c] of batchB.entries()) {
      await waitFor(
        async () => (await api(server, "GET", `/certificates/${c.id}`, { key })).json.status === "superseded",
      );
      const renewal = (await api(server, "GET", `/certificates/${renewals[i]}`, { key })).json;
      expect(renewal).to.deep.include({ status: "issued", supersedes: c.id, certificateNumber: c.certificateNumber });
    }
    for (const [i, c] of batchB.entries()) {
      const fresh = await verifyPdf((await api(server, "GET", `/certificates/${renewals[i]}/pdf`, { key })).bytes);
      expect(fresh.status, fresh.reasons.join()).to.equal("VALID");
      expect(fresh.checks.find((k) => k.id === "anchor")!.message.en).to.include(newSigner.address);
      const old = await verifyPdf(pdfs.get(c.id)!);
      expect(old.status).to.equal("INVALID");
      expect(old.reasons).to.include("ISSUER_KEY_REVOKED");
    }
    // A, anchored before T, is untouched.
    for (const c of batchA) expect((await verifyPdf(pdfs.get(c.id)!)).status).to.equal("VALID");
  });
});
