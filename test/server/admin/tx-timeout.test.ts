// `certs admin` when a transaction it sent is never mined (here: a ganache whose miner is stopped): the
// command gives up after ECERT_ADMIN_TX_TIMEOUT_MS, exit 75, with one line naming the transaction.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { startGanache, type Ganache } from "../../helpers/ganache.ts";
import { registryOutgrowsSizeLimit } from "../../helpers/production.ts";
import { certsAdmin, writeKeystore, type CliResult } from "./admin-helpers.ts";

const PASSWORD = "correct horse battery staple";
const TIMEOUT_MS = 1500;
/** The one line of a transaction sent but not mined within TIMEOUT_MS. */
const NOT_MINED =
  /^transaction (0x[0-9a-f]{64}) was sent but not mined within 1\.5 s: it may still be mined later; check the account's nonce \(or an explorer\) before sending it again\n$/;

describe("certs admin: a transaction that is not mined in time (exit 75)", function () {
  this.timeout(60_000);
  let dir: string;
  let node: Ganache;
  let keystore: string;
  let admin: (env: Record<string, string>, ...args: string[]) => Promise<CliResult>;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-tx-timeout-"));
    // Under `npm test --coverage` the instrumented registry outgrows EIP-170: lift the limit as the other ganache tests do.
    node = await startGanache({ accounts: 2, unlimitedContractSize: registryOutgrowsSizeLimit() });
    keystore = await writeKeystore(dir, "admin", node.keys[0], PASSWORD);
    admin = (env, ...args) =>
      certsAdmin(
        { DATA_DIR: dir, ECERT_ADMIN_PASSWORD: PASSWORD, ECERT_ADMIN_TX_TIMEOUT_MS: String(TIMEOUT_MS), ...env },
        ...args,
        "--keystore",
        keystore,
        "--rpc",
        node.rpcUrl,
      );
  });
  after(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Asserts exit 75 and the one line; returns the transaction's hash. */
  function notMined(result: CliResult): string {
    expect(result.code, result.stderr).to.equal(75);
    expect(result.stderr).to.match(NOT_MINED);
    expect(result.stderr).not.to.include("    at ");
    return NOT_MINED.exec(result.stderr)![1];
  }

  it("deploy: the deployment is sent, not mined within ECERT_ADMIN_TX_TIMEOUT_MS: exit 75 naming it; once mined, deploy finds it", async () => {
    await node.send("miner_stop");
    const started = Date.now();
    const result = await admin({}, "deploy");
    const hash = notMined(result);
    expect(Date.now() - started).to.be.below(15_000);
    expect(await node.send("eth_getTransactionByHash", [hash])).to.include({ hash });
    await node.send("miner_start");
    await node.mine();
    const again = await admin({}, "deploy");
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/already so: the registry is deployed at 0x[0-9a-fA-F]{40}/);
  });

  it("issuer update: the transaction is sent, not mined in time: exit 75 naming it, and nothing printed as done", async () => {
    // The registry of the test before, with an issuer to update.
    const deployed = await admin({}, "deploy");
    const registry = /REGISTRY_ADDRESS=(0x[0-9a-fA-F]{40})/.exec(deployed.stdout)![1];
    const issuers = path.join(dir, "issuers.json");
    await writeFile(
      issuers,
      JSON.stringify({
        issuers: [
          {
            id: "CSB",
            nameEn: "Civil Service Bureau",
            nameZh: "公務員事務局",
            domain: "csb.gov.hk",
            signingCertificate: `0x${"ab".repeat(32)}`,
            signers: [{ address: new Wallet(node.keys[1]).address, validFrom: "2026-01-01T00:00:00Z" }],
          },
        ],
      }),
    );
    const registered = await admin({}, "issuer", "register", "--file", issuers, "--registry", registry);
    expect(registered.code, registered.stderr).to.equal(0);

    await node.send("miner_stop");
    const result = await admin({}, "issuer", "update", "CSB", "--domain", "example.org", "--registry", registry);
    notMined(result);
    expect(result.stdout).to.equal("");
    await node.send("miner_start");
  });

  it("refuses an ECERT_ADMIN_TX_TIMEOUT_MS that is not a number of milliseconds (exit 64)", async () => {
    const result = await admin({ ECERT_ADMIN_TX_TIMEOUT_MS: "5m" }, "deploy");
    expect(result.code).to.equal(64);
    expect(result.stderr).to.match(/^ECERT_ADMIN_TX_TIMEOUT_MS: milliseconds \(1 to 2147483647\), got 5m\n/);
  });
});
