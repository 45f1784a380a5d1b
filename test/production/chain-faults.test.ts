/**
 * Faults on the way to the chain, for the service in production mode, each part in its own process:
 * ganache (keeping its chain on disk, so it can be restarted), a fault-injecting JSON-RPC front
 * (test/helpers/faulty-rpc.ts) in this process, the service (CHAIN_RPC_URLS = the front). Each fault in
 * turn holds an upload in flight for a few seconds: answers cut half-way (the whole Content-Length
 * announced), 502 Bad Gateway, connections dropped, and the chain itself restarted behind the front.
 * During each, verification answers UNABLE_TO_CHECK (never INVALID); after each, the upload is issued.
 * At the end: every root anchored once on the chain, the signer sent one transaction per root (no double
 * send survived a cut answer to `eth_sendRawTransaction`), and every PDF verifies VALID.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { ROOT_ANCHORED_TOPIC } from "../../core/registry-abi.ts";
import type { Mode } from "../helpers/faulty-rpc.ts";
import type { Ganache } from "../helpers/ganache.ts";
import { call, claimPdf, until, uploadCsbRows, verifyPdf, type ServiceProcess } from "../helpers/production.ts";
import { startProxiedService, type ProxiedService } from "../helpers/proxied-service.ts";

const CHAIN_ID = 1345;
/** How long each fault lasts (ms). */
const FAULT_MS = 5000;

describe("faults on the way to the chain: cut answers, 502, dropped connections, the chain restarted (separate processes)", function () {
  this.timeout(300_000);
  let stop: (() => Promise<void>) | undefined;
  let node: Ganache;
  let proxy: ProxiedService["proxy"];
  let service: ServiceProcess | undefined;
  let key: string;
  let registry: string;

  const verify = (pdf: Uint8Array) => verifyPdf(service!.url, pdf);
  const upload = (from: number, to: number) => uploadCsbRows(service!.url, key, from, to);
  const issued = async (batchId: string) =>
    ((await call(service!.url, "GET", `/batches/${batchId}`, { key })).json.progress.issued ?? 0) as number;
  const pdfOf = (claimCode: string) => claimPdf(service!.url, claimCode);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    ({ node, proxy, service, key, registry, stop } = await startProxiedService(CHAIN_ID, { dbPath: "chain" }));
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && service)
      console.error(
        service
          .logs()
          .map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? l.error ?? "").slice(0, 300)}`)
          .join("\n"),
      );
  });
  after(() => stop?.());

  it("holds each upload through the fault, answers UNABLE_TO_CHECK meanwhile, then issues it, each root anchored once", async () => {
    const first = await upload(1, 3);
    await until(async () => (await issued(first.batchId)) === 3, 60_000, "the first batch issued");
    const firstPdf = await pdfOf(first.certificates[0].claimCode);
    expect((await verify(firstPdf)).status).to.equal("VALID");

    const faults: (Mode | "restart")[] = ["cut", "502", "drop", "restart"];
    const uploads = [first];
    for (const [i, fault] of faults.entries()) {
      const next = await upload(4 + 3 * i, 6 + 3 * i);
      uploads.push(next);
      // The fault starts with the upload in flight (its batch closing, its anchor being prepared or sent).
      const restarted = fault === "restart" ? node.restart(FAULT_MS) : undefined;
      if (fault !== "restart") proxy.state.mode = fault;
      // Past the chain-read cache's 2 s of grace: the answer needs the chain.
      await sleep(2500);
      const during = await verify(firstPdf);
      expect(during.status, `verification during "${fault}"`).to.equal("UNABLE_TO_CHECK");
      expect(during.reasons, `during "${fault}"`).to.include("CHAIN_UNREACHABLE");
      await sleep(FAULT_MS - 2500);
      // Held: nothing of it released while the chain could not be read.
      expect(await issued(next.batchId), `released during "${fault}"`).to.equal(0);
      proxy.state.mode = "forward";
      await restarted;
      await until(async () => (await issued(next.batchId)) === 3, 120_000, `the batch held by "${fault}" issued`);
      expect((await verify(firstPdf)).status, `after "${fault}"`).to.equal("VALID");
      expect(service!.child.exitCode).to.equal(null);
    }

    // Every PDF verifies; on the chain (read from ganache itself), each root once, one transaction each.
    for (const upload of uploads)
      for (const c of upload.certificates)
        expect((await verify(await pdfOf(c.claimCode))).status, c.id).to.equal("VALID");
    const logs = (await node.send("eth_getLogs", [
      { address: registry, topics: [ROOT_ANCHORED_TOPIC], fromBlock: "0x0", toBlock: "latest" },
    ])) as { topics: string[] }[];
    const roots = logs.map((l) => l.topics[1]);
    expect(roots).to.have.length(uploads.length);
    expect(new Set(roots).size).to.equal(uploads.length);
    const signer = new Wallet(node.keys[1]).address;
    expect(Number(await node.send("eth_getTransactionCount", [signer, "latest"])), "one transaction per root").to.equal(
      uploads.length,
    );
    // And in the database: every certificate issued, none twice.
    const list = await call(service!.url, "GET", "/certificates?status=issued&limit=100", { key });
    const ids = (list.json.certificates as { id: string }[]).map((c) => c.id).sort();
    expect(ids).to.deep.equal(uploads.flatMap((u) => u.certificates.map((c) => c.id)).sort());
  });
});
