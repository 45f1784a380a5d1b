/**
 * DESIGN.md "Guarantees": every certificate holds its own row's data, whatever runs at the same time.
 * Real servers (local chain; SQLite and PostgreSQL) take several uploads at once while earlier batches
 * render and status changes run; then the whole stored state is checked (`whole-state.ts`), not the
 * responses: every certificate's stored credential, API credential and PDF against the input row with
 * its certificate number, unique digests, claim codes, batches, anchors, a sample verified on chain,
 * and the service's integrity check (`checkIntegrity`) at the end of each test.
 */
import { describeOn } from "../../helpers/postgres.ts";
import { expect } from "chai";
import type { CertificateStatus } from "../../../server/db/store.ts";
import { ALL_TYPES, makeUpload, seededRandom, type Upload } from "./issuance-inputs.ts";
import {
  call,
  checkWholeState,
  describeReport,
  expectWholeStateOk,
  listAll,
  sendUpload,
  startTestServer,
  waitUntilSettled,
  type TestServer,
} from "./whole-state.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `upload` is part rendered: some of its PDFs stored, not all its certificates issued. */
async function waitUntilRendering(t: TestServer, upload: Upload, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await t.store.listCertificates(upload.issuer, {
      uploadId: upload.response?.json?.batchId,
      limit: 1000,
      offset: 0,
    });
    if (rows.some((r) => r.pdfHash !== null) && rows.some((r) => r.status !== "issued")) return true;
    if (rows.length > 0 && rows.every((r) => r.status === "issued")) return false;
    await sleep(5);
  }
  return false;
}

/** Queues a status change through the API; returns the HTTP status. */
async function changeStatus(t: TestServer, id: string, kind: "revoke" | "suspend"): Promise<number> {
  const reason = kind === "revoke" ? "issued-in-error" : "under-investigation";
  return (await call(t.apiUrl, "POST", `/certificates/${id}/${kind}`, { key: t.keys.CSB, json: { reason } })).status;
}

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(
    `issuance with uploads, renders and status changes at once (local chain, ${database})`,
    function () {
      this.timeout(120_000);

      it("every certificate holds its own row's data when uploads run at once", async () => {
        const t = await startTestServer(database, { BATCH_SIZE: "100", BATCH_WAIT_MS: "50" });
        try {
          const random = seededRandom(20261201);
          // Certificates already issued, for the status changes.
          const issued = makeUpload("csb-cre", 20, "S", random, "csb-cre S (issued first)");
          await sendUpload(t, issued);
          expect(issued.response?.status, "first upload").to.equal(202);
          expect((await waitUntilSettled(t.store, { timeoutMs: 30_000 })).settled, "first upload issued").to.equal(
            true,
          );
          const [revoked, suspended] = [
            issued.response!.json.certificates[3].id,
            issued.response!.json.certificates[7].id,
          ];

          // A previous upload whose batches are rendering while the rest arrives.
          const previous = makeUpload("csb-cre", 300, "P", random, "csb-cre P (rendering)");
          await sendUpload(t, previous);
          const rendering = await waitUntilRendering(t, previous, 20_000);

          const uploads = [
            makeUpload("csb-cre", random.int(150, 220), "A", random),
            makeUpload("csb-cre", random.int(150, 220), "B", random),
            makeUpload("csb-cre", random.int(150, 220), "C", random),
            makeUpload("csb-blnst", 60, "D", random),
            makeUpload("fsd-dg-licence", 40, "E", random),
          ];
          const [, ...statusCodes] = await Promise.all([
            Promise.all(uploads.map((u) => sendUpload(t, u))),
            changeStatus(t, revoked, "revoke"),
            changeStatus(t, suspended, "suspend"),
          ]);
          const settled = await waitUntilSettled(t.store, { timeoutMs: 60_000 });
          const expectedStatus = new Map<string, CertificateStatus>([
            [revoked, "revoked"],
            [suspended, "suspended"],
          ]);
          const report = await checkWholeState(t, [issued, previous, ...uploads], {
            expectedStatus,
            settled,
            verifySample: 10,
          });
          expectWholeStateOk(report, `${database}: `);
          expect(statusCodes, "revoke and suspend queued").to.deep.equal([202, 202]);
          expect(rendering, "the previous upload was still rendering when the others were sent").to.equal(true);
          expect(report.verified).to.be.greaterThanOrEqual(10);
        } finally {
          await t.stop();
        }
      });

      it("every certificate holds its own row's data under random interleavings (seeded)", async function () {
        const iterations = 5;
        this.timeout(40_000 * iterations);
        const base = Number(process.env.ECERT_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
        const t = await startTestServer(database, { BATCH_SIZE: "30", BATCH_WAIT_MS: "30" });
        const uploads: Upload[] = [];
        const expectedStatus = new Map<string, CertificateStatus>();
        const checked = new Map<string, string>();
        let iteration = 0;
        try {
          const first = makeUpload("csb-cre", 10, "RS", seededRandom(base), "csb-cre RS (issued first)");
          await sendUpload(t, first);
          uploads.push(first);
          expect((await waitUntilSettled(t.store, { timeoutMs: 30_000 })).settled, "first upload issued").to.equal(
            true,
          );

          for (; iteration < iterations; iteration++) {
            const random = seededRandom(base + iteration);
            const round = Array.from({ length: random.int(2, 4) }, (_, j) =>
              makeUpload(random.pick(ALL_TYPES), random.int(40, 80), `R${iteration}N${j}`, random),
            );
            // A status change of a certificate issued earlier, at a random moment among the uploads.
            const candidates = (await listAll(t.store, "CSB")).filter(
              (r) => r.status === "issued" && !expectedStatus.has(r.id),
            );
            const target = random.pick(candidates);
            const kind = random.pick(["revoke", "suspend"] as const);
            const statusDelay = random.int(0, 50);
            const delays = round.map(() => random.int(0, 50));
            const [, status] = await Promise.all([
              Promise.all(
                round.map(async (u, j) => {
                  await sleep(delays[j]);
                  await sendUpload(t, u);
                }),
              ),
              sleep(statusDelay).then(() => changeStatus(t, target.id, kind)),
            ]);
            uploads.push(...round);
            if (status === 202) expectedStatus.set(target.id, kind === "revoke" ? "revoked" : "suspended");
            const settled = await waitUntilSettled(t.store, { timeoutMs: 30_000 });
            const report = await checkWholeState(t, uploads, {
              expectedStatus,
              settled,
              verifySample: 4,
              checked,
              integrity: iteration === iterations - 1,
            });
            const context =
              `${database}, base seed ${base} (rerun with ECERT_TEST_SEED=${base}), iteration ${iteration} (seed ${base + iteration}): ` +
              `${round.map((u, j) => `${u.label} after ${delays[j]} ms`).join(", ")}, ${kind} after ${statusDelay} ms (HTTP ${status})\n`;
            if (report.problems.length > 0) throw new Error(describeReport(report, context));
            expect(status, `${context}status change queued`).to.equal(202);
          }
        } catch (error) {
          if (error instanceof Error && !error.message.includes("ECERT_TEST_SEED")) {
            error.message = `base seed ${base} (rerun with ECERT_TEST_SEED=${base}), iteration ${iteration}: ${error.message}`;
          }
          throw error;
        } finally {
          await t.stop();
        }
      });
    },
  );
}
