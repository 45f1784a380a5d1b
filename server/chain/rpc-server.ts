import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An EIP-1193 provider: Hardhat's in-process EDR chain is one. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

export interface JsonRpcServerParameters {
  provider: Eip1193Provider;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface JsonRpcServerResult {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/**
 * Serves an EIP-1193 provider as a JSON-RPC 2.0 endpoint over HTTP (single and batch requests), so
 * that other processes (the CLI, a browser, `hardhat`'s own tooling) can reach an in-process chain.
 * Hardhat 3 does not export its own `node` server, hence this small one.
 *
 * @example
 * const { provider } = await network.create();
 * const rpc = await serveJsonRpc({ provider, port: 8545 });
 * // ... new ethers.JsonRpcProvider(rpc.url)
 * await rpc.close();
 */
export async function serveJsonRpc(parameters: JsonRpcServerParameters): Promise<JsonRpcServerResult> {
  const { provider, host = "127.0.0.1", port = 0, maxBodyBytes = 1024 * 1024 } = parameters;

  async function answer(request: JsonRpcRequest): Promise<object> {
    const id = request.id ?? null;
    if (typeof request.method !== "string") {
      return { jsonrpc: "2.0", id, error: { code: -32600, message: "Invalid request: method must be a string" } };
    }
    try {
      const result = await provider.request({
        method: request.method,
        params: (request.params as unknown[] | undefined) ?? [],
      });
      return { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      return {
        jsonrpc: "2.0",
        id,
        error: {
          code: typeof e.code === "number" ? e.code : -32603,
          message: typeof e.message === "string" ? e.message : "Internal error",
          ...(e.data !== undefined ? { data: e.data } : {}),
        },
      };
    }
  }

  const server: Server = createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on("end", async () => {
      if (size > maxBodyBytes) {
        res.writeHead(413, { connection: "close" }).end();
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        send(res, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
        return;
      }
      const reply = Array.isArray(body)
        ? await Promise.all(body.map((r) => answer(r as JsonRpcRequest)))
        : await answer(body as JsonRpcRequest);
      send(res, reply);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: import("node:http").ServerResponse, body: unknown): void {
  // JSON-RPC quantities are hex strings; a bigint here would be a bug upstream, so stringify plainly.
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json" }).end(text);
}
