/**
 * A chain endpoint that answers 429 (Retry-After: 1) to the service in production mode, each part in its
 * own process: ganache, a fault-injecting JSON-RPC front (test/helpers/faulty-rpc.ts) in this process, the
 * service (`node server/main.ts`, CHAIN_RPC_URLS = the front). While the front answers 429, verification
 * answers UNABLE_TO_CHECK (never INVALID), /readyz answers 503 naming the chain, uploads are accepted and
 * wait, and nothing is released; once it forwards again, everything is issued, each root anchored once on
 * the chain, and every PDF verifies VALID.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ROOT_ANCHORED_TOPIC } from "../../core/registry-abi.ts";
import { faultyProxy } from "../helpers/faulty-rpc.ts";
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

const CHAIN_ID = 1342;

describe("a chain endpoint answering 429 to the production service (separate processes)", function () {
  this.timeout(180_000);
  let dir: string;
  let node: Ganache;
  let proxy: Awaited<ReturnType<typeof faultyProxy>>;
  let service: ServiceProcess | undefined;
  let key: string;
  let registry: string;

  const verify = (pdf: Uint8Array) => verifyPdf(service!.url, pdf);
  const upload = (from: number, to: number) => uploadCsbRows(service!.url, key, from, to);
  let lastProgress: unknown;
  const progress = async (batchId: string) =>
    (lastProgress = (await call(service!.url, "GET", `/batches/${batchId}`, { key })).json) as {
      done: boolean;
      progress: Record<string, number>;
    };
  const pdfOf = (claimCode: string) => claimPdf(service!.url, claimCode);

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-429-"));
    // A block a second, as a network makes them (the service waits for CONFIRMATIONS=1 on its anchors).
    node = await startGanache({ chainId: CHAIN_ID, blockTime: 1, unlimitedContractSize: registryOutgrowsSizeLimit() });
    proxy = await faultyProxy(node.rpcUrl);
    const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
    ({ registry, key } = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile));
    service = await startServiceProcess({
      DATA_DIR: dir,
      CHAIN_RPC_URLS: proxy.url,
      CHAIN_ID: String(CHAIN_ID),
      REGISTRY_ADDRESS: registry,
      CHAIN_RPC_TIMEOUT_MS: "1000",
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "100",
      PUBLIC_RATE_LIMIT: "100000",
      ...departments.env,
    });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && service)
      console.error(
        JSON.stringify(lastProgress),
        "\n",
        service
          .logs()
          .map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? l.error ?? "").slice(0, 200)}`)
          .join("\n"),
      );
  });
  after(async () => {
    const code = await service?.stop();
    if (service && code !== 0) console.error(service.output().slice(-4000));
    await proxy?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers UNABLE_TO_CHECK and 503 not ready while the chain answers 429, holds the upload, then issues it once", async () => {
    const first = await upload(1, 3);
    await until(async () => (await progress(first.batchId)).progress.issued === 3, 60_000, "the first batch issued");
    const firstPdf = await pdfOf(first.certificates[0].claimCode);
    expect((await verify(firstPdf)).status).to.equal("VALID");

    proxy.state.mode = "429";
    // Past the chain-read cache's 2 s of grace: every answer now needs the chain.
    await new Promise((r) => setTimeout(r, 2500));
    const during = await verify(firstPdf);
    expect(during.status).to.equal("UNABLE_TO_CHECK");
    expect(during.reasons).to.include("CHAIN_UNREACHABLE");
    const ready = await fetch(`${service!.url}/readyz`);
    expect(ready.status).to.equal(503);
    const failed = ((await ready.json()) as { checks: { name: string; ok: boolean }[] }).checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).to.include("chain");

    // An upload is accepted (the database has it) and waits: nothing is anchored or released meanwhile.
    const second = await upload(4, 7);
    expect(second.certificates).to.have.length(4);
    const before = proxy.state.requests;
    await new Promise((r) => setTimeout(r, 5000));
    const waiting = await progress(second.batchId);
    expect(waiting.done).to.equal(false);
    expect(waiting.progress.issued ?? 0).to.equal(0);
    // It backs off (Retry-After: 1) instead of hammering the endpoint: a few requests a second at most.
    expect(proxy.state.requests - before).to.be.below(60);
    expect(service!.child.exitCode).to.equal(null);

    proxy.state.mode = "forward";
    await until(async () => (await progress(second.batchId)).progress.issued === 4, 90_000, "the second batch issued");
    expect((await fetch(`${service!.url}/readyz`)).status).to.equal(200);
    for (const c of [...first.certificates, ...second.certificates])
      expect((await verify(await pdfOf(c.claimCode))).status, c.id).to.equal("VALID");

    // On the chain: two roots, each anchored once (read from ganache itself, not through the front).
    const logs = (await node.send("eth_getLogs", [
      { address: registry, topics: [ROOT_ANCHORED_TOPIC], fromBlock: "0x0", toBlock: "latest" },
    ])) as { topics: string[] }[];
    const roots = logs.map((l) => l.topics[1]);
    expect(roots).to.have.length(2);
    expect(new Set(roots).size).to.equal(2);
    // And in the database: every certificate of both uploads issued, none twice.
    const list = await call(service!.url, "GET", "/certificates?status=issued&limit=100", { key });
    const ids = (list.json.certificates as { id: string }[]).map((c) => c.id).sort();
    expect(ids).to.deep.equal([...first.certificates, ...second.certificates].map((c) => c.id).sort());
  });
});
