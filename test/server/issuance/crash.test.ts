import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { JsonRpcProvider, id as keccakId } from "ethers";
import { openStore } from "../../../server/db/open-store.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ROOT_ANCHORED = keccakId("RootAnchored(bytes32,uint256)");

/** `npm start`'s entry point as a separate process, so that it can be killed at any point. */
async function startIssuer(dataDir: string, crashAt?: string): Promise<{ child: ChildProcess; dev: { apiUrl: string; rpcUrl: string; apiKeys: Record<string, string> } }> {
  const child = spawn(process.execPath, ["server/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "warn", ECERT_CRASH_AT: crashAt ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes("HK e-Cert is running.") && resolve();
    child.stdout!.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`issuer exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  return { child, dev: JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8")) };
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
}

describe("crash recovery: the issuer killed (SIGKILL) at each point of a batch, then restarted", function () {
  this.timeout(180_000);
  for (const point of ["accepted", "batch-closed", "anchor-recorded", "anchor-broadcast", "anchored", "rendering"]) {
    it(`issues every certificate exactly once, with one anchor for the root, after a crash at "${point}"`, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), `ecert-crash-${point}-`));
      try {
        const first = await startIssuer(dataDir, point);
        const submit = await fetch(`${first.dev.apiUrl}/batches?type=csb-cre`, {
          method: "POST",
          headers: { authorization: `Bearer ${first.dev.apiKeys.CSB}`, "content-type": "text/csv" },
          body: sampleCsv("csb-cre.csv") as BodyInit,
        }).catch(() => undefined); // a crash at "accepted" cuts the response off
        expect(await exited(first.child)).to.equal("SIGKILL");

        const second = await startIssuer(dataDir);
        try {
          const store = await openStore(undefined, dataDir);
          try {
            // Every accepted certificate reaches issued (a crash before the response still stored them).
            let rows = await store.listCertificates("CSB", { limit: 100, offset: 0 });
            const deadline = Date.now() + 60_000;
            while (rows.length !== 20 || rows.some((r) => r.status !== "issued")) {
              if (Date.now() > deadline) throw new Error(`not all issued: ${JSON.stringify(rows.map((r) => r.status))}`);
              await new Promise((r) => setTimeout(r, 200));
              rows = await store.listCertificates("CSB", { limit: 100, offset: 0 });
            }
            if (submit?.ok) expect((await submit.json()).certificates).to.have.length(20);
            const batchIds = new Set(rows.map((r) => r.batchId));
            expect(batchIds.size).to.equal(1);
            const batch = (await store.findBatch([...batchIds][0]!))!;
            expect(batch.status).to.equal("rendered");
            for (const row of rows) expect(row.pdfHash, row.id).to.be.a("string");

            // One RootAnchored event for the root on the (replayed) chain.
            const provider = new JsonRpcProvider(second.dev.rpcUrl, undefined, { staticNetwork: true });
            const logs = await provider.getLogs({ fromBlock: 0, toBlock: "latest", topics: [ROOT_ANCHORED, batch.root] });
            provider.destroy();
            expect(logs).to.have.length(1);
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
  }
});
