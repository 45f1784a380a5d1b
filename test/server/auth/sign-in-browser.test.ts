import { readFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { CHROMIUM, CHROMIUM_ARGS, closeBrowser } from "../../browser/browser-helpers.ts";

const require = createRequire(import.meta.url);

/** The serious and critical axe-core violations of the page (axe run through the debugger, outside the CSP). */
async function axeProblems(page: Page): Promise<string[]> {
  await page.evaluate(await readFile(require.resolve("axe-core/axe.min.js"), "utf8"));
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(d: Document): Promise<{ violations: { id: string; impact: string; help: string }[] }> };
      }
    ).axe;
    const { violations } = await axe.run(document);
    return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`);
  });
}

describe("officers' sign-in in Chromium (the embedded provider's login page, the Secure cookie over http on 127.0.0.1)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-sign-in-browser-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await closeBrowser(browser);
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("signs in through the login page, keeps the session cookie, reads GET /api/v1/session and signs out", async () => {
    const context = await browser!.newContext({ locale: "zh-HK" });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(`${server.url}/auth/login?returnTo=${encodeURIComponent("/api/v1/session")}`);
    expect(new URL(page.url()).pathname).to.match(/^\/oidc\/interaction\//);
    expect(await page.textContent("h1"))
      .to.include("Officer sign-in")
      .and.include("職員登入");
    expect(await axeProblems(page)).to.deep.equal([]);

    // A wrong password first: the page says so in both languages.
    const clerk = server.dev!.officers.find((o) => o.username === "csb-clerk")!;
    await page.fill("#username", clerk.username);
    await page.fill("#password", "not-the-password");
    await page.click("button[type=submit]");
    expect(await page.textContent("[role=alert]"))
      .to.include("The username or password is not right.")
      .and.include("用戶名稱或密碼不正確。");
    expect(await axeProblems(page)).to.deep.equal([]);

    await page.fill("#password", clerk.password);
    await Promise.all([page.waitForURL(`${server.url}/api/v1/session`), page.click("button[type=submit]")]);
    const answer = JSON.parse((await page.textContent("body"))!);
    expect(answer.officer).to.include({ issuerId: "CSB", subject: "csb-clerk" });
    expect(answer.officer.roles).to.deep.equal(["clerk"]);

    const cookie = (await context.cookies()).find((c) => c.name === "ecert_session")!;
    expect(cookie).to.include({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    // The page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.to.include("ecert_session");

    // Signing out needs the CSRF token; then the session is over.
    const statuses = await page.evaluate(async (token) => {
      const without = (await fetch("/auth/logout", { method: "POST" })).status;
      const withToken = (await fetch("/auth/logout", { method: "POST", headers: { "X-CSRF-Token": token } })).status;
      const after = (await fetch("/api/v1/session")).status;
      return [without, withToken, after];
    }, answer.csrfToken as string);
    expect(statuses).to.deep.equal([403, 204, 401]);
    expect((await context.cookies()).some((c) => c.name === "ecert_session")).to.equal(false);
    expect(cspErrors).to.deep.equal([]);
    await context.close();
  });
});
