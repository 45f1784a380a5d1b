import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import QRCode from "qrcode";
import type { CertificateTypeSchema, ColumnSchema, Credential, LocalizedText } from "../../core/index.ts";
import { ContentStream, textWidth, wrap, type PageFont } from "./layout.ts";
import { FontSubset } from "./pdf-font.ts";
import { PdfWriter, latin1, pdfDate, pdfText } from "./pdf-writer.ts";
import { TrueTypeFont } from "./truetype.ts";
import { hongKongDate } from "../../core/time.ts";

const require = createRequire(import.meta.url);

/** Noto Sans HK (SIL Open Font License), from the npm package: Traditional Chinese with HKSCS, and Latin. */
const FONT_FILES = {
  regular: "@expo-google-fonts/noto-sans-hk/400Regular/NotoSansHK_400Regular.ttf",
  bold: "@expo-google-fonts/noto-sans-hk/700Bold/NotoSansHK_700Bold.ttf",
} as const;

let fonts: { regular: TrueTypeFont; bold: TrueTypeFont } | undefined;

/** The two weights of the certificate font, parsed once per process. */
export function certificateFonts(): { regular: TrueTypeFont; bold: TrueTypeFont } {
  fonts ??= {
    regular: new TrueTypeFont(readFileSync(require.resolve(FONT_FILES.regular))),
    bold: new TrueTypeFont(readFileSync(require.resolve(FONT_FILES.bold))),
  };
  return fonts;
}

/** Name of the embedded credential file (a PDF/A-3 style associated file, AFRelationship /Data). */
export const CREDENTIAL_ATTACHMENT = "hk-ecert-credential.json";

/** Size of the signature placeholder, bytes: room for a CMS with an RSA-4096 key and a three-certificate chain. */
export const SIGNATURE_LENGTH = 8192;

const PAGE = { width: 595.28, height: 841.89, margin: 48 };
/** Field rows: label lines 11 pt apart (two need 24 pt); value lines 1.35 times their size apart. */
const LABEL_SIZE = 8.5;
const LABEL_LEADING = 11;
const LEADING = 1.35;
const ROW_GAP = 10;
const LABEL_WIDTH = 175;
/**
 * The QR code, in the bottom-left corner of the first page with the verification text beside it: 170 pt
 * square, or larger for a large code, so that a module (a QR code's cell) is at least 1.2 pt, about 5
 * pixels at 300 dpi (a version 37 code, a maximal licence, does not decode at 1 pt).
 */
export const QR_BOX = { x: PAGE.margin, y: PAGE.margin, size: 170, minModule: 1.2 };
/** Where the fields may go: on the first page, between its header and the QR block (20 pt above the QR code); on a continuation page, below its short header. */
const FIRST_PAGE_FIELDS = { top: PAGE.height - PAGE.margin - 162, bottom: PAGE.margin + 190 };
const NEXT_PAGE_FIELDS = { top: PAGE.height - PAGE.margin - 100, bottom: PAGE.margin };
/** Baseline of the page line (certificate number, page x of y) of a certificate on several pages. */
const PAGE_LINE_BASELINE = 26;
/** Value sizes tried in turn for a certificate on one page; a longer one continues on further pages at 10 pt. */
const ONE_PAGE_SIZES = [11, 10.5, 10, 9.5, 9];
const CONTINUED_SIZE = 10;
const GOVERNMENT: LocalizedText = {
  en: "The Government of the Hong Kong Special Administrative Region",
  "zh-HK": "香港特別行政區政府",
};
const TEXT = {
  issued: { en: "Date of issue", "zh-HK": "簽發日期" },
  verifyTitle: { en: "Verify this certificate", "zh-HK": "核實此證書" },
  verifyHow: {
    en: "Scan the QR code, or open the address below and drop this PDF on the page. Check that the address is exactly this one.",
    "zh-HK": "掃描二維碼，或開啟以下網址並把本PDF拖放到網頁上。請確保網址與此完全相同。",
  },
  signed: {
    en: "This document is digitally signed by the issuing department. Any change to it makes the signature invalid.",
    "zh-HK": "本文件由簽發部門數碼簽署。文件如有任何改動，簽署即告無效。",
  },
  continued: { en: "(continued)", "zh-HK": "（續）" },
} as const;

/** "第 2 頁，共 3 頁  Page 2 of 3". */
function pageOf(page: number, pages: number): string {
  return `第 ${page} 頁，共 ${pages} 頁  Page ${page} of ${pages}`;
}

/** One printed field: its label and its values (several for a list, each one a bulleted item). */
interface Row {
  label: LocalizedText;
  values: string[];
}

/** The lines of a row's values at one size; `bullet` marks the first line of a list item. */
interface RowLines {
  row: Row;
  bulleted: boolean;
  lines: { text: string; bullet: boolean }[];
}

/** The part of a row printed on one page: lines `[from, to)`, the label marked "(continued)" after the first part. */
interface Chunk {
  rowLines: RowLines;
  from: number;
  to: number;
  continued: boolean;
}

export interface CertificateTemplateParameters {
  schema: CertificateTypeSchema;
  issuer: { nameEn: string; nameZh: string; domain: string };
  /** The verifier's address, printed in plain text beside the QR code, e.g. `https://verify.ecert.gov.hk`. */
  verifierUrl: string;
  /**
   * Bytes of the signature placeholder: default {@link SIGNATURE_LENGTH}, room for any identity. Give the
   * one signer's `contentsLength / 2` (`pades.ts`) to leave no more room than its CMS takes: for RSA-2048
   * about 13 KB less a PDF than the default, all of it zeros.
   */
  signatureLength?: number;
}

export interface RenderCertificateParameters {
  /** The full credential, with its Merkle proof. */
  credential: Credential;
  /** What the QR code encodes: the verifier URL with the credential in its fragment. */
  qrUrl: string;
  /** Signing time written in the signature dictionary (`/M`). Default: now. */
  signingTime?: Date;
}

/**
 * The layout of one certificate type for one issuer, prepared once per batch: the fonts are parsed and
 * every fixed text (titles, labels, notes) is subset and compressed once, so rendering a certificate only
 * subsets the glyphs of its own values.
 *
 * `render` returns an unsigned PDF with a PAdES signature placeholder (see `pades.ts`).
 *
 * @example
 * const template = new CertificateTemplate({ schema, issuer, verifierUrl });
 * const pdf = template.render({ credential, qrUrl });
 */
export class CertificateTemplate {
  readonly #p: CertificateTemplateParameters;
  readonly #label: FontSubset;
  readonly #heading: FontSubset;
  /** The label lines of each label text, wrapped once per template. */
  readonly #labelLines = new Map<string, string[]>();

  constructor(parameters: CertificateTemplateParameters) {
    const { signatureLength } = parameters;
    if (signatureLength !== undefined && !(Number.isSafeInteger(signatureLength) && signatureLength > 0))
      throw new RangeError(`signatureLength must be a positive whole number of bytes, not ${signatureLength}`);
    this.#p = parameters;
    const { regular, bold } = certificateFonts();
    this.#label = new FontSubset(regular, "ECERTA");
    this.#heading = new FontSubset(bold, "ECERTB");
    // Every fixed text goes through the fixed subsets now, before they are frozen.
    const { schema, issuer, verifierUrl } = parameters;
    for (const text of [
      issuer.nameEn,
      issuer.nameZh,
      schema.title.en,
      schema.title["zh-HK"],
      TEXT.verifyTitle.en,
      TEXT.verifyTitle["zh-HK"],
    ]) {
      this.#heading.encode(text);
    }
    this.#heading.encode(`${issuer.nameZh}  ${issuer.nameEn}`);
    // The texts of longer certificates only ("page x of y", "continued") are left to each certificate's
    // own subset, so that a one-page certificate does not carry their glyphs.
    const fixed = [GOVERNMENT, TEXT.issued, TEXT.verifyHow, TEXT.signed, ...this.#labels()].flatMap((t) => [
      t.en,
      t["zh-HK"],
    ]);
    for (const text of [...fixed, verifierUrl, "•"]) this.#label.encode(text);
    this.#label.freeze();
    this.#heading.freeze();
  }

  render(parameters: RenderCertificateParameters): Uint8Array {
    const { credential, qrUrl, signingTime = new Date() } = parameters;
    const { schema, issuer, verifierUrl } = this.#p;
    const { regular } = certificateFonts();
    const label: PageFont = { resource: "/F1", subset: this.#label };
    const heading: PageFont = { resource: "/F2", subset: this.#heading };
    const value: PageFont = { resource: "/F3", subset: new FontSubset(regular, "ECERTC") };
    const left = PAGE.margin;
    const right = PAGE.width - PAGE.margin;
    const centre = PAGE.width / 2;
    const rows = this.#rows(credential);
    // A fixed mask: choosing the best of eight costs about 4 ms a code (qrcode evaluates each in JS), and
    // for compressed, random-looking payloads the eight score alike. Decoding is tested on every sample.
    const qr = QRCode.create(qrSegments(qrUrl), { errorCorrectionLevel: "M", maskPattern: 0 });
    const qrSize = Math.max(QR_BOX.size, Math.ceil((qr.modules.size + 8) * QR_BOX.minModule));
    const firstBottom = FIRST_PAGE_FIELDS.bottom + (qrSize - QR_BOX.size);

    // Fields: bilingual label on the left, value on the right. The largest value size that fits the
    // first page is used; a certificate too long for one page continues on further pages.
    let size = ONE_PAGE_SIZES[0];
    let pages = this.#paginate(rows, value, size, firstBottom);
    for (let i = 1; i < ONE_PAGE_SIZES.length && pages.length > 1; i++)
      pages = this.#paginate(rows, value, (size = ONE_PAGE_SIZES[i]), firstBottom);
    if (pages.length > 1) pages = this.#paginate(rows, value, (size = CONTINUED_SIZE), firstBottom);

    const streams = pages.map((chunks, index) => {
      const c = new ContentStream();
      let y: number;
      if (index === 0) {
        // Header: government, department, title.
        y = PAGE.height - PAGE.margin - 10;
        c.fillColour(0.35, 0.35, 0.35).textCentre(label, 9, centre, y, `${GOVERNMENT["zh-HK"]}  ${GOVERNMENT.en}`);
        y -= 26;
        c.fillColour(0.05, 0.2, 0.4).textCentre(heading, 18, centre, y, issuer.nameZh);
        y -= 20;
        c.textCentre(heading, 14, centre, y, issuer.nameEn);
        y -= 16;
        c.strokeColour(0.05, 0.2, 0.4).line(left, y, right, y, 1.2);
        y -= 32;
        c.fillColour(0, 0, 0).textCentre(heading, 20, centre, y, schema.title["zh-HK"]);
        y -= 24;
        c.textCentre(heading, 15, centre, y, schema.title.en);
        y = FIRST_PAGE_FIELDS.top;
      } else {
        // A continuation page: the same header, smaller.
        y = PAGE.height - PAGE.margin - 10;
        c.fillColour(0.35, 0.35, 0.35).textCentre(label, 9, centre, y, `${GOVERNMENT["zh-HK"]}  ${GOVERNMENT.en}`);
        y -= 22;
        c.fillColour(0.05, 0.2, 0.4).textCentre(heading, 13, centre, y, `${issuer.nameZh}  ${issuer.nameEn}`);
        y -= 22;
        c.fillColour(0, 0, 0).textCentre(heading, 13, centre, y, schema.title["zh-HK"]);
        y -= 17;
        c.textCentre(heading, 11, centre, y, schema.title.en);
        y -= 12;
        c.strokeColour(0.05, 0.2, 0.4).line(left, y, right, y, 1.2);
        y = NEXT_PAGE_FIELDS.top;
      }
      for (const chunk of chunks) y = this.#drawChunk(c, chunk, { label, value }, size, y);
      if (pages.length > 1) {
        // On every page of a longer certificate: its number and "page x of y".
        const numberLabel = rows[0].label;
        const caption = `${numberLabel["zh-HK"]} ${numberLabel.en}`;
        c.fillColour(0.35, 0.35, 0.35).text(label, 8, left, PAGE_LINE_BASELINE, caption);
        c.fillColour(0, 0, 0).text(
          value,
          8,
          left + textWidth(label, caption, 8) + 6,
          PAGE_LINE_BASELINE,
          rows[0].values[0],
        );
        c.fillColour(0.35, 0.35, 0.35).textRight(value, 8, right, PAGE_LINE_BASELINE, pageOf(index + 1, pages.length));
      }
      return c;
    });

    // Footer of the first page: QR code, the verifier's address in plain text, the signature note.
    const c = streams[0];
    const { x: qrX, y: qrY } = QR_BOX;
    const textX = qrX + qrSize + 18;
    const textWidthAvailable = right - textX;
    let ty = qrY + qrSize - 14;
    const paragraph = (font: PageFont, fontSize: number, leading: number, text: string) => {
      for (const line of wrap(font.subset, text, fontSize, textWidthAvailable)) {
        c.text(font, fontSize, textX, ty, line);
        ty -= leading;
      }
    };
    c.fillColour(0.05, 0.2, 0.4).text(heading, 12, textX, ty, `${TEXT.verifyTitle["zh-HK"]}  ${TEXT.verifyTitle.en}`);
    ty -= 18;
    c.fillColour(0, 0, 0);
    paragraph(label, 9, 12, TEXT.verifyHow["zh-HK"]);
    paragraph(label, 9, 12, TEXT.verifyHow.en);
    ty -= 8;
    const urlSize = Math.min(12, (textWidthAvailable / textWidth(label, verifierUrl, 12)) * 12);
    c.fillColour(0.05, 0.2, 0.4).text(label, urlSize, textX, ty, verifierUrl);
    ty -= 26;
    c.fillColour(0.35, 0.35, 0.35);
    paragraph(label, 7.5, 10, TEXT.signed["zh-HK"]);
    paragraph(label, 7.5, 10, TEXT.signed.en);
    c.fillColour(0, 0, 0).image("/Im1", qrX, qrY, qrSize, qrSize);

    return this.#assemble(streams.map(String), { label, heading, value }, qr.modules, credential, signingTime);
  }

  /** The label lines of a row: English, then Chinese, each wrapped to the label column, then "(continued)" for a later part. */
  #labelLinesOf(row: Row, continued: boolean): string[] {
    const key = `${row.label.en}\u0000${row.label["zh-HK"]}\u0000${continued}`;
    let lines = this.#labelLines.get(key);
    if (!lines) {
      lines = [
        row.label.en,
        row.label["zh-HK"],
        ...(continued ? [`${TEXT.continued["zh-HK"]} ${TEXT.continued.en}`] : []),
      ].flatMap((text) => wrap(this.#label, text, LABEL_SIZE, LABEL_WIDTH));
      this.#labelLines.set(key, lines);
    }
    return lines;
  }

  /** Height of a row part of `lines` value lines at `size`, its gap included. */
  #chunkHeight(labelLines: number, lines: number, size: number): number {
    return Math.max(LABEL_LEADING * labelLines + 2, lines * size * LEADING) + ROW_GAP;
  }

  /**
   * Lays the rows out at value size `size`: which part of which row goes on which page. A row that does
   * not fit what is left of a page is split between lines (leaving at least two lines on each side),
   * or moved to the next page whole.
   */
  #paginate(rows: Row[], value: PageFont, size: number, firstBottom: number): Chunk[][] {
    const valueX = PAGE.margin + LABEL_WIDTH + 10;
    const valueWidth = PAGE.width - PAGE.margin - valueX;
    const lineHeight = size * LEADING;
    const pages: Chunk[][] = [[]];
    let y = FIRST_PAGE_FIELDS.top;
    let bottom = firstBottom;
    for (const row of rows) {
      const bulleted = row.values.length > 1;
      const lines = row.values.flatMap((v) =>
        wrap(value.subset, v, size, valueWidth - (bulleted ? 10 : 0)).map((text, i) => ({
          text,
          bullet: bulleted && i === 0,
        })),
      );
      const rowLines: RowLines = { row, bulleted, lines };
      let from = 0;
      let continued = false;
      for (;;) {
        const labelLines = this.#labelLinesOf(row, continued).length;
        const rest = lines.length - from;
        const whole = this.#chunkHeight(labelLines, rest, size);
        if (y - whole >= bottom) {
          pages.at(-1)!.push({ rowLines, from, to: lines.length, continued });
          y -= whole;
          break;
        }
        let fit = Math.floor((y - bottom - ROW_GAP) / lineHeight);
        if (rest - fit < 2) fit = rest - 2;
        if (fit >= 2 && y - this.#chunkHeight(labelLines, fit, size) >= bottom) {
          pages.at(-1)!.push({ rowLines, from, to: from + fit, continued });
          from += fit;
          continued = true;
        }
        pages.push([]);
        y = NEXT_PAGE_FIELDS.top;
        bottom = NEXT_PAGE_FIELDS.bottom;
      }
    }
    return pages;
  }

  /** Draws one row part with its top at `y`; returns the top of the next. */
  #drawChunk(
    c: ContentStream,
    chunk: Chunk,
    fonts: { label: PageFont; value: PageFont },
    size: number,
    y: number,
  ): number {
    const { rowLines, from, to, continued } = chunk;
    const left = PAGE.margin;
    const right = PAGE.width - PAGE.margin;
    const valueX = left + LABEL_WIDTH + 10;
    const labelLines = this.#labelLinesOf(rowLines.row, continued);
    c.fillColour(0.3, 0.3, 0.3);
    // A label's own lines are in the label subset; "(continued)" is in the certificate's.
    labelLines.forEach((line, i) =>
      c.text(
        fonts.label.subset.has(line) ? fonts.label : fonts.value,
        LABEL_SIZE,
        left,
        y - 9 - LABEL_LEADING * i,
        line,
      ),
    );
    c.fillColour(0, 0, 0);
    let baseline = y - size;
    for (let i = from; i < to; i++) {
      const { text, bullet } = rowLines.lines[i];
      if (bullet) c.text(fonts.label, size, valueX, baseline, "•");
      c.text(fonts.value, size, valueX + (rowLines.bulleted ? 10 : 0), baseline, text);
      baseline -= size * LEADING;
    }
    const next = y - this.#chunkHeight(labelLines.length, to - from, size);
    c.strokeColour(0.85, 0.85, 0.85).line(left, next + ROW_GAP / 2, right, next + ROW_GAP / 2, 0.5);
    return next;
  }

  /** The printed rows: certificate number, the schema's columns present in the credential, validity. */
  #rows(credential: Credential): Row[] {
    const { schema } = this.#p;
    const subject = credential.credentialSubject as Record<string, unknown>;
    const rows: Row[] = [];
    const numberColumn = schema.columns.find((col) => col.path === "/certificateNumber");
    rows.push({
      label: (numberColumn ?? schema.certificateNumber)!.label,
      values: [String(subject.certificateNumber)],
    });
    for (const column of schema.columns) {
      if (column.path === "/certificateNumber") continue;
      const raw = readPointer(subject, column.path);
      if (raw === undefined) continue;
      rows.push({ label: column.label, values: formatValue(column, raw) });
    }
    if (schema.validity.kind === "period") {
      rows.push({ label: schema.validity.validFrom.label, values: [hongKongDate(credential.validFrom)] });
      rows.push({ label: schema.validity.validUntil.label, values: [hongKongDate(credential.validUntil!)] });
    } else {
      rows.push({ label: TEXT.issued, values: [hongKongDate(credential.validFrom)] });
    }
    return rows;
  }

  #labels(): LocalizedText[] {
    const { schema } = this.#p;
    const labels: LocalizedText[] = schema.columns.map((col) => col.label);
    if (schema.certificateNumber) labels.push(schema.certificateNumber.label);
    if (schema.validity.kind === "period")
      labels.push(schema.validity.validFrom.label, schema.validity.validUntil.label);
    return labels;
  }

  #assemble(
    contents: string[],
    fonts: { label: PageFont; heading: PageFont; value: PageFont },
    qr: { size: number; data: Uint8Array },
    credential: Credential,
    signingTime: Date,
  ): Uint8Array {
    const { schema, issuer } = this.#p;
    const w = new PdfWriter();
    const catalog = w.reserve();
    const pages = w.reserve();
    const pageRefs = contents.map(() => w.reserve());
    const page = pageRefs[0];
    const f1 = fonts.label.subset.write(w);
    const f2 = fonts.heading.subset.write(w);
    const f3 = fonts.value.subset.write(w);
    const image = w.addStream(
      `/Type /XObject /Subtype /Image /Width ${qr.size + 8} /Height ${qr.size + 8} /ImageMask true /BitsPerComponent 1 /Decode [1 0]`,
      qrBitmap(qr),
      // Not compressed: a QR code's modules look random (1,721 bytes deflated to 1,662, for 60 µs a PDF).
      { compress: false },
    );
    const json = new TextEncoder().encode(JSON.stringify(credential));
    const embedded = w.addStream(
      `/Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size ${json.length} /ModDate ${pdfDate(signingTime)} >>`,
      json,
    );
    const description = pdfText("Verifiable credential of this certificate (W3C VC 2.0, HK e-Cert)");
    const filespec = w.add(
      `<< /Type /Filespec /F (${CREDENTIAL_ATTACHMENT}) /UF (${CREDENTIAL_ATTACHMENT}) /Desc ${description} /AFRelationship /Data /EF << /F ${embedded} /UF ${embedded} >> >>`,
    );
    const signature = w.add(signatureDictionary(issuer, signingTime, this.#p.signatureLength ?? SIGNATURE_LENGTH));
    const widget = w.add(
      `<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V ${signature} /Rect [0 0 0 0] /F 132 /P ${page} >>`,
    );
    const acroForm = w.add(`<< /Fields [${widget}] /SigFlags 3 >>`);
    // One resource dictionary for every page; the QR code and the signature widget are on the first.
    const resources = w.add(`<< /Font << /F1 ${f1} /F2 ${f2} /F3 ${f3} >> /XObject << /Im1 ${image} >> >>`);
    contents.forEach((content, i) => {
      const stream = w.addStream("", latin1(content));
      w.set(
        pageRefs[i],
        `<< /Type /Page /Parent ${pages} /MediaBox [0 0 ${PAGE.width} ${PAGE.height}] /Contents ${stream} /Resources ${resources}` +
          `${i === 0 ? ` /Annots [${widget}]` : ""} >>`,
      );
    });
    w.set(pages, `<< /Type /Pages /Kids [${pageRefs.join(" ")}] /Count ${pageRefs.length} >>`);
    w.set(
      catalog,
      `<< /Type /Catalog /Pages ${pages} /AcroForm ${acroForm} /Lang (zh-HK) /AF [${filespec}]` +
        ` /Names << /EmbeddedFiles << /Names [(${CREDENTIAL_ATTACHMENT}) ${filespec}] >> >>` +
        ` /ViewerPreferences << /DisplayDocTitle true >> >>`,
    );
    const subject = credential.credentialSubject as Record<string, unknown>;
    const info = w.add(
      `<< /Title ${pdfText(`${schema.title["zh-HK"]} ${schema.title.en} ${String(subject.certificateNumber)}`)}` +
        ` /Author ${pdfText(`${issuer.nameZh} ${issuer.nameEn}`)} /Producer (HK e-Cert) /CreationDate ${pdfDate(signingTime)} >>`,
    );
    const id = new Uint8Array(
      Buffer.from(
        credential.id
          .replace(/[^0-9a-f]/g, "")
          .slice(-32)
          .padStart(32, "0"),
        "hex",
      ),
    );
    return w.toBytes({ root: catalog, info, id });
  }
}

/** The signature dictionary with the placeholder `pades.ts` fills in (the byte format of @signpdf). */
function signatureDictionary(
  issuer: { nameEn: string; domain: string },
  signingTime: Date,
  signatureLength: number,
): string {
  const placeholder = "/**********";
  return (
    `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached` +
    ` /ByteRange [ 0 ${placeholder} ${placeholder} ${placeholder} ]` +
    ` /Contents <${"0".repeat(2 * signatureLength)}>` +
    ` /Reason ${pdfText("Issued by HK e-Cert")} /M ${pdfDate(signingTime)} /Name ${pdfText(issuer.nameEn)}` +
    ` /Location (Hong Kong) /ContactInfo ${pdfText(issuer.domain)} >>`
  );
}

/**
 * The QR code segments of a verifier URL: its digits at the end (the numeric payload, `core/qr/text.ts`)
 * in numeric mode, everything before them in byte mode. The segments qrcode's optimiser finds for such a
 * URL, given at once: the optimiser (a shortest path over every character) cost an eighth of a code's
 * time. Any other text is left to the optimiser.
 */
export function qrSegments(
  url: string,
): string | [{ data: Uint8Array; mode: "byte" }, { data: string; mode: "numeric" }] {
  let start = url.length;
  while (start > 0 && url.charCodeAt(start - 1) >= 0x30 && url.charCodeAt(start - 1) <= 0x39) start--;
  // A short run of digits (or none) is not worth a numeric segment of its own: the optimiser decides.
  if (url.length - start < 64 || start === 0) return url;
  return [
    { data: Buffer.from(url.slice(0, start), "utf8"), mode: "byte" },
    { data: url.slice(start), mode: "numeric" },
  ];
}

/** The QR modules as a 1-bit image with a 4-module quiet zone, 1 = dark (painted through /ImageMask). */
export function qrBitmap(qr: { size: number; data: Uint8Array }): Uint8Array {
  const { size, data } = qr;
  const side = size + 8;
  const rowBytes = Math.ceil(side / 8);
  const out = new Uint8Array(rowBytes * side);
  for (let y = 0; y < size; y++) {
    const row = (y + 4) * rowBytes;
    for (let x = 0, at = y * size; x < size; x++, at++) {
      if (data[at] === 0) continue;
      const px = x + 4;
      out[row + (px >> 3)] |= 0x80 >> (px & 7);
    }
  }
  return out;
}

function readPointer(object: Record<string, unknown>, pointer: string): unknown {
  let node: unknown = object;
  for (const token of pointer.split("/").slice(1)) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[token.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return node;
}

function formatValue(column: ColumnSchema, raw: unknown): string[] {
  if (column.kind === "enum") {
    const label = column.valueLabels?.[String(raw)];
    return [label ? `${label["zh-HK"]}  ${label.en}` : String(raw)];
  }
  if (column.kind === "list") {
    const items = raw as string[];
    if (column.item.kind === "enum") {
      const labels = column.item.valueLabels;
      return [items.map((i) => (labels?.[i] ? `${labels[i]["zh-HK"]} ${labels[i].en}` : i)).join(", ")];
    }
    return items;
  }
  return [String(raw)];
}
