/**
 * Production mode end to end on a second, independent EVM node (ganache, its own process, a block a
 * second), every part its own process as a department runs it:
 *   deploy the registry with `certs admin deploy` (encrypted deployer keystore), registering CSB and FSD
 *   from a production-style issuers file (signers, signing-certificate PEMs, names); the same command
 *   again does nothing; `certs admin issuer list` reads them back;
 *   an API key with `certs apikey create`; the service started as `node server/main.ts` with
 *   CHAIN_RPC_URLS, CHAIN_ID, REGISTRY_ADDRESS, ISSUER_IDS, encrypted signer keystores, PEM PAdES
 *   identities and CONFIRMATIONS=1;
 *   100 CSB certificates and 12 FSD licences through POST /api/v1/batches; one of each VALID with
 *   `certs verify --rpc <ganache> --registry --chain-id`; one revoked through the API: REVOKED; the same
 *   two in the verifier page (Chromium), from a static copy whose config points at ganache and from the
 *   service's own page (its /rpc proxy to ganache).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { chromium } from "playwright-core";
import { DEFAULT_VERIFIER_DIST } from "../../verifier-web/build.ts";
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  closeBrowser,
  dropFile,
  readVerdict,
  serveStatic,
} from "../browser/browser-helpers.ts";
import { startGanache, type Ganache } from "../helpers/ganache.ts";
import {
  CSB,
  FSD,
  call,
  certs,
  departmentFiles,
  exampleRows,
  keystoreFile,
  registryOutgrowsSizeLimit,
  startServiceProcess,
  until,
  type DepartmentFiles,
  type ServiceProcess,
} from "../helpers/production.ts";

type Issued = { id: string; certificateNumber: string }[];

describe("production mode on ganache (separate processes): deploy, register, issue 100, verify, revoke", function () {
  this.timeout(300_000);
  let dir: string;
  let node: Ganache;
  let service: ServiceProcess | undefined;
  let departments: DepartmentFiles;
  let deployerKeystore: string;
  let registry: string;
  const keys: Record<string, string> = {};
  const issued: Record<string, Issued> = {};

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-ganache-"));
    node = await startGanache({ chainId: 1337, blockTime: 1, unlimitedContractSize: registryOutgrowsSizeLimit() });
    deployerKeystore = await keystoreFile(dir, "deployer", node.keys[0], "deployer password");
    departments = await departmentFiles(dir, [
      { ...CSB, signerKey: node.keys[1] },
      { ...FSD, signerKey: node.keys[2] },
    ]);
  });
  after(async () => {
    const code = await service?.stop();
    if (service && code !== 0) console.error(service.output().slice(-4000));
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const deploy = () =>
    certs(
      { ECERT_ADMIN_PASSWORD: "deployer password", DATA_DIR: dir },
      "admin",
      "deploy",
      "--rpc",
      node.rpcUrl,
      "--keystore",
      deployerKeystore,
      "--issuers",
      departments.issuersFile,
    );

  it("certs admin deploy refuses, exit 64, without a keystore, without --rpc, or with a --registry that holds no contract", async () => {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{}, ["--rpc", node.rpcUrl], /needs the deployer's key: --keystore FILE/],
      [{ ECERT_ADMIN_PASSWORD: "deployer password" }, ["--keystore", deployerKeystore], /needs --rpc URL/],
      [
        { ECERT_ADMIN_PASSWORD: "deployer password" },
        ["--rpc", node.rpcUrl, "--keystore", deployerKeystore, "--registry", `0x${"12".repeat(20)}`],
        /no contract at 0x1212.* on chain 1337/,
      ],
      [
        { ECERT_ADMIN_PASSWORD: "deployer password" },
        ["--rpc", node.rpcUrl, "--keystore", deployerKeystore, "--admin-delay", "soon"],
        /--admin-delay: seconds/,
      ],
    ];
    for (const [env, args, message] of cases) {
      const result = await certs({ DATA_DIR: dir, ...env }, "admin", "deploy", ...args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).to.equal(64);
      expect(result.stderr).to.match(message);
    }
    const help = await certs({}, "admin", "deploy", "--help");
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^usage: certs admin deploy --rpc URL --keystore FILE/);
    expect(await node.blockNumber()).to.be.greaterThan(0); // ganache mines a block a second, even empty
  });

  it("deploys the registry and registers CSB and FSD with certs admin deploy; a second run changes nothing", async () => {
    const first = await deploy();
    expect(first.code, first.stderr).to.equal(0);
    const deployer = new Wallet(node.keys[0]).address;
    expect(first.stdout).to.match(
      new RegExp(
        `^registry deployed at 0x[0-9a-fA-F]{40}: transaction 0x[0-9a-f]{64}, block \\d+ \\(governance admin ${deployer}, handover delay 259200 s\\)$`,
        "m",
      ),
    );
    for (const [id, signer] of [
      ["CSB", node.keys[1]],
      ["FSD", node.keys[2]],
    ]) {
      expect(first.stdout).to.match(new RegExp(`^issuer ${id}: registered: transaction 0x`, "m"));
      expect(first.stdout).to.include(`issuer ${id}: signer added ${new Wallet(signer).address}: transaction 0x`);
    }
    registry = /^REGISTRY_ADDRESS=(0x[0-9a-fA-F]{40})$/m.exec(first.stdout)![1];
    expect(first.stdout).to.match(/^CHAIN_ID=1337$/m);

    const again = await deploy();
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include(`already so: the registry is deployed at ${registry}`);
    expect(again.stdout.match(/^already so: issuer (CSB|FSD) is registered/gm)).to.have.length(2);
    expect(again.stdout).to.include(`REGISTRY_ADDRESS=${registry}`);
    expect(again.stdout).not.to.match(/transaction 0x/);
    // Named with --registry: used as given, recognised as this build's code.
    const given = await certs(
      { ECERT_ADMIN_PASSWORD: "deployer password", DATA_DIR: dir },
      "admin",
      "deploy",
      "--rpc",
      node.rpcUrl,
      "--keystore",
      deployerKeystore,
      "--registry",
      registry,
    );
    expect(given.code, given.stderr).to.equal(0);
    expect(given.stdout).to.match(new RegExp(`^already so: the registry at ${registry} is used as given\n`, "m"));
    expect(given.stdout).not.to.match(/transaction 0x|code differs/);

    // The trust issue's admin commands work against it.
    const list = await certs({}, "admin", "issuer", "list", "--json", "--rpc", node.rpcUrl, "--registry", registry);
    expect(list.code, list.stderr).to.equal(0);
    const listed = JSON.parse(list.stdout) as {
      chainId: number;
      issuers: {
        id: string;
        nameEn: string;
        signers: { address: string; current: boolean }[];
        signingCertificates: string[];
      }[];
    };
    expect(listed.chainId).to.equal(1337);
    expect(
      listed.issuers.map((i) => [
        i.id,
        i.nameEn,
        i.signers.map((s) => [s.address, s.current]),
        i.signingCertificates.length,
      ]),
    ).to.deep.equal([
      ["CSB", CSB.nameEn, [[new Wallet(node.keys[1]).address, true]], 1],
      ["FSD", FSD.nameEn, [[new Wallet(node.keys[2]).address, true]], 1],
    ]);
  });

  it("starts the service as its own process in production mode (encrypted keystores, PEM identities, CONFIRMATIONS=1)", async () => {
    for (const id of ["CSB", "FSD"]) {
      const created = await certs({ DATA_DIR: dir }, "apikey", "create", "--issuer", id, "--label", "e2e");
      expect(created.code, created.stderr).to.equal(0);
      keys[id] = created.stdout.trim();
    }
    service = await startServiceProcess({
      DATA_DIR: dir,
      CHAIN_RPC_URLS: node.rpcUrl,
      CHAIN_ID: "1337",
      REGISTRY_ADDRESS: registry,
      CONFIRMATIONS: "1",
      BATCH_WAIT_MS: "200",
      ...departments.env,
    });
    const me = await call(service.url, "GET", "/me", { key: keys.FSD });
    expect(me.status, JSON.stringify(me.json)).to.equal(200);
    expect(JSON.stringify(me.json)).to.include(FSD.nameEn);
    expect(service.logs().find((l) => l.msg === "HK e-Cert issuer service started")).to.deep.include({
      chainId: 1337,
      registry,
    });
  });

  it("issues 100 CSB certificates and 12 FSD licences through POST /batches, each department with its own signer", async () => {
    const started = Date.now();
    const batches: [string, string, Uint8Array][] = [
      ["CSB", "csb-cre", exampleRows("csb-cre-10k.csv", 100)],
      ["FSD", "fsd-dg-licence", exampleRows("fsd-dg-licence.csv", 12)],
    ];
    const accepted: Record<string, string> = {};
    for (const [id, type, csv] of batches) {
      const res = await call(service!.url, "POST", `/batches?type=${type}`, { key: keys[id], csv });
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      expect(res.json.errors).to.deep.equal([]);
      accepted[id] = res.json.batchId;
      issued[id] = res.json.certificates;
    }
    expect(issued.CSB).to.have.length(100);
    expect(issued.FSD).to.have.length(12);
    for (const id of ["CSB", "FSD"]) {
      await until(
        async () => (await call(service!.url, "GET", `/batches/${accepted[id]}`, { key: keys[id] })).json.done === true,
        120_000,
        `${id}'s batch`,
      );
      const batch = await call(service!.url, "GET", `/batches/${accepted[id]}`, { key: keys[id] });
      expect(batch.json.progress.issued, JSON.stringify(batch.json)).to.equal(issued[id].length);
    }
    console.log(`      (112 certificates issued on ganache in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  const verifyFile = async (id: string, certificateId: string) => {
    const pdf = await call(service!.url, "GET", `/certificates/${certificateId}/pdf`, { key: keys[id] });
    expect(pdf.status).to.equal(200);
    const file = path.join(dir, `${certificateId}.pdf`);
    await writeFile(file, pdf.bytes);
    const result = await certs(
      {},
      "verify",
      file,
      "--json",
      "--rpc",
      node.rpcUrl,
      "--registry",
      registry,
      "--chain-id",
      "1337",
    );
    return {
      code: result.code,
      result: JSON.parse(result.stdout) as { status: string; reasons: string[]; issuer?: { nameEn?: string } },
      stderr: result.stderr,
    };
  };

  it("verifies a CSB certificate and an FSD licence VALID with certs verify --rpc <ganache>", async () => {
    for (const [id, certificate] of [
      ["CSB", issued.CSB[57]],
      ["FSD", issued.FSD[3]],
    ] as const) {
      const { code, result, stderr } = await verifyFile(id, certificate.id);
      expect(result.status, `${id}: ${JSON.stringify(result.reasons)} ${stderr}`).to.equal("VALID");
      expect(code).to.equal(0);
    }
  });

  it("revokes one certificate through the API: certs verify says REVOKED, its neighbours stay VALID", async () => {
    const target = issued.CSB[42];
    const res = await call(service!.url, "POST", `/certificates/${target.id}/revoke`, {
      key: keys.CSB,
      json: { reason: "fraud" },
    });
    expect(res.status, JSON.stringify(res.json)).to.equal(202);
    await until(
      async () =>
        (await call(service!.url, "GET", `/certificates/${target.id}`, { key: keys.CSB })).json.status === "revoked",
      60_000,
      "the revocation",
    );
    const revoked = await verifyFile("CSB", target.id);
    expect(revoked.result.status).to.equal("INVALID");
    expect(revoked.result.reasons).to.deep.equal(["REVOKED"]);
    expect(revoked.code).to.equal(1);
    expect((await verifyFile("CSB", issued.CSB[43].id)).result.status).to.equal("VALID");
  });

  it("verifies in the page (Chromium): a static copy whose config points at ganache, and the service's own page over /rpc", async () => {
    const pdfOf = async (certificateId: string) =>
      (await call(service!.url, "GET", `/certificates/${certificateId}/pdf`, { key: keys.CSB })).bytes;
    const valid = await pdfOf(issued.CSB[57].id);
    const revoked = await pdfOf(issued.CSB[42].id);
    // The service built the page when it started (verifier-web/dist); a static host serves it with its own config.
    const host = await serveStatic(DEFAULT_VERIFIER_DIST, { rpcUrls: [node.rpcUrl], chainId: 1337, registry });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      for (const origin of [host.url, service!.url]) {
        for (const [pdf, expected] of [
          [valid, { status: "VALID", reasons: [] }],
          [revoked, { status: "INVALID", reasons: ["REVOKED"] }],
        ] as const) {
          const page = await browser.newPage();
          await page.goto(`${origin}/`);
          await dropFile(page, pdf, "certificate.pdf", "application/pdf");
          const verdict = await readVerdict(page, 30_000);
          expect({ status: verdict.status, reasons: verdict.reasons }, origin).to.deep.equal(expected);
          await page.close();
        }
      }
    } finally {
      await closeBrowser(browser);
      await host.close();
    }
  });

  it("stops on SIGTERM with exit code 0", async () => {
    const code = await service!.stop();
    expect(code, service!.output().slice(-2000)).to.equal(0);
    service = undefined;
  });
});
