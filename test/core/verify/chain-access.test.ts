import { readFileSync } from "node:fs";
import { expect } from "chai";
import { AbiCoder, Interface, encodeBytes32String, id } from "ethers";
import {
  QUORUM_MAX_BLOCK_SPREAD,
  decodeCertificateStatus,
  issuerIdWord,
  issuerIdOfUrn,
} from "../../../core/verify/readCertificateStatus.ts";
import {
  JsonRpcError,
  REGISTRY_VERIFIER_ABI,
  createJsonRpcProvider,
  readCertificateStatus,
  type ChainReader,
  type Fetch,
  type Hex,
  type LabelledReader,
} from "../../../core/index.ts";

const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ROOT = `0x${"11".repeat(32)}` as Hex;
const LEAF = `0x${"22".repeat(32)}` as Hex;
const ZERO = `0x${"00".repeat(32)}` as Hex;
const TX = `0x${"33".repeat(32)}`;
const CSB_WORD = encodeBytes32String("CSB");

const compiled = new Interface(
  JSON.parse(readFileSync(new URL("../../../artifacts/contracts/Registry.sol/Registry.json", import.meta.url), "utf8"))
    .abi,
);

/** The ABI-encoded answer of `certificateStatus` for an anchored, valid certificate (encoded with the compiled ABI). */
function statusAnswer(overrides: Record<string, unknown> = {}): string {
  const values: Record<string, unknown> = {
    anchored: true,
    issuerId: encodeBytes32String("CSB"),
    issuerNumber: 1,
    issuerActive: true,
    issuerNameEn: "Civil Service Bureau",
    issuerNameZh: "公務員事務局",
    issuerDomain: "csb.gov.hk",
    signingCertificateRegistered: true,
    signer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    signerValidAtAnchor: true,
    anchoredAt: 1795000000,
    anchorBlock: 7,
    certificateCount: 20,
    batchRevoked: false,
    batchRevocationReason: 0,
    batchRevokedAt: 0,
    leafStatus: 0,
    leafReason: 0,
    leafChangedAt: 0,
    successor: ZERO,
    ...overrides,
  };
  const fragment = compiled.getFunction("certificateStatus")!;
  const order = (fragment.outputs[0].components ?? []).map((c) => values[c.name]);
  return compiled.encodeFunctionResult(fragment, [order]);
}

/** A scripted EIP-1193 endpoint that records the calls it gets. */
function endpoint(answers: Partial<Record<string, (params: unknown[]) => unknown>>): ChainReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async request({ method, params = [] }) {
      calls.push(method);
      const answer = answers[method];
      if (!answer) throw new Error(`unexpected ${method}`);
      return answer(params);
    },
  };
}

const healthy = () =>
  endpoint({
    eth_chainId: () => "0x7a69",
    eth_call: () => statusAnswer(),
    eth_getLogs: () => [
      { address: REGISTRY.toLowerCase(), topics: [id("RootAnchored(bytes32,uint256)"), ROOT], transactionHash: TX },
    ],
  });

const labelled = (...readers: ChainReader[]): LabelledReader[] =>
  readers.map((reader, i) => ({ reader, label: `endpoint ${i + 1}` }));
const read = (endpoints: LabelledReader[], timeoutMs = 1000) =>
  readCertificateStatus({
    endpoints,
    chainId: 31337,
    registry: REGISTRY,
    issuerId: "CSB",
    root: ROOT,
    leaf: LEAF,
    signingCertificate: ZERO,
    timeoutMs,
  });

describe("chain access", () => {
  describe("the registry ABI", () => {
    it("encodes certificateStatus and decodes its fields by name exactly as the compiled Registry does", () => {
      const ours = new Interface(REGISTRY_VERIFIER_ABI);
      expect(ours.encodeFunctionData("certificateStatus", [CSB_WORD, ROOT, LEAF, ZERO])).to.equal(
        compiled.encodeFunctionData("certificateStatus", [CSB_WORD, ROOT, LEAF, ZERO]),
      );
      const [ourOutput] = ours.getFunction("certificateStatus")!.outputs;
      const [theirOutput] = compiled.getFunction("certificateStatus")!.outputs;
      expect(ourOutput.format("minimal")).to.equal(theirOutput.format("minimal"));
      expect(ourOutput.components!.map((c) => c.name)).to.deep.equal(theirOutput.components!.map((c) => c.name));
      expect(ours.getEvent("RootAnchored")!.topicHash).to.equal(compiled.getEvent("RootAnchored")!.topicHash);
    });
  });

  describe("decodeCertificateStatus", () => {
    it("decodes every field as ethers does with the compiled ABI", () => {
      const answer = statusAnswer({
        anchored: true,
        issuerId: encodeBytes32String("FSD"),
        issuerNumber: 4294967295,
        issuerActive: false,
        issuerNameEn: "Fire Services Department",
        issuerNameZh: "消防處 𡃁",
        issuerDomain: "",
        signingCertificateRegistered: true,
        signer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        signerValidAtAnchor: false,
        anchoredAt: 2 ** 40,
        anchorBlock: 123456789,
        certificateCount: 10000,
        batchRevoked: true,
        batchRevocationReason: 255,
        batchRevokedAt: 1795000001,
        leafStatus: 2,
        leafReason: 7,
        leafChangedAt: 1795000002,
        successor: `0x${"ab".repeat(32)}`,
      });
      const theirs = compiled.decodeFunctionResult("certificateStatus", answer)[0];
      const ours = decodeCertificateStatus(answer);
      expect(ours).to.deep.equal({
        anchored: theirs.anchored,
        issuerId: "FSD",
        issuerNumber: Number(theirs.issuerNumber),
        issuerActive: theirs.issuerActive,
        issuerNameEn: theirs.issuerNameEn,
        issuerNameZh: theirs.issuerNameZh,
        issuerDomain: theirs.issuerDomain,
        signingCertificateRegistered: theirs.signingCertificateRegistered,
        signer: theirs.signer,
        signerValidAtAnchor: theirs.signerValidAtAnchor,
        anchoredAt: Number(theirs.anchoredAt),
        anchorBlock: Number(theirs.anchorBlock),
        certificateCount: Number(theirs.certificateCount),
        batchRevoked: theirs.batchRevoked,
        batchRevocationReason: Number(theirs.batchRevocationReason),
        batchRevokedAt: Number(theirs.batchRevokedAt),
        leafStatus: "suspended",
        leafReason: Number(theirs.leafReason),
        leafChangedAt: Number(theirs.leafChangedAt),
        successor: theirs.successor,
      });
    });

    it("refuses a truncated answer, a boolean other than 0 or 1, and an unknown leaf status", () => {
      const answer = statusAnswer();
      expect(() => decodeCertificateStatus(answer.slice(0, -64))).to.throw();
      const word = (i: number) => 2 + 64 * (1 + i); // hex offset of struct word i (the struct starts at 0x20)
      const put = (i: number, value: number) =>
        answer.slice(0, word(i)) + value.toString(16).padStart(64, "0") + answer.slice(word(i) + 64);
      expect(() => decodeCertificateStatus(put(0, 2))).to.throw(/not a boolean/);
      expect(() => decodeCertificateStatus(put(16, 4))).to.throw(/unknown leaf status/);
      expect(decodeCertificateStatus(put(16, 3)).leafStatus).to.equal("superseded");
    });
  });

  describe("readCertificateStatus", () => {
    it("reads the status with eth_chainId and eth_call, then the anchor transaction with eth_getLogs on the anchor block", async () => {
      let filter: Record<string, unknown> | undefined;
      const reader = endpoint({
        eth_chainId: () => "0x7a69",
        eth_call: ([call]) => {
          expect(call).to.deep.equal({
            to: REGISTRY,
            data: compiled.encodeFunctionData("certificateStatus", [CSB_WORD, ROOT, LEAF, ZERO]),
          });
          return statusAnswer();
        },
        eth_getLogs: ([f]) => {
          filter = f as Record<string, unknown>;
          return [{ address: REGISTRY, topics: [id("RootAnchored(bytes32,uint256)"), ROOT], transactionHash: TX }];
        },
      });
      const result = await read(labelled(reader));
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.txHash).to.equal(TX);
      expect(result.status).to.deep.include({
        anchored: true,
        issuerId: "CSB",
        issuerNameZh: "公務員事務局",
        anchorBlock: 7,
        leafStatus: "valid",
      });
      expect(filter).to.deep.equal({
        address: REGISTRY,
        topics: [id("RootAnchored(bytes32,uint256)"), ROOT],
        fromBlock: "0x7",
        toBlock: "0x7",
      });
      expect(reader.calls.sort()).to.deep.equal(["eth_call", "eth_chainId", "eth_getLogs"]);
    });

    it("takes the anchoring signer's transaction when several departments anchored the root in the anchor block", async () => {
      const FRONT_RUN = `0x${"44".repeat(32)}`;
      const log = (hash: string) => ({
        address: REGISTRY,
        topics: [id("RootAnchored(bytes32,uint256)"), ROOT],
        transactionHash: hash,
      });
      const reader = endpoint({
        eth_chainId: () => "0x7a69",
        eth_call: () => statusAnswer(),
        eth_getLogs: () => [log(FRONT_RUN), log(TX)],
        eth_getTransactionByHash: ([hash]) =>
          hash === TX
            ? { from: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" }
            : { from: "0x90F79bf6EB2c4f870365E785982E1f101E93b906" },
      });
      const result = await read(labelled(reader));
      expect(result.ok && result.txHash).to.equal(TX);
      expect(reader.calls.filter((m) => m === "eth_getTransactionByHash")).to.have.length(2);
    });

    it("encodes the credential's issuer id as a bytes32 short string, and an id that cannot be one as zero", () => {
      expect("0x" + issuerIdWord("CSB")).to.equal(encodeBytes32String("CSB"));
      expect("0x" + issuerIdWord("消防處")).to.equal(encodeBytes32String("消防處"));
      expect(issuerIdWord("")).to.equal("0".repeat(64));
      expect(issuerIdWord("X".repeat(32))).to.equal("0".repeat(64));
      expect(issuerIdOfUrn("urn:hk-ecert:issuer:FSD")).to.equal("FSD");
      expect(issuerIdOfUrn("did:web:fsd.gov.hk")).to.equal("");
      expect(issuerIdOfUrn(42)).to.equal("");
    });

    it("does not ask for logs when the root is not anchored", async () => {
      const reader = endpoint({ eth_chainId: () => "0x7a69", eth_call: () => statusAnswer({ anchored: false }) });
      const result = await read(labelled(reader));
      expect(result.ok && result.status.anchored).to.equal(false);
      expect(reader.calls).to.not.include("eth_getLogs");
    });

    it("tries the endpoints in turn and reports why each one before the answer was skipped", async () => {
      const down = endpoint({});
      const otherChain = endpoint({ eth_chainId: () => "0x1", eth_call: () => statusAnswer() });
      const noContract = endpoint({ eth_chainId: () => "0x7a69", eth_call: () => "0x" });
      const garbage = endpoint({ eth_chainId: () => "0x7a69", eth_call: () => "0x1234" });
      const result = await read(labelled(down, otherChain, noContract, garbage));
      expect(result).to.deep.equal({
        ok: false,
        failures: [
          "endpoint 1: unexpected eth_chainId",
          "endpoint 2: serves chain 1, not the trusted chain 31337",
          "endpoint 3: has no registry contract at the trusted address",
          "endpoint 4: answered with data that is not the registry's certificate status",
        ],
      });
      const answered = await read(labelled(down, otherChain, healthy()));
      expect(answered.ok && answered.endpoint).to.equal("endpoint 3");
    });

    it("asks an endpoint for its chain id once, not with every verification, and only remembers a match", async () => {
      const reader = healthy();
      const endpoints: LabelledReader[] = [{ reader, label: "endpoint 1", key: reader }];
      await read(endpoints);
      await read(endpoints);
      expect(reader.calls.filter((m) => m === "eth_chainId")).to.have.length(1);
      const other = endpoint({ eth_chainId: () => "0x1", eth_call: () => statusAnswer() });
      const otherEndpoints: LabelledReader[] = [{ reader: other, label: "endpoint 1", key: other }];
      expect((await read(otherEndpoints)).ok).to.equal(false);
      expect((await read(otherEndpoints)).ok).to.equal(false);
      expect(other.calls.filter((m) => m === "eth_chainId")).to.have.length(2);
    });

    it("gives up on an endpoint that does not answer within the time limit", async () => {
      const silent: ChainReader = { request: () => new Promise(() => {}) };
      const started = Date.now();
      const result = await read(labelled(silent, healthy()), 50);
      expect(result.ok).to.equal(true);
      expect(Date.now() - started).to.be.below(1000);
    });

    it("returns the status with a null txHash when no endpoint returns the anchoring log", async () => {
      const noLogs = endpoint({ eth_chainId: () => "0x7a69", eth_call: () => statusAnswer(), eth_getLogs: () => [] });
      const result = await read(labelled(noLogs));
      expect(result.ok && result.txHash).to.equal(null);
    });

    it("takes the log from another endpoint when the answering one fails on eth_getLogs", async () => {
      const noLogs = endpoint({ eth_chainId: () => "0x7a69", eth_call: () => statusAnswer() });
      const result = await read(labelled(noLogs, healthy()));
      expect(result.ok && result.endpoint).to.equal("endpoint 1");
      expect(result.ok && result.txHash).to.equal(TX);
    });

    it("decodes revoked, suspended and superseded leaves and the successor", async () => {
      const successor = `0x${"44".repeat(32)}`;
      const reader = endpoint({
        eth_chainId: () => "0x7a69",
        eth_call: () => statusAnswer({ leafStatus: 3, successor }),
        eth_getLogs: () => [],
      });
      const result = await read(labelled(reader));
      expect(result.ok && result.status.leafStatus).to.equal("superseded");
      expect(result.ok && result.status.successor).to.equal(successor);
    });
  });

  describe("createJsonRpcProvider", () => {
    const respond =
      (body: unknown, status = 200): Fetch =>
      async () =>
        new Response(typeof body === "string" ? body : JSON.stringify(body), { status });

    it("posts a JSON-RPC 2.0 request with the injected fetch and resolves with the result", async () => {
      let sent: { url: string; init: RequestInit } | undefined;
      const fetch: Fetch = async (url, init) => {
        sent = { url, init };
        return new Response(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "0x7a69" }));
      };
      const reader = createJsonRpcProvider("http://rpc.test", { fetch, headers: { "x-api-key": "k" } });
      expect(await reader.request({ method: "eth_chainId" })).to.equal("0x7a69");
      expect(sent!.url).to.equal("http://rpc.test");
      expect(JSON.parse(String(sent!.init.body))).to.deep.include({
        jsonrpc: "2.0",
        method: "eth_chainId",
        params: [],
      });
      expect(sent!.init.headers).to.deep.include({ "content-type": "application/json", "x-api-key": "k" });
    });

    it("rejects with a JsonRpcError carrying the code of a JSON-RPC error answer", async () => {
      const reader = createJsonRpcProvider("http://rpc.test", {
        fetch: respond({ jsonrpc: "2.0", id: 1, error: { code: -32601, message: "nope" } }),
      });
      const error = await reader.request({ method: "eth_foo" }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(JsonRpcError);
      expect((error as JsonRpcError).code).to.equal(-32601);
    });

    it("rejects for an HTTP error, an answer that is not JSON, and one without a result", async () => {
      for (const [fetch, message] of [
        [respond("busy", 503), /HTTP 503/],
        [respond("<html>"), /not JSON/],
        [respond({ jsonrpc: "2.0", id: 1 }), /no result/],
      ] as const) {
        const error = await createJsonRpcProvider("http://rpc.test", { fetch })
          .request({ method: "eth_chainId" })
          .catch((e: Error) => e);
        expect((error as Error).message).to.match(message);
      }
    });

    it("aborts the request after timeoutMs", async () => {
      const fetch: Fetch = (_url, init) =>
        new Promise((_, reject) =>
          init.signal!.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
        );
      const error = await createJsonRpcProvider("http://rpc.test", { fetch, timeoutMs: 30 })
        .request({ method: "eth_chainId" })
        .catch((e: Error) => e);
      expect((error as Error).message).to.equal("no answer within 30 ms");
    });

    it("decodes answers ethers' AbiCoder would (sanity check of the fixture encoding)", () => {
      expect(AbiCoder.defaultAbiCoder().decode(["bool"], statusAnswer().slice(0, 2 + 64 * 2))).to.have.length(1);
    });
  });

  describe("readCertificateStatus with a quorum", () => {
    const readQuorum = (quorum: number, ...readers: ChainReader[]) =>
      readCertificateStatus({
        endpoints: labelled(...readers),
        chainId: 31337,
        registry: REGISTRY,
        issuerId: "CSB",
        root: ROOT,
        leaf: LEAF,
        signingCertificate: ZERO,
        timeoutMs: 1000,
        quorum,
      });
    /** A healthy endpoint at block `height` that records the block tag of its eth_call. */
    const atHeight = (height: number, answers: Partial<Record<string, (params: unknown[]) => unknown>> = {}) => {
      const tags: unknown[] = [];
      const reader = endpoint({
        eth_chainId: () => "0x7a69",
        eth_blockNumber: () => `0x${height.toString(16)}`,
        eth_call: ([, tag]) => (tags.push(tag), statusAnswer()),
        eth_getLogs: () => [
          { address: REGISTRY, topics: [id("RootAnchored(bytes32,uint256)"), ROOT], transactionHash: TX },
        ],
        ...answers,
      });
      return Object.assign(reader, { tags });
    };

    it("reads every endpoint at the lowest latest block and reports the agreed status and transaction", async () => {
      const a = atHeight(120);
      const b = atHeight(112);
      const result = await readQuorum(2, a, b);
      expect(result).to.deep.include({ ok: true, txHash: TX, endpoint: "endpoint 1, endpoint 2" });
      expect([...a.tags, ...b.tags]).to.deep.equal(["0x70", "0x70"]);
    });

    it("is a disagreement when two answers differ, even when a majority agrees", async () => {
      const liar = atHeight(100, { eth_call: () => statusAnswer({ leafStatus: 1 }) });
      const result = await readQuorum(2, atHeight(100), liar, atHeight(100));
      expect(result).to.deep.equal({
        ok: false,
        disagreement: true,
        failures: [
          "the endpoints disagree on the certificate's status at block 100: one answer from endpoint 1 and endpoint 3, another from endpoint 2",
        ],
      });
    });

    it("is a disagreement when the endpoints name different anchoring transactions", async () => {
      const other = `0x${"55".repeat(32)}`;
      const liar = atHeight(100, {
        eth_getLogs: () => [
          { address: REGISTRY, topics: [id("RootAnchored(bytes32,uint256)"), ROOT], transactionHash: other },
        ],
      });
      const result = await readQuorum(2, atHeight(100), liar);
      expect(result).to.deep.include({ ok: false, disagreement: true });
      expect(!result.ok && result.failures[0]).to.equal(
        "the endpoints disagree on the transaction that anchored the root: one answer from endpoint 1, another from endpoint 2",
      );
    });

    it("reports no transaction hash when fewer than the quorum return it (the status still agreed)", async () => {
      const result = await readQuorum(2, atHeight(100), atHeight(100, { eth_getLogs: () => [] }));
      expect(result).to.deep.include({ ok: true, txHash: null });
    });

    it("is a disagreement when an endpoint is more than QUORUM_MAX_BLOCK_SPREAD blocks from the highest", async () => {
      const result = await readQuorum(2, atHeight(100 + QUORUM_MAX_BLOCK_SPREAD + 1), atHeight(100));
      expect(result).to.deep.include({ ok: false, disagreement: true });
      expect(!result.ok && result.failures[0]).to.equal(
        `the endpoints disagree on the chain's latest block: endpoint 1 report block ${117}, endpoint 2 block 100 (more than 16 blocks apart)`,
      );
      expect((await readQuorum(2, atHeight(116), atHeight(100))).ok).to.equal(true);
    });

    it("counts an endpoint that fails, serves another chain or answers nonsense as not answering, not as disagreeing", async () => {
      const wrongChain = atHeight(100, { eth_chainId: () => "0x1" });
      const nonsense = atHeight(100, { eth_call: () => "0x1234" });
      const down: ChainReader = {
        request: async () => {
          throw new JsonRpcError("connection refused");
        },
      };
      const result = await readQuorum(2, wrongChain, atHeight(100), nonsense, down);
      expect(result).to.deep.equal({
        ok: false,
        failures: [
          "endpoint 1: serves chain 1, not the trusted chain 31337",
          "endpoint 3: answered with data that is not the registry's certificate status",
          "endpoint 4: connection refused",
          "only 1 of 4 endpoints answered, and 2 must agree (the quorum)",
        ],
      });
    });

    it("refuses a quorum outside 1 to the number of endpoints (never throws)", async () => {
      for (const quorum of [0, 3, 1.5]) {
        expect(await readQuorum(quorum, atHeight(1), atHeight(1))).to.deep.equal({
          ok: false,
          failures: [`the quorum ${quorum} is not between 1 and 2`],
        });
      }
    });
  });
});
