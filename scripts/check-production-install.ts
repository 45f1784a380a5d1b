/**
 * CI (after the tests): `npm start` in production mode from an install without devDependencies, so without
 * Hardhat, against a separate chain process.
 *
 *   1. The repository's files (tracked and untracked, not ignored) are copied to a temporary directory and
 *      installed there with `npm ci --omit=dev` from the same package-lock.json.
 *   2. ganache (a devDependency of this checkout) runs in its own process; `certs admin deploy` (from this
 *      checkout: it reads the compiled artifact) deploys the registry and registers CSB.
 *   3. In the copy: `certs apikey create`, then `npm start` with CHAIN_RPC_URLS, CHAIN_ID, REGISTRY_ADDRESS,
 *      ISSUER_IDS, an encrypted signer keystore and a PEM PAdES identity; GET /api/v1/me, and two
 *      certificates through POST /api/v1/batches until `issued`.
 *
 * The install runs with --ignore-scripts, then better-sqlite3's native addon is taken from this checkout
 * (the same package version, built for the same Node) and the project's postinstall checks that it loads:
 * these machines fetch no prebuilt binary, and compiling the addon again takes about two minutes on two
 * cores. Everything else is what `npm ci --omit=dev` installs.
 *
 *   node scripts/check-production-install.ts      (exit 0 when it all worked)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startGanache } from "../test/helpers/ganache.ts";
import {
  CSB,
  call,
  certs,
  departmentFiles,
  exampleRows,
  keystoreFile,
  startServiceProcess,
  until,
} from "../test/helpers/production.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
const step = (what: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
// This Node first on the PATH: npm, its scripts and `npm start` in the copy run it (the copy has no `node` package).
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };

const work = mkdtempSync(path.join(tmpdir(), "ecert-omit-dev-"));
const copy = path.join(work, "app");
let failed = false;
const node = await startGanache({ chainId: 1339, blockTime: 1 });
let service: Awaited<ReturnType<typeof startServiceProcess>> | undefined;
try {
  step(`copying the repository to ${copy}`);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(ROOT, file))) continue; // deleted in the work tree
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(copy, file));
  }
  step("npm ci --omit=dev --ignore-scripts");
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: copy,
    env,
    stdio: "inherit",
  });
  for (const devOnly of ["hardhat", "ganache", "mocha", "@nomicfoundation/hardhat-toolbox-mocha-ethers", "node"]) {
    if (existsSync(path.join(copy, "node_modules", devOnly)))
      throw new Error(`the install without devDependencies has ${devOnly}`);
  }
  cpSync(path.join(ROOT, "node_modules/better-sqlite3/build"), path.join(copy, "node_modules/better-sqlite3/build"), {
    recursive: true,
  });
  execFileSync(process.execPath, ["scripts/postinstall.js"], { cwd: copy, env, stdio: "inherit" });

  step(`deploying the registry on ganache (${node.rpcUrl}) with certs admin deploy`);
  const departments = await departmentFiles(work, [{ ...CSB, signerKey: node.keys[1] }]);
  const deployer = await keystoreFile(work, "deployer", node.keys[0], "deployer password");
  const deployed = await certs(
    { ECERT_ADMIN_PASSWORD: "deployer password", DATA_DIR: work },
    "admin",
    "deploy",
    "--rpc",
    node.rpcUrl,
    "--keystore",
    deployer,
    "--issuers",
    departments.issuersFile,
  );
  process.stdout.write(deployed.stdout);
  if (deployed.code !== 0) throw new Error(`certs admin deploy exited ${deployed.code}: ${deployed.stderr}`);
  const registry = /^REGISTRY_ADDRESS=(0x[0-9a-fA-F]{40})$/m.exec(deployed.stdout)![1];

  step("certs apikey create, in the copy");
  const dataDir = path.join(work, "data");
  const key = execFileSync(process.execPath, ["bin/certs.ts", "apikey", "create", "--issuer", "CSB"], {
    cwd: copy,
    env: { ...env, DATA_DIR: dataDir },
    encoding: "utf8",
  }).trim();

  step("npm start in the copy with no chain configured: refused, the embedded default needs Hardhat");
  const bare = Object.fromEntries(Object.entries(env).filter(([k]) => !/^(CHAIN_|REGISTRY_ADDRESS)/.test(k)));
  const refused = spawnSync("npm", ["start", "--silent"], {
    cwd: copy,
    env: { ...bare, DATA_DIR: dataDir, PORT: "0" },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (refused.status !== 78 || !refused.stderr.includes("needs the devDependencies")) {
    throw new Error(`npm start without a chain: exit ${refused.status}, ${refused.stderr.slice(-500)}`);
  }

  step("npm start in the copy, in production mode");
  service = await startServiceProcess(
    {
      DATA_DIR: dataDir,
      APPROVALS: "none",
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: "1339",
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "200",
      PATH: env.PATH!,
      ...departments.env,
    },
    { cwd: copy, command: ["npm", "start", "--silent"] },
  );
  const me = await call(service.url, "GET", "/me", { key });
  if (me.status !== 200 || !JSON.stringify(me.json).includes(CSB.nameEn))
    throw new Error(`GET /api/v1/me: ${me.status} ${JSON.stringify(me.json)}`);
  step(`GET /api/v1/me: 200, ${CSB.nameEn}`);
  const batch = await call(service.url, "POST", "/batches?type=csb-cre", { key, csv: exampleRows("csb-cre.csv", 2) });
  if (batch.status !== 202) throw new Error(`POST /api/v1/batches: ${batch.status} ${JSON.stringify(batch.json)}`);
  await until(
    async () =>
      (await call(service!.url, "GET", `/batches/${batch.json.batchId}`, { key })).json.progress?.issued === 2,
    60_000,
    "2 certificates issued",
  );
  step("POST /api/v1/batches: 2 certificates issued (anchored on ganache, signed, stored)");
} catch (error) {
  failed = true;
  console.error(`production install check FAILED: ${(error as Error).message}`);
  if (service) console.error(service.output().slice(-4000));
} finally {
  await service?.stop();
  await node.stop();
  rmSync(work, { recursive: true, force: true });
}
step(failed ? "failed" : "npm start after npm ci --omit=dev: production mode works");
process.exit(failed ? 1 : 0);
