/**
 * `npm run chain`: starts the local development chain on its own, with the registry deployed and the
 * development issuers (CSB, FSD) registered, and prints what a client needs. Stop with Ctrl-C.
 * It shares `npm start`'s chain journal: with the issuer service stopped, it brings back the same chain
 * (same registry, anchors and statuses), so certificates can be verified with no issuer server running
 * (`npx certs verify cert.pdf --rpc http://127.0.0.1:8545`). Never run both on one DATA_DIR at once.
 *
 * Environment: PORT (default 8545), DATA_DIR (default ./.data; the development PKI goes in DATA_DIR/pki).
 */
import { startLocalChain } from "../server/chain/local-chain.ts";

const chain = await startLocalChain({
  dataDir: process.env.DATA_DIR ?? ".data",
  port: Number(process.env.PORT ?? 8545),
  persist: true,
});
console.log(JSON.stringify({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, registry: chain.registry }, null, 2));
for (const step of chain.registration)
  console.log(`${step.issuer}: ${step.action}${step.detail ? ` ${step.detail}` : ""}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void chain.close().then(() => process.exit(0));
  });
}
