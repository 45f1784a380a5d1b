import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { readFile, rm } from "node:fs/promises";
import { expect } from "chai";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Credential } from "../../core/credential.ts";
import type { RunningServer } from "../../server/start.ts";
import { api } from "../server/api/api-helpers.ts";
import { CHROMIUM, closeBrowser, readVerdict } from "./browser-helpers.ts";
import { axeProblems, portalPages, startPortal, type Accepted, type PageWithErrors } from "./portal-helpers.ts";

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

// jsqr is CommonJS with an ES-style `export default` in its types: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

describe("candidate /claim page in Chromium (embedded default server)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  /** CSB exam results issued through the API, for the candidate. */
  let issued: Accepted[];
  let csbKey: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; install Debian's chromium package to run the browser tests)`);
      this.skip();
    }
    ({ dataDir, server, browser, context, issued, csbKey } = await startPortal("ecert-claim-"));
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

    it("downloads the share's QR code as a PNG and an SVG image of the share link, and offers the share sheet only where the browser has one", async () => {
      /** The text of the QR code in a PNG's bytes. */
      const qrText = (bytes: Buffer): string | undefined => {
        const png = PNG.sync.read(bytes);
        return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
      };
      const page = (await context.newPage()) as PageWithErrors;
      page.errors = [];
      page.on("console", (message) => {
        if (message.type() === "error") page.errors.push(message.text());
      });
      // A browser with a share sheet: record what the page hands it.
      // (A string: the test's compiled functions may call helpers the page does not have.)
      await page.addInitScript(`
        window.shared = [];
        Object.defineProperty(Navigator.prototype, "share", {
          configurable: true,
          value: function (data) { window.shared.push(data); return Promise.resolve(); },
        });
      `);
      await page.goto(`${server.url}/claim#${issued[0].claimCode}`);
      await page.waitForSelector("#certificate:not([hidden])");
      await page.check("#hide-hkid_partial");
      await page.click("#share-make");
      await page.waitForSelector("#share-result:not([hidden])");
      const link = await page.inputValue("#share-link");

      const [pngDownload] = await Promise.all([page.waitForEvent("download"), page.click("#share-qr-png")]);
      expect(pngDownload.suggestedFilename()).to.equal(`${issued[0].certificateNumber}-share-qr.png`);
      const png = await readFile((await pngDownload.path())!);
      expect([...png.subarray(0, 8)]).to.deep.equal([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(qrText(png)).to.equal(link);

      const [svgDownload] = await Promise.all([page.waitForEvent("download"), page.click("#share-qr-svg")]);
      expect(svgDownload.suggestedFilename()).to.equal(`${issued[0].certificateNumber}-share-qr.svg`);
      const svg = await readFile((await svgDownload.path())!, "utf8");
      // The SVG parses as SVG, and drawn by the browser (at 600 px) it is the same QR code.
      const drawn = await page.evaluate(async (text) => {
        const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
        const root = parsed.documentElement;
        if (parsed.querySelector("parsererror") || root.localName !== "svg") return { parsed: false, png: "" };
        const image = new Image();
        image.src = `data:image/svg+xml;base64,${btoa(text)}`;
        await image.decode();
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 600;
        const context2d = canvas.getContext("2d")!;
        context2d.fillStyle = "#fff";
        context2d.fillRect(0, 0, 600, 600);
        context2d.drawImage(image, 0, 0, 600, 600);
        return { parsed: true, png: canvas.toDataURL("image/png").split(",")[1] };
      }, svg);
      expect(drawn.parsed).to.equal(true);
      expect(qrText(Buffer.from(drawn.png, "base64"))).to.equal(link);

      expect(await page.isVisible("#share-native")).to.equal(true);
      await page.click("#share-native");
      await page.waitForFunction(() => (window as unknown as { shared: ShareData[] }).shared.length > 0);
      expect(await page.evaluate(() => (window as unknown as { shared: ShareData[] }).shared)).to.deep.equal([
        { title: "Common Recruitment Examination Result", url: link },
      ]);
      expect(page.errors).to.deep.equal([]);
      await page.close();

      // Where there is no share sheet, no button for it.
      const plain = (await context.newPage()) as PageWithErrors;
      await plain.addInitScript("delete Navigator.prototype.share");
      await plain.goto(`${server.url}/claim#${issued[0].claimCode}`);
      await plain.waitForSelector("#certificate:not([hidden])");
      await plain.click("#share-make");
      await plain.waitForSelector("#share-result:not([hidden])");
      expect(await plain.isHidden("#share-native")).to.equal(true);
      expect(await plain.isVisible("#share-qr-png")).to.equal(true);
      await plain.close();
    });

    it("keeps one name shown: the last name's box is disabled with the reason beside it (both languages, axe clean), and a candidate with no Chinese name cannot hide the English one", async () => {
      const en = "At least one name must stay shown: an employer compares the name with your identity document.";
      const zh = "最少須顯示一個姓名：僱主會把姓名與你的身份證明文件核對。";
      const checked = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      try {
        const page = await openClaim(issued[0].claimCode, checked);
        expect(await page.isDisabled("#hide-name_zh")).to.equal(false);
        expect(await page.isHidden("#hide-name_zh-why")).to.equal(true);
        await page.check("#hide-name_en");
        expect(await page.isDisabled("#hide-name_zh")).to.equal(true);
        expect(await page.isDisabled("#hide-name_en")).to.equal(false);
        expect(await page.textContent("#hide-name_zh-why")).to.equal(en);
        expect(await page.getAttribute("#hide-name_zh", "aria-describedby")).to.equal("hide-name_zh-why");
        // The focus stays on the box just ticked (the choices are updated in place).
        expect(await page.evaluate(() => document.activeElement?.id)).to.equal("hide-name_en");
        await page.click("#share-make");
        await page.waitForSelector("#share-result:not([hidden])");
        expect(await page.textContent("#share-summary")).to.equal("Hidden: Name (English).");
        expect(await axeProblems(page, "a name's box disabled")).to.deep.equal([]);
        // axeProblems left the page in Chinese: the reason is in Chinese too.
        expect(await page.getAttribute("html", "lang")).to.equal("zh-HK");
        expect(await page.textContent("#hide-name_zh-why")).to.equal(zh);
        expect(await page.isDisabled("#hide-name_zh")).to.equal(true);
        await page.uncheck("#hide-name_en");
        expect(await page.isDisabled("#hide-name_zh")).to.equal(false);
        expect(await page.isHidden("#hide-name_zh-why")).to.equal(true);
        expect(await page.getAttribute("#hide-name_zh", "aria-describedby")).to.equal(null);
        await page.check("#hide-name_zh");
        expect(await page.isDisabled("#hide-name_en")).to.equal(true);
        expect(await page.textContent("#hide-name_en-why")).to.equal(zh);
        expect(page.errors).to.deep.equal([]);
        await page.close();

        const noChineseName = issued.find((c) => c.certificateNumber.startsWith("CRE2026000008-"))!;
        const single = await openClaim(noChineseName.claimCode, checked);
        expect(await single.$("#hide-name_zh")).to.equal(null);
        expect(await single.isDisabled("#hide-name_en")).to.equal(true);
        // The language chosen above is kept; the reason follows a switch.
        expect(await single.textContent("#hide-name_en-why")).to.equal(zh);
        await single.click("#lang-switch");
        expect(await single.textContent("#hide-name_en-why")).to.equal(en);
        expect(await single.isDisabled("#hide-hkid_partial")).to.equal(false);
        await single.close();
      } finally {
        await checked.close();
      }
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

  describe("a revoked or suspended certificate", () => {
    /** Changes a certificate's status through the API (no approvals in this suite) and waits for it. */
    async function change(id: string, kind: "revoke" | "suspend", reason: string, status: string): Promise<void> {
      const res = await api(server, "POST", `/certificates/${id}/${kind}`, { key: csbKey, json: { reason } });
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      const deadline = Date.now() + 60_000;
      while ((await api(server, "GET", `/certificates/${id}`, { key: csbKey })).json.status !== status) {
        if (Date.now() > deadline) throw new Error(`certificate ${id} never became ${status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    /** The notice's paragraphs and heading, in order. */
    async function notice(page: Page): Promise<string[]> {
      return page.$$eval("#cert-notice h3, #cert-notice p", (nodes) => nodes.map((n) => n.textContent ?? ""));
    }

    before(async () => {
      await change(issued[3].id, "revoke", "fraud", "revoked");
      await change(issued[4].id, "suspend", "under-investigation", "suspended");
    });

    it("says in both languages that a revoked certificate is revoked, by whom, why and what to do, and offers no share link", async () => {
      const page = await openClaim(issued[3].claimCode);
      expect(await page.isVisible("#cert-notice")).to.equal(true);
      expect(await page.getAttribute("#cert-notice", "class")).to.include("message--error");
      expect(await notice(page)).to.deep.equal([
        "This certificate has been revoked",
        "The Civil Service Bureau has revoked this certificate. It is no longer valid: anyone who checks it is told it is revoked.",
        "Reason: Obtained by fraud.",
        "What to do: if you have questions, or think this is a mistake, contact the Civil Service Bureau. Do not use this certificate or share it as valid.",
        "Share links are not offered for a certificate that is not valid.",
      ]);
      expect(await page.isHidden("#share")).to.equal(true);
      expect(await page.$$eval("#share-fields input", (inputs) => inputs.length)).to.equal(0);
      expect(await page.textContent(".status-badge")).to.equal("revoked");
      await page.click("#lang-switch");
      expect(await notice(page)).to.deep.equal([
        "此證書已被撤銷",
        "公務員事務局已撤銷此證書。證書已不再有效：任何人核實時都會得知證書已被撤銷。",
        "原因：以欺詐手段取得。",
        "你可以怎樣做：如有疑問或認為有誤，請聯絡公務員事務局。請勿把此證書當作有效證書使用或分享。",
        "無效的證書不設分享連結。",
      ]);
      expect(await page.isHidden("#share")).to.equal(true);
      expect(page.errors).to.deep.equal([]);
      await page.close();
    });

    it("says a suspended certificate is suspended, with the reason and whom to contact, offers no share link, and is axe clean", async () => {
      const axeContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      try {
        const page = await openClaim(issued[4].claimCode, axeContext);
        const en = await notice(page);
        expect(en[0]).to.equal("This certificate is suspended");
        expect(en[1]).to.include("The Civil Service Bureau has suspended this certificate").and.include("reinstate");
        expect(en[2]).to.equal("Reason: Under investigation.");
        expect(en[3]).to.include("contact the Civil Service Bureau");
        expect(await page.isHidden("#share")).to.equal(true);
        expect(await axeProblems(page, "suspended")).to.deep.equal([]);
        // axeProblems leaves the page in Chinese.
        const zh = await notice(page);
        expect(zh[0]).to.equal("此證書已被暫停");
        expect(zh[2]).to.equal("原因：正接受調查。");
        expect(zh[3]).to.include("請聯絡公務員事務局");
        await page.close();
      } finally {
        await axeContext.close();
      }
    });

    it("shows no notice and keeps the share link for an issued certificate opened after a revoked one", async () => {
      const page = await openClaim(issued[3].claimCode);
      await page.fill("#code", issued[0].claimCode);
      await page.click("#code-submit");
      await page.waitForFunction(() => document.getElementById("share")!.hidden === false);
      expect(await page.isHidden("#cert-notice")).to.equal(true);
      expect(await page.getAttribute(".status-badge", "class")).to.include("status-badge--issued");
      expect(await page.$$eval("#share-fields input", (inputs) => inputs.length)).to.be.above(0);
      await page.close();
    });

    it("tells the claim API's callers the reason and the department (GET /claim/{code})", async () => {
      const revoked = (await api(server, "GET", `/claim/${issued[3].claimCode}`)).json;
      expect(revoked).to.deep.include({
        status: "revoked",
        reason: "fraud",
        reasonText: { en: "Obtained by fraud", "zh-HK": "以欺詐手段取得" },
        issuer: { id: "CSB", name: { en: "Civil Service Bureau", "zh-HK": "公務員事務局" } },
      });
      const fine = (await api(server, "GET", `/claim/${issued[0].claimCode}`)).json;
      expect(fine).to.deep.include({ status: "issued", reason: null, reasonText: null });
    });
  });

  describe("the candidate's e-mail (the embedded default's outbox)", () => {
    it("shows the e-mail at /dev/outbox (both languages, axe clean, no CSP error) and its claim link opens the certificate", async () => {
      const csv = [
        "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result,email",
        "CRE2026700001,CHEUNG Wing Yan,張詠欣,C789***(*),2026-09-12,L2,L2,Pass,cheung.wing.yan@example.com",
      ].join("\n");
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: new TextEncoder().encode(csv),
        contentType: "text/csv",
      });
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      const [accepted] = res.json.certificates as Accepted[];
      const deadline = Date.now() + 60_000;
      while (!server.outbox!.messages().some((m) => m.to.includes("cheung.wing.yan@example.com"))) {
        if (Date.now() > deadline) throw new Error("no e-mail reached the outbox");
        await new Promise((r) => setTimeout(r, 100));
      }
      // A page with no script (no body.ready to wait for): CSP reports are console errors.
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
      await page.goto(`${server.url}/dev/outbox`);
      expect(await page.textContent("h1")).to.equal("Development outbox · 開發用寄件匣");
      const article = page.locator("article", { hasText: "cheung.wing.yan@example.com" });
      expect(await article.locator("h2").textContent()).to.equal(
        "Your certificate from the Civil Service Bureau · 公務員事務局簽發給你的證書",
      );
      const text = (await article.textContent()) ?? "";
      expect(await article.locator('p[lang="zh-HK"]', { hasText: "考生你好" }).count()).to.equal(1);
      expect(text).to.include("Dear candidate").and.include("考生你好").and.include(accepted.certificateNumber);
      const axe = await browser.newContext({ bypassCSP: true });
      try {
        const checked = await axe.newPage();
        await checked.goto(`${server.url}/dev/outbox`);
        await checked.addScriptTag({ path: AXE_PATH });
        const violations = await checked.evaluate(async () => {
          const run = (
            window as unknown as {
              axe: { run(d: Document): Promise<{ violations: { id: string; impact: string }[] }> };
            }
          ).axe;
          return (await run.run(document)).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => v.id);
        });
        expect(violations).to.deep.equal([]);
      } finally {
        await axe.close();
      }
      // The link is in both languages' text: the English one.
      const links = article.locator(`a[href$="#${accepted.claimCode}"]`);
      expect(await links.count()).to.equal(2);
      await links.first().click();
      await page.waitForSelector("#certificate:not([hidden])");
      expect(page.url()).to.equal(`${server.url}/claim`);
      expect(await page.textContent("#cert-body")).to.include(accepted.certificateNumber);
      expect(errors).to.deep.equal([]);
      await page.close();
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
