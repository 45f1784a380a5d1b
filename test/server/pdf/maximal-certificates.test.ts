// The PDF shows every value its credential holds (trust model point 4): a maximal row of every type,
// every field at its schema maximum, renders on as many pages as it needs, with nothing clipped,
// overlapped, outside the page or over the QR code, and still signs, scans and verifies.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { inflateSync } from "node:zlib";
import { expect } from "chai";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import {
  computeCredentialDigest,
  decodeCredentialUrl,
  getCertificateType,
  scanPdf,
  validateRecord,
  verify,
  type CertificateRecord,
  type ColumnSchema,
  type Credential,
} from "../../../core/index.ts";
import { QR_BOX } from "../../../server/pdf/render-certificate.ts";
import { NOW, startEcertFixture, type EcertFixture } from "../../helpers/ecert-fixture.ts";
import { MAXIMAL_RECORDS } from "./maximal-rows.ts";

const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const PAGE = { width: 595.28, height: 841.89 };
/** The value column starts here (margin 48, label column 175, gap 10). */
const VALUE_X = 48 + 175 + 10;
/** Field areas, in pdftotext's top-down coordinates: below the header, above the QR block (first page) or the page line. */
const FIELDS = { firstTop: 48 + 162, nextTop: 48 + 100, nextBottom: PAGE.height - 48 };

type Word = { page: number; xMin: number; yMin: number; xMax: number; yMax: number; text: string };

/** Every word of the PDF with its box (pdftotext -bbox: points, origin top left). */
function words(file: string): Word[] {
  const html = execFileSync("pdftotext", ["-bbox", file, "-"], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  const out: Word[] = [];
  let page = 0;
  for (const match of html.matchAll(
    /<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g,
  )) {
    if (match[0] === "<page ") page++;
    else
      out.push({ page, xMin: +match[1], yMin: +match[2], xMax: +match[3], yMax: +match[4], text: unescape(match[5]) });
  }
  return out;
}

function unescape(html: string): string {
  return html
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

const squeeze = (text: string) => text.normalize("NFC").replace(/\s+/g, "");

/** The printed text of every value of the credential, as the renderer formats it. */
function expectedValues(credential: Credential): string[] {
  const schema = getCertificateType(String((credential.credentialSubject as { type: string }).type));
  const subject = credential.credentialSubject as Record<string, unknown>;
  const out: string[] = [String(subject.certificateNumber)];
  const read = (pointer: string) =>
    pointer
      .split("/")
      .slice(1)
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], subject);
  for (const column of schema.columns as readonly ColumnSchema[]) {
    const raw = read(column.path);
    if (raw === undefined || column.path === "/certificateNumber") continue;
    if (column.kind === "enum")
      out.push(`${column.valueLabels![String(raw)]["zh-HK"]}${column.valueLabels![String(raw)].en}`);
    else if (column.kind === "list" && column.item.kind === "enum") {
      const labels = column.item.valueLabels!;
      out.push((raw as string[]).map((i) => `${labels[i]["zh-HK"]}${labels[i].en}`).join(","));
    } else if (column.kind === "list") out.push(...(raw as string[]));
    else out.push(String(raw));
  }
  return out.map(squeeze);
}

/** The QR code of the first page, decoded from a 300 dpi rendering of its bottom-left corner (a large code is drawn larger). */
function decodeQrAt300Dpi(file: string): string | undefined {
  const scale = 300 / 72;
  const side = 300;
  const out = execFileSync(
    "pdftoppm",
    [
      "-r",
      "300",
      "-png",
      "-singlefile",
      "-f",
      "1",
      "-l",
      "1",
      "-x",
      "0",
      "-y",
      String(Math.floor((PAGE.height - side) * scale)),
      "-W",
      String(Math.ceil(side * scale)),
      "-H",
      String(Math.ceil(side * scale)),
      file,
    ],
    { maxBuffer: 64 * 2 ** 20 },
  );
  const png = PNG.sync.read(out);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)
    ?.data;
}

/** The QR code's rectangle on the first page, read from the content stream that paints it (`w 0 0 h x y cm /Im1 Do`). */
function qrRectangle(pdf: Uint8Array): { x: number; y: number; size: number } {
  const bytes = Buffer.from(pdf);
  for (let at = bytes.indexOf("stream\n"); at >= 0; at = bytes.indexOf("stream\n", at + 1)) {
    let text: string;
    try {
      text = inflateSync(bytes.subarray(at + 7, bytes.indexOf("\nendstream", at))).toString("latin1");
    } catch {
      continue;
    }
    const m = /q ([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm \/Im1 Do Q/.exec(text);
    if (m) return { x: +m[3], y: +m[4], size: +m[1] };
  }
  throw new Error("no QR code painted");
}

describe("maximal certificates (every field at its schema maximum)", function () {
  this.timeout(180_000);
  let fixture: EcertFixture;
  let dir: string;
  const made: Record<string, { credential: Credential; file: string; pdf: Uint8Array; qrUrl: string; pages: number }> =
    {};

  before(async () => {
    fixture = await startEcertFixture();
    dir = await mkdtemp(path.join(tmpdir(), "ecert-maximal-"));
    for (const [typeId, input] of Object.entries(MAXIMAL_RECORDS)) {
      const { record, errors } = validateRecord(typeId, input);
      expect(errors, typeId).to.deep.equal([]);
      const { credentials } = await fixture.issueRecords([record as CertificateRecord], typeId);
      const credential = credentials[0];
      const pdf = fixture.pdf(credential);
      const file = path.join(dir, `${typeId}.pdf`);
      await writeFile(file, pdf);
      const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file], { encoding: "utf8" }))![1]);
      made[typeId] = { credential, file, pdf, qrUrl: fixture.qrUrl(credential), pages };
    }
  });
  after(async () => {
    await fixture?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts the maximal rows: every text at its maxLength, every list at its item and cell limits", () => {
    const licence = MAXIMAL_RECORDS["fsd-dg-licence"];
    expect([...licence.dg_items].length).to.be.within(3990, 4000);
    expect(licence.dg_items.split(";")).to.have.length(20);
    expect([...licence.conditions].length).to.be.within(7970, 8000);
    expect(licence.conditions.split("|")).to.have.length(30);
    expect([...licence.licensee_en].length).to.equal(200);
    expect([...licence.premises_en].length).to.equal(300);
    expect([...licence.premises_zh].length).to.equal(150);
    expect(licence.premises_zh).to.match(/[\u{20000}-\u{3134f}]/u);
    expect(licence.conditions).to.include("x\u0301");
  });

  it("keeps the short certificates on one page and continues the licence on further pages", () => {
    expect(made["csb-cre"].pages).to.equal(1);
    expect(made["csb-blnst"].pages).to.equal(1);
    expect(made["fsd-fsi-contractor"].pages).to.equal(1);
    expect(made["fsd-dg-licence"].pages).to.be.within(2, 8);
  });

  for (const typeId of Object.keys(MAXIMAL_RECORDS)) {
    describe(typeId, () => {
      it("prints every value of the credential, in the value column, words broken across lines and pages included", () => {
        const { file, credential, pages, pdf } = made[typeId];
        const box = qrRectangle(pdf);
        const firstBottom = PAGE.height - (box.y + box.size + 20);
        const column = words(file)
          .filter((w) => w.xMin >= VALUE_X - 1)
          .filter((w) => {
            const middle = (w.yMin + w.yMax) / 2;
            return w.page === 1
              ? middle > FIELDS.firstTop && middle < firstBottom
              : middle > FIELDS.nextTop && middle < FIELDS.nextBottom;
          })
          .sort((a, b) => a.page - b.page || a.yMin - b.yMin || a.xMin - b.xMin)
          .map((w) => w.text)
          .join("");
        const printed = squeeze(column.replaceAll("•", ""));
        let at = 0;
        for (const value of expectedValues(credential)) {
          const found = printed.indexOf(value, at);
          expect(found, `${typeId} value ${value.slice(0, 60)}… (${pages} pages)`).to.be.at.least(0);
          at = found + value.length;
        }
        // And the plain text of the whole file holds each of them too, whitespace aside.
        const text = squeeze(execFileSync("pdftotext", [file, "-"], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 }));
        for (const ch of new Set(expectedValues(credential).join(""))) expect(text).to.include(ch);
      });

      it("draws no text outside the page margins, over the QR code, or over other text", () => {
        const all = words(made[typeId].file);
        const box = qrRectangle(made[typeId].pdf);
        expect(box.size).to.be.at.least(QR_BOX.size);
        const qr = {
          xMin: box.x,
          xMax: box.x + box.size,
          yMin: PAGE.height - box.y - box.size,
          yMax: PAGE.height - box.y,
        };
        const problems: string[] = [];
        for (const w of all) {
          if (w.xMin < 40 || w.xMax > PAGE.width - 40 || w.yMin < 40 || w.yMax > PAGE.height - 10)
            problems.push(
              `page ${w.page}: ${w.text} at ${w.xMin},${w.yMin}-${w.xMax},${w.yMax} is outside the margins`,
            );
          if (w.page === 1 && w.xMin < qr.xMax && w.xMax > qr.xMin && w.yMin < qr.yMax && w.yMax > qr.yMin)
            problems.push(`${w.text} is over the QR code`);
        }
        for (let page = 1; page <= made[typeId].pages; page++) {
          const on = all.filter((w) => w.page === page);
          for (let i = 0; i < on.length; i++) {
            for (let j = i + 1; j < on.length; j++) {
              const [a, b] = [on[i], on[j]];
              const dx = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
              const dy = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
              // A word's box is the font's ascent to descent (1.45 em): lines 1.35 em apart touch by design.
              const height = Math.min(a.yMax - a.yMin, b.yMax - b.yMin);
              if (dx > 0.5 && dy > 0.25 * height) problems.push(`page ${page}: ${a.text} overlaps ${b.text}`);
            }
          }
        }
        expect(problems).to.deep.equal([]);
      });

      it("puts the certificate number and page x of y on every page of a longer certificate", () => {
        const { file, pages, credential } = made[typeId];
        const number = String((credential.credentialSubject as { certificateNumber: string }).certificateNumber);
        for (let page = 1; page <= pages; page++) {
          const text = execFileSync("pdftotext", ["-f", String(page), "-l", String(page), file, "-"], {
            encoding: "utf8",
          });
          if (pages === 1) {
            expect(text).not.to.include("Page 1 of");
            continue;
          }
          expect(text).to.include(`Page ${page} of ${pages}`);
          expect(squeeze(text)).to.include(`第${page}頁，共${pages}頁`);
          expect(text).to.include(number);
          expect(text).to.include(getCertificateType(typeId).title.en);
        }
        // The QR code and the verification text are on the first page only.
        const first = execFileSync("pdftotext", ["-f", "1", "-l", "1", file, "-"], { encoding: "utf8" });
        expect(first).to.include("Verify this certificate");
        if (pages > 1) {
          const rest = execFileSync("pdftotext", ["-f", "2", file, "-"], { encoding: "utf8" });
          expect(rest).not.to.include("Verify this certificate");
        }
      });

      it("has a QR code that decodes at 300 dpi to the credential", () => {
        const { file, qrUrl, credential } = made[typeId];
        const text = decodeQrAt300Dpi(file);
        expect(text).to.equal(qrUrl);
        expect(computeCredentialDigest(decodeCredentialUrl(text!))).to.equal(computeCredentialDigest(credential));
      });

      it("is signed (pdfsig), scanned (one signature, the credential attachment) and verified VALID by the core", async () => {
        const { file, pdf, credential } = made[typeId];
        const out = spawnSync("pdfsig", [file], { encoding: "utf8" }).stdout;
        expect(out).to.include("Signature Validation: Signature is Valid.");
        expect(out).to.include("Total document signed");
        expect(out.match(/^Signature #/gm)).to.have.length(1);
        const scan = scanPdf(pdf);
        expect(scan.signature.state).to.equal("present");
        expect(scan.credential.ok && scan.credential.json).to.deep.equal(credential);
        const result = await verify(pdf, fixture.options({ now: NOW }));
        expect(result.status, JSON.stringify(result.checks.filter((c) => c.status !== "pass"))).to.equal("VALID");
      });
    });
  }
});
