/**
 * A chain endpoint that answers 429 (Retry-After: 1) to the service in production mode, each part in its
 * own process: ganache, a fault-injecting JSON-RPC front (test/helpers/faulty-rpc.ts) in this process, the
 * service (`node server/main.ts`, CHAIN_RPC_URLS = the front). While the front answers 429, verification
 * answers UNABLE_TO_CHECK (never INVALID), /readyz answers 503 naming the chain, uploads are accepted and
 * wait, and nothing is released; once it forwards again, everything is issued, each root anchored once on
 * the chain, and every PDF verifies VALID.
 */
import { expect } from "chai";
import { ROOT_ANCHORED_TOPIC } from "../../core/registry-abi.ts";
import type { Ganache } from "../helpers/ganache.ts";
import { call, claimPdf, until, uploadCsbRows, verifyPdf, type ServiceProcess } from "../helpers/production.ts";
import { startProxiedService, type ProxiedService } from "../helpers/proxied-service.ts";

const CHAIN_ID = 1342;

describe("a chain endpoint answering 429 to the production service (separate processes)", function () {
  this.timeout(180_000);
  let stop: (() => Promise<void>) | undefined;
  let node: Ganache;
  let proxy: ProxiedService["proxy"];
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
    ({ node, proxy, service, key, registry, stop } = await startProxiedService(CHAIN_ID));
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
  after(() => stop?.());

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
