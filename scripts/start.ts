/**
 * `npm start`. The embedded default (no chain configured) deploys the registry from its compiled artifact
 * on a local Hardhat chain, so it compiles first (`hardhat build --quiet`, quick when nothing changed).
 * Production mode (CHAIN_RPC_URLS, CHAIN_ID or REGISTRY_ADDRESS set, as `server/config.ts` decides) needs
 * neither Hardhat nor the artifact: it runs after `npm ci --omit=dev`, where Hardhat is not installed.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const production = ["CHAIN_RPC_URLS", "CHAIN_ID", "REGISTRY_ADDRESS"].some((name) => process.env[name] !== undefined);
if (!production) {
  const hardhat = path.join(ROOT, "node_modules/.bin/hardhat");
  if (!existsSync(hardhat)) {
    console.error(
      "The embedded default (no chain configured) needs the devDependencies (Hardhat's local chain): install with npm ci, " +
        "or configure a chain (CHAIN_RPC_URLS, CHAIN_ID, REGISTRY_ADDRESS, ISSUER_IDS: README, Production mode).",
    );
    process.exit(78);
  }
  execFileSync(hardhat, ["build", "--quiet"], { cwd: ROOT, stdio: "inherit" });
}
await import("../server/main.ts");
