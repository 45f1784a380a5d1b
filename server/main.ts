/**
 * `npm start`: the issuer service. With no configuration, the embedded default (see README): a local
 * chain, the registry, CSB and FSD with development keys, SQLite under DATA_DIR, the API, the verifier
 * page and a read-only JSON-RPC proxy; it prints the URLs and writes DATA_DIR/dev.json.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { startServer } from "./start.ts";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
const server = await startServer(config);
if (server.dev) {
  console.log(`
HK e-Cert is running.
  API:       ${server.dev.apiUrl}   (OpenAPI: ${server.dev.apiUrl}/openapi.json)
  Verifier:  ${server.dev.verifierUrl}
  JSON-RPC:  ${server.dev.rpcUrl}   (read-only; chain id ${server.dev.chainId}, registry ${server.dev.registry})
  API keys and the above: ${config.dataDir}/dev.json
  Candidates' e-mails: ${server.outbox ? `${server.url}/dev/outbox   (a local SMTP sink: nothing is delivered)` : `sent through ${server.mailer?.server ?? "(off)"}`}
  Officer console: ${server.url}/officer.html   (sign in as one of these development officers)
${server.dev.officers.map((o) => `    ${o.username.padEnd(13)} ${o.password}   ${o.issuerId} ${o.roles.join(", ")}`).join("\n")}
`);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
