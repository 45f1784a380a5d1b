import { deflateSync } from "node:zlib";
import { latin1, pdfName, type PdfWriter, type Ref } from "./pdf-writer.ts";
import type { TrueTypeFont } from "./truetype.ts";

/**
 * The glyphs of one font used by one or more PDFs, embedded as a Type 0 font with a CIDFontType2
 * descendant, Identity-H encoding (a CID is the subset's glyph id) and a ToUnicode map so the text can
 * be searched, copied and read aloud.
 *
 * A subset made for a whole batch (the labels of a certificate type) is `freeze()`d: its font file,
 * widths and ToUnicode map are built and compressed once, then copied into every PDF.
 */
export class FontSubset {
  readonly font: TrueTypeFont;
  readonly #tag: string;
  readonly #cids = new Map<number, number>(); // code point -> CID
  readonly #gids: number[] = [0];
  readonly #unicode: number[] = [0];
  #frozen?: { fontFile: Uint8Array; toUnicode: Uint8Array; widths: string; bbox: string };

  /** @param tag six upper-case letters naming this subset (`ABCDEF+Font`). */
  constructor(font: TrueTypeFont, tag: string) {
    this.font = font;
    this.#tag = tag;
  }

  /** True when every character of `text` already has a CID here. */
  has(text: string): boolean {
    for (const char of text) if (!this.#cids.has(char.codePointAt(0)!)) return false;
    return true;
  }

  /** The hex string (for `Tj`) of `text`, adding its glyphs to the subset unless frozen. */
  encode(text: string): string {
    let out = "<";
    for (const char of text) {
      const codePoint = char.codePointAt(0)!;
      let cid = this.#cids.get(codePoint);
      if (cid === undefined) {
        if (this.#frozen)
          throw new Error(`frozen font subset has no glyph for U+${codePoint.toString(16).toUpperCase()}`);
        cid = this.#gids.length;
        this.#gids.push(this.font.glyph(codePoint).gid);
        this.#unicode.push(codePoint);
        this.#cids.set(codePoint, cid);
      }
      out += cid.toString(16).padStart(4, "0");
    }
    return `${out}>`;
  }

  /** Builds and compresses everything once; later `write`s copy it. No glyph can be added after. */
  freeze(): this {
    this.#frozen = this.#build();
    return this;
  }

  /** Writes the font's objects and returns the Type 0 font to put in a page's /Resources. */
  write(writer: PdfWriter): Ref {
    const built = this.#frozen ?? this.#build();
    const name = pdfName(`${this.#tag}+${this.font.postScriptName}`);
    const scale = 1000 / this.font.unitsPerEm;
    const fontFile = writer.reserve();
    writer.setRawStream(fontFile, "/Filter /FlateDecode", built.fontFile);
    const descriptor = writer.add(
      `<< /Type /FontDescriptor /FontName ${name} /Flags 4 /FontBBox ${built.bbox} /ItalicAngle 0` +
        ` /Ascent ${Math.round(this.font.ascent * scale)} /Descent ${Math.round(this.font.descent * scale)}` +
        ` /CapHeight ${Math.round(this.font.capHeight * scale)} /StemV 80 /FontFile2 ${fontFile} >>`,
    );
    const cidFont = writer.add(
      `<< /Type /Font /Subtype /CIDFontType2 /BaseFont ${name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>` +
        ` /FontDescriptor ${descriptor} /W ${built.widths} /CIDToGIDMap /Identity >>`,
    );
    const toUnicode = writer.reserve();
    writer.setRawStream(toUnicode, "/Filter /FlateDecode", built.toUnicode);
    return writer.add(
      `<< /Type /Font /Subtype /Type0 /BaseFont ${name} /Encoding /Identity-H /DescendantFonts [${cidFont}] /ToUnicode ${toUnicode} >>`,
    );
  }

  #build(): { fontFile: Uint8Array; toUnicode: Uint8Array; widths: string; bbox: string } {
    const { font: subset, order } = this.font.subset(this.#gids);
    const scale = 1000 / this.font.unitsPerEm;
    const widths = `[0 [${order
      .slice(0, this.#gids.length)
      .map((gid) => Math.round(this.font.advance(gid) * scale))
      .join(" ")}]]`;
    const bbox = `[${this.font.bbox.map((v) => Math.round(v * scale)).join(" ")}]`;
    return {
      fontFile: deflateSync(subset, { level: 6 }),
      toUnicode: deflateSync(latin1(toUnicodeCMap(this.#unicode)), { level: 6 }),
      widths,
      bbox,
    };
  }
}

/** A ToUnicode CMap mapping CID i to `unicode[i]` (CID 0, .notdef, maps to nothing). */
function toUnicodeCMap(unicode: number[]): string {
  const lines = [
    "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
    "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
    "1 begincodespacerange <0000> <FFFF> endcodespacerange",
  ];
  const entries: string[] = [];
  for (let cid = 1; cid < unicode.length; cid++) {
    const utf16 = String.fromCodePoint(unicode[cid]);
    let dst = "";
    for (let i = 0; i < utf16.length; i++) dst += utf16.charCodeAt(i).toString(16).padStart(4, "0");
    entries.push(`<${cid.toString(16).padStart(4, "0")}> <${dst}>`);
  }
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    lines.push(`${chunk.length} beginbfchar`, ...chunk, "endbfchar");
  }
  lines.push("endcmap CMapName currentdict /CMap defineresource pop end end");
  return lines.join("\n");
}
