import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Credential } from "../../core/credential.ts";
import { encodeCredentialUrl } from "../../core/qr/index.ts";
import { CERTIFICATE_TYPES } from "../../core/types/index.ts";
import type { RunningServer } from "../../server/start.ts";
import { sampleCsv } from "../server/pdf/documents-helpers.ts";
import { api, waitFor } from "../server/api/api-helpers.ts";
import { CHROMIUM, closeBrowser, readVerdict } from "./browser-helpers.ts";
import { axeProblems, portalPages, startPortal, type Accepted, type PageWithErrors } from "./portal-helpers.ts";

describe("officer /officer page in Chromium (embedded default server)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let csbKey: string;
  let fsdKey: string;
  /** CSB exam results issued through the API, for the candidate. */
  let issued: Accepted[];
  /** One certificate of the officer's own upload (through the page). */
  let officerUpload: { id: string; number: string; code: string };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the browser tests)`);
      this.skip();
    }
    ({ dataDir, server, browser, context, csbKey, fsdKey, issued } = await startPortal("ecert-officer-"));
  });

  after(async () => {
    await closeBrowser(browser);
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const { openPage, screenshot } = portalPages(() => ({ browser, context, dataDir }));

  /** Opens the "for systems" API key form (officers sign in with their department account instead). */
  async function openKeyForm(page: Page): Promise<void> {
    if (!(await page.$eval("#key-signin", (d) => (d as HTMLDetailsElement).open)))
      await page.click("#key-signin summary");
  }

  /** Opens the officer page and signs in with `key` (the secondary sign-in, for systems). */
  async function openOfficer(key: string, on: BrowserContext = context): Promise<PageWithErrors> {
    const page = await openPage(`${server.url}/officer`, on);
    await openKeyForm(page);
    await page.fill("#api-key", key);
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector("#workspace:not([hidden])");
    return page;
  }

  /**
   * Uploads a sample CSV of `type` through the page and waits for the upload's answer. Each upload gets
   * its own sitting date, hence its own certificate numbers: a number already live is refused.
   */
  let uploads = 0;
  async function uploadCsv(page: Page, type: string, file: string): Promise<string> {
    uploads += 1;
    const text = new TextDecoder()
      .decode(sampleCsv(file))
      .replaceAll("2026-09-12", `2026-08-${String(uploads).padStart(2, "0")}`);
    await page.selectOption("#upload-type", type);
    await page.setInputFiles("#upload-file", { name: file, mimeType: "text/csv", buffer: Buffer.from(text) });
    await page.click("#upload-submit");
    await page.waitForSelector("#batch:not([hidden])");
    return (await page.getAttribute("#batch", "data-batch-id"))!;
  }

  async function errorTable(page: Page): Promise<{ row: number; column: string; message: string }[]> {
    return page.$$eval("#errors-table tbody tr", (rows) =>
      rows.map((r) => {
        const cells = [...r.querySelectorAll("td")].map((c) => c.textContent ?? "");
        return { row: Number(cells[0]), column: cells[1], message: cells[2] };
      }),
    );
  }

  describe("officer /officer", () => {
    it("offers the department account sign-in, and for systems signs in with an API key kept in sessionStorage only (never the address or localStorage), refuses a wrong key, signs out", async () => {
      const page = await openPage(`${server.url}/officer`);
      expect((await page.textContent("h1"))?.trim()).to.equal("HK e-Cert: department officers");
      expect(await page.isHidden("#workspace")).to.equal(true);
      expect((await page.textContent("#signin-link"))?.trim()).to.equal("Sign in with your department account");
      await openKeyForm(page);
      await page.fill("#api-key", "not-a-key");
      await page.click("#signin-form button[type=submit]");
      await page.waitForSelector("#key-message:not([hidden])");
      expect(await page.textContent("#key-message")).to.equal("This API key is not valid.");
      await openKeyForm(page);
      await page.fill("#api-key", csbKey);
      await page.click("#signin-form button[type=submit]");
      await page.waitForSelector("#workspace:not([hidden])");
      expect(await page.inputValue("#api-key")).to.equal("");
      const storage = await page.evaluate(() => ({
        session: { ...sessionStorage },
        local: { ...localStorage },
        url: location.href,
      }));
      expect(Object.values(storage.session)).to.deep.equal([csbKey]);
      expect(JSON.stringify(storage.local)).to.not.include(csbKey);
      expect(storage.url).to.equal(`${server.url}/officer`);
      // A reload in the same tab stays signed in; signing out forgets the key.
      await page.reload();
      await page.waitForSelector("body.ready");
      expect(await page.isVisible("#workspace")).to.equal(true);
      await page.click("#signout");
      expect(await page.isVisible("#signin")).to.equal(true);
      expect(await page.evaluate(() => sessionStorage.length)).to.equal(0);
      expect(page.errors.filter((e) => !e.includes("401"))).to.deep.equal([]);
      await page.close();
    });

    it("uploads csb-cre-bad-rows.csv and shows exactly the per-row errors of spreadsheet rows 3 to 11 (row, column, message), as the API reports them", async () => {
      const page = await openOfficer(csbKey);
      const batchId = await uploadCsv(page, "csb-cre", "csb-cre-bad-rows.csv");
      await page.waitForSelector("#errors-table");
      const shown = await errorTable(page);
      expect([...new Set(shown.map((e) => e.row))]).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const batch = (await api(server, "GET", `/batches/${batchId}`, { key: csbKey })).json;
      expect(shown).to.deep.equal(
        batch.errors.map((e: { row: number; column: string | null; message: { en: string } }) => ({
          row: e.row,
          column: e.column ?? "–",
          message: e.message.en,
        })),
      );
      expect(await page.textContent("#upload-message")).to.equal("3 of 12 rows accepted; 9 rows have errors.");
      await page.waitForSelector("#batch[data-done=true]", { timeout: 60_000 });
      await page.close();
    });

    it("uploads csb-cre.csv, follows the batch to issued, and downloads the claim codes, which open the candidates' certificates", async () => {
      const page = await openOfficer(csbKey);
      await uploadCsv(page, "csb-cre", "csb-cre.csv");
      await page.waitForSelector("#batch[data-done=true]", { timeout: 60_000 });
      expect(await page.textContent("#batch-progress-text")).to.equal("Done: every accepted certificate is issued.");
      const progress = await page.$eval("#batch-progress", (p) => [
        (p as HTMLProgressElement).value,
        (p as HTMLProgressElement).max,
      ]);
      expect(progress[0]).to.equal(progress[1]);
      expect(await page.$("#errors-table")).to.equal(null);
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#claim-codes")]);
      const lines = (await readFile((await download.path())!, "utf8")).trim().split(/\r\n/);
      expect(lines[0]).to.equal("row,certificate_number,claim_code");
      expect(lines.length - 1).to.equal(issued.length);
      const [, number, code] = lines[3].split(",");
      const claim = await api(server, "GET", `/claim/${code}`);
      expect(claim.json.certificateNumber).to.equal(number);
      expect(claim.json.status).to.equal("issued");
      officerUpload = { id: claim.json.id, number, code };
      await page.close();
    });

    it("finds a certificate, shows its status and history, and revokes it after a confirmation step; the verifier then says REVOKED", async () => {
      const page = await openOfficer(csbKey);
      await page.fill("#search-q", officerUpload.number);
      await page.click("#search-form button[type=submit]");
      await page.waitForSelector("#results-table");
      const numbers = await page.$$eval("#results-table tbody tr td:first-child", (cells) =>
        cells.map((c) => c.textContent),
      );
      expect(numbers.length).to.be.at.least(1);
      expect(numbers.every((n) => n === officerUpload.number)).to.equal(true);
      await page.click(`button[data-open="${officerUpload.id}"]`);
      await page.waitForSelector("#detail:not([hidden])");
      expect(await page.getAttribute("#detail", "data-status")).to.equal("issued");
      expect(
        await page.$$eval("#detail-history li", (items) => items.map((i) => (i as HTMLElement).dataset.event)),
      ).to.include("accepted");
      await page.selectOption("#action-kind", "revoke");
      await page.selectOption("#action-reason", "issued-in-error");
      await page.click("#action-submit");
      // Nothing is sent before the confirmation; cancelling sends nothing.
      expect(await page.textContent("#confirm-text")).to.equal(
        `Revoke certificate ${officerUpload.number}, reason: Issued in error? This is recorded on the blockchain.`,
      );
      await page.click("#confirm-no");
      expect(await page.isHidden("#confirm")).to.equal(true);
      expect((await api(server, "GET", `/certificates/${officerUpload.id}`, { key: csbKey })).json.status).to.equal(
        "issued",
      );
      await page.click("#action-submit");
      await page.click("#confirm-yes");
      await page.waitForSelector('#detail[data-status="revoked"]', { timeout: 60_000 });
      expect(await page.textContent("#action-message")).to.equal("Done: the certificate is now revoked.");
      const events = await page.$$eval("#detail-history li", (items) =>
        items.map((i) => (i as HTMLElement).dataset.event),
      );
      expect(events).to.include("revoke-requested");
      expect(await page.textContent("#detail-fields")).to.include("Issued in error");

      const credential = (await api(server, "GET", `/claim/${officerUpload.code}/credential`)).json as Credential;
      const verifier = await openPage(encodeCredentialUrl(server.dev!.verifierUrl, credential));
      const verdict = await readVerdict(verifier);
      expect(verdict.status).to.equal("INVALID");
      expect(verdict.reasons).to.include("REVOKED");
      await verifier.close();
      await page.close();
    });

    it("names the FSD officer's department and offers only FSD's certificate types to upload", async () => {
      const page = await openOfficer(fsdKey);
      expect(await page.textContent("#signed-in-as")).to.equal("Signed in for the Fire Services Department.");
      const options = await page.$$eval("#upload-type option", (o) => o.map((x) => (x as HTMLOptionElement).value));
      expect(options).to.deep.equal(["fsd-dg-licence", "fsd-fsi-contractor"]);
      await page.close();
    });

    it("does not show the FSD officer any CSB certificate", async () => {
      const page = await openOfficer(fsdKey);
      await page.fill("#search-q", issued[0].certificateNumber);
      await page.click("#search-form button[type=submit]");
      await page.waitForSelector("#search-none");
      // Every certificate of the department (an empty query): none, as FSD has issued none here.
      await page.$eval("#search-none", (e) => e.remove());
      await page.fill("#search-q", "");
      await page.click("#search-form button[type=submit]");
      await page.waitForSelector("#search-results #search-none, #results-table");
      const types = await page.$$eval("#results-table tbody tr td:nth-child(3)", (cells) =>
        cells.map((c) => c.textContent),
      );
      const fsdTitles = CERTIFICATE_TYPES.filter((type) => type.issuer === "FSD").map((type) => type.title.en);
      expect(types.filter((title) => !fsdTitles.includes(title ?? ""))).to.deep.equal([]);
      // Nor through the address of one: the API answers 404 for another department's certificate.
      expect((await api(server, "GET", `/certificates/${issued[0].id}`, { key: fsdKey })).status).to.equal(404);
      await page.close();
    });

    it("speaks Traditional Chinese: labels, error table, confirmation", async () => {
      const page = await openOfficer(csbKey);
      await page.click("#lang-switch");
      expect(await page.getAttribute("html", "lang")).to.equal("zh-HK");
      expect((await page.textContent("h1"))?.trim()).to.equal("香港電子證書：部門人員");
      await uploadCsv(page, "csb-cre", "csb-cre-bad-rows.csv");
      await page.waitForSelector("#errors-table");
      expect(await page.$$eval("#errors-table th", (cells) => cells.map((c) => c.textContent))).to.deep.equal([
        "行",
        "欄",
        "問題",
      ]);
      expect(await page.textContent("#upload-message")).to.equal("共 12 行，已接受 3 行；9 行有錯誤。");
      await page.fill("#search-q", issued[2].certificateNumber);
      await page.click("#search-form button[type=submit]");
      await page.click(`button[data-open="${issued[2].id}"]`);
      await page.waitForSelector("#detail:not([hidden])");
      await page.selectOption("#action-kind", "suspend");
      await page.selectOption("#action-reason", "under-investigation");
      await page.click("#action-submit");
      expect(await page.textContent("#confirm-text")).to.equal(
        `暫停證書 ${issued[2].certificateNumber}，原因：正接受調查？此操作會記錄於區塊鏈。`,
      );
      await page.click("#lang-switch");
      expect(await page.textContent("#confirm-text")).to.include("Suspend certificate");
      await page.click("#confirm-no");
      await page.close();
    });

    it("renews an FSD licence from a form prefilled with its fields: a bad field is named, the renewal is issued and supersedes it", async () => {
      const dg = await api(server, "POST", "/batches?type=fsd-dg-licence", {
        key: fsdKey,
        body: sampleCsv("fsd-dg-licence.csv"),
        contentType: "text/csv",
      });
      expect(dg.status).to.equal(202);
      await waitFor(
        async () => (await api(server, "GET", `/batches/${dg.json.batchId}`, { key: fsdKey })).json.done === true,
      );
      const licence = dg.json.certificates[0] as Accepted;
      const page = await openOfficer(fsdKey);
      await page.fill("#search-q", licence.certificateNumber);
      await page.click("#search-form button[type=submit]");
      await page.click(`button[data-open="${licence.id}"]`);
      await page.waitForSelector("#renew:not([hidden]) #renew-valid_until");
      expect(await page.inputValue("#renew-licence_number")).to.equal(licence.certificateNumber);
      const until = await page.inputValue("#renew-valid_until");
      expect(until).to.match(/^\d{4}-\d{2}-\d{2}$/);
      const next = `${Number(until.slice(0, 4)) + 1}${until.slice(4)}`;
      await page.fill("#renew-valid_until", next);
      await page.fill("#renew-licensee_en", "");
      await page.click("#renew-submit");
      await page.waitForSelector("#renew-licensee_en[aria-invalid=true]");
      expect(await page.textContent("#renew-licensee_en-error")).to.include("licensee_en");
      expect(await page.inputValue("#renew-valid_until")).to.equal(next);
      await page.fill("#renew-licensee_en", "Kowloon Gas Supplies Co. Ltd.");
      await page.click("#renew-submit");
      await page.waitForSelector("#renew[data-renewal]");
      expect(await page.textContent("#renew-message")).to.match(/^Renewal accepted: certificate .+, claim code .+\./);
      const renewal = (await page.getAttribute("#renew", "data-renewal"))!;
      await waitFor(
        async () =>
          (await api(server, "GET", `/certificates/${licence.id}`, { key: fsdKey })).json.status === "superseded",
      );
      const renewed = (await api(server, "GET", `/certificates/${renewal}/credential`, { key: fsdKey }))
        .json as Credential;
      // The end of that day in Hong Kong (UTC+8) is still that date in UTC.
      expect(renewed.validUntil!.slice(0, 10)).to.equal(next);
      await page.close();
    });

    it("has no serious or critical axe-core violations and fits a phone (both languages)", async () => {
      const phone = await browser.newContext({
        bypassCSP: true,
        viewport: { width: 360, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      });
      const desktop = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      try {
        for (const [label, on] of [
          ["desktop", desktop],
          ["phone", phone],
        ] as const) {
          const start = await openPage(`${server.url}/officer`, on);
          problems.push(...(await axeProblems(start, `${label} sign-in`)));
          await start.close();
          const page = await openOfficer(csbKey, on);
          await uploadCsv(page, "csb-cre", "csb-cre-bad-rows.csv");
          await page.waitForSelector("#errors-table");
          await page.fill("#search-q", issued[3].certificateNumber);
          await page.click("#search-form button[type=submit]");
          await page.click(`button[data-open="${issued[3].id}"]`);
          await page.waitForSelector("#detail:not([hidden])");
          // Without a reason, the form says one must be chosen; with one, it asks for confirmation.
          await page.click("#action-submit");
          await page.waitForSelector('#action-reason[aria-invalid="true"]');
          problems.push(...(await axeProblems(page, `${label} no reason`)));
          await page.selectOption("#action-reason", "under-investigation");
          await page.click("#action-submit");
          problems.push(...(await axeProblems(page, `${label} workspace`)));
          expect(
            await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
          ).to.equal(0);
          await page.click("#confirm-no");
          await page.close();
        }
      } finally {
        await phone.close();
        await desktop.close();
      }
      expect(problems).to.deep.equal([]);
    });
  });

  describe("screenshots", () => {
    it("takes screenshots of the officer page (sign-in, upload errors, batch issued, certificate with confirmation)", async () => {
      const signIn = async (page: Page) => {
        await page.goto(`${server.url}/officer`);
        await page.waitForSelector("body.ready");
        await page.click("#key-signin summary");
        await page.fill("#api-key", csbKey);
        await page.click("#signin-form button[type=submit]");
        await page.waitForSelector("#workspace:not([hidden])");
      };
      await screenshot("officer-desktop-signin-en", { width: 1280, height: 900 }, "en", async (page) => {
        await page.goto(`${server.url}/officer`);
        await page.waitForSelector("body.ready");
      });
      await screenshot("officer-desktop-errors-en", { width: 1280, height: 900 }, "en", async (page) => {
        await signIn(page);
        await uploadCsv(page, "csb-cre", "csb-cre-bad-rows.csv");
        await page.waitForSelector("#batch[data-done=true]", { timeout: 60_000 });
      });
      await screenshot("officer-desktop-issued-zh", { width: 1280, height: 900 }, "zh-HK", async (page) => {
        await signIn(page);
        await uploadCsv(page, "csb-cre", "csb-cre.csv");
        await page.waitForSelector("#batch[data-done=true]", { timeout: 60_000 });
      });
      await screenshot("officer-phone-confirm-en", { width: 390, height: 844 }, "en", async (page) => {
        await signIn(page);
        await page.fill("#search-q", issued[4].certificateNumber);
        await page.click("#search-form button[type=submit]");
        await page.click(`button[data-open="${issued[4].id}"]`);
        await page.waitForSelector("#detail:not([hidden])");
        await page.selectOption("#action-reason", "fraud");
        await page.click("#action-submit");
        await page.$eval("#search-results .table-wrap", (wrap) => wrap.scrollTo(0, 0));
      });
    });
  });
});
