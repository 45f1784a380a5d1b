/**
 * Reorganisations, on a second EVM node that mines only when asked (ganache in instamine mode, its own
 * process), the service in its own process with CONFIRMATIONS=2. A reorganisation is made with
 * `evm_snapshot` before a batch's anchor and `evm_revert` after it: the blocks after the snapshot leave
 * the chain, the anchoring transaction with them (ganache goes on answering its old receipt, as some
 * nodes do, so only the block hash tells).
 * - Before release (a shallow reorganisation): the dropped transaction is noticed, the root anchored
 *   again in a new block, and nothing released until that block has its confirmations.
 * - After release (deeper than CONFIRMATIONS): the periodic check of recent anchors (ANCHOR_RECHECK_MS)
 *   notices the root is gone and anchors it again; every certificate verifies VALID again.
 * Either way each root ends up anchored once on the chain.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ROOT_ANCHORED_TOPIC } from "../../core/registry-abi.ts";
import { startGanache, type Ganache } from "../helpers/ganache.ts";
import {
  CSB,
  call,
  claimPdf,
  departmentFiles,
  deployForService,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  until,
  uploadCsbRows,
  verifyPdf,
  type ServiceProcess,
} from "../helpers/production.ts";

const CHAIN_ID = 1344;
const CONFIRMATIONS = 2;

interface Log {
  topics: string[];
  transactionHash: string;
  blockNumber: string;
}

describe(`reorganisations on a node that mines on demand (ganache, CONFIRMATIONS=${CONFIRMATIONS}, separate processes)`, function () {
  this.timeout(240_000);
  let dir: string;
  let node: Ganache;
  let service: ServiceProcess | undefined;
  let key: string;
  let registry: string;

  const anchorLogs = async () =>
    (await node.send("eth_getLogs", [
      { address: registry, topics: [ROOT_ANCHORED_TOPIC], fromBlock: "0x0", toBlock: "latest" },
    ])) as Log[];
  const upload = (from: number, to: number) => uploadCsbRows(service!.url, key, from, to);
  const released = async (ids: string[]) => {
    const statuses = await Promise.all(
      ids.map(async (id) => (await call(service!.url, "GET", `/certificates/${id}`, { key })).json.status as string),
    );
    return statuses.filter((s) => s === "issued").length;
  };
  const verify = async (claimCode: string) => verifyPdf(service!.url, await claimPdf(service!.url, claimCode));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-reorg-"));
    node = await startGanache({ chainId: CHAIN_ID, unlimitedContractSize: registryOutgrowsSizeLimit() });
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
    const deployed = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile);
    key = deployed.key;
    registry = deployed.registry;
    service = await startServiceProcess({
      DATA_DIR: dir,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: String(CHAIN_ID),
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: String(CONFIRMATIONS),
      BATCH_WAIT_MS: "100",
      ANCHOR_RECHECK_MS: "1000",
      ...departments.env,
    });
  });
  after(async () => {
    const code = await service?.stop();
    if (service && code !== 0) console.error(service.output().slice(-4000));
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("notices an anchoring transaction reorganised out before release, anchors the root again, and releases only after its confirmations", async () => {
    const start = await node.blockNumber();
    const snapshot = await node.send("evm_snapshot");
    const first = await upload(1, 4);
    const ids = first.certificates.map((c) => c.id);
    await until(async () => (await node.blockNumber()) > start, 60_000, "the anchor transaction");
    const [dropped] = await anchorLogs();
    expect(Number(dropped.blockNumber)).to.equal(start + 1);
    await node.mine(); // one confirmation of two
    await sleep(2500);
    expect(await released(ids), "released at 1 confirmation").to.equal(0);

    expect(await node.send("evm_revert", [snapshot])).to.equal(true);
    expect(await node.blockNumber()).to.equal(start);
    expect(await anchorLogs()).to.deep.equal([]);
    // Noticed (the receipt's block is gone) and sent again: mined into the new block start + 1.
    await until(async () => (await anchorLogs()).length === 1, 60_000, "the root anchored again");
    const [again] = await anchorLogs();
    expect(again.transactionHash).to.not.equal(dropped.transactionHash);
    expect(again.topics[1]).to.equal(dropped.topics[1]);
    const anchorBlock = Number(again.blockNumber);
    for (let confirmations = 0; confirmations < CONFIRMATIONS; confirmations++) {
      await sleep(2500);
      expect(await node.blockNumber()).to.equal(anchorBlock + confirmations);
      expect(await released(ids), `released at ${confirmations} confirmations`).to.equal(0);
      await node.mine();
    }
    await until(async () => (await released(ids)) === ids.length, 30_000, "the release");
    for (const c of first.certificates) {
      const result = await verify(c.claimCode);
      expect(result.status, c.id).to.equal("VALID");
      expect(result.anchor?.blockNumber).to.equal(anchorBlock);
    }
    expect(service!.output()).to.match(/reorganised out; sending it again/);
  });

  it("notices a root dropped after release (deeper than CONFIRMATIONS), anchors it again, and every certificate verifies VALID", async () => {
    const before = await anchorLogs();
    expect(before).to.have.length(1);
    const start = await node.blockNumber();
    const snapshot = await node.send("evm_snapshot");
    const second = await upload(5, 8);
    const ids = second.certificates.map((c) => c.id);
    await until(async () => (await anchorLogs()).length === 2, 60_000, "the second anchor");
    await node.mine(CONFIRMATIONS);
    await until(async () => (await released(ids)) === ids.length, 30_000, "the second release");
    const root = (await anchorLogs())[1].topics[1];

    expect(await node.send("evm_revert", [snapshot])).to.equal(true);
    expect(await node.blockNumber()).to.equal(start);
    expect(await anchorLogs()).to.deep.equal(before);
    // The periodic check (every second here) sees the root gone and anchors it again.
    await until(async () => (await anchorLogs()).length === 2, 60_000, "the dropped root anchored again");
    const logs = await anchorLogs();
    expect(logs[1].topics[1]).to.equal(root);
    await node.mine(CONFIRMATIONS);
    await until(async () => /batch anchored again/.test(service!.output()), 30_000, "the re-anchor confirmed");
    // Past the chain-read cache's grace, the service's verifier reads the new anchor.
    await sleep(2500);
    for (const c of second.certificates) {
      const result = await verify(c.claimCode);
      expect(result.status, c.id).to.equal("VALID");
      expect(result.anchor?.blockNumber).to.equal(Number(logs[1].blockNumber));
    }
    // Each root once on the chain; the first batch untouched.
    const roots = logs.map((l) => l.topics[1]);
    expect(new Set(roots).size).to.equal(2);
    expect(await released(ids)).to.equal(ids.length);
  });
});
