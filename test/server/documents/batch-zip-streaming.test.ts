// The zip of a 2,000-row upload is streamed (issue 14 part 4): its first bytes reach the client after one
// PDF has been read, a client that stops reading stops the store reads (backpressure), and the whole zip
// holds every PDF. Against a real embedded server, counting the store's PDF reads.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { unzipSync } from "fflate";
import { PDFDocument } from "pdf-lib";
import { writeBatchZip } from "../../../server/documents/batch-zip.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { api, waitFor } from "../api/api-helpers.ts";
import { creRows } from "./batch-helpers.ts";

const ROWS = 2000;

describe("a 2,000-row upload's PDFs zip, streamed with bounded reads (embedded server)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;
  let key: string;
  let batchId: string;
  let reads = 0;
  let getPdf: RunningServer["store"]["getPdf"];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-zip-stream-"));
    server = await startServer(
      loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent", APPROVALS: "none" }),
    );
    key = server.dev!.apiKeys.CSB;
    const upload = await api(server, "POST", "/batches?type=csb-cre", {
      key,
      body: creRows(ROWS, 5000),
      contentType: "text/csv",
    });
    expect(upload.status, JSON.stringify(upload.json).slice(0, 300)).to.equal(202);
    expect(upload.json.certificates).to.have.length(ROWS);
    batchId = upload.json.batchId;
    await waitFor(async () => (await api(server, "GET", `/batches/${batchId}`, { key })).json.done === true, 100_000);
    // Count the store's PDF reads (the route reads through the server's one store).
    getPdf = server.store.getPdf.bind(server.store);
    server.store.getPdf = async (id: string) => {
      reads++;
      return getPdf(id);
    };
  });
  after(async () => {
    if (getPdf) server.store.getPdf = getPdf;
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("hands out the first chunk after one PDF is read, and the next PDF only once the sink took the last chunk", async () => {
    reads = 0;
    const readsAtChunk: number[] = [];
    const result = await writeBatchZip(
      { store: server.store, issuerId: "CSB", uploadId: batchId, limit: 50 },
      async (chunk) => {
        readsAtChunk.push(reads);
        expect(chunk.length).to.be.greaterThan(0);
        await new Promise((r) => setImmediate(r));
      },
    );
    expect(result.files).to.equal(50);
    expect(readsAtChunk[0]).to.equal(1);
    // Each PDF's chunks (local header, data, descriptor) are taken before the next PDF is read.
    for (let i = 1; i < readsAtChunk.length; i++) expect(readsAtChunk[i] - readsAtChunk[i - 1]).to.be.at.most(1);
  });

  it("streams the zip over HTTP: bytes arrive before most PDFs are read, a paused client pauses the reads, and the zip holds all 2,000", async () => {
    reads = 0;
    const res = await fetch(`${server.url}/api/v1/batches/${batchId}/pdfs.zip`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-length")).to.equal(null);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    chunks.push(first.value!);
    const atFirstChunk = reads;
    expect(atFirstChunk, "PDFs read before the first chunk arrived").to.be.below(ROWS / 5);
    // The client stops reading: once the socket's buffers are full, the server stops reading PDFs.
    await new Promise((r) => setTimeout(r, 1500));
    const paused = reads;
    await new Promise((r) => setTimeout(r, 1000));
    expect(reads, "reads went on while the client was not reading").to.equal(paused);
    expect(paused, "PDFs read while the client read one chunk").to.be.below(ROWS / 4);
    let heapPeak = process.memoryUsage().heapUsed;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      if (chunks.length % 200 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    expect(reads).to.equal(ROWS);
    const zip = Buffer.concat(chunks);
    const files = unzipSync(zip);
    expect(Object.keys(files)).to.have.length(ROWS);
    for (const name of Object.keys(files)) expect(name).to.match(/^\d+-CRE\d+-\d{8}\.pdf$/);
    const [sampleRow] = await server.store.listCertificates("CSB", { uploadId: batchId, limit: 1, offset: 1234 });
    const sample = await api(server, "GET", `/certificates/${sampleRow.id}/pdf`, { key });
    expect(Buffer.compare(files[`${sampleRow.row}-${sampleRow.certificateNumber}.pdf`], sample.bytes)).to.equal(0);
    console.log(
      `      zip ${(zip.length / 2 ** 20).toFixed(1)} MiB; ${atFirstChunk} PDFs read at the first chunk, ${paused} while paused; heap peak ${(heapPeak / 2 ** 20).toFixed(0)} MiB (the test holds the zip)`,
    );
  });

  it("prints the 2,000 claim letters in one PDF of 2,000 pages", async () => {
    const started = Date.now();
    const res = await api(server, "POST", `/batches/${batchId}/claim-letters`, { key });
    expect(res.status).to.equal(200);
    expect(res.headers.get("x-claim-codes-replaced")).to.equal(String(ROWS));
    expect((await PDFDocument.load(res.bytes)).getPageCount()).to.equal(ROWS);
    console.log(`      ${ROWS} letters: ${(res.bytes.length / 2 ** 20).toFixed(1)} MiB in ${Date.now() - started} ms`);
  });
});
