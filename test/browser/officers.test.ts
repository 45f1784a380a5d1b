import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { loadConfig } from "../../server/config.ts";
import { startServer, type RunningServer } from "../../server/start.ts";
import { sampleCsv } from "../server/pdf/documents-helpers.ts";
import { api, waitFor } from "../server/api/api-helpers.ts";
import { creRows } from "../server/documents/batch-helpers.ts";
import { CHROMIUM, CHROMIUM_ARGS, closeBrowser } from "./browser-helpers.ts";
import { axeProblems, type PageWithErrors } from "./portal-helpers.ts";

type Lang = "en" | "zh-HK";

/**
 * Officers of CSB and FSD signing in through the embedded OpenID Connect provider's login page, each
 * in their own browser context (their own session cookie), with approvals on (the default): a clerk's
 * upload waits until the department's approver releases it, a revocation waits until it is approved,
 * the auditor reads both people in the trail and exports it.
 */
describe("officer console by role in Chromium (officers' sign-in, maker-checker, audit)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Axe violations of every view, both languages (checked at the end). */
  const problems: string[] = [];
  /** Every console page opened, for their script errors (checked at the end). */
  const pages: PageWithErrors[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the browser tests)`);
      this.skip();
    }
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-officers-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function officer(username: string) {
    const found = server.dev!.officers.find((o) => o.username === username);
    if (!found) throw new Error(`no development officer ${username}`);
    return found;
  }

  /**
   * Opens the console in a fresh context (axe is injected, hence bypassCSP), switches to `lang`, and
   * signs in as `username` through the provider's login form.
   */
  async function signIn(username: string, lang: Lang): Promise<PageWithErrors> {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = (await context.newPage()) as PageWithErrors;
    page.errors = [];
    page.on("console", (m) => {
      if (m.type() === "error") page.errors.push(m.text());
    });
    page.on("pageerror", (e) => page.errors.push(String(e)));
    pages.push(page);
    await page.goto(`${server.url}/officer`);
    await page.waitForSelector("body.ready");
    if (lang === "zh-HK") await page.click("#lang-switch");
    expect((await page.textContent("#signin-link"))?.trim()).to.equal(
      lang === "en" ? "Sign in with your department account" : "以部門帳戶登入",
    );
    await page.click("#signin-link");
    await page.waitForSelector("#username");
    const { password } = officer(username);
    await page.fill("#username", username);
    await page.fill("#password", password);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/officer(\.html)?$/);
    await page.waitForSelector("body.ready");
    await page.waitForSelector("#workspace:not([hidden])");
    expect(await page.getAttribute("html", "lang")).to.equal(lang);
    return page;
  }

  /** Axe over the page in both languages, back in `lang` afterwards. */
  async function axe(page: PageWithErrors, label: string, lang: Lang): Promise<void> {
    problems.push(...(await axeProblems(page, label)));
    if ((await page.getAttribute("html", "lang")) !== lang) await page.click("#lang-switch");
  }

  /** The role's sections shown: which of upload, approvals, audit are visible. */
  async function sections(page: PageWithErrors): Promise<Record<string, boolean>> {
    return {
      upload: await page.isVisible("#upload"),
      approvals: await page.isVisible("#approvals"),
      audit: await page.isVisible("#audit"),
    };
  }

  /** A page text with its `{name}` placeholders filled. */
  function fill(text: string, values: Record<string, string>): string {
    return text.replace(/\{(\w+)\}/g, (_, name: string) => values[name]);
  }

  let uploads = 0;
  /** Uploads `file` (its sitting or validity dates moved so the numbers are new) and returns the batch id. */
  async function upload(page: PageWithErrors, type: string, file: string): Promise<string> {
    uploads += 1;
    const text = new TextDecoder()
      .decode(sampleCsv(file))
      .replaceAll("2026-09-12", `2026-07-${String(uploads).padStart(2, "0")}`);
    await page.selectOption("#upload-type", type);
    await page.setInputFiles("#upload-file", { name: file, mimeType: "text/csv", buffer: Buffer.from(text) });
    await page.click("#upload-submit");
    await page.waitForSelector("#batch:not([hidden])");
    await page.waitForSelector("#upload-message[data-state]");
    return (await page.getAttribute("#batch", "data-batch-id"))!;
  }

  /** The statuses of a batch's certificates, read through the API with the department's key. */
  async function statuses(issuerId: string, batchId: string): Promise<string[]> {
    const answer = await api(server, "GET", `/certificates?batch=${batchId}&limit=500`, {
      key: server.dev!.apiKeys[issuerId],
    });
    expect(answer.status).to.equal(200);
    return (answer.json as { certificates: { status: string }[] }).certificates.map((c) => c.status);
  }

  /** Refreshes the approver's "Awaiting approval" and waits for the answer. */
  async function refreshApprovals(page: PageWithErrors): Promise<void> {
    await page.evaluate(() => {
      document.getElementById("approval-batches")!.replaceChildren();
      document.getElementById("approval-requests")!.replaceChildren();
    });
    await page.click("#approvals-refresh");
    await page.waitForSelector("#approval-requests > *");
  }

  const flows: {
    issuerId: string;
    other: string;
    lang: Lang;
    type: string;
    file: string;
    words: Record<string, string>;
  }[] = [
    {
      issuerId: "CSB",
      other: "FSD",
      lang: "en",
      type: "csb-cre",
      file: "csb-cre.csv",
      words: {
        awaiting: "Awaiting approval",
        final: "Revocation is final: it cannot be undone",
        requested: "Requested: another officer must approve it before it is applied.",
        released: "Released: the certificates are being issued.",
        approved: "Approved: the change is sent to the registry.",
        export: "Export CSV",
        chooseReason: "Choose a reason",
        reasonNeeded: "Choose the reason first.",
        showAll: "Show all {count} rows",
        allRows: "All {count} rows",
      },
    },
    {
      issuerId: "FSD",
      other: "CSB",
      lang: "zh-HK",
      type: "fsd-dg-licence",
      file: "fsd-dg-licence.csv",
      words: {
        awaiting: "待批核",
        final: "撤銷是最終決定，不能復原",
        requested: "已提出申請：須由另一名人員批核後才會生效。",
        released: "已發放：證書正在簽發。",
        approved: "已批准：更改已提交登記冊。",
        export: "匯出CSV",
        chooseReason: "請選擇理由",
        reasonNeeded: "請先選擇理由。",
        showAll: "顯示全部 {count} 列",
        allRows: "全部 {count} 列",
      },
    },
  ];

  for (const flow of flows) {
    const prefix = flow.issuerId.toLowerCase();
    describe(`${flow.issuerId} in ${flow.lang === "en" ? "English" : "Traditional Chinese"}`, () => {
      let batchId: string;
      let clerk: PageWithErrors;
      let approver: PageWithErrors;
      let certificate: { id: string; number: string };
      const note = `Case ${flow.issuerId}-42: the candidate's papers were forged.`;

      it(`the ${prefix}-clerk uploads ${flow.file}: it awaits approval and nothing is issued; no release button`, async () => {
        clerk = await signIn(`${prefix}-clerk`, flow.lang);
        expect(await clerk.textContent("#signed-in-as")).to.include(officer(`${prefix}-clerk`).name);
        expect(await sections(clerk)).to.deep.equal({ upload: true, approvals: false, audit: false });
        batchId = await upload(clerk, flow.type, flow.file);
        expect(await clerk.getAttribute("#upload-message", "data-state")).to.equal("awaiting-approval");
        expect(await clerk.textContent("#upload-message")).to.include(flow.words.awaiting);
        expect(await clerk.textContent("#batch-progress-text")).to.equal(
          flow.lang === "en" ? "awaiting approval" : "待批核",
        );
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const before = await statuses(flow.issuerId, batchId);
        expect(before.length).to.be.greaterThan(0);
        expect(before.every((s) => s === "pending")).to.equal(true);
        expect(await clerk.$$("button[data-decide]")).to.have.length(0);
        await clerk.waitForSelector(`#batches-table tr[data-batch="${batchId}"][data-state="awaiting-approval"]`);
        await axe(clerk, `${prefix}-clerk upload`, flow.lang);
      });

      it(`the ${flow.other} approver does not see it (404)`, async () => {
        const other = await signIn(`${flow.other.toLowerCase()}-approver`, flow.lang);
        await other.waitForSelector("#approval-requests > *");
        expect(await other.$(`[data-batch="${batchId}"]`)).to.equal(null);
        const status = await other.evaluate(
          async (id) => (await fetch(`/api/v1/batches/${id}`, { credentials: "same-origin" })).status,
          batchId,
        );
        expect(status).to.equal(404);
        await other.close();
      });

      it(`the ${prefix}-approver previews it and releases it: the certificates are issued`, async () => {
        approver = await signIn(`${prefix}-approver`, flow.lang);
        expect(await sections(approver)).to.deep.equal({ upload: false, approvals: true, audit: false });
        const item = `#approval-batches [data-batch="${batchId}"]`;
        await approver.waitForSelector(`${item} table tbody tr`);
        expect(await approver.textContent(item)).to.include(officer(`${prefix}-clerk`).name);
        expect(await approver.$$(`${item} table tbody tr`)).to.have.length(5);
        expect(await approver.getAttribute(item, "data-renewal-of")).to.equal(null);
        // Every row, not only the first ones: "show all" reads them (in upload order), and back.
        const accepted = (await statuses(flow.issuerId, batchId)).length;
        expect(accepted).to.be.greaterThan(5);
        const count = { count: String(accepted) };
        const showAll = `${item} button[data-rows][data-offset="0"]`;
        expect((await approver.textContent(showAll))?.trim()).to.equal(fill(flow.words.showAll, count));
        await approver.click(showAll);
        await approver.waitForFunction(([selector, n]) => document.querySelectorAll(selector).length === n, [
          `${item} table tbody tr`,
          accepted,
        ] as const);
        expect(await approver.textContent(`${item} caption`)).to.equal(fill(flow.words.allRows, count));
        const rowNumbers = await approver.$$eval(`${item} table tbody tr td:first-child`, (tds) =>
          tds.map((td) => Number(td.textContent)),
        );
        expect(rowNumbers).to.deep.equal([...rowNumbers].sort((a, b) => a - b));
        expect(await approver.evaluate(() => document.activeElement?.tagName)).to.equal("TABLE");
        await axe(approver, `${prefix}-approver awaiting, every row`, flow.lang);
        await approver.click(`${item} button[data-rows]:not([data-offset])`);
        await approver.waitForFunction(
          (selector) => document.querySelectorAll(selector).length === 5,
          `${item} table tbody tr`,
        );
        await axe(approver, `${prefix}-approver awaiting`, flow.lang);
        await approver.click(`${item} button[data-decide="release"]`);
        await approver.waitForSelector("#approvals-message:not([hidden])");
        expect(await approver.textContent("#approvals-message")).to.equal(flow.words.released);
        await waitFor(async () => (await statuses(flow.issuerId, batchId)).every((s) => s === "issued"));
        await approver.click("#batches-refresh");
        await approver.waitForSelector(`#batches-table tr[data-batch="${batchId}"][data-state="released"]`);
        expect(await approver.textContent(`#batches-table tr[data-batch="${batchId}"] .batch-decided`)).to.equal(
          officer(`${prefix}-approver`).name,
        );
        expect(
          await approver.getAttribute(`#batches-table tr[data-batch="${batchId}"] a[href$="pdfs.zip"]`, "href"),
        ).to.equal(`/api/v1/batches/${batchId}/pdfs.zip`);
        const zip = await approver.evaluate(async (id) => {
          const link = document.querySelector<HTMLAnchorElement>(
            `#batches-table tr[data-batch="${id}"] a[href$="pdfs.zip"]`,
          )!;
          const response = await fetch(link.href, { credentials: "same-origin" });
          return { status: response.status, head: [...new Uint8Array((await response.arrayBuffer()).slice(0, 2))] };
        }, batchId);
        expect(zip).to.deep.equal({ status: 200, head: [0x50, 0x4b] });
      });

      it(`the ${prefix}-clerk requests a revocation with a reason and a case note; it waits for approval`, async () => {
        const listed = await api(server, "GET", `/certificates?batch=${batchId}`, {
          key: server.dev!.apiKeys[flow.issuerId],
        });
        const first = (listed.json as { certificates: { id: string; certificateNumber: string }[] }).certificates[0];
        certificate = { id: first.id, number: first.certificateNumber };
        await clerk.fill("#search-q", certificate.number);
        await clerk.click("#search-form button[type=submit]");
        await clerk.waitForSelector(`#results-table tr[data-id="${certificate.id}"]`);
        const cells = await clerk.$$eval(`#results-table tr[data-id="${certificate.id}"] td`, (tds) =>
          tds.map((td) => td.textContent),
        );
        expect(cells[0]).to.equal(certificate.number);
        expect(cells[4]).to.equal(batchId);
        await clerk.click(`button[data-open="${certificate.id}"]`);
        await clerk.waitForSelector('#detail:not([hidden])[data-status="issued"]');
        expect(await clerk.getAttribute("#detail-pdf", "href")).to.equal(`/api/v1/certificates/${certificate.id}/pdf`);
        expect(await clerk.isVisible("#claim-code")).to.equal(true);
        await clerk.selectOption("#action-kind", "revoke");
        expect(await clerk.textContent("#revoke-final")).to.equal(flow.words.final);
        expect(await clerk.isVisible("#revoke-final")).to.equal(true);
        // No reason is chosen for the officer: the form refuses to go on without one, and says so.
        expect(await clerk.inputValue("#action-reason")).to.equal("");
        expect(await clerk.textContent("#action-reason option:checked")).to.equal(flow.words.chooseReason);
        await clerk.click("#action-submit");
        expect(await clerk.textContent("#action-message")).to.equal(flow.words.reasonNeeded);
        expect(await clerk.getAttribute("#action-reason", "aria-invalid")).to.equal("true");
        expect(await clerk.evaluate(() => document.activeElement?.id)).to.equal("action-reason");
        expect(await clerk.isHidden("#confirm")).to.equal(true);
        await clerk.selectOption("#action-reason", "fraud");
        await clerk.fill("#action-note", note);
        await clerk.click("#action-submit");
        await clerk.waitForSelector("#confirm:not([hidden])");
        expect(await clerk.textContent("#confirm-final")).to.equal(flow.words.final);
        expect(await clerk.isVisible("#confirm-final")).to.equal(true);
        await axe(clerk, `${prefix}-clerk detail`, flow.lang);
        await clerk.click("#confirm-yes");
        await clerk.waitForSelector('#detail-requests li[data-state="awaiting-approval"]');
        expect(await clerk.textContent("#action-message")).to.equal(flow.words.requested);
        expect(await clerk.textContent("#detail-requests")).to.include(note);
        expect((await statuses(flow.issuerId, batchId))[0]).to.equal("issued");
      });

      it(`the ${prefix}-approver approves the revocation: the certificate is revoked`, async () => {
        await refreshApprovals(approver);
        const item = "#approval-requests [data-request]";
        await approver.waitForSelector(item);
        expect(await approver.textContent(item)).to.include(note);
        expect(await approver.textContent(item)).to.include(certificate.number);
        await axe(approver, `${prefix}-approver request`, flow.lang);
        await approver.click(`${item} button[data-decide="approve"]`);
        await approver.waitForFunction(
          (text) => document.getElementById("approvals-message")?.textContent === text,
          flow.words.approved,
        );
        await waitFor(async () => {
          const answer = await api(server, "GET", `/certificates/${certificate.id}`, {
            key: server.dev!.apiKeys[flow.issuerId],
          });
          return (answer.json as { status: string }).status === "revoked";
        });
        await clerk.click(`button[data-open="${certificate.id}"]`);
        await clerk.waitForSelector('#detail[data-status="revoked"]');
        const who = await clerk.$$eval("#detail-history .history__who", (spans) => spans.map((s) => s.textContent));
        expect(who).to.include(officer(`${prefix}-clerk`).name);
        expect(await clerk.isHidden("#action-form")).to.equal(true);
        await clerk.close();
      });

      it(`the ${prefix}-auditor sees the upload by the clerk and the release by the approver, verifies and exports CSV`, async () => {
        const auditor = await signIn(`${prefix}-auditor`, flow.lang);
        expect(await sections(auditor)).to.deep.equal({ upload: false, approvals: false, audit: true });
        await auditor.waitForSelector("#audit-table tbody tr");
        const rows = await auditor.$$eval("#audit-table tbody tr", (trs) =>
          trs.map((tr) => ({
            action: (tr as HTMLElement).dataset.action,
            who: tr.querySelector(".audit-who")?.textContent,
          })),
        );
        const clerkName = officer(`${prefix}-clerk`).name;
        const approverName = officer(`${prefix}-approver`).name;
        expect(rows).to.deep.include({ action: "upload", who: clerkName });
        expect(rows).to.deep.include({ action: "upload-released", who: approverName });
        expect(rows).to.deep.include({ action: "status-change-requested", who: clerkName });
        expect(rows).to.deep.include({ action: "status-change-approved", who: approverName });
        await auditor.selectOption("#audit-action", "upload-released");
        await auditor.click("#audit-form button[type=submit]");
        await auditor.waitForFunction(() =>
          [...document.querySelectorAll<HTMLElement>("#audit-table tbody tr")].every(
            (tr) => tr.dataset.action === "upload-released",
          ),
        );
        await auditor.click("#audit-verify");
        await auditor.waitForSelector('#audit-verify-result[data-ok="true"]');
        expect((await auditor.textContent("#audit-csv"))?.trim()).to.equal(flow.words.export);
        const csv = await auditor.evaluate(async () => {
          const href = document.querySelector<HTMLAnchorElement>("#audit-csv")!.href;
          const response = await fetch(href, { credentials: "same-origin" });
          return { status: response.status, text: await response.text() };
        });
        expect(csv.status).to.equal(200);
        const lines = csv.text.split(/\r?\n/);
        expect(lines.some((l) => l.includes('"upload"') && l.includes(clerkName))).to.equal(true);
        expect(lines.some((l) => l.includes('"upload-released"') && l.includes(approverName))).to.equal(true);
        await axe(auditor, `${prefix}-auditor audit`, flow.lang);
        await auditor.close();
        await approver.close();
      });
    });
  }

  describe("csb-lead (clerk and approver), claim codes and letters, sessions", () => {
    /** The lead's upload, released by csb-approver. */
    let leadBatch: string;

    it("uploads, cannot release their own upload (no buttons; the server refuses SELF_APPROVAL); csb-approver can", async () => {
      const lead = await signIn("csb-lead", "en");
      expect(await sections(lead)).to.deep.equal({ upload: true, approvals: true, audit: false });
      const batchId = await upload(lead, "csb-cre", "csb-cre.csv");
      leadBatch = batchId;
      await refreshApprovals(lead);
      const item = `#approval-batches [data-batch="${batchId}"]`;
      await lead.waitForSelector(item);
      expect(await lead.textContent(`${item} .own-request`)).to.equal("Requested by you: another officer must approve");
      expect(await lead.$$(`${item} button[data-decide]`)).to.have.length(0);
      await axe(lead, "csb-lead awaiting", "en");
      // The server refuses it anyway, with the session's own CSRF token.
      const refused = await lead.evaluate(async (id) => {
        const session = (await (await fetch("/api/v1/session")).json()) as { csrfToken: string };
        const response = await fetch(`/api/v1/batches/${id}/release`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": session.csrfToken },
          body: "{}",
        });
        return { status: response.status, body: (await response.json()) as { error: { code: string } } };
      }, batchId);
      expect(refused.body.error.code).to.equal("SELF_APPROVAL");
      expect((await statuses("CSB", batchId)).every((s) => s === "pending")).to.equal(true);
      await lead.close();

      const approver = await signIn("csb-approver", "en");
      await approver.click(`#approval-batches [data-batch="${batchId}"] button[data-decide="release"]`);
      await approver.waitForSelector("#approvals-message:not([hidden])");
      await waitFor(async () => (await statuses("CSB", batchId)).every((s) => s === "issued"));
      await approver.close();
    });

    it("an approver rejects an upload only with a reason: the batch list says rejected, and who", async () => {
      const clerk = await signIn("csb-clerk", "en");
      const batchId = await upload(clerk, "csb-cre", "csb-cre.csv");
      await clerk.close();
      const approver = await signIn("csb-approver", "en");
      const item = `#approval-batches [data-batch="${batchId}"]`;
      await approver.waitForSelector(item);
      await approver.click(`${item} button[data-decide="reject"]`);
      expect(await approver.textContent("#approvals-message")).to.equal("Give the reason for rejecting first.");
      expect(await approver.getAttribute(`#reason-batch-${batchId}`, "aria-invalid")).to.equal("true");
      await approver.fill(`#reason-batch-${batchId}`, "Wrong sitting date in every row");
      await approver.click(`${item} button[data-decide="reject"]`);
      await approver.waitForFunction(() => document.getElementById("approvals-message")?.textContent === "Rejected.");
      await approver.click("#batches-refresh");
      await approver.waitForSelector(`#batches-table tr[data-batch="${batchId}"][data-state="rejected"]`);
      const batch = await api(server, "GET", `/batches/${batchId}`, { key: server.dev!.apiKeys.CSB });
      expect(batch.json.decisionReason).to.equal("Wrong sitting date in every row");
      expect(batch.json.decidedBy.name).to.equal(officer("csb-approver").name);
      expect((await statuses("CSB", batchId)).includes("issued")).to.equal(false);
      await approver.close();
    });

    it("the clerk prints a batch's claim letters after a warning (new codes), and makes a new claim code: the previous one stops working", async () => {
      const clerk = await signIn("csb-clerk", "en");
      const row = `#batches-table tr[data-batch="${leadBatch}"]`;
      await clerk.waitForSelector(`${row} button[data-letters]`);
      await clerk.click(`${row} button[data-letters]`);
      expect(await clerk.textContent("#letters-text")).to.include(
        "a NEW claim code: the codes given before stop working",
      );
      await clerk.click("#letters-yes");
      await clerk.waitForSelector("#letters-download");
      const head = await clerk.evaluate(async () => {
        const href = document.querySelector<HTMLAnchorElement>("#letters-download")!.href;
        return new TextDecoder().decode((await (await fetch(href)).arrayBuffer()).slice(0, 5));
      });
      expect(head).to.equal("%PDF-");

      const listed = await api(server, "GET", `/certificates?batch=${leadBatch}`, { key: server.dev!.apiKeys.CSB });
      const target = (listed.json as { certificates: { id: string; certificateNumber: string }[] }).certificates[1];
      await clerk.fill("#search-q", target.certificateNumber);
      await clerk.click("#search-form button[type=submit]");
      await clerk.click(`button[data-open="${target.id}"]`);
      await clerk.waitForSelector('#detail:not([hidden])[data-status="issued"]');
      const newCode = async () => {
        await clerk.click("#claim-code-new");
        expect(await clerk.textContent("#claim-code-message")).to.equal(
          `Make a new claim code for ${target.certificateNumber}? The old one stops working.`,
        );
        await clerk.click("#claim-code-new");
        await clerk.waitForSelector("#claim-code-message.message--ok");
        return /New claim code: (\S+) /.exec((await clerk.textContent("#claim-code-message"))!)![1];
      };
      const first = await newCode();
      expect((await api(server, "GET", `/claim/${first}`)).json.certificateNumber).to.equal(target.certificateNumber);
      const second = await newCode();
      expect(second).to.not.equal(first);
      expect((await api(server, "GET", `/claim/${first}`)).status).to.equal(404);
      expect((await api(server, "GET", `/claim/${second}`)).status).to.equal(200);

      // The session gone (its cookie cleared): the page says so and offers to sign in again.
      await clerk.context().clearCookies();
      await clerk.click("#batches-refresh");
      await clerk.waitForSelector("#signin:not([hidden])");
      expect(await clerk.textContent("#signin-message")).to.equal("Your session has expired. Sign in again to go on.");
      expect(await clerk.isVisible("#signin-link")).to.equal(true);
      await clerk.close();
    });

    it("signs out, and says so; a POST without the CSRF token is refused", async () => {
      const clerk = await signIn("csb-clerk", "zh-HK");
      const status = await clerk.evaluate(async () => {
        const response = await fetch("/api/v1/certificates/none/revoke", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ reason: "fraud" }),
        });
        return ((await response.json()) as { error: { code: string } }).error.code;
      });
      expect(status).to.equal("CSRF_TOKEN_INVALID");
      await clerk.click("#signout");
      await clerk.waitForSelector("#signin:not([hidden])");
      expect(await clerk.textContent("#signin-message")).to.equal("你已登出。");
      expect(await clerk.evaluate(async () => (await fetch("/api/v1/session")).status)).to.equal(401);
      await clerk.close();
    });

    it("in Traditional Chinese, a release refused by the server (already decided meanwhile) is said in Chinese, not in the server's English", async () => {
      const clerk = await signIn("csb-clerk", "en");
      const batchId = await upload(clerk, "csb-cre", "csb-cre.csv");
      await clerk.close();
      const approver = await signIn("csb-approver", "zh-HK");
      const item = `#approval-batches [data-batch="${batchId}"]`;
      await approver.waitForSelector(`${item} button[data-decide="release"]`);
      // Another approver releases it meanwhile (here: the same session, behind the page's back); a second
      // release is refused, with the server's words.
      const refused = await approver.evaluate(async (id) => {
        const session = (await (await fetch("/api/v1/session")).json()) as { csrfToken: string };
        const answers: Response[] = [];
        for (let i = 0; i < 2; i += 1)
          answers.push(
            await fetch(`/api/v1/batches/${id}/release`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-csrf-token": session.csrfToken },
              body: "{}",
            }),
          );
        return {
          first: answers[0].status,
          status: answers[1].status,
          error: (
            (await answers[1].json()) as {
              error: { code: string; message: string; details?: { message?: { en: string; "zh-HK": string } } };
            }
          ).error,
        };
      }, batchId);
      expect(refused.first).to.equal(200);
      expect(refused.status).to.equal(409);
      expect(refused.error.code).to.equal("NOT_AWAITING_APPROVAL");
      await approver.click(`${item} button[data-decide="release"]`);
      await approver.waitForSelector("#approvals-message.message--error");
      const shown = (await approver.textContent("#approvals-message"))!;
      expect(shown).to.match(/[\u4e00-\u9fff]/);
      expect(shown).to.not.include(refused.error.message);
      expect(shown).to.not.include("NOT_AWAITING_APPROVAL");
      // The server's own Chinese words when it gives them, else the console's for the code.
      expect(shown).to.equal(
        refused.error.details?.message?.["zh-HK"] ??
          "此項目已不再等候批核，另一名人員已作出決定。請重新整理以查看最新狀況。",
      );
      // Switched to English, the same refusal is in English.
      await approver.click("#lang-switch");
      const english = (await approver.textContent("#approvals-message"))!;
      expect(english).to.not.match(/[\u4e00-\u9fff]/);
      expect(english).to.equal(
        refused.error.details?.message?.en ??
          "This is no longer awaiting approval: another officer has already decided it. Refresh to see its state.",
      );
      await approver.close();
    });

    it("a clerk renews an issued certificate in the console: the approver sees the upload labelled as the renewal of its number, and releases it", async () => {
      const listed = await api(server, "GET", `/certificates?batch=${leadBatch}`, { key: server.dev!.apiKeys.CSB });
      const target = (
        listed.json as { certificates: { id: string; certificateNumber: string; status: string }[] }
      ).certificates.find((c) => c.status === "issued")!;
      const clerk = await signIn("csb-clerk", "en");
      await clerk.fill("#search-q", target.certificateNumber);
      await clerk.click("#search-form button[type=submit]");
      await clerk.click(`button[data-open="${target.id}"]`);
      await clerk.waitForSelector("#renew:not([hidden]) #renew-submit");
      await clerk.click("#renew-submit");
      await clerk.waitForSelector("#renew[data-renewal]");
      const renewal = (await clerk.getAttribute("#renew", "data-renewal"))!;
      await clerk.close();
      const renewalBatch = (await api(server, "GET", `/certificates/${renewal}`, { key: server.dev!.apiKeys.CSB })).json
        .batchId as string;

      const approver = await signIn("csb-approver", "zh-HK");
      const item = `#approval-batches [data-batch="${renewalBatch}"]`;
      await approver.waitForSelector(`${item} table tbody tr`);
      expect(await approver.getAttribute(item, "data-renewal-of")).to.equal(target.certificateNumber);
      expect(await approver.textContent(`${item} h4`)).to.include(`續期：${target.certificateNumber}`);
      expect(await approver.textContent(item)).to.include(`以取代證書 ${target.certificateNumber}`);
      // An upload of one row: no "show all".
      expect(await approver.$$(`${item} button[data-rows]`)).to.have.length(0);
      await approver.click("#lang-switch");
      expect(await approver.textContent(`${item} h4`)).to.include(`Renewal of ${target.certificateNumber}`);
      await axe(approver, "csb-approver renewal", "en");
      await approver.click(`${item} button[data-decide="release"]`);
      await approver.waitForFunction(
        () =>
          document.getElementById("approvals-message")?.textContent === "Released: the certificates are being issued.",
      );
      await waitFor(
        async () =>
          (await api(server, "GET", `/certificates/${target.id}`, { key: server.dev!.apiKeys.CSB })).json.status ===
          "superseded",
      );
      await approver.close();
    });

    it("the approver pages through every row of a 1,200-row upload, 500 at a time, and sees every error", async () => {
      // 1,200 rows of the 10,000-row sample, three of them with errors (a sitting date that is no date).
      const lines = new TextDecoder().decode(creRows(1_200)).trimEnd().split("\n");
      for (const at of [10, 600, 1_150]) lines[at] = lines[at].replace(/,2026-\d\d-\d\d,/, ",not-a-date,");
      const answer = await api(server, "POST", "/batches?type=csb-cre", {
        key: server.dev!.apiKeys.CSB,
        body: new TextEncoder().encode(`${lines.join("\n")}\n`),
        contentType: "text/csv",
      });
      expect(answer.status).to.equal(202);
      const batchId = answer.json.batchId as string;
      const approver = await signIn("csb-approver", "en");
      const item = `#approval-batches [data-batch="${batchId}"]`;
      const rows = `${item} table tbody tr`;
      await approver.waitForSelector(rows);
      expect(await approver.$$(rows)).to.have.length(5);
      expect(await approver.textContent(`${item} .approval__errors summary`)).to.equal("Errors (3)");
      expect(await approver.$$(`${item} .approval__errors li`)).to.have.length(3);
      const firstCells = async () =>
        approver.$$eval(`${rows} td:first-child`, (tds) => tds.map((td) => Number(td.textContent)));
      const pageShown = async (caption: string, count: number) => {
        await approver.waitForFunction(([selector, text]) => document.querySelector(selector)?.textContent === text, [
          `${item} caption`,
          caption,
        ] as const);
        expect(await approver.$$(rows)).to.have.length(count);
      };
      expect((await approver.textContent(`${item} button[data-rows][data-offset="0"]`))?.trim()).to.equal(
        "Show all 1197 rows",
      );
      await approver.click(`${item} button[data-rows][data-offset="0"]`);
      await pageShown("Rows 1 to 500 of 1197", 500);
      expect(await approver.$(`${item} button[data-rows][data-offset="0"]`)).to.equal(null);
      const seen = await firstCells();
      await approver.click(`${item} button[data-rows][data-offset="500"]`);
      await pageShown("Rows 501 to 1000 of 1197", 500);
      seen.push(...(await firstCells()));
      await approver.click(`${item} button[data-rows][data-offset="1000"]`);
      await pageShown("Rows 1001 to 1197 of 1197", 197);
      seen.push(...(await firstCells()));
      // Every accepted row once, in upload order (the refused ones are the errors).
      expect(seen).to.have.length(1197);
      expect(new Set(seen).size).to.equal(1197);
      expect(seen).to.deep.equal([...seen].sort((a, b) => a - b));
      expect(await approver.$(`${item} button[data-rows][data-offset="1197"]`)).to.equal(null);
      await approver.click(`${item} button[data-rows][data-offset="500"]`);
      await pageShown("Rows 501 to 1000 of 1197", 500);
      await approver.click(`${item} button[data-rows]:not([data-offset])`);
      await pageShown("First rows", 5);
      // Rejected: its 1,197 certificates are never issued.
      await approver.fill(`#reason-batch-${batchId}`, "Too many rows in one go");
      await approver.click(`${item} button[data-decide="reject"]`);
      await approver.waitForFunction(() => document.getElementById("approvals-message")?.textContent === "Rejected.");
      await approver.close();
    });
  });

  describe("axe", () => {
    it("has no serious or critical axe-core violations on any role's view, in English and Traditional Chinese", async () => {
      const start = await (await browser.newContext({ bypassCSP: true })).newPage();
      await start.goto(`${server.url}/officer`);
      await start.waitForSelector("body.ready");
      problems.push(...(await axeProblems(start, "sign-in")));
      await start.context().close();
      expect(problems).to.deep.equal([]);
      // The answers the pages expect (not signed in yet, another department's batch, the refusals) aside.
      const errors = pages.flatMap((p) => p.errors).filter((e) => !/status of 40[1349]/.test(e));
      expect(errors).to.deep.equal([]);
    });
  });
});
