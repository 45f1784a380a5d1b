/**
 * Claim letters (`POST /api/v1/batches/{id}/claim-letters`, issue 14): one PDF, an A4 page per candidate,
 * for departments that post their candidates a letter. Each page, in Traditional Chinese and English: the
 * department, the candidate's name, the certificate's type and number, the claim code, the claim link
 * (`<verifier>/claim#<code>`, the link the candidate page opens, `verifier-web/src/claim.ts`) as text and
 * as a QR code, and what to do.
 *
 * The PDF is written object by object as the pages are made ({@link ClaimLettersPdf}): each page's
 * content stream, QR image and page dictionary go to the sink at once, and only what the file's end needs
 * is kept (the objects' offsets, the page references, the glyphs used). The fonts (Noto Sans HK, the
 * certificates' font, subset to the glyphs the letters use), the page tree, the catalog and the
 * cross-reference table come last: a PDF's objects may stand in any order.
 *
 * Giving the certificates their new claim codes (the old ones stop working) is the caller's: it makes the
 * whole file first (into memory), commits the codes only once it is made, then sends it
 * (`server/api/document-routes.ts`), so a letter that cannot be made leaves every old code working.
 */
import { deflateSync } from "node:zlib";
import QRCode from "qrcode";
import { getCertificateType, type LocalizedText } from "../../core/index.ts";
import { ContentStream, textWidth, wrap, type PageFont } from "../pdf/layout.ts";
import { FontSubset } from "../pdf/pdf-font.ts";
import { Ref, latin1, pdfDate, pdfText, type PdfWriter } from "../pdf/pdf-writer.ts";
import { certificateFonts, qrBitmap } from "../pdf/render-certificate.ts";

/** Most letters one request makes (ask for the rest with `offset` and `limit`). */
export const MAX_CLAIM_LETTERS = 5_000;

/** One candidate's letter. */
export interface ClaimLetter {
  /** The candidate's name as the certificate holds it (both languages, either, or a plain string). */
  name: Partial<LocalizedText> | string | null;
  typeId: string;
  certificateNumber: string;
  /** The new claim code, `XXXX-XXXX-XXXX`. */
  claimCode: string;
}

export interface ClaimLettersParameters {
  issuer: { name: LocalizedText };
  /** The verifier's base address (no trailing slash): the claim page is `<verifierUrl>/claim`. */
  verifierUrl: string;
  /** Written in the document's information dictionary. Default: now. */
  createdAt?: Date;
}

/** Takes one piece of the PDF; resolves when it can take the next (the receiver's backpressure). */
export type PdfSink = (chunk: Uint8Array) => void | Promise<void>;

/**
 * The claim link of a code: the candidate page with the code after `#` (kept out of server logs; the
 * page takes it out of the address bar once read).
 *
 * @example claimUrl("https://verify.ecert.gov.hk", "ABCD-EFGH-JKLM") // "https://verify.ecert.gov.hk/claim#ABCD-EFGH-JKLM"
 */
export function claimUrl(verifierUrl: string, claimCode: string): string {
  return `${verifierUrl.replace(/\/+$/, "")}/claim#${encodeURIComponent(claimCode)}`;
}

/** The candidate's name on the letter: Chinese and English where both are known. */
export function letterName(name: ClaimLetter["name"]): string {
  if (typeof name === "string") return name;
  const parts = [name?.["zh-HK"], name?.en].filter((p): p is string => typeof p === "string" && p.trim() !== "");
  return parts.join("  ");
}

const PAGE = { width: 595.28, height: 841.89, margin: 56 };
const NAVY = [0.05, 0.2, 0.4] as const;
const GREY = [0.35, 0.35, 0.35] as const;
const QR_SIZE = 150;
const GOVERNMENT: LocalizedText = {
  en: "The Government of the Hong Kong Special Administrative Region",
  "zh-HK": "香港特別行政區政府",
};
const TEXT = {
  title: { en: "Your electronic certificate is ready", "zh-HK": "你的電子證書已經備妥" },
  to: { en: "To", "zh-HK": "致" },
  certificate: { en: "Certificate", "zh-HK": "證書" },
  number: { en: "Certificate number", "zh-HK": "證書編號" },
  code: { en: "Claim code", "zh-HK": "領取碼" },
  link: { en: "Claim page", "zh-HK": "領取網頁" },
  how: {
    "zh-HK":
      "請用手機掃描右方的二維碼，或在瀏覽器開啟上方的領取網頁網址，即可下載你的電子證書（PDF），並可分享予僱主或其他機構核實。",
    en: "Scan the QR code on the right with your phone, or open the claim page address above in a browser, to download your electronic certificate (PDF) and share it with an employer or anyone who needs to check it.",
  },
  keep: {
    "zh-HK": "領取碼只屬你本人，請妥善保管，切勿交給他人。政府人員不會向你索取領取碼。",
    en: "The claim code is for you alone: keep it safe and do not give it to anyone. Government staff will never ask you for it.",
  },
  replaces: {
    "zh-HK": "此信件的領取碼取代以前發給你的任何領取碼；以前的領取碼已經失效。",
    en: "This claim code replaces any claim code sent to you before: earlier codes no longer work.",
  },
} as const;

/**
 * Writes a PDF one object at a time, keeping only the objects' byte offsets: a stream of objects, then
 * the cross-reference table and trailer (PDF 1.7, ISO 32000-1 §7.5).
 */
class ClaimLettersPdf {
  readonly #sink: PdfSink;
  readonly #offsets: (number | undefined)[] = [];
  #position = 0;

  constructor(sink: PdfSink) {
    this.#sink = sink;
  }

  async start(): Promise<void> {
    await this.#write(latin1("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
  }

  reserve(): Ref {
    this.#offsets.push(undefined);
    return new Ref(this.#offsets.length);
  }

  /** Writes object `ref` (PDF syntax), or a new object when no `ref` is given. */
  async object(body: string, ref = this.reserve()): Promise<Ref> {
    return this.#object(ref, latin1(body));
  }

  /** Writes a stream object, compressed with Flate. */
  async stream(dictionary: string, data: Uint8Array, ref = this.reserve()): Promise<Ref> {
    return this.#object(ref, streamBody(`${dictionary} /Filter /FlateDecode`, deflateSync(data, { level: 6 })));
  }

  /**
   * Writes a font subset's objects (`FontSubset.write` builds them into a {@link FontObjects}, numbered
   * in this file); returns its Type 0 font.
   */
  async font(subset: FontSubset): Promise<Ref> {
    const objects = new FontObjects(this);
    const font = subset.write(objects as unknown as PdfWriter);
    for (const { ref, body } of objects.objects) {
      if (!body) throw new Error(`PDF object ${ref.id} of a font was reserved but never set`);
      await this.#object(ref, body);
    }
    return font;
  }

  async end(trailer: { root: Ref; info: Ref; id: Uint8Array }): Promise<void> {
    const start = this.#position;
    const lines = [`xref\n0 ${this.#offsets.length + 1}\n0000000000 65535 f \n`];
    this.#offsets.forEach((offset, i) => {
      if (offset === undefined) throw new Error(`PDF object ${i + 1} was reserved but never written`);
      lines.push(`${String(offset).padStart(10, "0")} 00000 n \n`);
    });
    const id = Buffer.from(trailer.id).toString("hex").toUpperCase();
    lines.push(
      `trailer\n<< /Size ${this.#offsets.length + 1} /Root ${trailer.root} /Info ${trailer.info} /ID [<${id}> <${id}>] >>\nstartxref\n${start}\n%%EOF\n`,
    );
    await this.#write(latin1(lines.join("")));
  }

  async #object(ref: Ref, body: Uint8Array): Promise<Ref> {
    if (this.#offsets[ref.id - 1] !== undefined) throw new Error(`PDF object ${ref.id} written twice`);
    this.#offsets[ref.id - 1] = this.#position;
    await this.#write(latin1(`${ref.id} 0 obj\n`));
    await this.#write(body);
    await this.#write(latin1("\nendobj\n"));
    return ref;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    this.#position += bytes.length;
    await this.#sink(bytes);
  }
}

/**
 * What `FontSubset.write` calls of a `PdfWriter`: its objects are numbered in the streaming file (so their
 * references to each other hold) and kept until they are written there, in order.
 */
class FontObjects {
  readonly #file: ClaimLettersPdf;
  readonly objects: { ref: Ref; body: Uint8Array | undefined }[] = [];

  constructor(file: ClaimLettersPdf) {
    this.#file = file;
  }

  reserve(): Ref {
    const ref = this.#file.reserve();
    this.objects.push({ ref, body: undefined });
    return ref;
  }

  add(body: string): Ref {
    const ref = this.reserve();
    this.#entry(ref).body = latin1(body);
    return ref;
  }

  setRawStream(ref: Ref, dictionary: string, encoded: Uint8Array): void {
    this.#entry(ref).body = streamBody(dictionary, encoded);
  }

  #entry(ref: Ref): { ref: Ref; body: Uint8Array | undefined } {
    const entry = this.objects.find((o) => o.ref.id === ref.id);
    if (!entry) throw new Error(`PDF object ${ref.id} is not this font's`);
    return entry;
  }
}

/** A stream object's body: its dictionary with /Length, then the encoded bytes. */
function streamBody(dictionary: string, encoded: Uint8Array): Uint8Array {
  const head = latin1(`<< ${dictionary} /Length ${encoded.length} >>\nstream\n`);
  const tail = latin1("\nendstream");
  const body = new Uint8Array(head.length + encoded.length + tail.length);
  body.set(head, 0);
  body.set(encoded, head.length);
  body.set(tail, head.length + encoded.length);
  return body;
}

/**
 * Writes the claim letters PDF to `sink`, a page per letter, as `letters` yields them.
 *
 * @example
 * await writeClaimLetters({ issuer: { name }, verifierUrl }, letters, (chunk) => res.write(chunk));
 */
export async function writeClaimLetters(
  parameters: ClaimLettersParameters,
  letters: Iterable<ClaimLetter> | AsyncIterable<ClaimLetter>,
  sink: PdfSink,
): Promise<{ pages: number }> {
  const { issuer, verifierUrl, createdAt = new Date() } = parameters;
  const { regular, bold } = certificateFonts();
  const text: PageFont = { resource: "/F1", subset: new FontSubset(regular, "ECLTRA") };
  const heading: PageFont = { resource: "/F2", subset: new FontSubset(bold, "ECLTRB") };
  const pdf = new ClaimLettersPdf(sink);
  await pdf.start();
  const catalog = pdf.reserve();
  const pagesRef = pdf.reserve();
  // The fonts are written last (their subsets hold every glyph the letters used): the pages refer to this
  // font dictionary, written then too.
  const fonts = pdf.reserve();
  const kids: Ref[] = [];
  const left = PAGE.margin;
  const right = PAGE.width - PAGE.margin;
  const width = right - left;
  const centre = PAGE.width / 2;

  for await (const letter of letters) {
    const link = claimUrl(verifierUrl, letter.claimCode);
    const type = getCertificateType(letter.typeId);
    const c = new ContentStream();
    const paragraph = (font: PageFont, size: number, leading: number, x: number, y: number, w: number, s: string) => {
      for (const line of wrap(font.subset, s, size, w)) {
        c.text(font, size, x, y, line);
        y -= leading;
      }
      return y;
    };
    let y = PAGE.height - PAGE.margin - 8;
    c.fillColour(...GREY).textCentre(text, 9, centre, y, `${GOVERNMENT["zh-HK"]}  ${GOVERNMENT.en}`);
    y -= 26;
    c.fillColour(...NAVY).textCentre(heading, 18, centre, y, issuer.name["zh-HK"]);
    y -= 20;
    c.textCentre(heading, 14, centre, y, issuer.name.en);
    y -= 14;
    c.strokeColour(...NAVY).line(left, y, right, y, 1.2);
    y -= 36;
    c.fillColour(0, 0, 0).text(heading, 17, left, y, TEXT.title["zh-HK"]);
    y -= 22;
    c.text(heading, 14, left, y, TEXT.title.en);
    y -= 34;

    // The candidate and the certificate: label (both languages) on the left, value on the right.
    const labelWidth = 150;
    const field = (label: LocalizedText, value: string, font: PageFont = text, size = 12) => {
      c.fillColour(...GREY).text(text, 9, left, y + 2, `${label["zh-HK"]}  ${label.en}`);
      c.fillColour(0, 0, 0);
      y = paragraph(font, size, size * 1.35, left + labelWidth, y, width - labelWidth, value) - 8;
    };
    field(TEXT.to, letterName(letter.name) || "—", heading);
    field(TEXT.certificate, `${type.title["zh-HK"]}\n${type.title.en}`);
    field(TEXT.number, letter.certificateNumber);
    y -= 8;

    // The claim code in a box, the QR code of the link on the right.
    const qr = QRCode.create(link, { errorCorrectionLevel: "M" });
    const qrTop = y;
    const boxWidth = width - QR_SIZE - 24;
    c.strokeColour(...NAVY)
      .lineWidth(1)
      .rect(left, y - 70, boxWidth, 70, "S");
    c.fillColour(...GREY).text(text, 10, left + 14, y - 20, `${TEXT.code["zh-HK"]}  ${TEXT.code.en}`);
    const codeSize = Math.min(26, ((boxWidth - 28) / textWidth(heading, letter.claimCode, 26)) * 26);
    c.fillColour(...NAVY).text(heading, codeSize, left + 14, y - 54, letter.claimCode);
    y -= 92;
    c.fillColour(...GREY).text(text, 9, left, y, `${TEXT.link["zh-HK"]}  ${TEXT.link.en}`);
    y -= 16;
    const linkSize = Math.min(11, ((boxWidth - 4) / textWidth(text, link, 11)) * 11);
    c.fillColour(...NAVY).text(text, linkSize, left, y, link);
    c.fillColour(0, 0, 0).image("/Im1", right - QR_SIZE, qrTop - QR_SIZE + 8, QR_SIZE, QR_SIZE);
    y = Math.min(y, qrTop - QR_SIZE) - 30;

    // What to do, in both languages.
    for (const t of [TEXT.how, TEXT.keep]) {
      y = paragraph(text, 11, 16, left, y, width, t["zh-HK"]) - 4;
      y = paragraph(text, 10.5, 15, left, y, width, t.en) - 14;
    }
    c.strokeColour(0.8, 0.8, 0.8).line(left, y + 4, right, y + 4, 0.5);
    y -= 14;
    c.fillColour(...GREY);
    y = paragraph(text, 9.5, 14, left, y, width, TEXT.replaces["zh-HK"]);
    paragraph(text, 9, 13, left, y, width, TEXT.replaces.en);
    c.fillColour(...GREY).textRight(
      text,
      8,
      right,
      30,
      `${issuer.name["zh-HK"]}  ${issuer.name.en}  ·  ${letter.certificateNumber}`,
    );

    const image = await pdf.stream(
      `/Type /XObject /Subtype /Image /Width ${qr.modules.size + 8} /Height ${qr.modules.size + 8} /ImageMask true /BitsPerComponent 1 /Decode [1 0]`,
      qrBitmap(qr.modules),
    );
    const content = await pdf.stream("", latin1(c.toString()));
    kids.push(
      await pdf.object(
        `<< /Type /Page /Parent ${pagesRef} /MediaBox [0 0 ${PAGE.width} ${PAGE.height}] /Contents ${content}` +
          ` /Resources << /Font ${fonts} /XObject << /Im1 ${image} >> >> >>`,
      ),
    );
  }

  const f1 = await pdf.font(text.subset);
  const f2 = await pdf.font(heading.subset);
  await pdf.object(`<< /F1 ${f1} /F2 ${f2} >>`, fonts);
  await pdf.object(`<< /Type /Pages /Kids [${kids.join(" ")}] /Count ${kids.length} >>`, pagesRef);
  await pdf.object(
    `<< /Type /Catalog /Pages ${pagesRef} /Lang (zh-HK) /ViewerPreferences << /DisplayDocTitle true >> >>`,
    catalog,
  );
  const title = `${issuer.name["zh-HK"]} 領取信 ${issuer.name.en} claim letters`;
  const info = await pdf.object(
    `<< /Title ${pdfText(title)} /Author ${pdfText(`${issuer.name["zh-HK"]} ${issuer.name.en}`)} /Producer (HK e-Cert) /CreationDate ${pdfDate(createdAt)} >>`,
  );
  const id = new Uint8Array(16);
  crypto.getRandomValues(id);
  await pdf.end({ root: catalog, info, id });
  return { pages: kids.length };
}
