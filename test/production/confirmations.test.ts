/**
 * CONFIRMATIONS honoured on a second EVM node that mines only when asked: ganache in instamine mode (a
 * transaction is mined into its own block as it arrives; no other block is made until `evm_mine`). The
 * service, in its own process with CONFIRMATIONS=3, anchors a batch in block N; nothing is released
 * (no certificate `issued`) while the chain's head is N, N+1 or N+2, and the batch is released once
 * block N+3 is mined.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
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

const CONFIRMATIONS = 3;

describe(`CONFIRMATIONS=${CONFIRMATIONS} on a node that mines on demand (ganache, separate processes)`, function () {
  this.timeout(180_000);
  let dir: string;
  let node: Ganache;
  let service: ServiceProcess | undefined;
  let key: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-confirmations-"));
    node = await startGanache({ chainId: 1338, unlimitedContractSize: registryOutgrowsSizeLimit() });
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
    const deployed = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile);
    key = deployed.key;
    service = await startServiceProcess({
      DATA_DIR: dir,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: "1338",
      REGISTRY_ADDRESS: deployed.registry,
      CONFIRMATIONS: String(CONFIRMATIONS),
      BATCH_WAIT_MS: "100",
      ...departments.env,
    });
  });
  after(async () => {
    const code = await service?.stop();
    if (service && code !== 0) console.error(service.output().slice(-4000));
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`releases nothing before the anchoring block has ${CONFIRMATIONS} confirmations, then the whole batch`, async () => {
    const start = await node.blockNumber();
    const res = await call(service!.url, "POST", "/batches?type=csb-cre", { key, csv: exampleRows("csb-cre.csv", 5) });
    expect(res.status, JSON.stringify(res.json)).to.equal(202);
    const batchId = res.json.batchId as string;
    const ids = (res.json.certificates as { id: string }[]).map((c) => c.id);
    // The anchor transaction is mined into its own block as it arrives: block N.
    await until(async () => (await node.blockNumber()) > start, 60_000, "the anchor transaction");
    const anchorBlock = await node.blockNumber();
    expect(anchorBlock).to.equal(start + 1);

    const released = async () => {
      const batch = await call(service!.url, "GET", `/batches/${batchId}`, { key });
      const statuses = await Promise.all(
        ids.map(async (id) => (await call(service!.url, "GET", `/certificates/${id}`, { key })).json.status as string),
      );
      return {
        issued: (batch.json.progress.issued ?? 0) as number,
        progress: batch.json.progress as Record<string, number>,
        statuses,
      };
    };
    for (let confirmations = 0; confirmations < CONFIRMATIONS; confirmations++) {
      // The service looks for its receipt and the head once a second: give it three looks.
      await new Promise((r) => setTimeout(r, 3000));
      expect(await node.blockNumber()).to.equal(anchorBlock + confirmations);
      const now = await released();
      expect(now.issued, `at ${confirmations} confirmations: ${JSON.stringify(now.progress)}`).to.equal(0);
      expect(
        now.statuses.filter((s) => s === "issued"),
        `at ${confirmations} confirmations`,
      ).to.deep.equal([]);
      await node.mine();
    }
    expect(await node.blockNumber()).to.equal(anchorBlock + CONFIRMATIONS);
    await until(async () => (await released()).issued === ids.length, 30_000, "the release");
    expect((await released()).statuses).to.deep.equal(ids.map(() => "issued"));
    // Releasing sent nothing to the chain.
    expect(await node.blockNumber()).to.equal(anchorBlock + CONFIRMATIONS);
  });
});
