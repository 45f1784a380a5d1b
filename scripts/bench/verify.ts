/**
 * `npm run bench:verify [-- --no-production | --production-only]`
 *
 * Verification speed: (1) the core's `verify` of a typical certificate PDF, in this process, against the
 * local chain (median and p95 over 300 runs, JSON-RPC round trips included); (2) `POST /api/v1/verify`
 * under load, autocannon, 10 s, 32 connections, the issuer service (the embedded default) in its own
 * process: once as fast as it goes (the most requests per second, and the latency of a saturated server),
 * once at an offered 400 requests per second (the latency at a load above the 300 per second target: p50,
 * p95, p99); (3) the verifier page in headless Chromium, from choosing the PDF to the verdict.
 * Then, unless `--no-production` (it adds about 40 s): (4) the same saturated load on the service in
 * production mode (scripts/bench/production-service.ts: ganache in its own process, a block a second, the
 * registry deployed and CSB registered with `certs admin deploy`, 20 certificates issued, `node
 * server/main.ts` with CHAIN_RPC_URLS): its first 10 s after starting (the JIT warming up), then 10 s more,
 * then once more with ganache's miner stopped (no new block, so every
 * chain read of the service's per-block cache is a hit: what the chain's answers cost). ganache rather than
 * `npm run chain`: an independent EVM implementation, set up with the production tools (`certs admin
 * deploy`, encrypted keystores), making blocks on its own clock as a real network does, where `npm run
 * chain` is this repository's own EDR chain and JSON-RPC server, mining only on a transaction, deployed
 * with the development keys. (5) Verification and issuance at once in production mode: a 10,000-row upload
 * posted as the saturated load starts (its latency and rate while the pipeline works), then another
 * 10,000 alone, each timed to `issued`. `--production-only` skips (1) to (3). Each load run reports the CPU
 * time of the service (and per verification), of the chain and of this process (the load generator), in
 * cores, and the load average. The last line is one JSON object.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { chromium } from "playwright-core";
import { verify } from "../../core/index.ts";
import { cpuMs, startProductionService } from "./production-service.ts";

const production = !process.argv.includes("--no-production");
const productionOnly = process.argv.includes("--production-only");
const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-bench-verify-"));
const server = spawn(process.execPath, ["server/main.ts"], {
  env: {
    ...process.env,
    DATA_DIR: dataDir,
    APPROVALS: "none",
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
let serverStopped = false;
const stopServer = async () => {
  if (serverStopped) return;
  serverStopped = true;
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
};

interface LoadResult {
  p50: number;
  p95: number;
  p99: number;
  perSecond: number;
  total: number;
  /** CPU used during the run, in cores (CPU seconds per second): the service, the chain, this process. */
  cpu: { service: number; chain: number | null; bench: number };
  /** The 1-minute load average at the end of the run. */
  load: number;
}

/** `POST <apiUrl>/verify` under load: 32 connections, 10 s, cycling through `pdfs`. */
async function loadRun(
  label: string,
  apiUrl: string,
  pdfs: Uint8Array[],
  pids: { service: number; chain?: number },
  overallRate?: number,
): Promise<LoadResult> {
  const first = await (
    await fetch(`${apiUrl}/verify`, {
      method: "POST",
      headers: { "content-type": "application/pdf" },
      body: Buffer.from(pdfs[0]),
    })
  ).json();
  if (first.status !== "VALID") throw new Error(`${label}: expected VALID, got ${JSON.stringify(first)}`);
  const latencies: number[] = [];
  const before = { service: cpuMs(pids.service), chain: cpuMs(pids.chain), bench: process.cpuUsage() };
  const started = performance.now();
  const load = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${apiUrl}/verify`,
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
  const wall = performance.now() - started;
  const bench = process.cpuUsage(before.bench);
  if (load.non2xx > 0 || load.errors > 0) throw new Error(`${label}: ${load.non2xx} non-2xx, ${load.errors} errors`);
  const chainCpu = (cpuMs(pids.chain) - before.chain) / wall;
  const r: LoadResult = {
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    perSecond: load.requests.average,
    total: load.requests.total,
    cpu: {
      service: (cpuMs(pids.service) - before.service) / wall,
      chain: Number.isFinite(chainCpu) ? chainCpu : null,
      bench: (bench.user + bench.system) / 1000 / wall,
    },
    load: loadavg()[0],
  };
  console.log(
    `${label}, 32 connections, 10 s, ${overallRate ? `offered ${overallRate}/s` : "saturated"}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.perSecond.toFixed(0)} per second (${r.total} requests); CPU: service ${r.cpu.service.toFixed(2)} (${((r.cpu.service * 1e6) / r.perSecond).toFixed(0)} µs a verification), ${r.cpu.chain === null ? "" : `chain ${r.cpu.chain.toFixed(2)}, `}load generator ${r.cpu.bench.toFixed(2)} cores; load average ${r.load.toFixed(2)}`,
  );
  return r;
}

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
  for (let i = 0; i < (productionOnly ? 0 : 330); i++) {
    const start = performance.now();
    const result = await verify(pdfs[i % pdfs.length], { providers: [dev.rpcUrl], trusted });
    if (i >= 30) core.push(performance.now() - start); // the first 30 warm the JIT
    if (result.status !== "VALID") throw new Error(`expected VALID, got ${result.status} ${result.reasons.join(",")}`);
  }
  if (!productionOnly)
    console.log(
      `core verify (PDF, chain over JSON-RPC): median ${pct(core, 50).toFixed(2)} ms, p95 ${pct(core, 95).toFixed(2)} ms`,
    );

  // (2) The API under load: saturated, then at an offered 400 per second.
  const embedded = productionOnly
    ? undefined
    : {
        saturated: await loadRun("POST /verify (embedded)", dev.apiUrl, pdfs, { service: server.pid! }),
        api: await loadRun("POST /verify (embedded)", dev.apiUrl, pdfs, { service: server.pid! }, 400),
      };

  // (3) The page: drop (choose) the PDF, wait for the verdict.
  let browserMs: number | null = null;
  if (productionOnly) {
    // not measured
  } else if (existsSync("/usr/bin/chromium")) {
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
      await writeFile(file, pdf);
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

  // (4) Production mode: the service, the chain and this load generator, three processes on the machine.
  let prod:
    | {
        cold: LoadResult;
        saturated: LoadResult;
        cached: LoadResult;
        setupS: number;
        both: LoadResult;
        issueWithLoadS: number;
        issueAloneS: number;
      }
    | undefined;
  if (production) {
    await stopServer(); // idle, but its process and in-process chain need not share the machine
    const setupStart = performance.now();
    const p = await startProductionService(20);
    const setupS = (performance.now() - setupStart) / 1000;
    console.log(
      `production mode: ganache, certs admin deploy, the service, 20 certificates issued in ${setupS.toFixed(1)} s (${JSON.stringify(p.steps)})`,
    );
    try {
      const pids = { service: p.service.child.pid!, chain: p.chainPid };
      // The service has just started: its first 10 s under load pay for the JIT (and fill the chain-read
      // cache), so they are measured on their own, then again as a service that has been running does.
      const cold = await loadRun("POST /verify (production, a block a second, first 10 s)", p.apiUrl, p.pdfs, pids);
      const sat = await loadRun("POST /verify (production, a block a second)", p.apiUrl, p.pdfs, pids);
      // No new block: every eth_call of the service's per-block cache is a hit (only eth_blockNumber, every
      // 250 ms, reaches the chain).
      await p.chain.send("miner_stop");
      await new Promise((r) => setTimeout(r, 1500));
      const cached = await loadRun("POST /verify (production, chain reads cached)", p.apiUrl, p.pdfs, pids);
      await p.chain.send("miner_start");
      // (5) Verification and issuance at once: a 10,000-row upload posted as the saturated load starts, then
      // the same upload (other numbers) alone.
      const withLoad = sitting(2027);
      const [issuing, both] = await Promise.all([
        p.issue(withLoad),
        loadRun("POST /verify while 10,000 certificates are issued (production)", p.apiUrl, p.pdfs, pids),
      ]);
      console.log(
        `10,000 certificates issued in ${issuing.seconds.toFixed(1)} s with verification load beside (its first 10 s)`,
      );
      const alone = await p.issue(sitting(2028));
      console.log(`10,000 certificates issued in ${alone.seconds.toFixed(1)} s alone`);
      prod = {
        cold,
        saturated: sat,
        cached,
        setupS,
        both,
        issueWithLoadS: issuing.seconds,
        issueAloneS: alone.seconds,
      };
      console.log(`production mode: ${((performance.now() - setupStart) / 1000).toFixed(1)} s in all`);
    } finally {
      await p.stop();
    }
  }

  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`);
  console.log(
    JSON.stringify({
      ...(embedded
        ? {
            coreMedianMs: round(pct(core, 50)),
            coreP95Ms: round(pct(core, 95)),
            apiP50Ms: round(embedded.api.p50),
            apiP95Ms: round(embedded.api.p95),
            apiP99Ms: round(embedded.api.p99),
            apiPerSecond: Math.round(embedded.saturated.perSecond),
            apiOfferedPerSecond: 400,
            apiSaturatedP50Ms: round(embedded.saturated.p50),
            apiSaturatedP95Ms: round(embedded.saturated.p95),
            apiSaturatedP99Ms: round(embedded.saturated.p99),
            apiServiceCpuCores: round(embedded.saturated.cpu.service),
            browserMs: browserMs === null ? null : Math.round(browserMs),
          }
        : {}),
      ...(prod
        ? {
            productionColdPerSecond: Math.round(prod.cold.perSecond),
            productionColdP95Ms: round(prod.cold.p95),
            productionPerSecond: Math.round(prod.saturated.perSecond),
            productionP50Ms: round(prod.saturated.p50),
            productionP95Ms: round(prod.saturated.p95),
            productionP99Ms: round(prod.saturated.p99),
            productionServiceCpuCores: round(prod.saturated.cpu.service),
            productionServiceCpuUsPerVerification: Math.round(
              (prod.saturated.cpu.service * 1e6) / prod.saturated.perSecond,
            ),
            productionChainCpuCores: prod.saturated.cpu.chain === null ? null : round(prod.saturated.cpu.chain),
            productionLoadGeneratorCpuCores: round(prod.saturated.cpu.bench),
            productionCachedPerSecond: Math.round(prod.cached.perSecond),
            productionCachedP95Ms: round(prod.cached.p95),
            productionSetupS: round(prod.setupS),
            productionWithIssuancePerSecond: Math.round(prod.both.perSecond),
            productionWithIssuanceP95Ms: round(prod.both.p95),
            issue10kWithVerifyLoadS: round(prod.issueWithLoadS),
            issue10kAloneS: round(prod.issueAloneS),
            targets: { perSecond: 1000, p95Ms: 50 },
          }
        : {}),
      cores: availableParallelism(),
      loadAverage: loadavg().map(round),
    }),
  );
} finally {
  await stopServer();
  await rm(dataDir, { recursive: true, force: true });
}

/** examples/csb-cre-10k.csv with every candidate number moved to the year `year` (a new sitting). */
function sitting(year: number): Uint8Array {
  const text = readFileSync("examples/csb-cre-10k.csv", "utf8");
  return new TextEncoder().encode(text.replace(/^CRE2026(\d{6}),/gm, `CRE${year}$1,`));
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
