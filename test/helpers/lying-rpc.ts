// A lying JSON-RPC endpoint for the quorum tests: a hijacked public RPC or a compromised proxy in front of
// a real chain. Nothing runs on import.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseStrictJson } from "../../core/strictJson.ts";
import { CERTIFICATE_STATUS_SELECTOR } from "../../core/registry-abi.ts";
import type { Hex } from "../../core/credential.ts";

export type LyingProxyOptions = {
  /** The registry whose answers are forged. */
  registry: string;
  /**
   * A genuine, anchored and valid certificate of the issuer (its Merkle root and leaf): every
   * `certificateStatus` call is answered with that certificate's status, and every `RootAnchored` log
   * query with its anchoring log (topics rewritten to the root asked about), so anything, a forgery
   * included, looks anchored, not revoked, by the issuer it names, signed with its registered certificate.
   */
  genuine: { root: Hex; leaf: Hex };
  /** Added to the chain's block number in `eth_blockNumber` answers (a liar about the chain's head). */
  blockNumberOffset?: number;
};

type RpcRequest = { jsonrpc: "2.0"; id: unknown; method: string; params?: unknown[] };
type LogFilter = { address?: string; topics?: (string | null)[]; fromBlock?: string; toBlock?: string };

/**
 * A JSON-RPC front for `target` that forwards everything but rewrites the registry's answers as
 * {@link LyingProxyOptions} says. Answers CORS preflights (the verifier page reads it from another origin).
 * `state.lies` counts the answers it forged.
 */
export async function lyingProxy(target: string, options: LyingProxyOptions) {
  const state = { requests: 0, lies: 0, methods: [] as string[] };
  const registry = options.registry.toLowerCase();
  const genuineRoot = options.genuine.root.slice(2).toLowerCase();
  const genuineLeaf = options.genuine.leaf.slice(2).toLowerCase();
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "content-type",
  };

  const forward = async (request: RpcRequest): Promise<{ result?: unknown; error?: unknown }> => {
    const answer = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    return parseStrictJson(await answer.text()) as { result?: unknown; error?: unknown };
  };

  const answer = async (request: RpcRequest): Promise<{ result?: unknown; error?: unknown }> => {
    const params = request.params ?? [];
    if (request.method === "eth_call") {
      const call = params[0] as { to?: string; data?: string } | undefined;
      if (call?.to?.toLowerCase() === registry && call.data?.startsWith(CERTIFICATE_STATUS_SELECTOR)) {
        // certificateStatus(issuerId, root, leaf, signingCertificate): the genuine root and leaf, the
        // issuer and signing certificate asked about.
        const words = call.data.slice(10);
        const data =
          CERTIFICATE_STATUS_SELECTOR + words.slice(0, 64) + genuineRoot + genuineLeaf + words.slice(192, 256);
        state.lies++;
        return forward({ ...request, params: [{ ...call, data }, ...params.slice(1)] });
      }
    }
    if (request.method === "eth_getLogs") {
      const filter = params[0] as LogFilter | undefined;
      const asked = filter?.topics?.[1];
      if (filter?.address?.toLowerCase() === registry && typeof asked === "string") {
        const topics = [filter.topics![0], `0x${genuineRoot}`, ...filter.topics!.slice(2)];
        const forwarded = await forward({ ...request, params: [{ ...filter, topics }] });
        if (!Array.isArray(forwarded.result)) return forwarded;
        state.lies++;
        return {
          result: (forwarded.result as { topics: string[] }[]).map((log) => ({
            ...log,
            topics: [log.topics[0], asked, ...log.topics.slice(2)],
          })),
        };
      }
    }
    if (request.method === "eth_blockNumber" && options.blockNumberOffset) {
      const forwarded = await forward(request);
      state.lies++;
      return { result: `0x${(Number(forwarded.result) + options.blockNumberOffset).toString(16)}` };
    }
    return forward(request);
  };

  const server: Server = createServer((req, res) => {
    if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
    state.requests++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      let request: RpcRequest;
      try {
        request = parseStrictJson(Buffer.concat(chunks).toString("utf8")) as RpcRequest;
      } catch {
        return void res.writeHead(400, cors).end();
      }
      state.methods.push(request.method);
      try {
        const { result, error } = await answer(request);
        const body =
          error === undefined ? { jsonrpc: "2.0", id: request.id, result } : { jsonrpc: "2.0", id: request.id, error };
        res.writeHead(200, { ...cors, "content-type": "application/json" }).end(JSON.stringify(body));
      } catch {
        res.writeHead(502, cors).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** `127.0.0.1:<port>`, as the verifier names the endpoint. */
    host: new URL(url).host,
    state,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * An honest JSON-RPC front for `target` (another operator's endpoint on the same chain): forwards
 * everything, with CORS, and remembers the block tags of the `eth_call`s it forwarded.
 */
export async function honestProxy(target: string) {
  const state = { requests: 0, callBlockTags: [] as unknown[] };
  const server: Server = createServer((req, res) => {
    const cors = {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-allow-headers": "content-type",
    };
    if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
    state.requests++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        const request = parseStrictJson(body) as RpcRequest;
        if (request.method === "eth_call") state.callBlockTags.push(request.params?.[1]);
        const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(answer.status, { ...cors, "content-type": "application/json" }).end(await answer.text());
      } catch {
        res.writeHead(502, cors).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    host: new URL(url).host,
    state,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
