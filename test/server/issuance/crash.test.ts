import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { openStore } from "../../../server/db/open-store.ts";
import { makeUpload, seededRandom } from "./issuance-inputs.ts";
import {
  checkWholeState,
  expectWholeStateOk,
  listAll,
  ROOT_ANCHORED,
  sendUpload,
  waitUntilSettled,
} from "./whole-state.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** `npm start`'s entry point as a separate process, so that it can be killed at any point. */
async function startIssuer(
  dataDir: string,
  crashAt?: string,
): Promise<{
  child: ChildProcess;
  dev: {
    apiUrl: string;
    rpcUrl: string;
    chainId: number;
    registry: string;
    apiKeys: Record<string, string>;
    keys: Record<string, string>;
  };
}> {
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
      ECERT_CRASH_AT: crashAt ?? "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes("HK e-Cert is running.") && resolve();
    child.stdout!.on("data", onData);
    child.once("exit", (code, signal) =>
      reject(new Error(`issuer exited (${code ?? signal}) before it was ready:\n${output}`)),
    );
  });
  const dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8"));
  return { child, dev: { ...dev, keys: dev.apiKeys } };
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
}

describe("crash recovery: the issuer killed (SIGKILL) at each point of a batch, then restarted", function () {
  this.timeout(180_000);
  for (const [index, point] of [
    "accepted",
    "batch-closed",
    "anchor-recorded",
    "anchor-broadcast",
    "anchored",
    "rendering",
  ].entries()) {
    it(`issues every certificate exactly once, holding its own row's data, with one anchor per root, after a crash at "${point}"`, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), `ecert-crash-${point}-`));
      try {
        const first = await startIssuer(dataDir, point);
        // Three uploads at once (two CSB, one FSD; distinct numbers), cut off by the crash or answered.
        const random = seededRandom(7100 + index);
        const uploads = [
          makeUpload("csb-cre", 20, `K${index}A`, random),
          makeUpload("csb-cre", 20, `K${index}B`, random),
          makeUpload("fsd-dg-licence", 12, `K${index}F`, random),
        ];
        await Promise.all(uploads.map((u) => sendUpload(first.dev, u)));
        expect(await exited(first.child)).to.equal("SIGKILL");

        const second = await startIssuer(dataDir);
        try {
          const store = await openStore(undefined, dataDir);
          try {
            // Every accepted certificate reaches issued (a crash before the response still stored them).
            const answered = uploads.filter((u) => u.response);
            for (const u of answered) expect(u.response!.status, u.label).to.equal(202);
            const settled = await waitUntilSettled(store, {
              minimum: answered.reduce((n, u) => n + u.rows.length, 0),
              timeoutMs: 60_000,
            });
            expect(settled.settled, settled.detail).to.equal(true);
            const target = {
              apiUrl: second.dev.apiUrl,
              keys: second.dev.apiKeys,
              rpcUrl: second.dev.rpcUrl,
              chainId: second.dev.chainId,
              registry: second.dev.registry,
              store,
            };
            const report = await checkWholeState(target, uploads, { settled, verifySample: 4 });
            expectWholeStateOk(report, `crash at ${point}: `);

            // An upload is stored whole or not at all; those answered are stored whole; something was.
            const stored = (await Promise.all(["CSB", "FSD"].map((issuer) => listAll(store, issuer)))).flat();
            for (const u of uploads) {
              const numbers = new Set(u.rows.map((r) => r.certificateNumber));
              const count = stored.filter((r) => r.issuerId === u.issuer && numbers.has(r.certificateNumber)).length;
              expect(
                [0, u.rows.length],
                `${u.label}: ${count} rows stored (answered: ${u.response?.status ?? "no"})`,
              ).to.include(count);
              if (u.response) expect(count, u.label).to.equal(u.rows.length);
            }
            expect(stored.length, "certificates stored before the crash").to.be.greaterThan(0);

            // One RootAnchored event per stored root on the (replayed) chain (checked above too).
            const batchIds = new Set(stored.map((r) => r.batchId));
            const provider = new JsonRpcProvider(second.dev.rpcUrl, undefined, { staticNetwork: true });
            try {
              for (const batchId of batchIds) {
                const batch = (await store.findBatch(batchId!))!;
                expect(batch.status).to.equal("rendered");
                const logs = await provider.getLogs({
                  fromBlock: 0,
                  toBlock: "latest",
                  address: second.dev.registry,
                  topics: [ROOT_ANCHORED, batch.root],
                });
                expect(logs, `RootAnchored events for ${batch.root}`).to.have.length(1);
              }
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
  }

  it("replays an Idempotency-Key's answer after a crash between the upload's commit and its response", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-crash-idempotency-"));
    try {
      const upload = makeUpload("csb-cre", 5, "IDEM", seededRandom(7200));
      const send = (target: { apiUrl: string; keys: Record<string, string> }) =>
        fetch(`${target.apiUrl}/batches?type=csb-cre`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${target.keys.CSB}`,
            "content-type": "text/csv",
            "idempotency-key": "retry-me",
          },
          body: upload.csv as BodyInit,
        });
      const first = await startIssuer(dataDir, "accepted");
      expect(await send(first.dev).catch(() => undefined), "the crash cuts the response off").to.equal(undefined);
      expect(await exited(first.child)).to.equal("SIGKILL");
      const second = await startIssuer(dataDir);
      try {
        const retried = await send(second.dev);
        expect(retried.status).to.equal(202);
        expect(retried.headers.get("idempotent-replayed")).to.equal("true");
        const answer = (await retried.json()) as { batchId: string; certificates: { id: string; claimCode: string }[] };
        expect(answer.certificates).to.have.length(5);
        const store = await openStore(undefined, dataDir);
        try {
          const rows = await listAll(store, "CSB");
          expect(rows.map((r) => r.id).sort()).to.deep.equal(answer.certificates.map((c) => c.id).sort());
          expect(new Set(rows.map((r) => r.uploadId))).to.deep.equal(new Set([answer.batchId]));
        } finally {
          await store.close();
        }
        // The replayed claim codes are the ones stored (only their hashes are).
        const claim = await fetch(`${second.dev.apiUrl}/claim/${answer.certificates[0].claimCode}`);
        expect(((await claim.json()) as { id: string }).id).to.equal(answer.certificates[0].id);
      } finally {
        second.child.kill("SIGTERM");
        expect(await exited(second.child)).to.equal(0);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
