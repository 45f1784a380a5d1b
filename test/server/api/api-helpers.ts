// Helpers for the API tests. Nothing here runs on import.
import type { RunningServer } from "../../../server/start.ts";

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
  bytes: Uint8Array;
}

/** Calls `/api/v1<route>` of a running server. */
export async function api(
  server: RunningServer,
  method: string,
  route: string,
  options: {
    key?: string;
    json?: unknown;
    body?: Uint8Array;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.body) {
    headers["content-type"] = options.contentType ?? "application/octet-stream";
    body = options.body as BodyInit;
  }
  const res = await fetch(`${server.url}/api/v1${route}`, { method, headers, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, bytes };
}

/** Polls `check` every 100 ms until it is true, or fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs the integrity check (`certs check`) over a running server's database and chain and fails,
 * naming the checks and first offenders, unless every check holds.
 */
export async function expectIntegrity(server: RunningServer): Promise<void> {
  const { checkIntegrity } = await import("../../../server/integrity/check.ts");
  const { JsonRpcProvider } = await import("ethers");
  const provider = new JsonRpcProvider(server.dev!.rpcUrl, undefined, { staticNetwork: true });
  try {
    const report = await checkIntegrity({
      store: server.store,
      provider,
      registry: server.dev!.registry,
      chainId: server.dev!.chainId,
    });
    const failed = report.checks
      .filter((c) => !c.ok)
      .map(
        (c) =>
          `${c.id}: ${c.failed} failed ${JSON.stringify(c.offenders.slice(0, 3))}${c.error ? ` (${c.error})` : ""}`,
      );
    if (!report.ok) throw new Error(`integrity check failed:\n${failed.join("\n")}`);
    if (report.totals.certificates === 0) throw new Error("integrity check read no certificate");
  } finally {
    provider.destroy();
  }
}
