// The database and the chain must agree: a chain that lost an anchor (a local chain journal behind the
// database after a power cut, a reorganisation) is noticed at start and the root anchored again.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, id as keccakId } from "ethers";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { api, waitFor } from "../api/api-helpers.ts";

const ROOT_ANCHORED = keccakId("RootAnchored(bytes32,uint256)");

function creCsv(count: number): Uint8Array {
  const lines = ["candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result"];
  for (let n = 1; n <= count; n++)
    lines.push(`CRE2032${String(n).padStart(6, "0")},LEE Ka Yan ${n},李嘉欣,B456***(*),2026-09-12,L1,L2,Fail`);
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

describe("reconciliation of stored anchors with the chain at start", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer | undefined;
  const start = async () =>
    startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-reconcile-"));
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("anchors again a root the chain lost, so issued certificates verify VALID again, with one anchor on chain", async () => {
    server = await start();
    const key = server.dev!.apiKeys.CSB;
    const upload = await api(server, "POST", "/batches?type=csb-cre", {
      key,
      body: creCsv(5),
      contentType: "text/csv",
    });
    await waitFor(
      async () => (await api(server!, "GET", `/batches/${upload.json.batchId}`, { key })).json.done === true,
    );
    const id = upload.json.certificates[0].id;
    const pdf = (await api(server, "GET", `/certificates/${id}/pdf`, { key })).bytes;
    expect((await api(server, "POST", "/verify", { body: pdf, contentType: "application/pdf" })).json.status).to.equal(
      "VALID",
    );
    await server.stop();

    // The journal loses its last transaction (the anchor) while the database keeps the batch as issued.
    const journal = path.join(dataDir, "chain", "journal.jsonl");
    const lines = (await readFile(journal, "utf8")).split("\n").filter(Boolean);
    expect(JSON.parse(lines.at(-1)!).type).to.equal("tx");
    await writeFile(journal, `${lines.slice(0, -1).join("\n")}\n`);

    server = await start();
    const verdict = async () =>
      (await api(server!, "POST", "/verify", { body: pdf, contentType: "application/pdf" })).json;
    await waitFor(async () => (await verdict()).status === "VALID", 30_000);
    const provider = new JsonRpcProvider(server.dev!.rpcUrl, undefined, { staticNetwork: true });
    const root = (await api(server, "GET", `/certificates/${id}/credential`, { key })).json.proof.merkle.root;
    const logs = await provider.getLogs({
      address: server.dev!.registry,
      fromBlock: 0,
      toBlock: "latest",
      topics: [ROOT_ANCHORED, root],
    });
    provider.destroy();
    expect(logs).to.have.length(1);
    const batch = (await server.store.findCertificate(id))!.batchId!;
    expect((await server.store.findBatch(batch))!.status).to.equal("rendered");
  });
});
