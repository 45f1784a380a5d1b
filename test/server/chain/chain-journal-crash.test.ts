import fs from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { BrowserProvider, Wallet, id } from "ethers";
import { JournalCorruptError, JournalWriteError, openJournal } from "../../../server/chain/chain-journal.ts";
import { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { DEV_KEYS, startLocalChain, type LocalChainResult } from "../../../server/chain/local-chain.ts";

/**
 * A crash while the local chain's journal is written: a real journal (a persisted local chain, three roots
 * anchored by CSB), then its last line cut at several byte offsets, zero-filled (a file whose size was
 * durable but not its data), or left whole, and the chain started again from it. And damage before the
 * last line, which must stop the start instead.
 */
describe("local chain journal: restarting after a crash mid-append", function () {
  this.timeout(120_000);
  let template: string;
  let journalBytes: Buffer;
  /** Where the last line (root-3's anchoring) starts, and its length with the newline. */
  let lastStart: number;
  let lastLength: number;
  /** Block numbers after root-2's and root-3's anchoring. */
  let blockBefore: number;
  let blockAfter: number;
  let registry: string;
  const dirs: string[] = [];

  const journalOf = (dataDir: string) => path.join(dataDir, "chain", "journal.jsonl");

  /** Starts the persisted chain from `dataDir`, runs `fn` with a CSB IssuerChain over it, closes it. */
  async function withChain<T>(
    dataDir: string,
    fn: (c: { chain: LocalChainResult; issuer: IssuerChain; blockNumber: () => Promise<number> }) => Promise<T>,
    warnings: string[] = [],
  ): Promise<T> {
    const chain = await startLocalChain({ dataDir, persist: true, onWarning: (m) => warnings.push(m) });
    const provider = new BrowserProvider(chain.provider, undefined, { cacheTimeout: -1 });
    try {
      return await fn({
        chain,
        issuer: new IssuerChain({
          provider,
          registry: chain.registry,
          signers: { CSB: new Wallet(DEV_KEYS.CSB, provider) },
          confirmations: 0,
        }),
        blockNumber: async () => Number(await chain.provider.request({ method: "eth_blockNumber" })),
      });
    } finally {
      provider.destroy();
      await chain.close();
    }
  }

  /** A copy of the template DATA_DIR (journal and development PKI), its journal replaced by `journal`. */
  async function dataDirWith(journal: Buffer): Promise<string> {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-journal-crash-"));
    dirs.push(dataDir);
    await cp(template, dataDir, { recursive: true });
    await writeFile(journalOf(dataDir), journal);
    return dataDir;
  }

  before(async () => {
    template = await mkdtemp(path.join(tmpdir(), "ecert-journal-template-"));
    dirs.push(template);
    await withChain(template, async ({ chain, issuer, blockNumber }) => {
      registry = chain.registry;
      await issuer.anchor("CSB", id("root-1"), 5, async () => undefined);
      await issuer.anchor("CSB", id("root-2"), 6, async () => undefined);
      blockBefore = await blockNumber();
      await issuer.anchor("CSB", id("root-3"), 7, async () => undefined);
      blockAfter = await blockNumber();
    });
    expect(blockAfter).to.equal(blockBefore + 1);
    journalBytes = await readFile(journalOf(template));
    expect(journalBytes.at(-1)).to.equal(0x0a);
    lastStart = journalBytes.lastIndexOf(0x0a, journalBytes.length - 2) + 1;
    lastLength = journalBytes.length - lastStart;
    const lastLine = JSON.parse(journalBytes.subarray(lastStart).toString("utf8")) as { type: string };
    expect(lastLine.type).to.equal("tx");
  });
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** The chain as it was before root-3's anchoring: checked on a restarted chain. */
  async function expectStateBeforeLastTransaction(dataDir: string, warnings: string[]): Promise<void> {
    await withChain(
      dataDir,
      async ({ chain, issuer, blockNumber }) => {
        expect(chain.registry).to.equal(registry);
        expect(await blockNumber()).to.equal(blockBefore);
        expect(await issuer.anchorOf("CSB", id("root-1")), "root-1").to.not.equal(undefined);
        expect(await issuer.anchorOf("CSB", id("root-2")), "root-2").to.not.equal(undefined);
        expect(await issuer.anchorOf("CSB", id("root-3")), "root-3").to.equal(undefined);
        // Truncated back to the last complete line, before anything new is appended.
        expect(await readFile(journalOf(dataDir))).to.deep.equal(journalBytes.subarray(0, lastStart));
        // Its sender sends it again (here: anchors the root again), as a whole line.
        await issuer.anchor("CSB", id("root-3"), 7, async () => undefined);
        expect(await blockNumber()).to.equal(blockAfter);
      },
      warnings,
    );
    // And the next start replays all of it, with nothing more to say.
    const later: string[] = [];
    await withChain(
      dataDir,
      async ({ issuer, blockNumber }) => {
        expect(await blockNumber()).to.equal(blockAfter);
        for (const root of ["root-1", "root-2", "root-3"])
          expect(await issuer.anchorOf("CSB", id(root)), root).to.not.equal(undefined);
      },
      later,
    );
    expect(later).to.deep.equal([]);
  }

  function expectOneWarning(warnings: string[], dataDir: string): void {
    expect(warnings, warnings.join("\n")).to.have.length(1);
    expect(warnings[0])
      .to.include(journalOf(dataDir))
      .and.include(`byte offset ${lastStart}`)
      .and.include(`line ${journalBytes.subarray(0, lastStart).filter((b) => b === 0x0a).length + 1}`);
  }

  it("replays a journal whose last line is whole (the crash came after its fsync, before the answer): nothing dropped", async () => {
    const dataDir = await dataDirWith(journalBytes);
    const warnings: string[] = [];
    await withChain(
      dataDir,
      async ({ issuer, blockNumber }) => {
        expect(await blockNumber()).to.equal(blockAfter);
        for (const root of ["root-1", "root-2", "root-3"])
          expect(await issuer.anchorOf("CSB", id(root)), root).to.not.equal(undefined);
        // Its sender, asking again, finds it done: nothing sent twice.
        await issuer.anchor("CSB", id("root-3"), 7, async () => expect.fail("root-3 is anchored already"));
        expect(await blockNumber()).to.equal(blockAfter);
      },
      warnings,
    );
    expect(warnings).to.deep.equal([]);
    expect(await readFile(journalOf(dataDir))).to.deep.equal(journalBytes);
  });

  it("starts from a journal that ends right after a complete line (a zero-length tail: the append never began)", async () => {
    const dataDir = await dataDirWith(journalBytes.subarray(0, lastStart));
    const warnings: string[] = [];
    await expectStateBeforeLastTransaction(dataDir, warnings);
    expect(warnings).to.deep.equal([]);
  });

  for (const [what, cut] of [
    ["one byte of it", () => 1],
    ["a few bytes (inside the method name)", () => 20],
    ["half of it (inside the signed transaction)", () => Math.floor(lastLength / 2)],
    ["all but its closing brace and newline", () => lastLength - 2],
    ["all but its newline: valid JSON, but its fsync never returned", () => lastLength - 1],
  ] as const) {
    it(`drops a torn last line with one warning naming the file and byte offset: ${what}`, async () => {
      const kept = cut();
      expect(kept).to.be.within(1, lastLength - 1);
      const dataDir = await dataDirWith(journalBytes.subarray(0, lastStart + kept));
      const warnings: string[] = [];
      await expectStateBeforeLastTransaction(dataDir, warnings);
      expectOneWarning(warnings, dataDir);
      expect(warnings[0]).to.include(`${kept} bytes`);
    });
  }

  for (const [what, tail] of [
    ["a zero-filled last line (its size was durable, not its data)", () => Buffer.alloc(lastLength)],
    [
      "a last line whose start is written and the rest zero-filled",
      () => Buffer.concat([journalBytes.subarray(lastStart, lastStart + 30), Buffer.alloc(lastLength - 30)]),
    ],
    [
      "a last line whose end (with the newline) is written and the start zero-filled",
      () => Buffer.concat([Buffer.alloc(40), journalBytes.subarray(lastStart + 40)]),
    ],
  ] as const) {
    it(`drops ${what}, with one warning`, async () => {
      const dataDir = await dataDirWith(Buffer.concat([journalBytes.subarray(0, lastStart), tail()]));
      const warnings: string[] = [];
      await expectStateBeforeLastTransaction(dataDir, warnings);
      expectOneWarning(warnings, dataDir);
    });
  }

  /** Line numbers (1-based) and byte ranges of the template journal's lines, without their newlines. */
  function lines(): { number: number; start: number; end: number }[] {
    const result: { number: number; start: number; end: number }[] = [];
    for (let start = 0; start < journalBytes.length;) {
      const end = journalBytes.indexOf(0x0a, start);
      result.push({ number: result.length + 1, start, end });
      start = end + 1;
    }
    return result;
  }

  async function expectRefused(journal: Buffer, line: number, reason: RegExp): Promise<void> {
    const dataDir = await dataDirWith(journal);
    const file = journalOf(dataDir);
    try {
      await startLocalChain({ dataDir, persist: true, onWarning: (m) => expect.fail(`no warning expected: ${m}`) });
      expect.fail("a damaged journal should stop the start");
    } catch (error) {
      expect(error).to.be.instanceOf(JournalCorruptError);
      const message = (error as Error).message;
      expect(message).to.include(`${file}, line ${line}: `).and.match(reason);
      expect(message)
        .to.match(/Restore the journal from a backup/)
        .and.include(`mv ${file} ${file}.corrupt`);
      expect(message).to.match(/Keep the rest of DATA_DIR/);
      expect((error as JournalCorruptError).details).to.deep.equal({ file, line });
    }
    // Never repaired or cut by the start: left exactly as it was for whoever restores it.
    expect(await readFile(file)).to.deep.equal(journal);
  }

  it("refuses to start on a line cut short before the last (at several offsets), naming the file and line", async () => {
    const all = lines();
    for (const target of [all[2], all[Math.floor(all.length / 2)], all[all.length - 2]]) {
      for (const kept of [0, 1, Math.floor((target.end - target.start) / 2), target.end - target.start - 1]) {
        // The line cut short, its newline kept, the lines after it whole.
        const journal = Buffer.concat([
          journalBytes.subarray(0, target.start + kept),
          journalBytes.subarray(target.end),
        ]);
        await expectRefused(
          journal,
          target.number,
          kept === 0
            ? /an empty line \(a record lost\), and it is not the last line/
            : /the line is not JSON, and it is not the last line/,
        );
      }
    }
  });

  it("deploys the registry again when the crash tore its line on the first start (nothing had its address yet)", async () => {
    const line = lines().find((l) => journalBytes.subarray(l.start, l.end).toString().includes('"type":"registry"'))!;
    const dataDir = await dataDirWith(journalBytes.subarray(0, line.start + 10));
    const warnings: string[] = [];
    await withChain(
      dataDir,
      async ({ chain, issuer }) => {
        expect(chain.registry).to.not.equal(registry);
        expect(chain.registration.map((r) => r.action)).to.include("registered");
        await issuer.anchor("CSB", id("root-1"), 5, async () => undefined);
      },
      warnings,
    );
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include(`byte offset ${line.start}`);
    const again: string[] = [];
    await withChain(
      dataDir,
      async ({ issuer }) => expect(await issuer.anchorOf("CSB", id("root-1"))).to.not.equal(undefined),
      again,
    );
    expect(again).to.deep.equal([]);
  });

  it("refuses to start on a zero-filled line before the last", async () => {
    const target = lines().at(-2)!;
    await expectRefused(
      Buffer.concat([
        journalBytes.subarray(0, target.start),
        Buffer.alloc(target.end - target.start),
        journalBytes.subarray(target.end),
      ]),
      target.number,
      /the line is not JSON/,
    );
  });

  it("refuses to start on two records run together (a newline lost), even on the last line", async () => {
    // The last line would be dropped as torn, and with it the record before it, which was confirmed.
    for (const target of [lines().at(-3)!, lines().at(-2)!]) {
      await expectRefused(
        Buffer.concat([journalBytes.subarray(0, target.end), journalBytes.subarray(target.end + 1)]),
        target.number,
        /more than one record on the line \(a newline lost\)/,
      );
    }
  });
});

describe("local chain journal: an append that fails, and reads while a line is written", function () {
  this.timeout(60_000);
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-journal-fail-"));
  });
  afterEach(async () => {
    Object.assign(fs, original);
    syncBuiltinESMExports();
    await rm(dataDir, { recursive: true, force: true });
  });
  const original = { writeSync: fs.writeSync, fsyncSync: fs.fsyncSync };
  const journalFile = () => path.join(dataDir, "chain", "journal.jsonl");

  /** The next journal write stores half its bytes, then fails as a full disk does. */
  function failNextWrite(): void {
    fs.writeSync = ((fd: number, buffer: Uint8Array, offset: number, length: number) => {
      const half = Math.floor(length / 2);
      (original.writeSync as (...a: unknown[]) => number)(fd, buffer, offset, half);
      fs.writeSync = original.writeSync;
      syncBuiltinESMExports();
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }) as unknown as typeof fs.writeSync;
    syncBuiltinESMExports();
  }

  it("openJournal: cuts the half-written line back off and refuses every later append", async () => {
    const file = journalFile();
    const journal = openJournal(file, { initialDate: "2030-01-01T00:00:00.000Z" });
    const before = await readFile(file);
    failNextWrite();
    const tx = { type: "tx" as const, method: "eth_sendRawTransaction" as const, params: ["0x02"], timestamp: 5 };
    expect(() => journal.append(tx))
      .to.throw(JournalWriteError, /ENOSPC/)
      .with.property("message")
      .that.includes(file)
      .and.match(/refuses every request from now on/)
      .and.match(/restart/);
    expect(journal.failure).to.be.instanceOf(JournalWriteError);
    expect(journal.failure!.details).to.deep.equal({ file, offset: before.length });
    expect(await readFile(file)).to.deep.equal(before);
    // The disk has room again, but nothing more goes after a failed append until a restart.
    expect(() => journal.append(tx)).to.throw(JournalWriteError);
    expect(await readFile(file)).to.deep.equal(before);
    journal.close();
  });

  it("startLocalChain: the send that could not be journaled fails, every later request is refused, and a restart is as before it", async () => {
    const warnings: string[] = [];
    let blockBefore: number;
    {
      const chain = await startLocalChain({ dataDir, persist: true, onWarning: (m) => warnings.push(m) });
      const provider = new BrowserProvider(chain.provider, undefined, { cacheTimeout: -1 });
      try {
        const issuer = new IssuerChain({
          provider,
          registry: chain.registry,
          signers: { CSB: new Wallet(DEV_KEYS.CSB, provider) },
          confirmations: 0,
        });
        await issuer.anchor("CSB", id("root-1"), 5, async () => undefined);
        blockBefore = Number(await chain.provider.request({ method: "eth_blockNumber" }));
        const raw = await new Wallet(DEV_KEYS.CSB, provider).signTransaction({
          to: chain.registry,
          data: issuer.registry.interface.encodeFunctionData("anchor", [id("root-2"), 6]),
          gasLimit: 200_000,
          nonce: await provider.getTransactionCount(new Wallet(DEV_KEYS.CSB).address),
          chainId: chain.chainId,
          maxFeePerGas: 10n ** 10n,
          maxPriorityFeePerGas: 1n,
        });
        failNextWrite();
        await chain.provider.request({ method: "eth_sendRawTransaction", params: [raw] }).then(
          () => expect.fail("the send should fail"),
          (error: Error) => expect(error).to.be.instanceOf(JournalWriteError),
        );
        // The chain in memory mined it, but no one gets to see it or build on it.
        for (const method of ["eth_blockNumber", "eth_getTransactionCount"]) {
          await chain.provider
            .request({
              method,
              params: method === "eth_blockNumber" ? [] : [new Wallet(DEV_KEYS.CSB).address, "latest"],
            })
            .then(
              () => expect.fail(`${method} should be refused`),
              (error: Error) => expect(error, method).to.be.instanceOf(JournalWriteError),
            );
        }
        const res = await fetch(chain.rpcUrl, {
          method: "POST",
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
        });
        expect(((await res.json()) as { error?: { message: string } }).error?.message).to.match(/journal/);
      } finally {
        provider.destroy();
        await chain.close();
      }
    }
    const chain = await startLocalChain({ dataDir, persist: true, onWarning: (m) => warnings.push(m) });
    const provider = new BrowserProvider(chain.provider, undefined, { cacheTimeout: -1 });
    try {
      expect(warnings, "the half line was cut back at once").to.deep.equal([]);
      expect(Number(await chain.provider.request({ method: "eth_blockNumber" }))).to.equal(blockBefore);
      const issuer = new IssuerChain({
        provider,
        registry: chain.registry,
        signers: { CSB: new Wallet(DEV_KEYS.CSB, provider) },
        confirmations: 0,
      });
      expect(await issuer.anchorOf("CSB", id("root-1"))).to.not.equal(undefined);
      expect(await issuer.anchorOf("CSB", id("root-2"))).to.equal(undefined);
    } finally {
      provider.destroy();
      await chain.close();
    }
  });

  it("answers a read sent while a transaction is being journaled only once its line is durable", async () => {
    const chain = await startLocalChain({ dataDir, persist: true });
    try {
      const events: string[] = [];
      fs.fsyncSync = ((fd: number) => (events.push("fsync"), original.fsyncSync(fd))) as typeof fs.fsyncSync;
      syncBuiltinESMExports();
      const [admin] = (await chain.provider.request({ method: "eth_accounts" })) as string[];
      const before = Number(await chain.provider.request({ method: "eth_blockNumber" }));
      const send = chain.provider.request({
        method: "eth_sendTransaction",
        params: [{ from: admin, to: admin, value: "0x1" }],
      });
      // Sent right behind it: the block it is mined in exists before its line is written.
      const reads = [0, 1, 2, 5].map(async (delay) => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        const block = Number(await chain.provider.request({ method: "eth_blockNumber" }));
        events.push(`read ${block - before}`);
      });
      await Promise.all([send, ...reads]);
      // Every read answered after the fsync, or before the transaction was mined; none saw it unjournaled.
      const fsync = events.indexOf("fsync");
      expect(fsync, events.join(", ")).to.not.equal(-1);
      for (const [i, event] of events.entries())
        if (event === "read 1") expect(i, events.join(", ")).to.be.greaterThan(fsync);
    } finally {
      await chain.close();
    }
  });
});
