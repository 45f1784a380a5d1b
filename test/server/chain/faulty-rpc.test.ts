/**
 * The production chain provider (`createChainProvider`, as `npm start` builds it for CHAIN_RPC_URLS)
 * and IssuerChain against faulty endpoints: real local HTTP servers on 127.0.0.1 in front of a real local
 * chain (`startLocalChain`), switched to hang, throttle (429 + Retry-After), fail (502) or drop the
 * connection.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet, id, isError } from "ethers";
import { createChainProvider, type FailoverJsonRpcProvider } from "../../../server/chain/chain-provider.ts";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { DEV_KEYS, startLocalChain, type LocalChainResult } from "../../../server/chain/local-chain.ts";
import { ConfigError, loadConfig } from "../../../server/config.ts";
import { faultyProxy, type Mode } from "../../helpers/faulty-rpc.ts";

const ROOT_ANCHORED = id("RootAnchored(bytes32,uint256)");

describe("the production chain provider and IssuerChain against faulty endpoints", function () {
  this.timeout(40_000);
  let dataDir: string;
  let chain: LocalChainResult;
  const closing: { close(): Promise<void> }[] = [];
  const providers: FailoverJsonRpcProvider[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-faulty-rpc-"));
    chain = await startLocalChain({ dataDir, port: 0 });
  });
  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const c of closing.splice(0)) await c.close();
  });
  after(async () => {
    await chain.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function proxy(mode: Mode = "forward") {
    const p = await faultyProxy(chain.rpcUrl, mode);
    closing.push(p);
    return p;
  }
  function provider(urls: string[], options: Parameters<typeof createChainProvider>[2] = {}) {
    const p = createChainProvider(urls, chain.chainId, options);
    providers.push(p);
    return p;
  }
  function issuerChain(p: FailoverJsonRpcProvider, options: { retry?: { maxMs?: number } } = {}) {
    return new IssuerChain({
      provider: p,
      registry: chain.registry,
      signers: { CSB: new Wallet(DEV_KEYS.CSB, p) },
      confirmations: 0,
      pollIntervalMs: 100,
      ...options,
    });
  }
  /** RootAnchored logs for `root`, read from the chain directly. */
  async function anchoredLogs(root: string): Promise<unknown[]> {
    const res = await fetch(chain.rpcUrl, {
      method: "POST",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getLogs",
        params: [{ address: chain.registry, fromBlock: "0x0", toBlock: "latest", topics: [ROOT_ANCHORED, root] }],
      }),
    });
    return ((await res.json()) as { result: unknown[] }).result;
  }

  it("fails over from a hung first endpoint within the timeout, closes its socket, and rests it", async () => {
    const hung = await proxy("hang");
    const good = await proxy("forward");
    const timeoutMs = 1500;
    const p = provider([hung.url, good.url], { timeoutMs });
    const started = Date.now();
    expect(await p.getBlockNumber()).to.be.a("number");
    const failover = Date.now() - started;
    expect(failover).to.be.within(timeoutMs - 50, timeoutMs * 3);
    expect(hung.state.requests).to.equal(1);
    // The timed-out request was aborted and its connection closed (ethers' own timeout leaves it open).
    await new Promise((r) => setTimeout(r, 100));
    expect(hung.state.closedUnanswered).to.equal(1);

    // The hung endpoint now rests: the anchor goes straight to the second one.
    const root = id("faulty-rpc:hung");
    const anchorStarted = Date.now();
    const anchored = await issuerChain(p).anchor("CSB", root, 3, async () => undefined);
    expect(Date.now() - anchorStarted).to.be.below(timeoutMs);
    expect(anchored.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(hung.state.requests).to.equal(1);
    expect(p.endpointStates[0]).to.include({ failures: 1 });
    expect(p.endpointStates[0].restingMs).to.be.within(1, timeoutMs);
    expect(await anchoredLogs(root)).to.have.length(1);
  });

  it("with the default timeout (5 s, not ethers' 300 s), a lone hung endpoint fails as TIMEOUT, carrying when to retry", async () => {
    const hung = await proxy("hang");
    const p = provider([hung.url]);
    const started = Date.now();
    const error = await p.getBlockNumber().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(isError(error, "TIMEOUT"), String(error)).to.equal(true);
    expect(elapsed).to.be.within(4900, 7000);
    expect((error as { retryAfterMs: number }).retryAfterMs).to.be.within(4000, 5000);
    // Resting: the next call fails at once, without reaching the endpoint.
    const again = Date.now();
    expect(isError(await p.getBlockNumber().catch((e: unknown) => e), "SERVER_ERROR")).to.equal(true);
    expect(Date.now() - again).to.be.below(100);
    expect(hung.state.requests).to.equal(1);
  });

  it("keeps a 429 storm bounded, honours Retry-After, and anchors the root exactly once when it ends", async function () {
    const throttled = await proxy("429");
    const stormMs = 10_000;
    const p = provider([throttled.url]);
    const issuer = issuerChain(p, { retry: { maxMs: 4000 } });
    const root = id("faulty-rpc:429-storm");
    const submitted: string[] = [];
    const started = Date.now();
    let duringStorm = 0;
    const storm = new Promise<void>((resolve) =>
      setTimeout(() => {
        duringStorm = throttled.state.requests;
        throttled.state.mode = "forward";
        resolve();
      }, stormMs),
    );
    const anchored = await issuer.anchor("CSB", root, 9, async (hash) => void submitted.push(hash));
    await storm;
    const elapsed = Date.now() - started;
    console.log(
      `      429 storm of ${stormMs} ms: ${duringStorm} requests reached the endpoint; anchored after ${elapsed} ms`,
    );
    expect(duringStorm).to.be.within(2, 15); // one per Retry-After (1 s) at most, against ethers' 12 per call in ~45 ms
    expect(elapsed).to.be.within(stormMs, stormMs + 6000);
    expect(submitted).to.have.length(1);
    expect(anchored.txHash).to.equal(submitted[0]);
    expect(await anchoredLogs(root)).to.have.length(1);
  });

  it("sends concurrent calls to a throttled endpoint once per Retry-After, and uses the next endpoint meanwhile", async () => {
    const throttled = await proxy("503");
    const good = await proxy("forward");
    const p = provider([throttled.url, good.url]);
    const results = await Promise.all(Array.from({ length: 20 }, () => p.getBlockNumber()));
    expect(new Set(results).size).to.equal(1);
    // The first call meets the 503 and Retry-After: 2; the others (sent after it) go to the second endpoint.
    expect(throttled.state.requests).to.be.within(1, 20);
    const before = throttled.state.requests;
    for (let i = 0; i < 10; i++) await p.getBlockNumber();
    expect(throttled.state.requests).to.equal(before);
    expect(p.endpointStates[0].restingMs).to.be.within(1000, 2000);
    expect(good.state.requests).to.be.at.least(10);
  });

  for (const mode of ["502", "drop"] as const) {
    it(`fails over at once from an endpoint that answers ${mode === "502" ? "502" : "by dropping the connection"}`, async () => {
      const faulty = await proxy(mode);
      const good = await proxy("forward");
      const p = provider([faulty.url, good.url]);
      const root = id(`faulty-rpc:${mode}`);
      const started = Date.now();
      await issuerChain(p).anchor("CSB", root, 2, async () => undefined);
      expect(Date.now() - started).to.be.below(1500);
      expect(faulty.state.requests).to.equal(1);
      expect(await anchoredLogs(root)).to.have.length(1);
    });
  }

  it("rides out a lone endpoint's outage (dropped connections, then 502) and anchors once it is back", async () => {
    const flaky = await proxy("drop");
    const p = provider([flaky.url]);
    const root = id("faulty-rpc:outage");
    setTimeout(() => (flaky.state.mode = "502"), 1500);
    setTimeout(() => (flaky.state.mode = "forward"), 3000);
    const submitted: string[] = [];
    const started = Date.now();
    await issuerChain(p, { retry: { maxMs: 2000 } }).anchor("CSB", root, 4, async (hash) => void submitted.push(hash));
    expect(Date.now() - started).to.be.within(3000, 12_000);
    expect(flaky.state.requests).to.be.within(3, 15);
    expect(submitted).to.have.length(1);
    expect(await anchoredLogs(root)).to.have.length(1);
  });

  it("does not take an unreachable chain for a stuck transaction: no fee bump while receipts cannot be read", async () => {
    const flaky = await proxy("forward");
    const p = provider([flaky.url]);
    const root = id("faulty-rpc:receipt-outage");
    // Right after the broadcast, the endpoint drops every connection for longer than replaceAfterMs.
    flaky.state.onForwarded = (method) => {
      if (method !== "eth_sendRawTransaction") return;
      flaky.state.mode = "drop";
      setTimeout(() => (flaky.state.mode = "forward"), 2000);
    };
    const submitted: string[] = [];
    const anchored = await new IssuerChain({
      provider: p,
      registry: chain.registry,
      signers: { CSB: new Wallet(DEV_KEYS.CSB, p) },
      confirmations: 0,
      replaceAfterMs: 500,
      pollIntervalMs: 100,
      retry: { maxMs: 1000 },
    }).anchor("CSB", root, 1, async (hash) => void submitted.push(hash));
    expect(submitted).to.have.length(1);
    expect(anchored.txHash).to.equal(submitted[0]);
    expect(flaky.state.methods.filter((m) => m === "eth_sendRawTransaction")).to.have.length(1);
    expect(await anchoredLogs(root)).to.have.length(1);
  });

  it("does not fail over on the chain's own answer (a revert): that is the answer", async () => {
    const first = await proxy("forward");
    const second = await proxy("forward");
    const p = provider([first.url, second.url]);
    const error = await issuerChain(p)
      .changeStatus("CSB", { kind: "reinstate", leaf: id("never-suspended") }, async () =>
        expect.fail("must not be sent"),
      )
      .catch((e: Error) => e);
    expect(String((error as Error).message)).to.match(/RegistryInvalidTransition|revert/);
    expect(second.state.requests).to.equal(0);
    expect(p.endpointStates.map((e) => e.failures)).to.deep.equal([0, 0]);
  });

  it("sends URL credentials as Basic authentication and names endpoints by host only, in errors and logs", async () => {
    const down = await proxy("502");
    const secretUrl = `${down.url.replace("http://", "http://officer:s3cret-pass@")}/v3/SECRET-API-KEY?key=SECRET-QUERY`;
    const warnings: { obj: object; msg: string }[] = [];
    const p = provider([secretUrl], { log: { warn: (obj, msg) => void warnings.push({ obj, msg }) } });
    const error = (await p.getBlockNumber().catch((e: unknown) => e)) as Error;
    expect(isError(error, "SERVER_ERROR")).to.equal(true);
    expect(down.state.headers[0].authorization).to.equal(
      `Basic ${Buffer.from("officer:s3cret-pass").toString("base64")}`,
    );
    expect(error.message).to.include(`#1 ${new URL(down.url).protocol}//${new URL(down.url).host}: HTTP 502`);
    const everything = JSON.stringify({ message: error.message, error, warnings });
    expect(warnings).to.have.length(1);
    for (const secret of ["s3cret-pass", "SECRET-API-KEY", "SECRET-QUERY", "officer"])
      expect(everything).to.not.include(secret);
  });

  it("refuses endpoints it cannot speak to", () => {
    expect(() => createChainProvider([], 1)).to.throw(/at least one JSON-RPC URL/);
    expect(() => createChainProvider(["wss://rpc.example/ws/SECRET"], 1))
      .to.throw(/#1 \(wss:\/\/rpc\.example\): only http\(s\)/)
      .with.property("message")
      .that.does.not.match(/SECRET/);
  });
});

describe("CHAIN_RPC_TIMEOUT_MS", () => {
  const production = {
    CHAIN_RPC_URLS: "http://127.0.0.1:1",
    CHAIN_ID: "31337",
    REGISTRY_ADDRESS: `0x${"ab".repeat(20)}`,
    ISSUER_IDS: "CSB",
    CSB_SIGNER_KEYSTORE: "k.json",
    CSB_SIGNER_PASSWORD: "p",
    CSB_PADES_CERT: "c.pem",
    CSB_PADES_KEY: "k.pem",
  };

  it("defaults to 5000 ms and takes a value in ms", () => {
    expect(loadConfig(production).chain!.rpcTimeoutMs).to.equal(5000);
    expect(loadConfig({ ...production, CHAIN_RPC_TIMEOUT_MS: "2500" }).chain!.rpcTimeoutMs).to.equal(2500);
  });

  it("refuses a value that is not a whole number of ms between 100 and 600000, naming the variable", () => {
    for (const bad of ["abc", "0", "99", "1.5", "600001"]) {
      expect(() => loadConfig({ ...production, CHAIN_RPC_TIMEOUT_MS: bad }), bad).to.throw(
        ConfigError,
        /^CHAIN_RPC_TIMEOUT_MS: /,
      );
    }
  });
});
