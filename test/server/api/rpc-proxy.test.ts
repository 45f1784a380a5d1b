// The public read-only JSON-RPC proxy (`POST /rpc`): it forwards bounded reads of the registry only, so
// that nobody can hold the chain that issuance shares.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import express from "express";
import { Interface, encodeBytes32String } from "ethers";
import { rpcProxy } from "../../../server/api/rpc-proxy.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { api, waitFor } from "./api-helpers.ts";

const registryAbi = new Interface([
  "function issuer(bytes32 issuerId) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
]);

async function rpc(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("the public JSON-RPC proxy (local chain)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;
  let url: string;
  let registry: string;
  const call = (method: string, params: unknown[], id: unknown = 1) => ({ jsonrpc: "2.0", id, method, params });
  const issuerCall = () => ({
    to: registry,
    data: registryAbi.encodeFunctionData("issuer", [encodeBytes32String("CSB")]),
  });

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-rpc-"));
    server = await startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
    url = server.dev!.rpcUrl;
    registry = server.dev!.registry;
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers eth_call to the registry, with the chain's answer", async () => {
    const { json } = await rpc(url, call("eth_call", [issuerCall(), "latest"]));
    const [issuer] = registryAbi.decodeFunctionResult("issuer", json.result);
    expect(issuer.nameEn).to.equal("Civil Service Bureau");
  });

  it("refuses eth_call to another contract, with state overrides, or with more gas than its cap", async () => {
    const other = await rpc(url, call("eth_call", [{ ...issuerCall(), to: `0x${"12".repeat(20)}` }, "latest"]));
    expect(other.json.error).to.include({ code: -32602 });
    expect(other.json.error.message).to.include("only the registry");
    const overrides = await rpc(url, call("eth_call", [issuerCall(), "latest", { [registry]: { code: "0x00" } }]));
    expect(overrides.json.error.message).to.include("state overrides");
    const gas = await rpc(url, call("eth_call", [{ ...issuerCall(), gas: "0x1c9c380" }, "latest"]));
    expect(gas.json.error.message).to.include("gas must be at most 5000000");
  });

  it("refuses eth_estimateGas and writes as methods it does not forward", async () => {
    for (const method of [
      "eth_estimateGas",
      "eth_sendRawTransaction",
      "eth_sendTransaction",
      "debug_traceCall",
      "evm_mine",
    ]) {
      const { json } = await rpc(url, call(method, [issuerCall()]));
      expect(json.error, method).to.include({ code: -32601 });
    }
  });

  it("reads the registry's logs over a bounded range only", async () => {
    const one = await rpc(url, call("eth_getLogs", [{ address: registry, fromBlock: "0x1", toBlock: "0x1" }]));
    expect(one.json.result).to.be.an("array");
    const wide = await rpc(url, call("eth_getLogs", [{ address: registry, fromBlock: "0x0", toBlock: "0xffffffff" }]));
    expect(wide.json.error.message).to.include("at most 10000 blocks");
    const other = await rpc(url, call("eth_getLogs", [{ address: `0x${"12".repeat(20)}`, fromBlock: "latest" }]));
    expect(other.json.error.message).to.include("only the registry");
    const anything = await rpc(url, call("eth_getLogs", [{ fromBlock: "latest" }]));
    expect(anything.json.error.message).to.include("only the registry");
  });

  it("refuses a batch of more than 20 calls with 400", async () => {
    const { status, json } = await rpc(
      url,
      Array.from({ length: 21 }, (_, i) => call("eth_chainId", [], i)),
    );
    expect(status).to.equal(400);
    expect(json.error.message).to.include("At most 20");
  });

  it("keeps issuing while the proxy is flooded with reads and refused calls", async () => {
    const key = server.dev!.apiKeys.CSB;
    const lines = ["candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result"];
    for (let n = 1; n <= 40; n++)
      lines.push(`CRE2033${String(n).padStart(6, "0")},HO Wing ${n},何穎,C789***(*),2026-09-12,L2,L2,Pass`);
    let flooding = true;
    let answered = 0;
    const flood = async () => {
      while (flooding) {
        const batch = [
          ...Array.from({ length: 10 }, (_, i) => call("eth_call", [issuerCall(), "latest"], i)),
          ...Array.from({ length: 5 }, (_, i) =>
            call("eth_getLogs", [{ address: registry, fromBlock: "0x0", toBlock: "0xffffffff" }], 100 + i),
          ),
          ...Array.from({ length: 5 }, (_, i) => call("eth_estimateGas", [issuerCall()], 200 + i)),
        ];
        const { json } = await rpc(url, batch);
        answered += (json as unknown[]).length;
      }
    };
    const flooders = Array.from({ length: 8 }, flood);
    const started = Date.now();
    const upload = await api(server, "POST", "/batches?type=csb-cre", {
      key,
      body: new TextEncoder().encode(`${lines.join("\n")}\n`),
      contentType: "text/csv",
    });
    expect(upload.status).to.equal(202);
    await waitFor(
      async () => (await api(server, "GET", `/batches/${upload.json.batchId}`, { key })).json.done === true,
      60_000,
    );
    const took = Date.now() - started;
    flooding = false;
    await Promise.all(flooders);
    expect((await api(server, "GET", `/batches/${upload.json.batchId}`, { key })).json.progress).to.deep.equal({
      issued: 40,
    });
    expect(answered).to.be.greaterThan(100);
    console.log(`      40 certificates issued in ${took} ms while the proxy answered ${answered} flooding calls`);
  });
});

describe("rpcProxy against a chain that hangs", () => {
  it("answers a call the chain does not answer in time with an error, and refuses calls past the waiting room", async () => {
    const app = express();
    const hung = { request: () => new Promise<never>(() => undefined) };
    app.post(
      "/rpc",
      ...rpcProxy({ backend: hung, registry: `0x${"11".repeat(20)}`, timeoutMs: 200, concurrency: 1, maxWaiting: 1 }),
    );
    const listener = app.listen(0, "127.0.0.1");
    await new Promise((r) => listener.once("listening", r));
    const url = `http://127.0.0.1:${(listener.address() as { port: number }).port}/rpc`;
    try {
      const started = Date.now();
      const [first, second, third] = await Promise.all(
        [1, 2, 3].map((id) => rpc(url, { jsonrpc: "2.0", id, method: "eth_chainId", params: [] })),
      );
      const answers = [first, second, third].map((r) => r.json.error);
      expect(answers.filter((e) => e.code === -32000 && /longer than 200 ms/.test(e.message))).to.have.length(2);
      expect(answers.filter((e) => e.code === -32005)).to.have.length(1);
      expect(Date.now() - started).to.be.lessThan(2_000);
    } finally {
      listener.close();
    }
  });
});
