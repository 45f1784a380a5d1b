import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Credential } from "../../core/credential.ts";
import type { RunningServer } from "../../server/start.ts";
import { api } from "../server/api/api-helpers.ts";
import { CHROMIUM, closeBrowser, readVerdict } from "./browser-helpers.ts";
import { axeProblems, portalPages, startPortal, type Accepted, type PageWithErrors } from "./portal-helpers.ts";

describe("candidate /claim page in Chromium (embedded default server)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  /** CSB exam results issued through the API, for the candidate. */
  let issued: Accepted[];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the browser tests)`);
      this.skip();
    }
    ({ dataDir, server, browser, context, issued } = await startPortal("ecert-claim-"));
  });

  after(async () => {
    await closeBrowser(browser);
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const { openPage, screenshot } = portalPages(() => ({ browser, context, dataDir }));

  /** Opens the candidate page on `code` (in the fragment) and waits for the certificate. */
  async function openClaim(code: string, on: BrowserContext = context): Promise<PageWithErrors> {
    const page = await openPage(`${server.url}/claim#${code}`, on);
    await page.waitForSelector("#certificate:not([hidden])");
    return page;
  }

  describe("candidate /claim", () => {
    it("serves /claim and /officer under the strict CSP, with no inline script or style", async () => {
      for (const route of ["/claim", "/officer"]) {
        const res = await fetch(`${server.url}${route}`);
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-security-policy") ?? "")
          .to.include("script-src 'self'")
          .and.include("style-src 'self'");
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
      await page.waitForFunction(() =>
        document.getElementById("code-message")!.textContent!.startsWith("No certificate"),
      );
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
      const fields = await page.$$eval("#cert-fields .fields__row", (rows) =>
        rows.map((r) => [r.querySelector("dt")!.textContent, r.querySelector("dd")!.textContent]),
      );
      const byLabel = Object.fromEntries(fields);
      expect(byLabel["Certificate"]).to.equal("Common Recruitment Examination Result");
      expect(byLabel["Certificate No."]).to.equal(issued[0].certificateNumber);
      expect(byLabel["Status"]).to.equal("issued");
      expect(byLabel["Name (English)"]).to.be.a("string").and.not.equal("");
      expect(byLabel["HKID No. (partial)"]).to.match(/^[A-Z]{1,2}\d{3}\*\*\*\(\*\)$/);
      expect(byLabel["Use of English"]).to.match(/Level 2|Level 1|Fail/);
      expect(page.url()).to.equal(`${server.url}/claim`);
      // The code goes to the claim API only, in its path; never in a query string.
      expect(
        requests
          .filter((u) => u.includes(issued[0].claimCode))
          .every((u) => new URL(u).pathname.startsWith("/api/v1/claim/") && new URL(u).search === ""),
      ).to.equal(true);
      await page.close();
    });

    it("downloads the signed PDF and the credential JSON the claim API serves", async () => {
      const page = await openClaim(issued[0].claimCode);
      const [pdfDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-pdf")]);
      const pdf = await readFile((await pdfDownload.path())!);
      expect(pdfDownload.suggestedFilename()).to.equal(`${issued[0].certificateNumber}.pdf`);
      expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
      expect(
        Buffer.compare(pdf, Buffer.from((await api(server, "GET", `/claim/${issued[0].claimCode}/pdf`)).bytes)),
      ).to.equal(0);
      const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-credential")]);
      const credential = JSON.parse(await readFile((await jsonDownload.path())!, "utf8")) as Credential;
      expect(credential).to.deep.equal((await api(server, "GET", `/claim/${issued[0].claimCode}/credential`)).json);
      expect(page.errors).to.deep.equal([]);
      await page.close();
    });

    it("makes a share link hiding two fields in the browser (no request sent) that the verifier page finds VALID with those two fields hidden", async () => {
      const page = await openClaim(issued[0].claimCode);
      const choices = await page.$$eval("#share-fields input[type=checkbox]", (inputs) =>
        inputs.map((i) => (i as HTMLInputElement).dataset.column),
      );
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
      const rows = await verifier.$$eval(".panel--certificate .fields__row", (list) =>
        list.map((r) => [r.querySelector("dt")!.textContent, r.querySelector("dd .hidden-field") !== null]),
      );
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
          const empty = await openPage(`${server.url}/claim`, on);
          problems.push(...(await axeProblems(empty, `${label} start`)));
          await empty.close();
          const page = await openClaim(issued[0].claimCode, on);
          await page.check("#hide-hkid_partial");
          await page.click("#share-make");
          await page.waitForSelector("#share-result:not([hidden])");
          problems.push(...(await axeProblems(page, `${label} certificate`)));
          expect(
            await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
          ).to.equal(0);
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
  });
});
