/**
 * For `npm run bench:verify`: the issuer service in production mode, each part in its own process as a
 * department runs it. ganache (test/helpers/ganache.ts, a block a second) is the chain; `certs admin deploy`
 * deploys the registry from an encrypted deployer keystore and registers CSB from a production-style issuers
 * file; `certs apikey create`; then `node server/main.ts` with CHAIN_RPC_URLS, CHAIN_ID, REGISTRY_ADDRESS,
 * CSB's encrypted signer keystore and PEM PAdES identity, CONFIRMATIONS=1. Nothing runs on import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startGanache, type Ganache } from "../../test/helpers/ganache.ts";
import {
  CSB,
  call,
  certs,
  departmentFiles,
  exampleRows,
  keystoreFile,
  startServiceProcess,
  until,
  type ServiceProcess,
} from "../../test/helpers/production.ts";

export interface ProductionService {
  /** `http://127.0.0.1:<port>/api/v1`. */
  apiUrl: string;
  service: ServiceProcess;
  chain: Ganache;
  /** The ganache process's id (for its CPU time). */
  chainPid: number | undefined;
  /** The signed PDFs of the certificates issued. */
  pdfs: Uint8Array[];
  /** Seconds each step took. */
  steps: Record<string, number>;
  /** Posts a CSB CSV to `POST /batches` and resolves, with the seconds it took, once every row is issued. */
  issue(csv: Uint8Array): Promise<{ issued: number; seconds: number }>;
  stop(): Promise<void>;
}

const CHAIN_ID = 1341;

/** Starts the chain and the service, deploys, issues `count` CSB certificates (rows of examples/csb-cre.csv). */
export async function startProductionService(count = 20): Promise<ProductionService> {
  const work = await mkdtemp(path.join(tmpdir(), "ecert-bench-production-"));
  const steps: Record<string, number> = {};
  let at = performance.now();
  const step = (name: string) => {
    steps[name] = Math.round((performance.now() - at) / 100) / 10;
    at = performance.now();
  };
  const chain = await startGanache({ chainId: CHAIN_ID, blockTime: 1 });
  let service: ServiceProcess | undefined;
  try {
    step("chain");
    const departments = await departmentFiles(work, [{ ...CSB, signerKey: chain.keys[1] }]);
    const deployer = await keystoreFile(work, "deployer", chain.keys[0], "deployer password");
    const deployed = await certs(
      { ECERT_ADMIN_PASSWORD: "deployer password", DATA_DIR: work },
      "admin",
      "deploy",
      "--rpc",
      chain.rpcUrl,
      "--keystore",
      deployer,
      "--issuers",
      departments.issuersFile,
    );
    if (deployed.code !== 0) throw new Error(`certs admin deploy exited ${deployed.code}: ${deployed.stderr}`);
    const registry = /^REGISTRY_ADDRESS=(0x[0-9a-fA-F]{40})$/m.exec(deployed.stdout)![1];
    step("deploy");
    const dataDir = path.join(work, "data");
    const created = await certs({ DATA_DIR: dataDir }, "apikey", "create", "--issuer", "CSB");
    if (created.code !== 0) throw new Error(`certs apikey create exited ${created.code}: ${created.stderr}`);
    const key = created.stdout.trim();
    service = await startServiceProcess({
      DATA_DIR: dataDir,
      APPROVALS: "none",
      CHAIN_RPC_URLS: chain.rpcUrl,
      CHAIN_ID: String(CHAIN_ID),
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "200",
      PUBLIC_RATE_LIMIT: "10000000",
      ...departments.env,
    });
    step("service");
    const apiUrl = `${service.url}/api/v1`;
    const batch = await call(service.url, "POST", "/batches?type=csb-cre", {
      key,
      csv: exampleRows("csb-cre.csv", count),
    });
    if (batch.status !== 202) throw new Error(`POST /batches: ${batch.status} ${JSON.stringify(batch.json)}`);
    await until(
      async () =>
        (await call(service!.url, "GET", `/batches/${batch.json.batchId}`, { key })).json.progress?.issued === count,
      120_000,
      `${count} certificates issued`,
    );
    const pdfs: Uint8Array[] = [];
    for (const c of batch.json.certificates as { claimCode: string }[])
      pdfs.push(new Uint8Array(await (await fetch(`${apiUrl}/claim/${c.claimCode}/pdf`)).arrayBuffer()));
    step("issue");
    const running = service;
    return {
      apiUrl,
      service: running,
      chain,
      chainPid: childPid("ganache"),
      pdfs,
      steps,
      issue: async (csv) => {
        const started = performance.now();
        const posted = await call(running.url, "POST", "/batches?type=csb-cre", { key, csv });
        if (posted.status !== 202) throw new Error(`POST /batches: ${posted.status} ${JSON.stringify(posted.json)}`);
        const accepted = (posted.json.certificates as unknown[]).length;
        let issued = 0;
        await until(
          async () =>
            (issued =
              (await call(running.url, "GET", `/batches/${posted.json.batchId}`, { key })).json.progress?.issued ??
              0) === accepted,
          600_000,
          `${accepted} certificates issued`,
        );
        return { issued, seconds: (performance.now() - started) / 1000 };
      },
      stop: async () => {
        await running.stop();
        await chain.stop();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (service) console.error(service.output().slice(-4000));
    await service?.stop();
    await chain.stop();
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/** The id of a child process of this one whose command line has `name` (Linux /proc), if any. */
function childPid(name: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(name)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** CPU time (user + system) of a process so far, ms (Linux /proc, 100 ticks a second). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return NaN;
  }
}
