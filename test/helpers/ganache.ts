/**
 * A second, independent EVM node for the production-mode tests: ganache (npm, a devDependency) in its own
 * process, on a free port, with deterministic funded accounts. Nothing runs on import.
 *
 * ganache's newest hardfork is shanghai: the registry is compiled for paris (hardhat.config.ts), so it
 * runs there as on networks without the newest opcodes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet, JsonRpcProvider } from "ethers";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "node_modules/ganache/dist/node/cli.js");

/** The accounts' mnemonic: public, for tests only. */
export const GANACHE_MNEMONIC = "candy maple cake sugar pudding cream honey rich smooth crumble sweet treat";

export interface GanacheOptions {
  chainId?: number;
  /** Accounts derived from {@link GANACHE_MNEMONIC} (m/44'/60'/0'/0/i), each funded with 1,000 ether. */
  accounts?: number;
  /**
   * How blocks are made: "instamine" (default: each transaction in its own block before its hash is
   * returned, and no block otherwise), or a block every `blockTime` seconds (empty ones included).
   */
  blockTime?: number;
  /**
   * Lift the 24 KiB contract size limit (EIP-170): only for code instrumented by `hardhat test --coverage`
   * (npm test), which outgrows it; the registry as built is well under it.
   */
  unlimitedContractSize?: boolean;
  /** A directory to keep the chain in (`--database.dbPath`), so that {@link Ganache.restart} keeps it. */
  dbPath?: string;
}

export interface Ganache {
  rpcUrl: string;
  chainId: number;
  /** Private keys of the funded accounts, in derivation order. */
  keys: string[];
  /** One JSON-RPC call. */
  send(method: string, params?: unknown[]): Promise<unknown>;
  /** Mines `count` blocks now (`evm_mine`). */
  mine(count?: number): Promise<void>;
  blockNumber(): Promise<number>;
  /** Whatever ganache wrote (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
  /**
   * Stops the process and, after `downMs`, starts it again on the same port (with `dbPath`, on the same
   * chain); resolves once it answers again.
   */
  restart(downMs?: number): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the OS; another process may take it, rarely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts ganache in its own process and resolves once it answers `eth_chainId`.
 *
 * @example
 * const node = await startGanache({ chainId: 1337 });
 * console.log(node.rpcUrl, node.keys[0]);
 * await node.stop();
 */
export async function startGanache(options: GanacheOptions = {}): Promise<Ganache> {
  const { chainId = 1337, accounts = 6, blockTime = 0, unlimitedContractSize = false, dbPath } = options;
  const port = await freePort();
  const args = [
    CLI,
    "--server.host",
    "127.0.0.1",
    "--server.port",
    String(port),
    "--chain.chainId",
    String(chainId),
    "--chain.hardfork",
    "shanghai",
    "--wallet.mnemonic",
    GANACHE_MNEMONIC,
    "--wallet.totalAccounts",
    String(accounts),
    "--wallet.defaultBalance",
    "1000",
    "--miner.blockTime",
    String(blockTime),
    "--logging.quiet",
    ...(unlimitedContractSize ? ["--chain.allowUnlimitedContractSize"] : []),
    ...(dbPath ? ["--database.dbPath", dbPath] : []),
  ];
  let output = "";
  let child: ChildProcess;
  let exited: Promise<void>;
  const launch = () => {
    child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const self = child;
    exited = new Promise<void>((resolve) => self.once("exit", () => resolve()));
    // Never left running by a test process that ends without stopping it.
    const orphanGuard = () => self.kill("SIGKILL");
    process.once("exit", orphanGuard);
    void exited.then(() => process.off("exit", orphanGuard));
  };
  const rpcUrl = `http://127.0.0.1:${port}`;
  let id = 0;
  const send = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  const answering = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ganache exited (${child.exitCode}): ${output}`);
      try {
        if (Number(await send("eth_chainId")) === chainId) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`ganache did not answer within 60 s: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  launch();
  await answering();
  const keys = Array.from(
    { length: accounts },
    (_, i) => HDNodeWallet.fromPhrase(GANACHE_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey,
  );
  return {
    rpcUrl,
    chainId,
    keys,
    send,
    mine: async (count = 1) => {
      for (let i = 0; i < count; i++) await send("evm_mine");
    },
    blockNumber: async () => Number(await send("eth_blockNumber")),
    output: () => output,
    stop,
    restart: async (downMs = 0) => {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      launch();
      await answering();
    },
  };
}

/** An ethers provider on a ganache (no network detection, no caching), for tests. */
export function ganacheProvider(node: Ganache): JsonRpcProvider {
  return new JsonRpcProvider(node.rpcUrl, node.chainId, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  });
}
