// The audit routes of the running service (the embedded default: createApp mounts them behind the
// department authentication with the officers' sessions): an auditor's session cookie reads, exports and
// verifies the department's trail; the department's API key gets 403 FORBIDDEN on each.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { api } from "../api/api-helpers.ts";
import { parseCsv } from "./audit-helpers.ts";

describe("audit routes of the running service (embedded default)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-audit-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }));
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** An auditor's session of `issuerId`, stored as the sign-in stores one; its Cookie header. */
  async function auditor(issuerId: string): Promise<Record<string, string>> {
    const cookie = randomBytes(32).toString("base64url");
    const now = new Date();
    await server.store.insertSession({
      idHash: createHash("sha256").update(cookie).digest("hex"),
      issuerId,
      subject: `auditor-${issuerId.toLowerCase()}`,
      name: "TSANG Mei Ling 曾美玲",
      email: null,
      roles: ["auditor"],
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
      endedAt: null,
    });
    return { cookie: `ecert_session=${cookie}` };
  }

  it("an auditor's session reads, exports and verifies its department's trail; the API key is refused (403)", async () => {
    const headers = await auditor("CSB");
    const page = await api(server, "GET", "/audit?limit=1000", { headers });
    expect(page.status, JSON.stringify(page.json)).to.equal(200);
    expect(page.json.next).to.equal(null);
    const verified = await api(server, "GET", "/audit/verify", { headers });
    expect(verified.status).to.equal(200);
    expect(verified.json).to.deep.include({ issuerId: "CSB", ok: true, problems: [] });
    // The read is in the trail, by the auditor's name, and the chain still holds.
    expect(verified.json.entries).to.be.greaterThan(page.json.entries.length - 1);
    const csv = await api(server, "GET", "/audit.csv", { headers });
    expect([csv.status, csv.headers.get("content-type")]).to.deep.equal([200, "text/csv; charset=utf-8"]);
    const rows = parseCsv(new TextDecoder("utf-8", { ignoreBOM: false }).decode(csv.bytes));
    const actions = rows.slice(1).map((r) => [r[3], r[4]]);
    expect(actions).to.deep.include.members([
      ["TSANG Mei Ling 曾美玲", "audit-read"],
      ["TSANG Mei Ling 曾美玲", "audit-verified"],
      ["TSANG Mei Ling 曾美玲", "audit-exported"],
    ]);
    expect(rows.slice(1).every((r, i) => Number(r[0]) === i + 1)).to.equal(true);
    const after = await api(server, "GET", "/audit/verify", { headers });
    expect(after.json.ok).to.equal(true);

    const key = server.dev!.apiKeys.CSB;
    for (const route of ["/audit", "/audit.csv", "/audit/verify"]) {
      const res = await api(server, "GET", route, { key });
      expect([res.status, res.json?.error?.code], route).to.deep.equal([403, "FORBIDDEN"]);
    }
    // FSD's auditor sees none of CSB's entries.
    const fsd = await api(server, "GET", "/audit?limit=1000", { headers: await auditor("FSD") });
    expect(fsd.status).to.equal(200);
    expect(fsd.json.entries.map((e: { actor: { name: string } }) => e.actor.name)).to.not.include(
      "TSANG Mei Ling 曾美玲",
    );
  });
});
