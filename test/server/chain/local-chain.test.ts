import fs from "node:fs";
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { BrowserProvider, Contract, JsonRpcProvider, Wallet, encodeBytes32String, id } from "ethers";
import { JournalCorruptError, openJournal } from "../../../server/chain/chain-journal.ts";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import {
  certificateFingerprint,
  loadIssuersFile,
  registerIssuers,
  type RegistryAdmin,
} from "../../../server/chain/issuers.ts";
import {
  DEV_ISSUERS_FILE,
  DEV_KEYS,
  startLocalChain,
  type LocalChainResult,
} from "../../../server/chain/local-chain.ts";

const REGISTRY_ABI = [
  "function issuer(bytes32) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
  "function signerRecord(address) view returns ((bytes32 issuerId, uint64 validFrom, uint64 validUntil))",
  "function isSigningCertificate(bytes32, bytes32) view returns (bool)",
  "function registerIssuer(bytes32, string, string, string, bytes32)",
  "function addSigningCertificate(bytes32, bytes32)",
  "function addSigner(bytes32, address, uint64, uint64)",
];
const ISSUER_ABI = [
  "function issuer(bytes32) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
];

describe("startLocalChain", () => {
  let dataDir: string;
  let chain: LocalChainResult;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-chain-"));
    chain = await startLocalChain({ dataDir, port: 0 });
  });
  after(async () => {
    await chain.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the chain over JSON-RPC with chain id 31337", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    expect((await provider.getNetwork()).chainId).to.equal(31337n);
    expect(chain.chainId).to.equal(31337);
    provider.destroy();
  });

  it("registers CSB and FSD with their names, domains and development certificate fingerprints", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const registry = new Contract(chain.registry, ISSUER_ABI, provider);
    const csb = await registry.issuer(encodeBytes32String("CSB"));
    expect(csb.nameEn).to.equal("Civil Service Bureau");
    expect(csb.nameZh).to.equal("公務員事務局");
    expect(csb.domain).to.equal("csb.gov.hk");
    expect(csb.active).to.equal(true);
    expect(csb.signers).to.deep.equal(["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    expect(csb.signingCertificate).to.equal(await certificateFingerprint(path.join(dataDir, "pki/CSB.cert.pem")));
    const fsd = await registry.issuer(encodeBytes32String("FSD"));
    expect(fsd.nameZh).to.equal("消防處");
    expect(fsd.signingCertificate).to.not.equal(csb.signingCertificate);
    provider.destroy();
  });

  it("changes nothing when the same issuers are registered again", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const admin = new Wallet(DEV_KEYS.admin, provider);
    const registry = new Contract(chain.registry, REGISTRY_ABI, admin);
    const issuers = await loadIssuersFile(DEV_ISSUERS_FILE, { DATA_DIR: dataDir });
    const steps = await registerIssuers(registry as unknown as RegistryAdmin, issuers);
    expect(steps).to.deep.equal([
      { issuer: "CSB", action: "unchanged" },
      { issuer: "FSD", action: "unchanged" },
    ]);
    provider.destroy();
  });

  it("adds a renewed signing certificate and a new signer to an existing issuer", async () => {
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const admin = new Wallet(DEV_KEYS.admin, provider);
    const registry = new Contract(chain.registry, REGISTRY_ABI, admin);
    const [csb] = await loadIssuersFile(DEV_ISSUERS_FILE, { DATA_DIR: dataDir });
    const renewed = {
      ...csb,
      signingCertificate: "0x" + "cd".repeat(32),
      signers: [...csb.signers, { address: Wallet.createRandom().address, validFrom: 1767225600 }],
    };
    const steps = await registerIssuers(registry as unknown as RegistryAdmin, [renewed]);
    expect(steps.map((s) => s.action)).to.deep.equal(["added-signing-certificate", "added-signer"]);
    expect(await registry.isSigningCertificate(encodeBytes32String("CSB"), "0x" + "cd".repeat(32))).to.equal(true);
    provider.destroy();
  });

  it("keeps development keys readable by the owner only", async () => {
    const { stat } = await import("node:fs/promises");
    expect((await stat(path.join(dataDir, "pki/CSB.key.pem"))).mode & 0o077).to.equal(0);
  });

  it("answers a JSON-RPC parse error for a body that is not JSON", async () => {
    const res = await fetch(chain.rpcUrl, { method: "POST", body: "{nope" });
    expect((await res.json()).error.code).to.equal(-32700);
  });

  it("refuses a GET with 405", async () => {
    expect((await fetch(chain.rpcUrl)).status).to.equal(405);
  });

  it("refuses a body over the size limit with 413", async () => {
    const res = await fetch(chain.rpcUrl, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
    expect(res.status).to.equal(413);
  });

  it("returns the provider's error for a failing call, keeping the request id", async () => {
    const res = await fetch(chain.rpcUrl, {
      method: "POST",
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "eth_noSuchMethod", params: [] }),
    });
    const body = await res.json();
    expect(body.id).to.equal(7);
    expect(body.error.code).to.be.a("number");
  });
});

describe("startLocalChain with persist: the journal", function () {
  this.timeout(60_000);
  let dataDir: string;
  let journalFile: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-journal-"));
    journalFile = path.join(dataDir, "chain", "journal.jsonl");
  });
  afterEach(async () => rm(dataDir, { recursive: true, force: true }));

  /** Starts the persisted chain, runs `fn` with a CSB IssuerChain over it, closes it. */
  async function withChain<T>(
    fn: (c: { chain: LocalChainResult; issuer: IssuerChain; csb: Wallet }) => Promise<T>,
    warnings: string[] = [],
  ): Promise<T> {
    const chain = await startLocalChain({ dataDir, persist: true, onWarning: (m) => warnings.push(m) });
    const provider = new BrowserProvider(chain.provider, undefined, { cacheTimeout: -1 });
    const csb = new Wallet(DEV_KEYS.CSB, provider);
    try {
      return await fn({
        chain,
        issuer: new IssuerChain({ provider, registry: chain.registry, signers: { CSB: csb }, confirmations: 0 }),
        csb,
      });
    } finally {
      provider.destroy();
      await chain.close();
    }
  }
  const journalLines = async () => (await readFile(journalFile, "utf8")).split("\n");

  it("drops a torn last line with a warning, truncates it away, and brings back every earlier transaction", async () => {
    const first = await withChain(async ({ chain, issuer, csb }) => {
      await issuer.anchor("CSB", id("root-1"), 5, async () => undefined);
      // A transaction that reverts is still mined (it uses a nonce): it must be journaled too, or the
      // next transaction of this signer could not be replayed.
      const data = issuer.registry.interface.encodeFunctionData("anchor", [id("root-1"), 5]);
      await csb.sendTransaction({ to: chain.registry, data, gasLimit: 200_000 }).then(
        () => expect.fail("anchoring the same root twice should revert"),
        (error: Error) => expect(error.message).to.match(/RegistryRootAlreadyAnchored|revert/),
      );
      await issuer.anchor("CSB", id("root-2"), 6, async () => undefined);
      return { registry: chain.registry, anchor: await issuer.anchorOf("CSB", id("root-2")) };
    });
    const complete = await readFile(journalFile);
    expect((await journalLines()).filter((l) => l.includes('"reverted":true'))).to.have.length(1);
    // A crash in the middle of an append: a line cut short, no newline.
    await appendFile(journalFile, '{"type":"tx","method":"eth_sendRawTransaction","params":["0x02f8');

    const warnings: string[] = [];
    await withChain(async ({ chain, issuer }) => {
      expect(chain.registry).to.equal(first.registry);
      expect(await issuer.anchorOf("CSB", id("root-1"))).to.not.equal(undefined);
      expect(await issuer.anchorOf("CSB", id("root-2"))).to.deep.equal(first.anchor);
      expect(await readFile(journalFile)).to.deep.equal(complete);
      // Later appends are whole lines again.
      await issuer.anchor("CSB", id("root-3"), 7, async () => undefined);
    }, warnings);
    expect(warnings).to.have.length(1);
    expect(warnings[0])
      .to.include(journalFile)
      .and.match(/line \d+: the line has no newline/)
      .and.include("truncated");

    const lines = await journalLines();
    expect(lines.pop()).to.equal("");
    for (const line of lines) JSON.parse(line);
    await withChain(async ({ issuer }) => {
      for (const root of ["root-1", "root-2", "root-3"])
        expect(await issuer.anchorOf("CSB", id(root)), root).to.not.equal(undefined);
    }, warnings);
    expect(warnings).to.have.length(1);
  });

  it("stops at a damaged line before the last, naming the file and line, and never says to delete DATA_DIR", async () => {
    const registry = await withChain(async ({ chain, issuer }) => {
      await issuer.anchor("CSB", id("root-1"), 5, async () => undefined);
      return chain.registry;
    });
    const lines = await journalLines();
    expect(lines.length).to.be.greaterThan(4);
    lines[2] = lines[2].slice(0, 20); // damaged, with good lines after it
    await writeFile(journalFile, lines.join("\n"));
    const damaged = await readFile(journalFile);
    try {
      await startLocalChain({ dataDir, persist: true, onWarning: () => expect.fail("no warning expected") });
      expect.fail("a damaged journal should stop the start");
    } catch (error) {
      expect(error).to.be.instanceOf(JournalCorruptError);
      const message = (error as Error).message;
      expect(message).to.include(`${journalFile}, line 3: the line is not JSON`);
      expect(message)
        .to.match(/backup/)
        .and.match(/move it aside/);
      expect(message).to.not.match(/delete|remove|rm -|wipe|erase/i);
    }
    // Left exactly as it was, for whoever repairs it.
    expect(await readFile(journalFile)).to.deep.equal(damaged);
    expect(registry).to.match(/^0x/);
  });

  it("writes and fsyncs each transaction's line before the transaction's result is returned", async () => {
    await withChain(async ({ chain, issuer }) => {
      const events: string[] = [];
      const original = { writeSync: fs.writeSync, fsyncSync: fs.fsyncSync };
      fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => (
        events.push(`write ${args[0]}`),
        (original.writeSync as (...a: unknown[]) => number)(...args)
      )) as typeof fs.writeSync;
      fs.fsyncSync = ((fd: number) => (events.push(`fsync ${fd}`), original.fsyncSync(fd))) as typeof fs.fsyncSync;
      syncBuiltinESMExports();
      try {
        const before = (await journalLines()).length;
        await issuer.anchor("CSB", id("root-durable"), 1, async () => void events.push("submitted"));
        events.push("anchored");
        expect((await journalLines()).length).to.equal(before + 1);
      } finally {
        Object.assign(fs, original);
        syncBuiltinESMExports();
      }
      const fd = events.find((e) => e.startsWith("write "))!.slice(6);
      expect(events).to.deep.equal(["submitted", `write ${fd}`, `fsync ${fd}`, "anchored"]);
      expect(chain.registry).to.match(/^0x/);
    });
  });
});

describe("openJournal", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-journal-unit-"));
    file = path.join(dir, "chain", "journal.jsonl");
    await mkdir(path.dirname(file));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));
  const header = JSON.stringify({ type: "header", initialDate: "2026-01-01T00:00:00.000Z" });
  const registry = JSON.stringify({ type: "registry", address: `0x${"ab".repeat(20)}` });
  const tx = JSON.stringify({ type: "tx", method: "eth_sendRawTransaction", params: ["0x01"], timestamp: 1767225601 });

  function open() {
    const warnings: string[] = [];
    const journal = openJournal(file, { initialDate: "2030-01-01T00:00:00.000Z", onWarning: (m) => warnings.push(m) });
    journal.close();
    return { journal, warnings, text: fs.readFileSync(file, "utf8") };
  }

  it("creates a new journal with its header, readable by the owner only", async () => {
    const { journal, text } = open();
    expect(journal.contents).to.equal(undefined);
    expect(text).to.equal('{"type":"header","initialDate":"2030-01-01T00:00:00.000Z"}\n');
    expect(fs.statSync(file).mode & 0o077).to.equal(0);
  });

  it("drops a last line that is complete but not JSON (and trailing blank lines)", async () => {
    await writeFile(file, `${header}\n${registry}\n${tx}\n{"type":"tx",\u0000\u0000\n\n`);
    const { journal, warnings, text } = open();
    expect(journal.contents!.transactions).to.have.length(1);
    expect(journal.contents!.registry).to.equal(`0x${"ab".repeat(20)}`);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/line 4: the line is not JSON/);
    expect(text).to.equal(`${header}\n${registry}\n${tx}\n`);
  });

  it("drops a last line that parses but has no newline (its append was never confirmed)", async () => {
    await writeFile(file, `${header}\n${registry}\n${tx}`);
    const { journal, warnings, text } = open();
    expect(journal.contents!.transactions).to.have.length(0);
    expect(warnings[0]).to.match(/line 3: the line has no newline/);
    expect(text).to.equal(`${header}\n${registry}\n`);
  });

  it("appends whole lines after the dropped tail", async () => {
    await writeFile(file, `${header}\n${registry}\n{"ty`);
    const journal = openJournal(file, { initialDate: "2030-01-01T00:00:00.000Z", onWarning: () => undefined });
    journal.append({ type: "tx", method: "eth_sendRawTransaction", params: ["0x02"], timestamp: 5 });
    journal.close();
    expect(fs.readFileSync(file, "utf8")).to.equal(
      `${header}\n${registry}\n{"type":"tx","method":"eth_sendRawTransaction","params":["0x02"],"timestamp":5}\n`,
    );
  });

  it("starts again when not even the header was complete", async () => {
    await writeFile(file, '{"type":"hea');
    const { journal, warnings, text } = open();
    expect(journal.contents).to.equal(undefined);
    expect(warnings).to.have.length(1);
    expect(text).to.equal('{"type":"header","initialDate":"2030-01-01T00:00:00.000Z"}\n');
  });

  it("reads a journal whose first start stopped before the registry line (the registry is deployed again)", async () => {
    await writeFile(file, `${header}\n${tx}\n`);
    const { journal, warnings } = open();
    expect(journal.contents).to.deep.include({ initialDate: "2026-01-01T00:00:00.000Z", registry: undefined });
    expect(warnings).to.deep.equal([]);
  });

  for (const [what, text, pattern] of [
    [
      "a bad line in the middle",
      `${header}\n{oops\n${registry}\n`,
      /line 2: the line is not JSON, and it is not the last line/,
    ],
    [
      "a transaction line without a timestamp",
      `${header}\n${registry}\n{"type":"tx","method":"eth_sendRawTransaction","params":[]}\n${tx}\n`,
      /line 3: a transaction line without a method, params and timestamp/,
    ],
    ["no header", `${registry}\n${tx}\n`, /line 1: the first entry is not the journal's header/],
    ["a second registry line", `${header}\n${registry}\n${registry}\n`, /line 3: a second registry line/],
  ] as const) {
    it(`refuses ${what}, and leaves the file as it was`, async () => {
      await writeFile(file, text);
      expect(() =>
        openJournal(file, { initialDate: "2030-01-01T00:00:00.000Z", onWarning: () => expect.fail("no warning") }),
      )
        .to.throw(JournalCorruptError, pattern)
        .with.property("message")
        .that.does.not.match(/delete/i);
      expect(fs.readFileSync(file, "utf8")).to.equal(text);
    });
  }
});

describe("loadIssuersFile", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-issuers-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function load(json: unknown): Promise<unknown> {
    const file = path.join(dir, "issuers.json");
    await writeFile(file, typeof json === "string" ? json : JSON.stringify(json));
    return loadIssuersFile(file, { DATA_DIR: dir });
  }
  const good = {
    id: "CSB",
    nameEn: "Civil Service Bureau",
    nameZh: "公務員事務局",
    domain: "csb.gov.hk",
    signingCertificate: "0x" + "ab".repeat(32),
    signers: [{ address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", validFrom: "2026-01-01T00:00:00Z" }],
  };

  it("reads a hex fingerprint and converts signer times to unix seconds", async () => {
    const [issuer] = (await load({ issuers: [good] })) as Awaited<ReturnType<typeof loadIssuersFile>>;
    expect(issuer.signingCertificate).to.equal("0x" + "ab".repeat(32));
    expect(issuer.signers[0]).to.deep.equal({
      address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      validFrom: 1767225600,
      validUntil: undefined,
    });
  });

  it("names the field when a signer address is malformed", async () => {
    const bad = { ...good, signers: [{ ...good.signers[0], address: "0x123" }] };
    await expectRejection(
      load({ issuers: [bad] }),
      /issuers\.0\.signers\.0\.address: must be a 0x-prefixed 20-byte address/,
    );
  });

  it("names the file when it is not JSON", async () => {
    await expectRejection(load("{"), /issuers\.json: not valid JSON/);
  });

  it("refuses a member given twice, naming it (strict JSON: the second would silently win)", async () => {
    await expectRejection(
      load('{"issuers":[],"issuers":[]}'),
      /issuers\.json: not valid JSON .*"issuers" appears twice/,
    );
  });

  it("says which certificate file is missing", async () => {
    await expectRejection(
      load({ issuers: [{ ...good, signingCertificate: "${DATA_DIR}/none.pem" }] }),
      /signing certificate file not found: .*none\.pem/,
    );
  });

  it("refuses a certificate file that is not PEM", async () => {
    await writeFile(path.join(dir, "junk.pem"), "hello");
    await expectRejection(load({ issuers: [{ ...good, signingCertificate: "junk.pem" }] }), /not a PEM certificate/);
  });

  it("reads the development issuers file committed in the repository", async () => {
    const text = await readFile(new URL("../../../config/issuers.dev.json", import.meta.url), "utf8");
    expect(JSON.parse(text).issuers.map((i: { id: string }) => i.id)).to.deep.equal(["CSB", "FSD"]);
  });
});

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail("expected a rejection");
}
