/**
 * A department's chain signer that cannot pay for gas, in production mode (ganache, a gas price above
 * zero, the service in its own process): the batch waits (never set aside as failed), `/readyz` names
 * the signer and `ecert_signer_unfunded` says 1; once the signer is funded the batch is anchored and
 * issued, every certificate VALID, the metric back to 0.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { startGanache, type Ganache } from "../helpers/ganache.ts";
import {
  CSB,
  call,
  departmentFiles,
  exampleRows,
  deployForService,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  until,
  type ServiceProcess,
} from "../helpers/production.ts";

const CHAIN_ID = 1343;

describe("a department's signer with no funds for gas (production mode, separate processes)", function () {
  this.timeout(180_000);
  let dir: string;
  let node: Ganache;
  let service: ServiceProcess | undefined;
  let key: string;
  const signer = Wallet.createRandom();

  const metric = async () => {
    const text = await (await fetch(`${service!.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('ecert_signer_unfunded{issuer="CSB"} '));
    return line === undefined ? undefined : Number(line.split(" ").pop());
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-funds-"));
    node = await startGanache({ chainId: CHAIN_ID, blockTime: 1, unlimitedContractSize: registryOutgrowsSizeLimit() });
    // The signer is a new key: registered by the deployer, holding no ether.
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: signer.privateKey }]);
    const deployed = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile);
    key = deployed.key;
    service = await startServiceProcess({
      DATA_DIR: dir,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: String(CHAIN_ID),
      REGISTRY_ADDRESS: deployed.registry,
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "100",
      ...departments.env,
    });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && service)
      console.error(
        service
          .logs()
          .map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? "").slice(0, 300)}`)
          .join("\n"),
      );
  });
  after(async () => {
    const code = await service?.stop();
    if (service && code !== 0) console.error(service.output().slice(-4000));
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("holds the batch while the signer cannot pay, says why, and issues it once funded", async () => {
    const res = await call(service!.url, "POST", "/batches?type=csb-cre", { key, csv: exampleRows("csb-cre.csv", 3) });
    expect(res.status, JSON.stringify(res.json)).to.equal(202);
    const batchId = res.json.batchId as string;
    const claimCodes = (res.json.certificates as { claimCode: string }[]).map((c) => c.claimCode);

    await until(async () => (await metric()) === 1, 30_000, "ecert_signer_unfunded 1");
    const ready = await fetch(`${service!.url}/readyz`);
    expect(ready.status).to.equal(503);
    const failing = ((await ready.json()) as { checks: { name: string; ok: boolean; error?: string }[] }).checks.filter(
      (c) => !c.ok,
    );
    expect(failing).to.deep.equal([
      { name: "signers", ok: false, error: `no funds to pay for gas: CSB (${signer.address})` },
    ]);
    // Longer than three pipeline attempts, and still waiting: nothing set aside, nothing issued.
    await new Promise((r) => setTimeout(r, 12_000));
    const waiting = await call(service!.url, "GET", `/batches/${batchId}`, { key });
    expect(waiting.json.done, JSON.stringify(waiting.json)).to.equal(false);
    expect(waiting.json.failures).to.deep.equal([]);
    expect(waiting.json.progress.issued ?? 0).to.equal(0);
    expect(waiting.json.progress.failed ?? 0).to.equal(0);

    // Funded by another account: the batch goes on by itself.
    const funder = new Wallet(node.keys[2], new JsonRpcProvider(node.rpcUrl, undefined, { staticNetwork: true }));
    await (await funder.sendTransaction({ to: signer.address, value: parseEther("1") })).wait();
    await until(
      async () => (await call(service!.url, "GET", `/batches/${batchId}`, { key })).json.progress.issued === 3,
      60_000,
      "the batch issued after funding",
    );
    expect(await metric()).to.equal(0);
    expect((await fetch(`${service!.url}/readyz`)).status).to.equal(200);
    for (const code of claimCodes) {
      const pdf = new Uint8Array(await (await fetch(`${service!.url}/api/v1/claim/${code}/pdf`)).arrayBuffer());
      const verdict = await fetch(`${service!.url}/api/v1/verify`, {
        method: "POST",
        headers: { "content-type": "application/pdf" },
        body: pdf as BodyInit,
      });
      expect(((await verdict.json()) as { status: string }).status).to.equal("VALID");
    }
    funder.provider!.destroy();
  });
});
