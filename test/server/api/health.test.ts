// Operations (issue 12 part 3): /healthz, /readyz (ready on the embedded default; 503 naming the database
// when the store is closed, the chain when its RPC is unreachable), Prometheus metrics at /metrics that
// move after an upload and a verify, and request ids in headers, error bodies and log lines.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import { JsonRpcProvider, Wallet, type AbstractProvider } from "ethers";
import { pino } from "pino";
import { createApp } from "../../../server/api/app.ts";
import { readinessChecks, type ReadinessCheck } from "../../../server/api/health-routes.ts";
import { loggedPath } from "../../../server/api/request-id.ts";
import { createChainProvider } from "../../../server/chain/chain-provider.ts";
import { DEV_KEYS } from "../../../server/chain/local-chain.ts";
import { loadConfig } from "../../../server/config.ts";
import { openStore } from "../../../server/db/open-store.ts";
import type { Store } from "../../../server/db/store.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { faultyProxy } from "../../helpers/faulty-rpc.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api, waitFor } from "./api-helpers.ts";
import { check, type Document } from "./schema-check.ts";
import { openApiDocument } from "../../../server/api/openapi.ts";

/** The problems of a /readyz body against the OpenAPI document's Readiness schema. */
const readinessProblems = (body: unknown) =>
  check(openApiDocument() as Document, { $ref: "#/components/schemas/Readiness" }, body);

/** A sample of the Prometheus text format: the value of `name{labels}` (0 when absent). */
function sample(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("operations: health, readiness, metrics and request ids", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;
  const extra: { close(): Promise<void> }[] = [];

  /** Another app over the running server's service, with its own store, readiness provider and log. */
  async function sideApp(options: {
    store: Store;
    provider: AbstractProvider;
    log?: pino.Logger;
    publicRateLimit?: number;
    signers?: Record<string, string>;
    /** Default 0: each probe of these tests sees the state it set up. */
    readinessCacheMs?: number;
    readiness?: ReadinessCheck[];
  }): Promise<string> {
    const signers = options.signers ?? {
      CSB: new Wallet(DEV_KEYS.CSB).address,
      FSD: new Wallet(DEV_KEYS.FSD).address,
    };
    const app = createApp({
      store: options.store,
      issuance: server.issuance,
      log: options.log ?? pino({ level: "silent" }),
      maxBodyBytes: 1 << 20,
      publicRateLimit: options.publicRateLimit,
      readinessCacheMs: options.readinessCacheMs ?? 0,
      readiness:
        options.readiness ??
        readinessChecks({
          store: options.store,
          provider: options.provider,
          registry: server.dev!.registry,
          signers,
        }),
    });
    const http: Server = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    extra.push({ close: () => new Promise((resolve) => (http.closeAllConnections(), http.close(() => resolve()))) });
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  /**
   * A request that reaches a side app's own (closed) store: an `Idempotency-Key` is looked up there before
   * anything is done (the routes read through the running server's service).
   */
  function closedStoreRequest(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}/api/v1/certificates?type=csb-cre`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${server.dev!.apiKeys.CSB}`,
        "content-type": "application/json",
        "idempotency-key": "health-test",
        ...headers,
      },
      body: JSON.stringify({}),
    });
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-health-"));
    server = await startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
  });
  after(async () => {
    for (const e of extra.reverse()) await e.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers GET /healthz 200 { status: ok }, at the root", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: "ok" });
    expect((await fetch(`${server.url}/api/v1/healthz`)).status).to.equal(404);
    // The 4xx the OpenAPI document gives the probes: headers over Node's limit (16 KiB), before any route.
    const big = await fetch(`${server.url}/healthz`, { headers: { "x-padding": "a".repeat(20_000) } });
    expect(big.status).to.equal(431);
  });

  it("is ready on the embedded default: database, chain, registry and signers all pass", async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      status: "ready",
      checks: ["database", "chain", "registry", "signers"].map((name) => ({ name, ok: true })),
    });
  });

  it("keeps the probes and metrics out of rate limiting", async () => {
    const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
    extra.push({ close: async () => provider.destroy() });
    const url = await sideApp({ store: server.store, provider, publicRateLimit: 2 });
    for (let i = 0; i < 4; i++) {
      for (const route of ["/healthz", "/readyz", "/metrics"]) {
        const res = await fetch(`${url}${route}`);
        expect(res.status, route).to.equal(200);
        expect(res.headers.get("ratelimit"), route).to.equal(null);
      }
    }
    // The public routes are limited.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/api/v1/claim/NOPE-NOPE/pdf`)).status);
    expect(statuses[2]).to.equal(429);
  });

  it("runs the checks at most once a cacheMs under a flood of probes, and sees a change after it", async () => {
    let runs = 0;
    let ok = true;
    const slow: ReadinessCheck = {
      name: "database",
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
        if (!ok) throw new Error("down");
      },
    };
    const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
    extra.push({ close: async () => provider.destroy() });
    const url = await sideApp({ store: server.store, provider, readiness: [slow], readinessCacheMs: 300 });
    const started = Date.now();
    let probes = 0;
    // 20 probes at a time for 1 s: about 1,000 probes.
    while (Date.now() - started < 1000) {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${url}/readyz`).then((r) => r.status)),
      );
      expect(new Set(statuses)).to.deep.equal(new Set([200]));
      probes += statuses.length;
    }
    const elapsed = Date.now() - started;
    expect(probes).to.be.greaterThan(100);
    // One run, then one a cacheMs (300 ms) at most, each taking 20 ms.
    expect(runs)
      .to.be.at.least(2)
      .and.at.most(Math.ceil(elapsed / 300) + 1);
    ok = false;
    await new Promise((r) => setTimeout(r, 350));
    expect((await fetch(`${url}/readyz`)).status).to.equal(503);
  });

  it("answers 503 naming the database, with Retry-After, when the store is closed", async () => {
    const store = await openStore(undefined, path.join(dataDir, "closed"));
    await store.close();
    const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
    extra.push({ close: async () => provider.destroy() });
    const url = await sideApp({ store, provider });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).to.equal(503);
    expect(res.headers.get("retry-after")).to.equal("5");
    const body = await res.json();
    expect(readinessProblems(body)).to.deep.equal([]);
    expect(body.status).to.equal("not ready");
    const failing = body.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failing.map((c: { name: string }) => c.name)).to.deep.equal(["database"]);
    expect(failing[0].error).to.match(/CLOSED/);
  });

  it("answers 503 naming the chain (and the checks that need it) when the RPC is unreachable", async () => {
    const proxy = await faultyProxy(server.localChain!.rpcUrl);
    extra.push(proxy);
    const provider = createChainProvider([proxy.url], server.dev!.chainId, { timeoutMs: 500 });
    extra.push({ close: async () => provider.destroy() });
    const url = await sideApp({ store: server.store, provider });
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    proxy.state.mode = "drop";
    const started = Date.now();
    const res = await fetch(`${url}/readyz`);
    expect(Date.now() - started).to.be.below(10_000);
    expect(res.status).to.equal(503);
    expect(res.headers.get("retry-after")).to.equal("5");
    const body = await res.json();
    expect(readinessProblems(body)).to.deep.equal([]);
    const failing = Object.fromEntries(
      body.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string; error: string }) => [c.name, c.error]),
    );
    expect(Object.keys(failing)).to.include("chain");
    expect(Object.keys(failing)).to.not.include("database");
    expect(failing.chain).to.be.a("string").and.not.equal("");
    proxy.state.mode = "forward";
  });

  it("answers 503 naming the signer with no funds on a chain where gas is paid", async () => {
    const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
    extra.push({ close: async () => provider.destroy() });
    const empty = Wallet.createRandom().address;
    const url = await sideApp({
      store: server.store,
      provider,
      signers: { CSB: new Wallet(DEV_KEYS.CSB).address, FSD: empty },
    });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).to.equal(503);
    const failing = (await res.json()).checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failing).to.deep.equal([{ name: "signers", ok: false, error: `no funds to pay for gas: FSD (${empty})` }]);
  });

  it("serves Prometheus metrics whose counters move after an upload and a verify", async () => {
    const scrape = async () => {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    const before = await scrape();
    for (const name of [
      "ecert_certificates gauge",
      "ecert_batch_size histogram",
      "ecert_anchor_latency_seconds histogram",
      "ecert_anchor_gas_used histogram",
      "ecert_verify_latency_seconds histogram",
      "ecert_verifications_total counter",
      "ecert_chain_errors_total counter",
      "ecert_database_errors_total counter",
    ])
      expect(before).to.include(`# TYPE ${name}`);

    const key = server.dev!.apiKeys.CSB;
    const upload = await api(server, "POST", "/batches?type=csb-cre", {
      key,
      body: sampleCsv("csb-cre.csv"),
      contentType: "text/csv",
    });
    expect(upload.status).to.equal(202);
    const count = upload.json.certificates.length as number;
    await waitFor(
      async () => (await api(server, "GET", `/batches/${upload.json.batchId}`, { key })).json.done === true,
    );
    const pdf = (await api(server, "GET", `/claim/${upload.json.certificates[0].claimCode}/pdf`)).bytes;
    const verified = await api(server, "POST", "/verify", { body: pdf, contentType: "application/pdf" });
    expect(verified.json.status).to.equal("VALID");

    const after = await scrape();
    expect(sample(after, "ecert_certificates", 'state="issued"')).to.equal(
      sample(before, "ecert_certificates", 'state="issued"') + count,
    );
    expect(sample(after, "ecert_batch_size_sum") - sample(before, "ecert_batch_size_sum")).to.equal(count);
    expect(sample(after, "ecert_batch_size_count")).to.be.above(sample(before, "ecert_batch_size_count"));
    expect(sample(after, "ecert_anchor_latency_seconds_count")).to.be.above(
      sample(before, "ecert_anchor_latency_seconds_count"),
    );
    expect(sample(after, "ecert_anchor_gas_used_sum")).to.be.above(sample(before, "ecert_anchor_gas_used_sum"));
    expect(sample(after, "ecert_verifications_total", 'status="VALID"')).to.equal(
      sample(before, "ecert_verifications_total", 'status="VALID"') + 1,
    );
    expect(sample(after, "ecert_verify_latency_seconds_count", 'status="VALID"')).to.equal(
      sample(before, "ecert_verify_latency_seconds_count", 'status="VALID"') + 1,
    );
  });

  it("counts database errors by code in the app's own registry", async () => {
    const store = await openStore(undefined, path.join(dataDir, "closed-2"));
    await store.close();
    const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
    extra.push({ close: async () => provider.destroy() });
    const url = await sideApp({ store, provider });
    const res = await closedStoreRequest(url);
    expect(res.status).to.equal(503);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(sample(text, "ecert_database_errors_total", 'code="CLOSED"')).to.equal(1);
    // The running server's registry is another one: it did not count this.
    const own = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(own, "ecert_database_errors_total", 'code="CLOSED"')).to.equal(0);
  });

  it("gives every request an id: an incoming sane X-Request-Id is kept, anything else replaced by a UUID", async () => {
    const kept = await fetch(`${server.url}/api/v1/nope`, { headers: { "x-request-id": "lb-7f3a.2:9" } });
    expect(kept.status).to.equal(404);
    expect(kept.headers.get("x-request-id")).to.equal("lb-7f3a.2:9");
    expect((await kept.json()).error).to.deep.equal({
      code: "NOT_FOUND",
      message: "No such route",
      requestId: "lb-7f3a.2:9",
    });
    for (const bad of ["two words", "x".repeat(129), "<script>", ""]) {
      const res = await fetch(`${server.url}/api/v1/nope`, { headers: { "x-request-id": bad } });
      const id = res.headers.get("x-request-id")!;
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await res.json()).error.requestId).to.equal(id);
    }
    const a = (await fetch(`${server.url}/healthz`)).headers.get("x-request-id");
    const b = (await fetch(`${server.url}/healthz`)).headers.get("x-request-id");
    expect(a).to.be.a("string").and.not.equal(b);
  });

  it("puts the request id in every log line of the request", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const store = await openStore(undefined, path.join(dataDir, "closed-3"));
    await store.close();
    const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
    extra.push({ close: async () => provider.destroy() });
    const url = await sideApp({ store, provider, log: pino({ level: "debug" }, sink) });
    const res = await closedStoreRequest(url, { "x-request-id": "req-42" });
    expect(res.status).to.equal(503);
    expect((await res.json()).error).to.include({ code: "CLOSED", requestId: "req-42" });
    await waitFor(async () => lines.some((l) => l.msg === "request answered"), 5_000);
    expect(lines.map((l) => l.msg)).to.include.members([
      "request refused: a dependency is unavailable",
      "request answered",
    ]);
    for (const line of lines) expect(line.requestId, JSON.stringify(line)).to.equal("req-42");
    const answered = lines.find((l) => l.msg === "request answered")!;
    expect(answered).to.include({ method: "POST", path: "/api/v1/certificates", status: 503 });
  });
});

describe("logged request paths", () => {
  it("mask a claim code (a bearer secret) and keep every other path as it is", () => {
    expect(loggedPath("/api/v1/claim/4PSG-KNKY-5CNL/pdf")).to.equal("/api/v1/claim/***/pdf");
    expect(loggedPath("/api/v1/claim/4PSG-KNKY-5CNL")).to.equal("/api/v1/claim/***");
    expect(loggedPath("/api/v1/certificates/327c8a64")).to.equal("/api/v1/certificates/327c8a64");
  });
});
