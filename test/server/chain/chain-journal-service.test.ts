import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { openStore } from "../../../server/db/open-store.ts";
import { makeUpload, seededRandom } from "../issuance/issuance-inputs.ts";
import {
  checkWholeState,
  expectWholeStateOk,
  listAll,
  ROOT_ANCHORED,
  sendUpload,
  waitUntilSettled,
} from "../issuance/whole-state.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** `npm start`'s entry point (the embedded default) as a separate process, so that it can be killed. */
async function startService(
  dataDir: string,
  crashAt = "",
): Promise<{ child: ChildProcess; output: () => string; dev: Record<string, unknown> }> {
  const child = spawn(process.execPath, ["server/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      APPROVALS: "none",
      PORT: "0",
      BATCH_WAIT_MS: "100",
      LOG_LEVEL: "warn",
      PUBLIC_RATE_LIMIT: "1000000",
      ECERT_CRASH_AT: crashAt,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", () => output.includes("HK e-Cert is running.") && resolve());
    child.once("exit", (code, signal) =>
      reject(new Error(`the service exited (${code ?? signal}) before it was ready:\n${output}`)),
    );
  });
  const dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8")) as Record<string, unknown>;
  return { child, output: () => output, dev };
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
}

/**
 * "Never loses an accepted certificate": the service killed (SIGKILL) right after it stored a batch as
 * anchored, and the local chain's journal then missing that anchoring (its last line torn: more than the
 * write-then-fsync order lets a crash do, as if the disk lost the last write). On restart the chain is
 * one transaction behind the database; the service's reconciliation anchors the root again and every
 * certificate is issued and verifies VALID.
 */
describe("the embedded default killed after an anchoring whose journal line is then torn", function () {
  this.timeout(180_000);

  it("starts again, anchors the batch's root again, and issues every accepted certificate, each VALID", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-journal-service-"));
    try {
      const first = await startService(dataDir, "anchored");
      const upload = makeUpload("csb-cre", 6, "JRNL", seededRandom(7301));
      const keys = first.dev.apiKeys as Record<string, string>;
      await sendUpload({ apiUrl: first.dev.apiUrl as string, keys }, upload);
      expect(upload.response?.status, "the upload was accepted").to.equal(202);
      expect(await exited(first.child)).to.equal("SIGKILL");

      // The database holds the batch as anchored; the journal's last line is its anchoring transaction.
      let root: string;
      {
        const store = await openStore(undefined, dataDir);
        try {
          const [row] = await listAll(store, "CSB");
          const batch = (await store.findBatch(row.batchId!))!;
          expect(batch.status).to.equal("anchored");
          root = batch.root;
        } finally {
          await store.close();
        }
      }
      const journalFile = path.join(dataDir, "chain", "journal.jsonl");
      const journal = await readFile(journalFile);
      const lastStart = journal.lastIndexOf(0x0a, journal.length - 2) + 1;
      const last = journal.subarray(lastStart).toString("utf8");
      expect(last, "the last journal line anchors the batch's root").to.include(root.slice(2));
      await truncate(journalFile, lastStart + Math.floor(last.length / 2));

      const second = await startService(dataDir);
      try {
        expect(second.output()).to.include(journalFile).and.include(`byte offset ${lastStart}`);
        const store = await openStore(undefined, dataDir);
        try {
          const settled = await waitUntilSettled(store, { minimum: upload.rows.length, timeoutMs: 60_000 });
          expect(settled.settled, settled.detail).to.equal(true);
          const target = {
            apiUrl: second.dev.apiUrl as string,
            keys: second.dev.apiKeys as Record<string, string>,
            rpcUrl: second.dev.rpcUrl as string,
            chainId: second.dev.chainId as number,
            registry: second.dev.registry as string,
            store,
          };
          // Every certificate issued, holding its row's data, its PDF verified VALID against the chain.
          const report = await checkWholeState(target, [upload], { settled, verifySample: upload.rows.length });
          expectWholeStateOk(report, "after the torn journal line: ");
          expect(report.certificates).to.equal(upload.rows.length);
          expect(report.verified).to.equal(upload.rows.length);
          expect(second.output()).to.match(/an anchored batch's root is not on chain: anchoring it again/);

          // Anchored once on the replayed chain: the torn anchoring is gone, the new one is there.
          const provider = new JsonRpcProvider(target.rpcUrl, undefined, { staticNetwork: true });
          try {
            const logs = await provider.getLogs({
              fromBlock: 0,
              toBlock: "latest",
              address: target.registry,
              topics: [ROOT_ANCHORED, root],
            });
            expect(logs).to.have.length(1);
          } finally {
            provider.destroy();
          }
        } finally {
          await store.close();
        }
      } finally {
        second.child.kill("SIGTERM");
        expect(await exited(second.child)).to.equal(0);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
