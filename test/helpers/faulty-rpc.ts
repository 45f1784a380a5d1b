// A fault-injecting JSON-RPC front for the chain tests. Nothing runs on import.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Mode = "forward" | "hang" | "429" | "503" | "502" | "drop";

/** A JSON-RPC front for `target` whose behaviour can be switched; counts the requests that reach it. */
export async function faultyProxy(target: string, mode: Mode = "forward") {
  const state = {
    mode,
    requests: 0,
    methods: [] as string[],
    headers: [] as IncomingHttpHeaders[],
    closedUnanswered: 0,
    /** Called after each forwarded request, with its method. */
    onForwarded: undefined as ((method: string) => void) | undefined,
  };
  const server: Server = createServer((req, res) => {
    state.requests++;
    // The client closed the connection before it got an answer (a timeout that really gives up).
    res.once("close", () => void (res.writableFinished || state.closedUnanswered++));
    state.headers.push(req.headers);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        state.methods.push(JSON.parse(body).method);
      } catch {
        state.methods.push("?");
      }
      switch (state.mode) {
        case "hang":
          return; // accepted, never answered
        case "429":
          return void res.writeHead(429, { "retry-after": "1", "content-type": "text/plain" }).end("Too Many Requests");
        case "503":
          return void res.writeHead(503, { "retry-after": "2" }).end();
        case "502":
          return void res.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad Gateway</h1>");
        case "drop":
          return void req.socket.destroy();
        case "forward": {
          const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
          res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
          state.onForwarded?.(state.methods[state.methods.length - 1]);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    state,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
