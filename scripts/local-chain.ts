/**
 * `npm run chain`: starts the local development chain on its own, with the registry deployed and the
 * development issuers (CSB, FSD) registered, and prints what a client needs. Stop with Ctrl-C.
 *
 * Environment: PORT (default 8545), DATA_DIR (default ./.data; the development PKI goes in DATA_DIR/pki).
 */
import { startLocalChain } from "../server/chain/local-chain.ts";

const chain = await startLocalChain({
  dataDir: process.env.DATA_DIR ?? ".data",
  port: Number(process.env.PORT ?? 8545),
});
console.log(JSON.stringify({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, registry: chain.registry }, null, 2));
for (const step of chain.registration) console.log(`${step.issuer}: ${step.action}${step.detail ? ` ${step.detail}` : ""}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void chain.close().then(() => process.exit(0));
  });
}
