import express, { type Request, type Response } from "express";
import { BaseError } from "../../core/base-error.ts";
import { ApiError } from "./errors.ts";

/** What the proxy forwards to: the chain (the local chain's EIP-1193 provider, or the production endpoints). */
export interface RpcBackend {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export interface RpcProxyParameters {
  backend: RpcBackend;
  /** The registry: the only contract `eth_call` may call and `eth_getLogs` may read. */
  registry: string;
  /** Time limit of one forwarded call, ms (default 5,000). */
  timeoutMs?: number;
  /** Most gas one `eth_call` may use (default 5,000,000; a registry view takes well under 100,000). */
  maxGas?: number;
  /** Widest `eth_getLogs` block range (default 10,000 blocks; the verifier reads one block). */
  maxLogBlocks?: number;
  /** Calls forwarded at once (default 8); more wait, up to `maxWaiting` (default 200), the rest are refused. */
  concurrency?: number;
  maxWaiting?: number;
}

/** Calls in one JSON-RPC batch. */
export const MAX_RPC_BATCH = 20;

/** Reads a verifier needs, and nothing that can run for long or write. */
const READ_METHODS = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_call",
  "eth_getLogs",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionReceipt",
  "eth_getTransactionByHash",
  "eth_getCode",
]);

/** A refusal, answered as a JSON-RPC error with `rpcCode` (EIP-1474). */
class RpcRefusal extends BaseError<"RPC_REFUSED"> {
  override name = "RpcRefusal";
  readonly rpcCode: number;
  constructor(rpcCode: number, message: string) {
    super("RPC_REFUSED", message, { details: { rpcCode } });
    this.rpcCode = rpcCode;
  }
}

/**
 * The public, read-only JSON-RPC proxy of the verifier page (`POST /rpc`). Everyone can reach it, so it
 * forwards only bounded reads: the methods a verifier needs, `eth_call` only to the registry with its gas
 * capped and no state overrides, `eth_getLogs` only of the registry over a bounded block range, each call
 * with a time limit, a bounded batch, and a bounded number of calls in flight — so that no request can
 * hold the chain (which issuance shares) for long.
 */
export function rpcProxy(parameters: RpcProxyParameters): express.RequestHandler[] {
  const {
    backend,
    timeoutMs = 5_000,
    maxGas = 5_000_000,
    maxLogBlocks = 10_000,
    concurrency = 8,
    maxWaiting = 200,
  } = parameters;
  const registry = parameters.registry.toLowerCase();
  let inFlight = 0;
  const waiting: (() => void)[] = [];

  async function forward(method: string, params: unknown[]): Promise<unknown> {
    if (inFlight >= concurrency) {
      if (waiting.length >= maxWaiting) throw new RpcRefusal(-32005, "The endpoint is busy: try again shortly");
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    inFlight += 1;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        backend.request({ method, params }),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(
              () => reject(new RpcRefusal(-32000, `The call took longer than ${timeoutMs} ms`)),
              timeoutMs,
            )),
        ),
      ]);
    } finally {
      clearTimeout(timer);
      inFlight -= 1;
      waiting.shift()?.();
    }
  }

  /** A block tag as a number (`latest` and `pending` read the chain's height). */
  async function blockNumber(tag: unknown): Promise<number> {
    if (tag === undefined || tag === "latest" || tag === "pending" || tag === "safe" || tag === "finalized") {
      return Number.parseInt(String(await forward("eth_blockNumber", [])), 16);
    }
    if (tag === "earliest") return 0;
    if (typeof tag === "string" && /^0x[0-9a-f]{1,16}$/i.test(tag)) return Number.parseInt(tag, 16);
    throw new RpcRefusal(-32602, "fromBlock and toBlock must be block numbers or tags");
  }

  /** The call's params, checked and bounded; a refusal says which rule it breaks. */
  async function bounded(method: string, params: unknown[]): Promise<unknown[]> {
    if (method === "eth_call") {
      const [call, block, ...rest] = params;
      if (rest.length > 0) throw new RpcRefusal(-32602, "eth_call: state overrides are not allowed");
      if (!call || typeof call !== "object" || Array.isArray(call))
        throw new RpcRefusal(-32602, "eth_call: the first parameter must be a call object");
      const { to, gas } = call as { to?: unknown; gas?: unknown };
      if (typeof to !== "string" || to.toLowerCase() !== registry)
        throw new RpcRefusal(-32602, `eth_call: only the registry ${parameters.registry} may be called`);
      if (
        gas !== undefined &&
        !(typeof gas === "string" && /^0x[0-9a-f]{1,16}$/i.test(gas) && Number.parseInt(gas, 16) <= maxGas)
      ) {
        throw new RpcRefusal(-32602, `eth_call: gas must be at most ${maxGas}`);
      }
      return [{ ...call, gas: gas ?? `0x${maxGas.toString(16)}` }, block ?? "latest"];
    }
    if (method === "eth_getLogs") {
      const [filter, ...rest] = params;
      if (rest.length > 0 || !filter || typeof filter !== "object" || Array.isArray(filter))
        throw new RpcRefusal(-32602, "eth_getLogs: one filter object");
      const { address, fromBlock, toBlock, blockHash } = filter as {
        address?: unknown;
        fromBlock?: unknown;
        toBlock?: unknown;
        blockHash?: unknown;
      };
      const addresses = Array.isArray(address) ? address : [address];
      if (addresses.length === 0 || addresses.some((a) => typeof a !== "string" || a.toLowerCase() !== registry)) {
        throw new RpcRefusal(-32602, `eth_getLogs: only the registry ${parameters.registry}'s logs may be read`);
      }
      if (blockHash === undefined) {
        const [from, to] = [await blockNumber(fromBlock), await blockNumber(toBlock)];
        if (to - from + 1 > maxLogBlocks)
          throw new RpcRefusal(-32602, `eth_getLogs: at most ${maxLogBlocks} blocks in one call`);
      }
      return params;
    }
    return params;
  }

  async function answer(call: { id?: unknown; method?: unknown; params?: unknown }): Promise<object> {
    const id = call?.id ?? null;
    if (typeof call?.method !== "string" || !READ_METHODS.has(call.method)) {
      return { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not allowed on this read-only endpoint" } };
    }
    const params = call.params ?? [];
    if (!Array.isArray(params))
      return { jsonrpc: "2.0", id, error: { code: -32602, message: "params must be an array" } };
    try {
      return { jsonrpc: "2.0", id, result: await forward(call.method, await bounded(call.method, params)) };
    } catch (error) {
      const code = error instanceof RpcRefusal ? error.rpcCode : -32000;
      return { jsonrpc: "2.0", id, error: { code, message: String((error as Error).message).slice(0, 300) } };
    }
  }

  return [
    express.json({ limit: 64 * 1024 }),
    async (req: Request, res: Response) => {
      const body = req.body as unknown;
      if (Array.isArray(body) && body.length > MAX_RPC_BATCH)
        throw new ApiError("INVALID_REQUEST", `At most ${MAX_RPC_BATCH} calls in one JSON-RPC batch`);
      res.json(Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body as never));
    },
  ];
}
