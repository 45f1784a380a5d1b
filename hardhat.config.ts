import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
// The compiler comes from the exact-pinned npm package `solc`: no download at build time.
const solcVersion: string = require("solc/package.json").version;

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    settings: {
      evmVersion: "paris",
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  networks: {
    // A real chain: `npx hardhat ignition deploy ignition/modules/Registry.ts --network production`.
    // Both values come from the environment or Hardhat's encrypted keystore, never from this file.
    production: {
      type: "http",
      url: configVariable("CHAIN_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
  // Generated contract types are checked by their generator, not by this project's stricter tsconfig.
  typechain: { tsNocheck: true },
  paths: {
    tests: { mocha: "test", solidity: "test/contracts" },
  },
  test: {
    solidity: {
      fuzz: { runs: 512 },
      invariant: { runs: 64, depth: 32, failOnRevert: false },
    },
  },
});
