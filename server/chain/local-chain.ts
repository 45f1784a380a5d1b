import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import RegistryModule from "../../ignition/modules/Registry.ts";
import { ensureDevPki } from "../pki/dev-pki.ts";
import { loadIssuersFile, registerIssuers, type RegistrationStep, type RegistryAdmin } from "./issuers.ts";
import { serveJsonRpc } from "./rpc-server.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The development issuers file committed in the repository. */
export const DEV_ISSUERS_FILE = path.join(ROOT, "config/issuers.dev.json");

/**
 * Private keys of Hardhat's well-known development accounts (from its public default mnemonic):
 * #0 is the governance admin, #1 signs for CSB and #2 for FSD in `config/issuers.dev.json`.
 * Public knowledge: only ever for the local chain.
 */
export const DEV_KEYS = {
  admin: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  CSB: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  FSD: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
} as const;

export interface LocalChainParameters {
  /** Where the development PKI lives (`DATA_DIR`); its `pki/` folder is created on first use. */
  dataDir: string;
  /** JSON-RPC port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Issuers to register (default: the development CSB and FSD). */
  issuersFile?: string;
}

export interface LocalChainResult {
  rpcUrl: string;
  chainId: number;
  registry: string;
  /** The in-process EIP-1193 provider, for callers in the same process. */
  provider: { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
  registration: RegistrationStep[];
  close(): Promise<void>;
}

/**
 * Starts Hardhat's in-process chain (EDR), serves it over JSON-RPC, deploys the registry with the
 * Ignition module and registers the issuers of `issuersFile`, creating the development PKI whose
 * certificate fingerprints they reference. The base of `npm start`'s embedded default.
 *
 * @example
 * const chain = await startLocalChain({ dataDir: ".data", port: 8545 });
 * console.log(chain.rpcUrl, chain.registry);
 * await chain.close();
 */
export async function startLocalChain(parameters: LocalChainParameters): Promise<LocalChainResult> {
  const { dataDir, port = 0, host = "127.0.0.1", issuersFile = DEV_ISSUERS_FILE } = parameters;
  const connection = await network.create();
  const { ethers, ignition, provider } = connection;

  const { registry } = await ignition.deploy(RegistryModule, {
    parameters: { Registry: { adminDelay: 0 } },
    displayUi: false,
  });
  const address = await registry.getAddress();

  await ensureDevPki(path.join(dataDir, "pki"), [
    { id: "CSB", nameEn: "Civil Service Bureau" },
    { id: "FSD", nameEn: "Fire Services Department" },
  ]);
  const issuers = await loadIssuersFile(issuersFile, { DATA_DIR: path.resolve(dataDir) });
  const registration = await registerIssuers(registry as unknown as RegistryAdmin, issuers);

  const rpc = await serveJsonRpc({ provider, port, host });
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  return {
    rpcUrl: rpc.url,
    chainId,
    registry: address,
    provider,
    registration,
    close: async () => {
      await rpc.close();
      await connection.close();
    },
  };
}
