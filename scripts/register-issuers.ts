/**
 * Registers issuers, their PDF-signing certificate fingerprints and their signers on a deployed
 * registry, from a JSON file like `config/issuers.dev.json`. Idempotent: run it again after adding a
 * signer or a certificate to the file.
 *
 *   ISSUERS_FILE=issuers.json REGISTRY_ADDRESS=0x... npx hardhat run scripts/register-issuers.ts --network production
 *
 * The transactions are sent by the network's first account, which must be the registry's admin. For
 * the `production` network that key comes from Hardhat's encrypted keystore
 * (`npx hardhat keystore set DEPLOYER_PRIVATE_KEY`), never from a plaintext file.
 */
import { network } from "hardhat";
import { loadIssuersFile, registerIssuers, type RegistryAdmin } from "../server/chain/issuers.ts";

const file = process.env.ISSUERS_FILE;
const address = process.env.REGISTRY_ADDRESS;
if (!file || !address) {
  console.error("Set ISSUERS_FILE (the issuers JSON) and REGISTRY_ADDRESS (the deployed registry).");
  process.exit(64);
}
const { ethers } = await network.create();
const registry = await ethers.getContractAt("Registry", address);
const issuers = await loadIssuersFile(file, { DATA_DIR: process.env.DATA_DIR ?? ".data" });
for (const step of await registerIssuers(registry as unknown as RegistryAdmin, issuers)) {
  console.log(`${step.issuer}: ${step.action}${step.detail ? ` ${step.detail}` : ""}`);
}
