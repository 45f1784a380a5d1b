/**
 * The issuer service in production mode behind a fault-injecting JSON-RPC front, each part in its own
 * process but the front: ganache (a block a second), the front (`faulty-rpc.ts`) in this process, the
 * registry deployed and CSB registered with `certs admin deploy`, and `node server/main.ts` with
 * CHAIN_RPC_URLS = the front (1 s request timeout, CONFIRMATIONS=1). Nothing runs on import.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { faultyProxy } from "./faulty-rpc.ts";
import { startGanache, type Ganache, type GanacheOptions } from "./ganache.ts";
import {
  CSB,
  departmentFiles,
  deployForService,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  type ServiceProcess,
} from "./production.ts";

export interface ProxiedService {
  dir: string;
  node: Ganache;
  proxy: Awaited<ReturnType<typeof faultyProxy>>;
  service: ServiceProcess;
  key: string;
  registry: string;
  /** Stops the service (printing its output if it did not exit 0), the front and the chain; removes `dir`. */
  stop(): Promise<void>;
}

/** Starts it all for chain `chainId`; `chain` adds ganache options (with `dbPath` relative to the run's directory). */
export async function startProxiedService(
  chainId: number,
  chain: Pick<GanacheOptions, "dbPath"> = {},
): Promise<ProxiedService> {
  const dir = await mkdtemp(path.join(tmpdir(), "ecert-proxied-"));
  // A block a second, as a network makes them (the service waits for CONFIRMATIONS=1 on its anchors).
  const node = await startGanache({
    chainId,
    blockTime: 1,
    unlimitedContractSize: registryOutgrowsSizeLimit(),
    ...(chain.dbPath ? { dbPath: path.join(dir, chain.dbPath) } : {}),
  });
  const proxy = await faultyProxy(node.rpcUrl);
  const departments = await departmentFiles(dir, [{ ...CSB, signerKey: node.keys[1] }]);
  const { registry, key } = await deployForService(dir, node.rpcUrl, node.keys[0], departments.issuersFile);
  const service = await startServiceProcess({
    DATA_DIR: dir,
    CHAIN_RPC_URLS: proxy.url,
    CHAIN_ID: String(chainId),
    REGISTRY_ADDRESS: registry,
    CHAIN_RPC_TIMEOUT_MS: "1000",
    CONFIRMATIONS: "1",
    BATCH_WAIT_MS: "100",
    PUBLIC_RATE_LIMIT: "100000",
    ...departments.env,
  });
  return {
    dir,
    node,
    proxy,
    service,
    key,
    registry,
    stop: async () => {
      const code = await service.stop();
      if (code !== 0) console.error(service.output().slice(-4000));
      await proxy.close();
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
