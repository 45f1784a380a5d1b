/**
 * `npm run bench:verify`
 *
 * Verification speed: (1) the core's `verify` of a typical certificate PDF, in this process, against the
 * local chain (median and p95 over 300 runs, JSON-RPC round trips included); (2) `POST /api/v1/verify`
 * under load, autocannon, 10 s, 32 connections, the issuer service in its own process: once as fast as it
 * goes (the most requests per second, and the latency of a saturated server), once at an offered 400
 * requests per second (the latency at a load above the 300 per second target: p50, p95, p99);
 * (3) the verifier page in headless Chromium, from choosing the PDF to the verdict. The last line is one
 * JSON object.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { chromium } from "playwright-core";
import { verify } from "../../core/index.ts";

const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-bench-verify-"));
const server = spawn(process.execPath, ["server/main.ts"], {
  env: {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: "0",
    BATCH_WAIT_MS: "100",
    LOG_LEVEL: "warn",
    PUBLIC_RATE_LIMIT: "10000000",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise<void>((resolve, reject) => {
  let out = "";
  server.stdout!.on("data", (d) => (out += d) && out.includes("HK e-Cert is running.") && resolve());
  server.once("exit", (code) => reject(new Error(`the service exited (${code})`)));
});
const dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8"));
const auth = { authorization: `Bearer ${dev.apiKeys.CSB}` };

try {
  // A typical certificate: one row of the exam sitting, in a batch of 20.
  const csv = await readFile("examples/csb-cre.csv");
  const batch = await (
    await fetch(`${dev.apiUrl}/batches?type=csb-cre`, {
      method: "POST",
      headers: { ...auth, "content-type": "text/csv" },
      body: csv,
    })
  ).json();
  for (;;) {
    const status = await (await fetch(`${dev.apiUrl}/batches/${batch.batchId}`, { headers: auth })).json();
    if (status.done) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // The 20 certificates of the batch, verified in turn (not one document over and over).
  const pdfs: Uint8Array[] = [];
  for (const c of batch.certificates)
    pdfs.push(new Uint8Array(await (await fetch(`${dev.apiUrl}/claim/${c.claimCode}/pdf`)).arrayBuffer()));
  const pdf = pdfs[0];

  // (1) The core, with the chain read over the service's read-only JSON-RPC proxy.
  const trusted = { chainId: dev.chainId, registry: dev.registry };
  const core: number[] = [];
  for (let i = 0; i < 330; i++) {
    const start = performance.now();
    const result = await verify(pdfs[i % pdfs.length], { providers: [dev.rpcUrl], trusted });
    if (i >= 30) core.push(performance.now() - start); // the first 30 warm the JIT
    if (result.status !== "VALID") throw new Error(`expected VALID, got ${result.status} ${result.reasons.join(",")}`);
  }
  console.log(
    `core verify (PDF, chain over JSON-RPC): median ${pct(core, 50).toFixed(2)} ms, p95 ${pct(core, 95).toFixed(2)} ms`,
  );

  // (2) The API under load: saturated, then at an offered 400 per second.
  const run = async (overallRate?: number) => {
    const latencies: number[] = [];
    const load = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${dev.apiUrl}/verify`,
          requests: pdfs.map((p) => ({
            method: "POST" as const,
            headers: { "content-type": "application/pdf" },
            body: Buffer.from(p),
          })),
          connections: 32,
          duration: 10,
          ...(overallRate ? { overallRate } : {}),
        },
        (error: Error | null, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
      );
      instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        if (statusCode === 200) latencies.push(responseTime);
      });
    });
    if (load.non2xx > 0 || load.errors > 0)
      throw new Error(`POST /verify: ${load.non2xx} non-2xx, ${load.errors} errors`);
    const r = {
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      p99: pct(latencies, 99),
      perSecond: load.requests.average,
    };
    console.log(
      `POST /verify, 32 connections, 10 s, ${overallRate ? `offered ${overallRate}/s` : "saturated"}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.perSecond.toFixed(0)} per second (${load.requests.total} requests)`,
    );
    return r;
  };
  const saturated = await run();
  const api = await run(400);

  // (3) The page: drop (choose) the PDF, wait for the verdict.
  let browserMs: number | null = null;
  if (existsSync("/usr/bin/chromium")) {
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(dev.verifierUrl);
      const file = path.join(dataDir, "certificate.pdf");
      await (await import("node:fs/promises")).writeFile(file, pdf);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        await page.goto(dev.verifierUrl);
        const start = performance.now();
        await page.locator('input[type="file"]').first().setInputFiles(file);
        await page.locator('[data-status="VALID"]').first().waitFor({ timeout: 10_000 });
        times.push(performance.now() - start);
      }
      browserMs = pct(times, 50);
      console.log(`verifier page, PDF chosen to verdict: median of 5 ${browserMs.toFixed(0)} ms`);
    } finally {
      await browser.close();
    }
  } else {
    console.log("verifier page: skipped (no /usr/bin/chromium)");
  }

  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`);
  console.log(
    JSON.stringify({
      coreMedianMs: round(pct(core, 50)),
      coreP95Ms: round(pct(core, 95)),
      apiP50Ms: round(api.p50),
      apiP95Ms: round(api.p95),
      apiP99Ms: round(api.p99),
      apiPerSecond: Math.round(saturated.perSecond),
      apiOfferedPerSecond: 400,
      apiSaturatedP95Ms: round(saturated.p95),
      browserMs: browserMs === null ? null : Math.round(browserMs),
    }),
  );
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  await rm(dataDir, { recursive: true, force: true });
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
