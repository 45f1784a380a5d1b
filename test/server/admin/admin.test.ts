import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  Contract,
  Interface,
  JsonRpcProvider,
  Wallet,
  encodeBytes32String,
  hexlify,
  parseEther,
  randomBytes,
} from "ethers";
import { certificateFingerprint } from "../../../server/chain/issuers.ts";
import { DEV_KEYS, startLocalChain, type LocalChainResult } from "../../../server/chain/local-chain.ts";
import {
  EXPLAINED_ERRORS,
  REGISTRY_ADMIN_ABI,
  decodeRegistryError,
  devAdminKey,
  formatTime,
} from "../../../server/admin/registry-admin.ts";
import { certsAdmin, writeKeystore, type CliResult } from "./admin-helpers.ts";

const CSB_SIGNER = new Wallet(DEV_KEYS.CSB).address;
const PASSWORD = "correct horse battery staple";

describe("certs admin: the governance admin's commands on the registry", function () {
  this.timeout(180_000);
  let dataDir: string;
  let chain: LocalChainResult;
  let provider: JsonRpcProvider;
  let artifactAbi: { type: string; name: string; inputs: { type: string }[] }[];
  /** The embedded default: DATA_DIR/dev.json with the local chain's own URL. */
  let dev: (...args: string[]) => Promise<CliResult>;
  /** A real deployment's way: a keystore, its password in the environment, the chain by flags; no dev.json. */
  let withKeystore: (keystore: string, ...args: string[]) => Promise<CliResult>;
  let adminKeystore: string;
  let admin: Contract;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-admin-"));
    chain = await startLocalChain({ dataDir, port: 0 });
    await writeFile(
      path.join(dataDir, "dev.json"),
      JSON.stringify({
        rpcUrl: "http://127.0.0.1:9/rpc",
        chainRpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        registry: chain.registry,
      }),
    );
    provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    });
    artifactAbi = JSON.parse(
      await readFile(new URL("../../../artifacts/contracts/Registry.sol/Registry.json", import.meta.url), "utf8"),
    ).abi;
    admin = new Contract(chain.registry, artifactAbi as never, new Wallet(DEV_KEYS.admin, provider));
    adminKeystore = await writeKeystore(dataDir, "admin", DEV_KEYS.admin, PASSWORD);
    dev = (...args) => certsAdmin({ DATA_DIR: dataDir }, ...args);
    withKeystore = (keystore, ...args) =>
      certsAdmin(
        { DATA_DIR: path.join(dataDir, "elsewhere"), ECERT_ADMIN_PASSWORD: PASSWORD },
        ...args,
        "--keystore",
        keystore,
        "--rpc",
        chain.rpcUrl,
        "--registry",
        chain.registry,
      );
  });
  after(async () => {
    provider?.destroy();
    await chain?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe("the ABI and its sentences", () => {
    it("knows every custom error of the compiled registry, with the same parameters, and explains each in a sentence", () => {
      const ours = new Interface(REGISTRY_ADMIN_ABI);
      const errors = artifactAbi.filter((e) => e.type === "error");
      expect(errors.length).to.be.greaterThan(25);
      for (const e of errors) {
        const signature = `${e.name}(${e.inputs.map((i) => i.type).join(",")})`;
        expect(ours.getError(e.name)?.format("sighash"), e.name).to.equal(signature);
        expect(EXPLAINED_ERRORS, e.name).to.include(e.name);
      }
    });

    it("decodes revert data into the error's sentence, with its arguments", () => {
      const iface = new Interface(REGISTRY_ADMIN_ABI);
      const data = iface.encodeErrorResult("RegistryCutOffNotEarlier", [CSB_SIGNER, 1798761600n, 1798675200n]);
      const refusal = decodeRegistryError({ code: "CALL_EXCEPTION", info: { error: { data } } })!;
      expect(refusal.name).to.equal("RegistryCutOffNotEarlier");
      expect(refusal.sentence)
        .to.include(CSB_SIGNER)
        .and.include("2027-01-01 08:00:00 HKT (2027-01-01T00:00:00Z)")
        .and.include("only move the end earlier");
      expect(decodeRegistryError(new Error("no data"))).to.equal(undefined);
    });

    it("derives the embedded default's admin key without Hardhat: it is DEV_KEYS.admin", () => {
      expect(devAdminKey()).to.equal(DEV_KEYS.admin);
      expect(formatTime(2n ** 64n - 1n)).to.equal("no end");
    });
  });

  describe("usage, input and reachability (exit 64, 66, 69)", () => {
    it("prints the help of certs admin and of each command, exit 0", async () => {
      const help = await dev("--help");
      expect(help.code).to.equal(0);
      for (const command of [
        "issuer list",
        "issuer register",
        "issuer stop",
        "issuer reactivate",
        "signer add",
        "signer cut-off",
        "signing-cert add",
        "signing-cert remove",
        "restore certificate",
        "restore batch",
      ]) {
        expect(help.stdout).to.include(`certs admin ${command}`);
      }
      const one = await dev("signer", "cut-off", "--help");
      expect(one.code).to.equal(0);
      expect(one.stdout).to.match(/^usage: certs admin signer cut-off ADDRESS --from TIME/);
      expect(one.stdout).to.include("ISO 8601");
    });

    it("exits 64 for an unknown command, a bad address, a bad time, a missing option, and a key on the command line", async () => {
      const cases: [string[], RegExp][] = [
        [["frobnicate"], /unknown command: admin frobnicate/],
        [["signer", "cut-off", "0x1234", "--from", "now"], /not an address: 0x1234/],
        [["signer", "cut-off", CSB_SIGNER, "--from", "2026-12-01 09:00"], /--from: expected ISO 8601 with a time zone/],
        [
          ["signer", "cut-off", CSB_SIGNER, "--from", "2026-12-01T09:00:00"],
          /--from: expected ISO 8601 with a time zone/,
        ],
        [["signer", "cut-off", CSB_SIGNER], /needs --from TIME/],
        [["restore", "certificate", "CSB", "0x12", "--reason", "fraud"], /LEAF: expected 0x and 64 hex digits/],
        [
          ["restore", "batch", "CSB", `0x${"ab".repeat(32)}`, "--reason", "because"],
          /--reason: not a reason code: because/,
        ],
        [["issuer", "register"], /needs --file issuers.json/],
        [["issuer", "list", "--private-key", DEV_KEYS.admin], /never taken on the command line/],
      ];
      for (const [args, message] of cases) {
        const result = await dev(...args);
        expect(result.code, args.join(" ")).to.equal(64);
        expect(result.stderr, args.join(" ")).to.match(message);
        expect(result.stderr + result.stdout).to.not.include(DEV_KEYS.admin.slice(2));
      }
    });

    it("exits 64 with no keystore and no dev.json, and when the password cannot be asked", async () => {
      const none = await certsAdmin(
        { DATA_DIR: path.join(dataDir, "elsewhere") },
        "issuer",
        "stop",
        "CSB",
        "--rpc",
        chain.rpcUrl,
        "--registry",
        chain.registry,
      );
      expect(none.code).to.equal(64);
      expect(none.stderr).to.include("--keystore FILE");
      const noPassword = await certsAdmin(
        { DATA_DIR: path.join(dataDir, "elsewhere") },
        "issuer",
        "stop",
        "CSB",
        "--keystore",
        adminKeystore,
        "--rpc",
        chain.rpcUrl,
        "--registry",
        chain.registry,
      );
      expect(noPassword.code).to.equal(64);
      expect(noPassword.stderr).to.include("ECERT_ADMIN_PASSWORD");
    });

    it("exits 66 for a keystore it cannot read or decrypt, and an issuers file it cannot read", async () => {
      const missing = await withKeystore(path.join(dataDir, "nope.json"), "issuer", "stop", "CSB");
      expect(missing.code).to.equal(66);
      expect(missing.stderr).to.include("cannot read the keystore");
      const wrong = await certsAdmin(
        { DATA_DIR: path.join(dataDir, "elsewhere"), ECERT_ADMIN_PASSWORD: "wrong" },
        "issuer",
        "stop",
        "CSB",
        "--keystore",
        adminKeystore,
        "--rpc",
        chain.rpcUrl,
        "--registry",
        chain.registry,
      );
      expect(wrong.code).to.equal(66);
      expect(wrong.stderr).to.include("cannot decrypt the keystore").and.not.include("wrong\n");
      const file = await dev("issuer", "register", "--file", path.join(dataDir, "missing-issuers.json"));
      expect(file.code).to.equal(66);
      expect(file.stderr).to.include("missing-issuers.json");
    });

    it("exits 69 when the chain cannot be reached", async () => {
      const result = await certsAdmin(
        { DATA_DIR: path.join(dataDir, "elsewhere") },
        "issuer",
        "list",
        "--rpc",
        "http://127.0.0.1:9",
        "--registry",
        chain.registry,
      );
      expect(result.code).to.equal(69);
      expect(result.stderr).to.include("cannot reach the chain");
    });

    it("never uses dev.json's rpcUrl (the read-only proxy): the local chain's own chainRpcUrl", async () => {
      const stale = path.join(dataDir, "stale");
      await rm(stale, { recursive: true, force: true });
      await import("node:fs/promises").then((fs) => fs.mkdir(stale));
      await writeFile(path.join(stale, "dev.json"), JSON.stringify({ rpcUrl: chain.rpcUrl, registry: chain.registry }));
      const result = await certsAdmin({ DATA_DIR: stale }, "issuer", "list");
      expect(result.code).to.equal(64);
      expect(result.stderr).to.include("has no chainRpcUrl");
    });
  });

  describe("issuers", () => {
    it("lists every issuer with its signers' windows in Hong Kong time and ISO, its state and its signing certificates", async () => {
      const result = await dev("issuer", "list");
      expect(result.code, result.stderr).to.equal(0);
      const csbFingerprint = await certificateFingerprint(path.join(dataDir, "pki", "CSB.cert.pem"));
      expect(result.stdout).to.include(`registry ${chain.registry} on chain 31337, 2 issuers`);
      expect(result.stdout).to.include("CSB (issuer #1): Civil Service Bureau 公務員事務局, csb.gov.hk: active");
      expect(result.stdout).to.include(`${csbFingerprint}  (current)`);
      expect(result.stdout).to.include(`${CSB_SIGNER}  valid now`);
      expect(result.stdout).to.include("from  2026-01-01 08:00:00 HKT (2026-01-01T00:00:00Z)");
      expect(result.stdout).to.include("until no end");
      expect(result.stdout).to.include("FSD (issuer #2): Fire Services Department 消防處, hkfsd.gov.hk: active");
      const json = JSON.parse((await dev("issuer", "list", "--json")).stdout);
      expect(json.issuers.map((i: { id: string }) => i.id)).to.deep.equal(["CSB", "FSD"]);
      expect(json.issuers[0].signers[0]).to.deep.include({
        address: CSB_SIGNER,
        validFrom: "1767225600",
        validUntil: String(2n ** 64n - 1n),
        current: true,
      });
    });

    it("registers issuers from a file with a keystore, printing each transaction, and says already so the second time", async () => {
      const signer = Wallet.createRandom();
      const file = path.join(dataDir, "issuers.json");
      const fingerprint = hexlify(randomBytes(32));
      await writeFile(
        file,
        JSON.stringify({
          issuers: [
            {
              id: "LD",
              nameEn: "Labour Department",
              nameZh: "勞工處",
              domain: "labour.gov.hk",
              signingCertificate: fingerprint,
              signers: [{ address: signer.address, validFrom: "2026-01-01T00:00:00Z" }],
            },
          ],
        }),
      );
      const first = await withKeystore(adminKeystore, "issuer", "register", "--file", file);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout).to.match(/^issuer LD: registered: transaction 0x[0-9a-f]{64}, block \d+$/m);
      expect(first.stdout).to.match(
        new RegExp(`^issuer LD: signer added ${signer.address}: transaction 0x[0-9a-f]{64}, block \\d+$`, "m"),
      );
      const view = await admin.issuer(encodeBytes32String("LD"));
      expect(view.nameEn).to.equal("Labour Department");
      expect(view.signingCertificate).to.equal(fingerprint);
      const second = await withKeystore(adminKeystore, "issuer", "register", "--file", file);
      expect(second.code).to.equal(0);
      expect(second.stdout).to.match(/^already so: issuer LD is registered/m);
      expect(second.stdout).to.not.include("transaction");
    });

    it("refuses, exit 1 with the registry's reason, a keystore that is not the admin's", async () => {
      const other = await writeKeystore(dataDir, "not-admin", DEV_KEYS.FSD, PASSWORD);
      const result = await withKeystore(other, "issuer", "update", "LD", "--domain", "evil.example");
      expect(result.code).to.equal(1);
      expect(result.stderr)
        .to.include(`the registry refused: ${new Wallet(DEV_KEYS.FSD).address} is not the registry's governance admin`)
        .and.include("(AccessControlUnauthorizedAccount)");
      expect((await admin.issuer(encodeBytes32String("LD"))).domain).to.equal("labour.gov.hk");
    });

    it("updates an issuer's names and domain; the same again is already so; an empty field is refused with its name", async () => {
      const updated = await dev(
        "issuer",
        "update",
        "LD",
        "--name-en",
        "Labour Department (HKSAR)",
        "--domain",
        "www.labour.gov.hk",
      );
      expect(updated.code, updated.stderr).to.equal(0);
      expect(updated.stdout).to.match(
        /^issuer LD updated to Labour Department \(HKSAR\) 勞工處, www\.labour\.gov\.hk: transaction 0x[0-9a-f]{64}, block \d+$/m,
      );
      const again = await dev("issuer", "update", "LD", "--domain", "www.labour.gov.hk");
      expect(again.stdout).to.match(/^already so: issuer LD is Labour Department \(HKSAR\)/m);
      const empty = await dev("issuer", "update", "LD", "--name-zh", "");
      expect(empty.code).to.equal(1);
      expect(empty.stderr).to.include(
        "the registry refused: The issuer's nameZh cannot be empty. (RegistryEmptyIssuerField)",
      );
      const unknown = await dev("issuer", "update", "NOPE", "--domain", "x.gov.hk");
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.include("Issuer NOPE is not registered in this registry. (RegistryUnknownIssuer)");
    });

    it("stops an issuer (every signer cut off, the others untouched), already so the second time; deactivate and reactivate", async () => {
      const id = encodeBytes32String("LD");
      const [ldSigner] = (await admin.signersOf(id)) as string[];
      const stop = await dev("issuer", "stop", "LD");
      expect(stop.code, stop.stderr).to.equal(0);
      expect(stop.stdout).to.match(
        new RegExp(
          `^issuer LD stopped \\(1 signer cut off now: ${ldSigner}\\): transaction 0x[0-9a-f]{64}, block \\d+$`,
          "m",
        ),
      );
      expect(stop.stdout).to.include("stopped at ");
      const record = await admin.signerRecord(ldSigner);
      expect(record.validUntil).to.be.lessThan(2n ** 64n - 1n);
      expect((await admin.signerRecord(CSB_SIGNER)).validUntil).to.equal(2n ** 64n - 1n);
      const again = await dev("issuer", "stop", "LD");
      expect(again.code).to.equal(0);
      expect(again.stdout).to.match(/^already so: issuer LD was stopped at /m);
      const list = await dev("issuer", "list");
      expect(list.stdout).to.match(/LD \(issuer #3\): .*: STOPPED at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} HKT/);
      expect(list.stdout).to.include(`${ldSigner}  ended`);

      expect((await dev("issuer", "reactivate", "LD")).stdout).to.match(/^already so: issuer LD is active/m);
      const off = await dev("issuer", "deactivate", "LD");
      expect(off.stdout).to.match(/^issuer LD deactivated \(every signer cut off now\): transaction/m);
      const refused = await dev("signer", "add", "LD", Wallet.createRandom().address);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include("Issuer LD is deactivated").and.include("(RegistryIssuerInactive)");
      const on = await dev("issuer", "reactivate", "LD");
      expect(on.stdout).to.match(/^issuer LD reactivated \(cut-off signers stay cut off\): transaction/m);
      expect((await admin.issuer(id)).active).to.equal(true);
    });
  });

  describe("signers", () => {
    it("adds a signer with a window; already so the second time; an address of another issuer and an empty window are refused", async () => {
      const signer = Wallet.createRandom().address;
      const added = await dev(
        "signer",
        "add",
        "LD",
        signer,
        "--from",
        "2026-12-01T09:00:00+08:00",
        "--until",
        "2027-12-01T00:00:00Z",
      );
      expect(added.code, added.stderr).to.equal(0);
      expect(added.stdout).to.include(
        `signer ${signer} added to LD, window [2026-12-01 09:00:00 HKT (2026-12-01T01:00:00Z), 2027-12-01 08:00:00 HKT (2027-12-01T00:00:00Z)): transaction 0x`,
      );
      const record = await admin.signerRecord(signer);
      expect([record.validFrom, record.validUntil]).to.deep.equal([1796086800n, 1827619200n]);
      const again = await dev(
        "signer",
        "add",
        "LD",
        signer,
        "--from",
        "2026-12-01T09:00:00+08:00",
        "--until",
        "2027-12-01T00:00:00Z",
      );
      expect(again.code).to.equal(0);
      expect(again.stdout).to.match(new RegExp(`^already so: ${signer} is a signer of LD`, "m"));
      const elsewhere = await dev("signer", "add", "FSD", signer);
      expect(elsewhere.code).to.equal(1);
      expect(elsewhere.stderr).to.include(`Signer ${signer} was already added`).and.include("(RegistrySignerExists)");
      const empty = await dev(
        "signer",
        "add",
        "LD",
        Wallet.createRandom().address,
        "--from",
        "2027-01-01T00:00:00Z",
        "--until",
        "2026-01-01T00:00:00Z",
      );
      expect(empty.code).to.equal(1);
      expect(empty.stderr).to.include("The validity window is empty").and.include("(RegistryInvalidWindow)");
    });

    it("cuts a signer off from a time in the past; a later time, or the same, is already so; an unknown address is refused", async () => {
      const signer = Wallet.createRandom().address;
      expect((await dev("signer", "add", "LD", signer, "--from", "2026-01-01T00:00:00Z")).code).to.equal(0);
      const cut = await dev("signer", "cut-off", signer, "--from", "2026-06-01T00:00:00Z");
      expect(cut.code, cut.stderr).to.equal(0);
      expect(cut.stdout).to.match(
        new RegExp(
          `^signer ${signer} \\(LD\\) cut off from 2026-06-01 08:00:00 HKT \\(2026-06-01T00:00:00Z\\): transaction 0x[0-9a-f]{64}, block \\d+$`,
          "m",
        ),
      );
      expect((await admin.signerRecord(signer)).validUntil).to.equal(1780272000n);
      for (const time of ["2026-06-01T00:00:00Z", "now"]) {
        const again = await dev("signer", "cut-off", signer, "--from", time);
        expect(again.code).to.equal(0);
        expect(again.stdout).to.match(
          new RegExp(`^already so: ${signer} \\(LD\\)'s window already ends at 2026-06-01 08:00:00 HKT`, "m"),
        );
      }
      const unknown = Wallet.createRandom().address;
      const refused = await dev("signer", "cut-off", unknown, "--from", "now");
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include(`${unknown} was never added as a signer. (RegistryUnknownSigner)`);
    });
  });

  describe("signing certificates", () => {
    it("adds and removes a fingerprint (given in hex or as a PEM file), already so when it is so", async () => {
      const fingerprint = hexlify(randomBytes(32));
      const added = await dev("signing-cert", "add", "FSD", fingerprint);
      expect(added.code, added.stderr).to.equal(0);
      expect(added.stdout).to.match(
        new RegExp(
          `^signing certificate ${fingerprint} registered for FSD \\(now its current one\\): transaction 0x`,
          "m",
        ),
      );
      expect(await admin.isSigningCertificate(encodeBytes32String("FSD"), fingerprint)).to.equal(true);
      const list = await dev("issuer", "list");
      const fsd = list.stdout.slice(list.stdout.indexOf("FSD (issuer #2)"));
      expect(fsd)
        .to.include(`${fingerprint}  (current)`)
        .and.include(await certificateFingerprint(path.join(dataDir, "pki", "FSD.cert.pem")));
      expect((await dev("signing-cert", "add", "FSD", fingerprint)).stdout).to.match(
        /^already so: signing certificate 0x[0-9a-f]{64} is registered for FSD/m,
      );
      const removed = await dev("signing-cert", "remove", "FSD", fingerprint);
      expect(removed.stdout).to.match(/withdrawn from FSD: PDFs it signed no longer verify: transaction 0x/);
      expect((await dev("signing-cert", "remove", "FSD", fingerprint)).stdout).to.match(
        /^already so: signing certificate 0x[0-9a-f]{64} is not registered for FSD/m,
      );
      const pem = await dev("signing-cert", "add", "CSB", path.join(dataDir, "pki", "CSB.cert.pem"));
      expect(pem.code).to.equal(0);
      expect(pem.stdout).to.match(/^already so: signing certificate 0x[0-9a-f]{64} is registered for CSB/m);
      const unreadable = await dev("signing-cert", "add", "CSB", path.join(dataDir, "nope.pem"));
      expect(unreadable.code).to.equal(66);
      const unknown = await dev("signing-cert", "add", "NOPE", fingerprint);
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.include("(RegistryUnknownIssuer)");
    });
  });

  describe("restores", () => {
    it("restores a revoked certificate and a revoked batch to valid; already so when valid; a root never anchored is refused", async () => {
      const signer = new Wallet(hexlify(randomBytes(32)), provider);
      await (
        await new Wallet(DEV_KEYS.admin, provider).sendTransaction({ to: signer.address, value: parseEther("1") })
      ).wait();
      expect((await dev("signer", "add", "CSB", signer.address, "--from", "2026-01-01T00:00:00Z")).code).to.equal(0);
      const asSigner = admin.connect(signer) as Contract;
      const root = hexlify(randomBytes(32));
      const leaf = hexlify(randomBytes(32));
      await (await asSigner.anchor(root, 2)).wait();
      await (await asSigner.revoke(leaf, 3)).wait();
      await (await asSigner.revokeBatch(root, 1)).wait();
      const csb = encodeBytes32String("CSB");
      expect((await admin.certificateStatus(csb, root, leaf, `0x${"00".repeat(32)}`)).leafStatus).to.equal(1n);

      const restored = await dev("restore", "certificate", "CSB", leaf, "--reason", "issued-in-error");
      expect(restored.code, restored.stderr).to.equal(0);
      expect(restored.stdout).to.match(
        new RegExp(
          `^certificate ${leaf} restored to valid in CSB's namespace, reason 1: transaction 0x[0-9a-f]{64}, block \\d+$`,
          "m",
        ),
      );
      const again = await dev("restore", "certificate", "CSB", leaf, "--reason", "1");
      expect(again.code).to.equal(0);
      expect(again.stdout).to.include(`already so: certificate ${leaf} is valid in CSB's namespace`);

      const batch = await dev("restore", "batch", "CSB", root, "--reason", "unspecified");
      expect(batch.code, batch.stderr).to.equal(0);
      expect(batch.stdout).to.match(
        /^batch 0x[0-9a-f]{64} of CSB restored \(no longer revoked\), reason 0: transaction/m,
      );
      const status = await admin.certificateStatus(csb, root, leaf, `0x${"00".repeat(32)}`);
      expect([status.leafStatus, status.batchRevoked]).to.deep.equal([0n, false]);
      expect((await dev("restore", "batch", "CSB", root, "--reason", "unspecified")).stdout).to.include(
        `already so: batch ${root} of CSB is not revoked`,
      );

      const never = hexlify(randomBytes(32));
      const refused = await dev("restore", "batch", "CSB", never, "--reason", "unspecified");
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include(`Issuer CSB never anchored root ${never}. (RegistryRootNotAnchored)`);
    });
  });
});
