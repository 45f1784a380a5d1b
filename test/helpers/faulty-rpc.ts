// A fault-injecting JSON-RPC front for the chain tests. Nothing runs on import.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * "forward" passes requests on (and, when the chain behind does not answer, drops the connection, as a
 * load balancer whose backend restarts would); "cut" passes them on and sends half of the chain's answer
 * (the full Content-Length announced) before closing the connection.
 */
export type Mode = "forward" | "hang" | "429" | "503" | "502" | "drop" | "cut";

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
        case "forward":
        case "cut": {
          let answer: Buffer;
          let status: number;
          try {
            const reply = await fetch(target, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            });
            status = reply.status;
            answer = Buffer.from(await reply.arrayBuffer());
          } catch {
            return void req.socket.destroy(); // the chain behind is down (restarting)
          }
          const headers = { "content-type": "application/json", "content-length": String(answer.length) };
          if (state.mode === "cut") {
            res.writeHead(status, headers).write(answer.subarray(0, Math.floor(answer.length / 2)));
            return void setTimeout(() => req.socket.destroy(), 10);
          }
          res.writeHead(status, headers).end(answer);
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
