/**
 * For `npm run bench:issue -- --instances N --postgres`: several issuer instances in production mode on one
 * PostgreSQL database and one chain, each part in its own process. ganache (test/helpers/ganache.ts, a block
 * a second) is the chain; `certs admin deploy` deploys the registry and registers CSB (one signer, shared by
 * the instances: one of them at a time is its anchoring writer, through the leases); `certs apikey create`
 * stores the key in the database; then N `node server/main.ts` processes, each with its own DATA_DIR and the
 * same DATABASE_URL, CHAIN_RPC_URLS, REGISTRY_ADDRESS, signer keystore and PAdES identity, CONFIRMATIONS=1.
 * Nothing runs on import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startGanache, type Ganache } from "../../test/helpers/ganache.ts";
import {
  CSB,
  deployForService,
  departmentFiles,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  type ServiceProcess,
} from "../../test/helpers/production.ts";
import { cpuMs } from "./production-service.ts";

const CHAIN_ID = 1341;

export interface Instances {
  /** Each instance's `http://127.0.0.1:<port>/api/v1`. */
  apiUrls: string[];
  /** CSB's API key (stored in the shared database: valid on every instance). */
  key: string;
  services: ServiceProcess[];
  chain: Ganache;
  /** CPU seconds so far of each service process, and of the chain process. */
  cpuSeconds(): { services: number[]; chain: number };
  /** Per service process, how many batches it finished rendering (its "batch issued" log lines). */
  batchesIssued(): number[];
  /** Peak resident memory of each service process (VmHWM), MiB. */
  peakMiB(): number[];
  stop(): Promise<void>;
}

/** Starts the chain, deploys, and starts `count` service processes on `databaseUrl`; `env` is added to each. */
export async function startInstances(
  count: number,
  databaseUrl: string,
  env: Record<string, string>,
): Promise<Instances> {
  const work = await mkdtemp(path.join(tmpdir(), "ecert-bench-instances-"));
  const chain = await startGanache({
    chainId: CHAIN_ID,
    blockTime: 1,
    unlimitedContractSize: registryOutgrowsSizeLimit(),
  });
  const services: ServiceProcess[] = [];
  const stop = async () => {
    for (const service of services) {
      const code = await service.stop();
      if (code !== 0 && code !== null) console.error(service.output().slice(-4000));
    }
    await chain.stop();
    await rm(work, { recursive: true, force: true });
  };
  try {
    const departments = await departmentFiles(work, [{ ...CSB, signerKey: chain.keys[1] }]);
    const { registry, key } = await deployForService(work, chain.rpcUrl, chain.keys[0], departments.issuersFile, {
      DATABASE_URL: databaseUrl,
    });
    const common = {
      DATABASE_URL: databaseUrl,
      CHAIN_RPC_URLS: chain.rpcUrl,
      CHAIN_ID: String(CHAIN_ID),
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: "1",
      ...departments.env,
      ...env,
    };
    // One after the other: the first migrates the database, the others find it migrated.
    for (let i = 0; i < count; i++)
      services.push(await startServiceProcess({ ...common, DATA_DIR: path.join(work, `instance-${i}`) }));
    const chainPid = ganachePid();
    return {
      apiUrls: services.map((s) => `${s.url}/api/v1`),
      key,
      services,
      chain,
      cpuSeconds: () => ({
        services: services.map((s) => cpuMs(s.child.pid) / 1000),
        chain: cpuMs(chainPid) / 1000,
      }),
      batchesIssued: () => services.map((s) => s.logs().filter((l) => l.msg === "batch issued").length),
      peakMiB: () => services.map((s) => peakKiB(s.child.pid) / 1024),
      stop,
    };
  } catch (error) {
    for (const service of services) console.error(service.output().slice(-4000));
    await stop();
    throw error;
  }
}

/** The ganache process's id: the child of this process whose command line runs ganache's CLI. */
function ganachePid(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("ganache"))
        return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** A process's peak resident memory so far (VmHWM), KiB; NaN when it cannot be read. */
function peakKiB(pid: number | undefined): number {
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Busy and total CPU time of the whole machine so far (Linux /proc/stat, ticks): for the cores kept busy. */
export function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
