import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { sessionHash } from "../../../server/auth/sessions.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api } from "../api/api-helpers.ts";
import { schemas } from "../../../server/api/openapi.ts";
import { CookieJar, follow, formAction, signIn, step, withSession } from "./auth-helpers.ts";
import { describeOn } from "../../helpers/postgres.ts";
import { postgresHarness } from "../db/store-fixtures.ts";

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(
    `officers' sign-in (embedded OpenID Connect provider, sessions, CSRF; ${database})`,
    function () {
      this.timeout(120_000);
      const postgres = database === "PostgreSQL" ? postgresHarness() : undefined;
      let databaseUrl: string | undefined;
      let dataDir: string;
      let server: RunningServer;
      /** Changes the database behind the service's back (`?` placeholders). */
      const sql = async (statement: string, params: string[]) => {
        if (postgres) {
          let n = 0;
          await postgres.query(
            databaseUrl!,
            statement.replace(/\?/g, () => `$${++n}`),
            params,
          );
          return;
        }
        const db = new Database(path.join(dataDir, "ecert.sqlite"));
        try {
          db.pragma("busy_timeout = 5000");
          db.prepare(statement).run(...params);
        } finally {
          db.close();
        }
      };
      const officer = (username: string) => server.dev!.officers.find((o) => o.username === username)!;
      const as = (username: string, returnTo?: string) =>
        signIn(server.url, username, officer(username).password, returnTo);

      before(async () => {
        dataDir = await mkdtemp(path.join(tmpdir(), "ecert-sign-in-"));
        await postgres?.setup();
        databaseUrl = await postgres?.fresh();
        server = await startServer(
          loadConfig({
            DATA_DIR: dataDir,
            PORT: "0",
            LOG_LEVEL: "silent",
            BATCH_WAIT_MS: "100",
            ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          }),
        );
      });
      after(async () => {
        await server.stop();
        await postgres?.cleanup();
        await rm(dataDir, { recursive: true, force: true });
      });

      it("lists the development officers of CSB and FSD in dev.json, with passwords kept in DATA_DIR (mode 0600)", async () => {
        const officers = server.dev!.officers;
        expect(officers.map((o) => o.username)).to.have.members([
          "csb-clerk",
          "csb-approver",
          "csb-auditor",
          "csb-lead",
          "fsd-clerk",
          "fsd-approver",
          "fsd-auditor",
        ]);
        expect(officer("csb-lead").roles).to.deep.equal(["clerk", "approver"]);
        expect(officer("fsd-auditor")).to.include({ issuerId: "FSD" });
        const file = path.join(dataDir, "dev-officers.json");
        expect((await stat(file)).mode & 0o777).to.equal(0o600);
        expect((await stat(path.join(dataDir, "oidc-provider.json"))).mode & 0o777).to.equal(0o600);
        const kept = JSON.parse(await readFile(file, "utf8")).officers;
        expect(kept.find((o: { username: string }) => o.username === "csb-clerk").password).to.equal(
          officer("csb-clerk").password,
        );
        const dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8"));
        expect(dev.officers[0]).to.have.keys("username", "password", "issuerId", "roles", "name");
      });

      it("signs in csb-clerk: a Secure, HttpOnly, SameSite=Strict session whose GET /api/v1/session names CSB and clerk", async () => {
        const signed = await as("csb-clerk", "/officer.html#search");
        expect(signed.landedAt).to.equal(`${server.url}/officer.html#search`);
        const set = signed.jar.seen.find((line) => line.startsWith("ecert_session="))!;
        expect(set)
          .to.match(/; HttpOnly/i)
          .and.match(/; Secure/i)
          .and.match(/; SameSite=Strict/i)
          .and.match(/; Path=\//);
        expect(signed.session).to.match(/^[A-Za-z0-9_-]{43}$/);
        const me = await withSession(server.url, signed.session, "GET", "/api/v1/session");
        expect(me.status).to.equal(200);
        expect(me.json.officer).to.deep.equal({
          name: "CSB Clerk (development)",
          subject: "csb-clerk",
          issuerId: "CSB",
          roles: ["clerk"],
          email: "csb-clerk@officers.dev.invalid",
        });
        expect(me.json.idleTimeoutSeconds).to.equal(30 * 60);
        expect(schemas.Session.strict().safeParse(me.json).success, "the documented Session schema").to.equal(true);
        expect(Date.parse(me.json.expiresAt) - Date.now()).to.be.within(11.9 * 3_600_000, 12 * 3_600_000);
        expect(me.json.csrfToken).to.be.a("string").with.length.above(20);
        // Only the cookie's hash is stored.
        expect(await server.store.findSession(sessionHash(signed.session))).to.include({
          issuerId: "CSB",
          subject: "csb-clerk",
        });
        // Audited, from the client's address.
        const audit = await server.store.listAudit("CSB", { action: "sign-in", limit: 100 });
        const entry = audit.find((e) => e.actorId === "officer:csb-clerk")!;
        expect(entry).to.include({ actorName: "CSB Clerk (development)", action: "sign-in" });
        expect(entry.source).to.match(/127\.0\.0\.1/);
      });

      it("asks for the password at every sign-in and gives csb-lead both the clerk and the approver role", async () => {
        const jar = new CookieJar();
        const first = await as("csb-clerk");
        // The provider's own session cookies of the first sign-in do not sign the next one in.
        for (const [k, v] of first.jar.cookies) if (k !== "ecert_session") jar.cookies.set(k, v);
        const steps = await follow(jar, `${server.url}/auth/login`);
        expect(steps.at(-1)!.status).to.equal(200);
        expect(steps.at(-1)!.body).to.include('name="password"');
        const lead = await as("csb-lead");
        const me = await withSession(server.url, lead.session, "GET", "/api/v1/session");
        expect(me.json.officer).to.include({ issuerId: "CSB", subject: "csb-lead" });
        expect(me.json.officer.roles).to.deep.equal(["clerk", "approver"]);
      });

      it("refuses a wrong password on its login page (both languages) and makes no session", async () => {
        const jar = new CookieJar();
        const page = (await follow(jar, `${server.url}/auth/login`)).at(-1)!;
        expect(page.status).to.equal(200);
        expect(page.body).to.include("Officer sign-in").and.include("職員登入");
        const refused = await step(jar, formAction(page), {
          method: "POST",
          form: { username: "csb-clerk", password: `${officer("csb-clerk").password}x` },
        });
        expect(refused.status).to.equal(401);
        expect(refused.body).to.include("The username or password is not right.").and.include("用戶名稱或密碼不正確。");
        const unknown = await step(jar, formAction(refused), {
          method: "POST",
          form: { username: "nobody", password: "x" },
        });
        expect(unknown.status).to.equal(401);
        expect(jar.cookies.has("ecert_session")).to.equal(false);
        // The password of another officer does not work either.
        const other = await step(jar, formAction(unknown), {
          method: "POST",
          form: { username: "csb-clerk", password: officer("fsd-clerk").password },
        });
        expect(other.status).to.equal(401);
      });

      it("serves its pages with the app's CSP (self only) and no inline script or style", async () => {
        const res = await fetch(`${server.url}/auth/login`, { redirect: "manual" });
        const jar = new CookieJar();
        jar.absorb(res);
        const page = (await follow(jar, res.headers.get("location")!)).at(-1)!;
        const direct = await fetch(page.url, { headers: { cookie: jar.header() } });
        const csp = direct.headers.get("content-security-policy")!;
        expect(csp).to.include("default-src 'self'").and.include("script-src 'self'").and.include("style-src 'self'");
        const html = await direct.text();
        expect(html).not.to.match(/<script|style=|<style/i);
        expect(html).to.include('<link rel="stylesheet" href="/auth/auth.css">');
        expect((await fetch(`${server.url}/auth/auth.css`)).status).to.equal(200);
      });

      it("refuses a callback whose state was used already (and one with an unknown state)", async () => {
        const signed = await as("fsd-clerk");
        const jar = new CookieJar();
        const replay = await step(jar, signed.callbackUrl);
        expect(replay.status).to.equal(400);
        expect(replay.body)
          .to.include("This sign-in was already used or has expired.")
          .and.include("此登入已使用或已過期。");
        expect(jar.cookies.has("ecert_session")).to.equal(false);
        const forged = await step(jar, `${server.url}/auth/callback?code=abc&state=forged`);
        expect(forged.status).to.equal(400);
      });

      it("finishes a sign-in only in the browser that started it (login CSRF): a callback URL opened elsewhere signs no one in", async () => {
        // Browser A signs in at the provider and stops before following the redirect back.
        const a = new CookieJar();
        const toLogin = await follow(a, `${server.url}/auth/login`);
        expect(a.cookies.has("ecert_login")).to.equal(true);
        let next = (
          await step(a, formAction(toLogin.at(-1)!), {
            method: "POST",
            form: { username: "csb-clerk", password: officer("csb-clerk").password },
          })
        ).location;
        while (next && new URL(next).pathname !== "/auth/callback") next = (await step(a, next)).location;
        const callbackUrl = next!;
        // Browser B (the victim, sent the link) gets no session, and the sign-in is not spent by it.
        const b = new CookieJar();
        const elsewhere = await step(b, callbackUrl);
        expect(elsewhere.status).to.equal(400);
        expect(b.cookies.has("ecert_session")).to.equal(false);
        // Browser A still finishes it.
        const own = await step(a, callbackUrl);
        expect(own.status).to.equal(303);
        expect(a.cookies.has("ecert_session")).to.equal(true);
      });

      it("refuses a sign-in that took more than 10 minutes", async () => {
        const jar = new CookieJar();
        const toLogin = await follow(jar, `${server.url}/auth/login`);
        const state = new URL(toLogin[0].location!).searchParams.get("state")!;
        await sql("UPDATE login_attempts SET created_at = ? WHERE state = ?", [
          new Date(Date.now() - 11 * 60_000).toISOString(),
          state,
        ]);
        const posted = await step(jar, formAction(toLogin.at(-1)!), {
          method: "POST",
          form: { username: "csb-clerk", password: officer("csb-clerk").password },
        });
        const back = await follow(jar, posted.location!);
        expect(back.at(-1)!.status).to.equal(400);
        expect(jar.cookies.has("ecert_session")).to.equal(false);
      });

      it("keeps returnTo to a path of this site", async () => {
        for (const evil of [
          "https://evil.example/",
          "//evil.example/x",
          "/\\evil.example",
          "javascript:alert(1)",
          // Dot segments that URL resolves into a path of another host ("//evil.example/x").
          "/.//evil.example/x",
          "/..//evil.example",
          "/%2e//evil.example",
          "/a/..//evil.example",
        ]) {
          const res = await fetch(`${server.url}/auth/login?returnTo=${encodeURIComponent(evil)}`, {
            redirect: "manual",
          });
          const state = new URL(res.headers.get("location")!).searchParams.get("state")!;
          const attempt = await server.store.takeLoginAttempt(state);
          expect(attempt!.returnTo, evil).to.equal("/officer.html");
        }
      });

      it("refuses a state-changing request without X-CSRF-Token (403) and lets it through with it", async () => {
        const signed = await as("csb-clerk");
        const without = await withSession(server.url, signed.session, "POST", "/api/v1/certificates", { json: {} });
        expect(without.status).to.equal(403);
        expect(without.json.error.code).to.equal("CSRF_TOKEN_INVALID");
        const wrong = await withSession(server.url, signed.session, "POST", "/api/v1/certificates", {
          json: {},
          csrfToken: "x".repeat(43),
        });
        expect(wrong.status).to.equal(403);
        // With the token the request passes the CSRF check and is refused by validation instead.
        const withToken = await withSession(server.url, signed.session, "POST", "/api/v1/certificates", {
          json: {},
          csrfToken: signed.csrfToken,
        });
        expect(withToken.status).to.equal(400);
        expect(withToken.json.error.code).to.equal("INVALID_REQUEST");
        // Another session's token is not this one's.
        const other = await as("csb-clerk");
        const crossed = await withSession(server.url, signed.session, "POST", "/api/v1/certificates", {
          json: {},
          csrfToken: other.csrfToken,
        });
        expect(crossed.status).to.equal(403);
      });

      it("signs out with the CSRF token: the session ends, the cookie is cleared, it is audited", async () => {
        const signed = await as("fsd-approver");
        const refused = await withSession(server.url, signed.session, "POST", "/auth/logout");
        expect(refused.status).to.equal(403);
        expect(refused.json.error.code).to.equal("CSRF_TOKEN_INVALID");
        const res = await fetch(`${server.url}/auth/logout`, {
          method: "POST",
          headers: { cookie: `ecert_session=${signed.session}`, "x-csrf-token": signed.csrfToken },
        });
        expect(res.status).to.equal(204);
        expect(res.headers.getSetCookie().join()).to.match(/ecert_session=;.*Expires=Thu, 01 Jan 1970/);
        const after = await withSession(server.url, signed.session, "GET", "/api/v1/session");
        expect(after.status).to.equal(401);
        expect(after.json.error.code).to.equal("SESSION_EXPIRED");
        expect(after.json.error.details.message["zh-HK"]).to.be.a("string");
        const audit = await server.store.listAudit("FSD", { action: "sign-out", limit: 10 });
        expect(audit.map((e) => e.actorId)).to.include("officer:fsd-approver");
      });

      it("refuses a session idle longer than the time-out, and one past its end (SESSION_EXPIRED, 401)", async () => {
        const idle = await as("csb-auditor");
        const ended = await as("csb-approver");
        expect((await withSession(server.url, idle.session, "GET", "/api/v1/certificates")).status).to.equal(200);
        await sql("UPDATE officer_sessions SET last_seen_at = ? WHERE id_hash = ?", [
          new Date(Date.now() - 31 * 60_000).toISOString(),
          sessionHash(idle.session),
        ]);
        await sql("UPDATE officer_sessions SET expires_at = ? WHERE id_hash = ?", [
          new Date(Date.now() - 1000).toISOString(),
          sessionHash(ended.session),
        ]);
        for (const session of [idle.session, ended.session]) {
          const res = await withSession(server.url, session, "GET", "/api/v1/certificates");
          expect(res.status).to.equal(401);
          expect(res.json.error.code).to.equal("SESSION_EXPIRED");
          expect((await withSession(server.url, session, "GET", "/api/v1/session")).status).to.equal(401);
        }
        // A cookie no session has is refused the same way; no cookie at all is just not signed in.
        const unknown = await withSession(server.url, "A".repeat(43), "GET", "/api/v1/certificates");
        expect(unknown.json.error.code).to.equal("SESSION_EXPIRED");
        const none = await api(server, "GET", "/session");
        expect(none.status).to.equal(401);
        expect(none.json.error.code).to.equal("UNAUTHENTICATED");
      });

      it("touches a session at most once a minute", async () => {
        const signed = await as("fsd-auditor");
        const before = (await server.store.findSession(sessionHash(signed.session)))!.lastSeenAt;
        await withSession(server.url, signed.session, "GET", "/api/v1/certificates");
        expect((await server.store.findSession(sessionHash(signed.session)))!.lastSeenAt).to.equal(before);
      });

      it("does not let a CSB officer read an FSD certificate (404), which an FSD key reads", async () => {
        const fsdKey = server.dev!.apiKeys.FSD;
        const upload = await api(server, "POST", "/batches?type=fsd-dg-licence", {
          key: fsdKey,
          body: sampleCsv("fsd-dg-licence.csv"),
          contentType: "text/csv",
        });
        expect(upload.status).to.equal(202);
        const id = upload.json.certificates[0].id as string;
        expect((await api(server, "GET", `/certificates/${id}`, { key: fsdKey })).status).to.equal(200);
        const csb = await as("csb-auditor");
        const read = await withSession(server.url, csb.session, "GET", `/api/v1/certificates/${id}`);
        expect(read.status).to.equal(404);
        const fsd = await as("fsd-auditor");
        expect((await withSession(server.url, fsd.session, "GET", `/api/v1/certificates/${id}`)).status).to.equal(200);
      });
    },
  );
}
