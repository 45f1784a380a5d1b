import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Credential } from "../../core/credential.ts";
import { encodeCredentialUrl } from "../../core/qrPayload.ts";
import { CERTIFICATE_TYPES } from "../../core/types/index.ts";
import { loadConfig } from "../../server/config.ts";
import { startServer, type RunningServer } from "../../server/start.ts";
import { sampleCsv } from "../server/pdf/documents-helpers.ts";
import { api, waitFor } from "../server/api/api-helpers.ts";
import { CHROMIUM, CHROMIUM_ARGS, closeBrowser, readVerdict } from "./browser-helpers.ts";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
/** Set to a directory (e.g. docs/images) to keep the screenshots; otherwise they go to a temporary one. */
const SCREENSHOTS_DIR = process.env.VERIFIER_SCREENSHOTS_DIR;

type PageWithErrors = Page & { errors: string[] };
type Accepted = { row: number; id: string; certificateNumber: string; claimCode: string };

describe("candidate /claim and officer /officer pages in Chromium (embedded default server)", function () {
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
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-claim-officer-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }));
    csbKey = server.dev!.apiKeys.CSB;
    fsdKey = server.dev!.apiKeys.FSD;
    const cre = await api(server, "POST", "/batches?type=csb-cre", { key: csbKey, body: sampleCsv("csb-cre.csv"), contentType: "text/csv" });
    expect(cre.status).to.equal(202);
    issued = cre.json.certificates;
    await waitFor(async () => (await api(server, "GET", `/batches/${cre.json.batchId}`, { key: csbKey })).json.done === true);
    expect((await fetch(`${server.url}/claim`)).status).to.equal(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB", acceptDownloads: true });
  });

  after(async () => {
    await closeBrowser(browser);
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A fresh page, failing the test on any console error (a CSP violation is one). */
  async function openPage(url: string, on: BrowserContext = context): Promise<PageWithErrors> {
    const page = (await on.newPage()) as PageWithErrors;
    page.errors = [];
    page.on("console", (message) => {
      if (message.type() === "error") page.errors.push(message.text());
    });
    page.on("pageerror", (error) => page.errors.push(String(error)));
    await page.goto(url);
    await page.waitForSelector("body.ready");
    return page;
  }

  /** Opens the candidate page on `code` (in the fragment) and waits for the certificate. */
  async function openClaim(code: string, on: BrowserContext = context): Promise<PageWithErrors> {
    const page = await openPage(`${server.url}/claim#${code}`, on);
    await page.waitForSelector("#certificate:not([hidden])");
    return page;
  }

  async function axeProblems(page: Page, label: string): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    const problems: string[] = [];
    for (const lang of ["en", "zh-HK"]) {
      if ((await page.getAttribute("html", "lang")) !== lang) await page.click("#lang-switch");
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
        const { violations } = await axe.run(document);
        return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      });
      problems.push(...violations.map((v) => `${label} ${lang}: ${v}`));
    }
    return problems;
  }

  describe("candidate /claim", () => {
    it("serves /claim and /officer under the strict CSP, with no inline script or style", async () => {
      for (const route of ["/claim", "/officer"]) {
        const res = await fetch(`${server.url}${route}`);
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-security-policy") ?? "").to.include("script-src 'self'").and.include("style-src 'self'");
        expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
        const html = await res.text();
        expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/i);
        expect(html).to.not.match(/\sstyle=|<style/i);
        expect(html).to.not.match(/\son[a-z]+=/i);
      }
      const page = await openPage(`${server.url}/claim`);
      expect((await page.textContent("h1"))?.trim()).to.equal("HK e-Cert: your certificate");
      expect(page.errors).to.deep.equal([]);
      await page.close();
    });

    it("says a wrong claim code opens nothing, and an empty one is asked for", async () => {
      const page = await openPage(`${server.url}/claim`);
      await page.click("#code-submit");
      expect(await page.textContent("#code-message")).to.equal("Enter your claim code first.");
      await page.fill("#code", "NOT-A-REAL-CODE");
      await page.click("#code-submit");
      await page.waitForFunction(() => document.getElementById("code-message")!.textContent!.startsWith("No certificate"));
      expect(await page.getAttribute("#code", "aria-invalid")).to.equal("true");
      expect(await page.isHidden("#certificate")).to.equal(true);
      await page.close();
    });

    it("opens the certificate from /claim#<code> (the code never in a query string) with the schema's labels, and forgets the code in the address", async () => {
      const requests: string[] = [];
      const page = (await context.newPage()) as PageWithErrors;
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(`${server.url}/claim#${issued[0].claimCode}`);
      await page.waitForSelector("#certificate:not([hidden])");
      const fields = await page.$$eval("#cert-fields .fields__row", (rows) => rows.map((r) => [r.querySelector("dt")!.textContent, r.querySelector("dd")!.textContent]));
      const byLabel = Object.fromEntries(fields);
      expect(byLabel["Certificate"]).to.equal("Common Recruitment Examination Result");
      expect(byLabel["Certificate No."]).to.equal(issued[0].certificateNumber);
      expect(byLabel["Status"]).to.equal("issued");
      expect(byLabel["Name (English)"]).to.be.a("string").and.not.equal("");
      expect(byLabel["HKID No. (partial)"]).to.match(/^[A-Z]{1,2}\d{3}\*\*\*\(\*\)$/);
      expect(byLabel["Use of English"]).to.match(/Level 2|Level 1|Fail/);
      expect(page.url()).to.equal(`${server.url}/claim`);
      // The code goes to the claim API only, in its path; never in a query string.
      expect(requests.filter((u) => u.includes(issued[0].claimCode)).every((u) => new URL(u).pathname.startsWith("/api/v1/claim/") && new URL(u).search === "")).to.equal(true);
      await page.close();
    });

    it("downloads the signed PDF and the credential JSON the claim API serves", async () => {
      const page = await openClaim(issued[0].claimCode);
      const [pdfDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-pdf")]);
      const pdf = await readFile((await pdfDownload.path())!);
      expect(pdfDownload.suggestedFilename()).to.equal(`${issued[0].certificateNumber}.pdf`);
      expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
      expect(Buffer.compare(pdf, Buffer.from((await api(server, "GET", `/claim/${issued[0].claimCode}/pdf`)).bytes))).to.equal(0);
      const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-credential")]);
      const credential = JSON.parse(await readFile((await jsonDownload.path())!, "utf8")) as Credential;
      expect(credential).to.deep.equal((await api(server, "GET", `/claim/${issued[0].claimCode}/credential`)).json);
      expect(page.errors).to.deep.equal([]);
      await page.close();
    });

    it("makes a share link hiding two fields in the browser (no request sent) that the verifier page finds VALID with those two fields hidden", async () => {
      const page = await openClaim(issued[0].claimCode);
      const choices = await page.$$eval("#share-fields input[type=checkbox]", (inputs) => inputs.map((i) => (i as HTMLInputElement).dataset.column));
      expect(choices).to.deep.equal(["name_en", "name_zh", "hkid_partial", "uc_result", "ue_result", "at_result"]);
      await page.check("#hide-hkid_partial");
      await page.check("#hide-name_zh");
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      await page.click("#share-make");
      await page.waitForSelector("#share-result:not([hidden])");
      expect(requests.filter((u) => !u.startsWith("data:"))).to.deep.equal([]);
      const link = await page.inputValue("#share-link");
      expect(link.startsWith(`${server.url}/#1`)).to.equal(true);
      expect(await page.getAttribute("#share-qr", "src")).to.match(/^data:image\/png;base64,/);
      expect(await page.textContent("#share-summary")).to.equal("Hidden: Name (Chinese), HKID No. (partial).");
      expect(page.errors).to.deep.equal([]);

      const verifier = await openPage(link);
      const verdict = await readVerdict(verifier);
      expect(verdict.status).to.equal("VALID");
      const rows = await verifier.$$eval(".panel--certificate .fields__row", (list) => list.map((r) => [r.querySelector("dt")!.textContent, r.querySelector("dd .hidden-field") !== null]));
      const hidden = rows.filter(([, isHidden]) => isHidden).map(([label]) => label);
      expect(hidden).to.deep.equal(["Name (Chinese)", "HKID No. (partial)"]);
      const text = await verifier.textContent(".panel--certificate");
      expect(text).to.include(issued[0].certificateNumber);
      await verifier.close();
      await page.close();
    });

    it("speaks Traditional Chinese: every label, the schema's field labels and the share summary", async () => {
      const page = await openClaim(issued[1].claimCode);
      await page.click("#lang-switch");
      expect(await page.getAttribute("html", "lang")).to.equal("zh-HK");
      expect((await page.textContent("h1"))?.trim()).to.equal("香港電子證書：你的證書");
      expect(await page.textContent("#download-pdf")).to.equal("下載PDF");
      const labels = await page.$$eval("#cert-fields dt", (list) => list.map((d) => d.textContent));
      expect(labels).to.include.members(["證書", "證書編號", "英文姓名", "香港身份證號碼（部分）", "中文運用"]);
      await page.check("#hide-name_en");
      await page.click("#share-make");
      await page.waitForSelector("#share-result:not([hidden])");
      expect(await page.textContent("#share-summary")).to.equal("已隱藏：英文姓名。");
      // Switching back keeps the ticks and translates the summary.
      await page.click("#lang-switch");
      expect(await page.textContent("#share-summary")).to.equal("Hidden: Name (English).");
      expect(await page.isChecked("#hide-name_en")).to.equal(true);
      await page.close();
    });

    it("has no serious or critical axe-core violations and fits a phone (both languages)", async () => {
      const phone = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      const desktop = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      try {
        for (const [label, on] of [["desktop", desktop], ["phone", phone]] as const) {
          const empty = await openPage(`${server.url}/claim`, on);
          problems.push(...(await axeProblems(empty, `${label} start`)));
          await empty.close();
          const page = await openClaim(issued[0].claimCode, on);
          await page.check("#hide-hkid_partial");
          await page.click("#share-make");
          await page.waitForSelector("#share-result:not([hidden])");
          problems.push(...(await axeProblems(page, `${label} certificate`)));
          expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).to.equal(0);
          await page.close();
        }
      } finally {
        await phone.close();
        await desktop.close();
      }
      expect(problems).to.deep.equal([]);
    });
  });

  /** Opens the officer page and signs in with `key`. */
  async function openOfficer(key: string, on: BrowserContext = context): Promise<PageWithErrors> {
    const page = await openPage(`${server.url}/officer`, on);
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
    const text = new TextDecoder().decode(sampleCsv(file)).replaceAll("2026-09-12", `2026-08-${String(uploads).padStart(2, "0")}`);
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
    it("signs in with the department API key kept in sessionStorage only (never the address or localStorage), refuses a wrong key, signs out", async () => {
      const page = await openPage(`${server.url}/officer`);
      expect((await page.textContent("h1"))?.trim()).to.equal("HK e-Cert: department officers");
      expect(await page.isHidden("#workspace")).to.equal(true);
      await page.fill("#api-key", "not-a-key");
      await page.click("#signin-form button[type=submit]");
      await page.waitForSelector("#signin-message:not([hidden])");
      expect(await page.textContent("#signin-message")).to.equal("This API key is not valid.");
      await page.fill("#api-key", csbKey);
      await page.click("#signin-form button[type=submit]");
      await page.waitForSelector("#workspace:not([hidden])");
      expect(await page.inputValue("#api-key")).to.equal("");
      const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, url: location.href }));
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

    it("uploads csb-cre-bad-rows.csv and shows exactly the per-row errors of rows 2 to 10 (row, column, message), as the API reports them", async () => {
      const page = await openOfficer(csbKey);
      const batchId = await uploadCsv(page, "csb-cre", "csb-cre-bad-rows.csv");
      await page.waitForSelector("#errors-table");
      const shown = await errorTable(page);
      expect([...new Set(shown.map((e) => e.row))]).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const batch = (await api(server, "GET", `/batches/${batchId}`, { key: csbKey })).json;
      expect(shown).to.deep.equal(batch.errors.map((e: { row: number; column: string | null; message: string }) => ({ row: e.row, column: e.column ?? "–", message: e.message })));
      expect(await page.textContent("#upload-message")).to.equal("3 of 12 rows accepted; 9 rows have errors.");
      await page.waitForSelector("#batch[data-done=true]", { timeout: 60_000 });
      await page.close();
    });

    it("uploads csb-cre.csv, follows the batch to issued, and downloads the claim codes, which open the candidates' certificates", async () => {
      const page = await openOfficer(csbKey);
      await uploadCsv(page, "csb-cre", "csb-cre.csv");
      await page.waitForSelector("#batch[data-done=true]", { timeout: 60_000 });
      expect(await page.textContent("#batch-progress-text")).to.equal("Done: every accepted certificate is issued.");
      const progress = await page.$eval("#batch-progress", (p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max]);
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
      const numbers = await page.$$eval("#results-table tbody tr td:first-child", (cells) => cells.map((c) => c.textContent));
      expect(numbers.length).to.be.at.least(1);
      expect(numbers.every((n) => n === officerUpload.number)).to.equal(true);
      await page.click(`button[data-open="${officerUpload.id}"]`);
      await page.waitForSelector("#detail:not([hidden])");
      expect(await page.getAttribute("#detail", "data-status")).to.equal("issued");
      expect(await page.$$eval("#detail-history li", (items) => items.map((i) => (i as HTMLElement).dataset.event))).to.include("accepted");
      await page.selectOption("#action-kind", "revoke");
      await page.selectOption("#action-reason", "issued-in-error");
      await page.click("#action-submit");
      // Nothing is sent before the confirmation; cancelling sends nothing.
      expect(await page.textContent("#confirm-text")).to.equal(`Revoke certificate ${officerUpload.number}, reason: Issued in error? This is recorded on the blockchain.`);
      await page.click("#confirm-no");
      expect(await page.isHidden("#confirm")).to.equal(true);
      expect((await api(server, "GET", `/certificates/${officerUpload.id}`, { key: csbKey })).json.status).to.equal("issued");
      await page.click("#action-submit");
      await page.click("#confirm-yes");
      await page.waitForSelector('#detail[data-status="revoked"]', { timeout: 60_000 });
      expect(await page.textContent("#action-message")).to.equal("Done: the certificate is now revoked.");
      const events = await page.$$eval("#detail-history li", (items) => items.map((i) => (i as HTMLElement).dataset.event));
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
      const types = await page.$$eval("#results-table tbody tr td:nth-child(3)", (cells) => cells.map((c) => c.textContent));
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
      expect(await page.$$eval("#errors-table th", (cells) => cells.map((c) => c.textContent))).to.deep.equal(["行", "欄", "問題"]);
      expect(await page.textContent("#upload-message")).to.equal("共 12 行，已接受 3 行；9 行有錯誤。");
      await page.fill("#search-q", issued[2].certificateNumber);
      await page.click("#search-form button[type=submit]");
      await page.click(`button[data-open="${issued[2].id}"]`);
      await page.waitForSelector("#detail:not([hidden])");
      await page.selectOption("#action-kind", "suspend");
      await page.selectOption("#action-reason", "under-investigation");
      await page.click("#action-submit");
      expect(await page.textContent("#confirm-text")).to.equal(`暫停證書 ${issued[2].certificateNumber}，原因：正接受調查？此操作會記錄於區塊鏈。`);
      await page.click("#lang-switch");
      expect(await page.textContent("#confirm-text")).to.include("Suspend certificate");
      await page.click("#confirm-no");
      await page.close();
    });

    it("renews an FSD licence from a form prefilled with its fields: a bad field is named, the renewal is issued and supersedes it", async () => {
      const dg = await api(server, "POST", "/batches?type=fsd-dg-licence", { key: fsdKey, body: sampleCsv("fsd-dg-licence.csv"), contentType: "text/csv" });
      expect(dg.status).to.equal(202);
      await waitFor(async () => (await api(server, "GET", `/batches/${dg.json.batchId}`, { key: fsdKey })).json.done === true);
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
      await waitFor(async () => (await api(server, "GET", `/certificates/${licence.id}`, { key: fsdKey })).json.status === "superseded");
      const renewed = (await api(server, "GET", `/certificates/${renewal}/credential`, { key: fsdKey })).json as Credential;
      // The end of that day in Hong Kong (UTC+8) is still that date in UTC.
      expect(renewed.validUntil!.slice(0, 10)).to.equal(next);
      await page.close();
    });

    it("has no serious or critical axe-core violations and fits a phone (both languages)", async () => {
      const phone = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      const desktop = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      try {
        for (const [label, on] of [["desktop", desktop], ["phone", phone]] as const) {
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
          await page.click("#action-submit");
          problems.push(...(await axeProblems(page, `${label} workspace`)));
          expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).to.equal(0);
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

  /** Screenshots of a page, with Noto Sans HK lent for CJK characters (this machine has no CJK system font). */
  async function screenshot(name: string, viewport: { width: number; height: number }, lang: "en" | "zh-HK", prepare: (page: Page) => Promise<void>): Promise<void> {
    const dir = SCREENSHOTS_DIR ? path.resolve(SCREENSHOTS_DIR) : path.join(dataDir, "screenshots");
    await mkdir(dir, { recursive: true });
    const fonts = path.dirname(require.resolve("@expo-google-fonts/noto-sans-hk/package.json"));
    const phone = viewport.width < 600;
    const shotContext = await browser.newContext({ viewport, deviceScaleFactor: phone ? 2 : 1, isMobile: phone, hasTouch: phone, reducedMotion: "reduce" });
    try {
      await shotContext.route("**/__test-fonts/*.ttf", async (route) => {
        const weight = route.request().url().includes("700") ? "700Bold/NotoSansHK_700Bold.ttf" : "400Regular/NotoSansHK_400Regular.ttf";
        await route.fulfill({ body: await readFile(path.join(fonts, weight)), contentType: "font/ttf" });
      });
      await shotContext.route(/\/portal-[A-Z0-9]+\.css$/, async (route) => {
        const response = await route.fetch();
        const cjk = "unicode-range: U+2E80-33FF, U+3400-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF, U+20000-2FA1F";
        const faces =
          `@font-face { font-family: "Test CJK"; font-weight: 100 500; src: url("/__test-fonts/400.ttf"); ${cjk}; }\n` +
          `@font-face { font-family: "Test CJK"; font-weight: 600 900; src: url("/__test-fonts/700.ttf"); ${cjk}; }\n` +
          ':root { font-family: "Test CJK", system-ui, sans-serif; }\n';
        await route.fulfill({ response, body: `${await response.text()}\n${faces}` });
      });
      const page = await shotContext.newPage();
      await prepare(page);
      if (lang === "zh-HK" && (await page.getAttribute("html", "lang")) !== "zh-HK") await page.click("#lang-switch");
      await page.evaluate(async () => {
        await Promise.all([document.fonts.load('400 16px "Test CJK"', "香港"), document.fonts.load('700 16px "Test CJK"', "香港")]);
        await document.fonts.ready;
      });
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    } finally {
      await shotContext.close();
    }
  }

  describe("screenshots", () => {
    it("takes screenshots of the candidate page (desktop and phone, English and Chinese)", async () => {
      const claimed = async (page: Page) => {
        await page.goto(`${server.url}/claim#${issued[0].claimCode}`);
        await page.waitForSelector("#certificate:not([hidden])");
        await page.check("#hide-hkid_partial");
        await page.check("#hide-name_zh");
        await page.click("#share-make");
        await page.waitForSelector("#share-result:not([hidden])");
      };
      await screenshot("claim-desktop-en", { width: 1280, height: 900 }, "en", claimed);
      await screenshot("claim-phone-zh", { width: 390, height: 844 }, "zh-HK", claimed);
      await screenshot("claim-phone-start-en", { width: 390, height: 844 }, "en", async (page) => {
        await page.goto(`${server.url}/claim`);
        await page.waitForSelector("body.ready");
      });
    });

    it("takes screenshots of the officer page (sign-in, upload errors, batch issued, certificate with confirmation)", async () => {
      const signIn = async (page: Page) => {
        await page.goto(`${server.url}/officer`);
        await page.waitForSelector("body.ready");
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
