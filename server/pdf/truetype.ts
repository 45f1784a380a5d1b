/**
 * A TrueType (glyf) font parsed once, then subset many times, fast.
 *
 * pdf-lib subsets a CJK font through fontkit on every document, which costs tens of milliseconds; a
 * batch of 10,000 certificates cannot afford that. Here the font's tables are read once, and a subset is
 * a copy of the chosen glyphs' bytes into a new font whose glyphs are numbered in the order given (so
 * the PDF uses the new glyph ids as CIDs, with `/CIDToGIDMap /Identity`). Composite glyphs bring their
 * components along. Hinting programs (`cvt `, `fpgm`, `prep`) are kept as they are.
 */

const GLYF_ARG_1_AND_2_ARE_WORDS = 0x0001;
const GLYF_WE_HAVE_A_SCALE = 0x0008;
const GLYF_MORE_COMPONENTS = 0x0020;
const GLYF_WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const GLYF_WE_HAVE_A_TWO_BY_TWO = 0x0080;

interface TableRecord {
  offset: number;
  length: number;
}

/** Glyph id and advance width (font units) of a code point. */
export interface GlyphInfo {
  gid: number;
  advance: number;
}

export class TrueTypeFont {
  readonly unitsPerEm: number;
  readonly ascent: number;
  readonly descent: number;
  readonly capHeight: number;
  readonly bbox: [number, number, number, number];
  readonly postScriptName: string;
  readonly numGlyphs: number;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #tables: Map<string, TableRecord>;
  readonly #longLoca: boolean;
  readonly #numberOfHMetrics: number;
  readonly #cmap: (codePoint: number) => number;
  readonly #glyphCache = new Map<number, GlyphInfo>();

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const version = this.#view.getUint32(0);
    if (version !== 0x00010000 && version !== 0x74727565) {
      throw new Error("not a TrueType font (glyf outlines expected; CFF-based OpenType fonts are not supported)");
    }
    this.#tables = new Map();
    const numTables = this.#view.getUint16(4);
    for (let i = 0; i < numTables; i++) {
      const record = 12 + 16 * i;
      const tag = String.fromCharCode(...data.subarray(record, record + 4));
      this.#tables.set(tag, { offset: this.#view.getUint32(record + 8), length: this.#view.getUint32(record + 12) });
    }
    for (const tag of ["head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"]) {
      if (!this.#tables.has(tag)) throw new Error(`font has no '${tag}' table`);
    }
    const head = this.#table("head").offset;
    this.unitsPerEm = this.#view.getUint16(head + 18);
    this.bbox = [
      this.#view.getInt16(head + 36),
      this.#view.getInt16(head + 38),
      this.#view.getInt16(head + 40),
      this.#view.getInt16(head + 42),
    ];
    this.#longLoca = this.#view.getInt16(head + 50) === 1;
    const hhea = this.#table("hhea").offset;
    this.ascent = this.#view.getInt16(hhea + 4);
    this.descent = this.#view.getInt16(hhea + 6);
    this.#numberOfHMetrics = this.#view.getUint16(hhea + 34);
    this.numGlyphs = this.#view.getUint16(this.#table("maxp").offset + 4);
    const os2 = this.#tables.get("OS/2");
    this.capHeight =
      os2 && this.#view.getUint16(os2.offset) >= 2
        ? this.#view.getInt16(os2.offset + 88)
        : Math.round(this.ascent * 0.7);
    this.postScriptName = this.#readPostScriptName() ?? "Font";
    this.#cmap = this.#readCmap();
  }

  /** Glyph id (0 when the font has none) and advance width of a code point. */
  glyph(codePoint: number): GlyphInfo {
    let info = this.#glyphCache.get(codePoint);
    if (!info) {
      const gid = this.#cmap(codePoint);
      info = { gid, advance: this.advance(gid) };
      this.#glyphCache.set(codePoint, info);
    }
    return info;
  }

  /** Advance width of a glyph, in font units. */
  advance(gid: number): number {
    const hmtx = this.#table("hmtx").offset;
    const index = Math.min(gid, this.#numberOfHMetrics - 1);
    return this.#view.getUint16(hmtx + 4 * index);
  }

  /** Width of `text` in font units (no kerning). */
  measure(text: string): number {
    let width = 0;
    for (const char of text) width += this.glyph(char.codePointAt(0)!).advance;
    return width;
  }

  /**
   * A font holding the glyphs `gids` (plus the components of composite ones), renumbered: the glyph
   * `gids[i]` becomes glyph `i`. `gids[0]` should be 0 (`.notdef`).
   * @returns the font file and the final order (longer than `gids` when components were added).
   */
  subset(gids: readonly number[]): { font: Uint8Array; order: number[] } {
    const order = [...gids];
    const newId = new Map<number, number>();
    order.forEach((gid, i) => newId.set(gid, i));
    const glyphs: Uint8Array[] = [];
    for (let i = 0; i < order.length; i++) {
      let bytes = this.#glyphBytes(order[i]);
      if (bytes.length >= 10 && new DataView(bytes.buffer, bytes.byteOffset).getInt16(0) < 0) {
        bytes = this.#remapComposite(bytes, (component) => {
          let id = newId.get(component);
          if (id === undefined) {
            id = order.length;
            order.push(component);
            newId.set(component, id);
          }
          return id;
        });
      }
      glyphs.push(bytes);
    }

    const n = order.length;
    const loca = new DataView(new ArrayBuffer(4 * (n + 1)));
    let glyfLength = 0;
    for (let i = 0; i < n; i++) {
      loca.setUint32(4 * i, glyfLength);
      glyfLength += (glyphs[i].length + 3) & ~3;
    }
    loca.setUint32(4 * n, glyfLength);
    const glyf = new Uint8Array(glyfLength);
    for (let i = 0, at = 0; i < n; i++) {
      glyf.set(glyphs[i], at);
      at += (glyphs[i].length + 3) & ~3;
    }

    const hmtxTable = this.#table("hmtx").offset;
    const hmtx = new DataView(new ArrayBuffer(4 * n));
    for (let i = 0; i < n; i++) {
      const gid = order[i];
      const lsb =
        gid < this.#numberOfHMetrics
          ? this.#view.getInt16(hmtxTable + 4 * gid + 2)
          : this.#view.getInt16(hmtxTable + 4 * this.#numberOfHMetrics + 2 * (gid - this.#numberOfHMetrics));
      hmtx.setUint16(4 * i, this.advance(gid));
      hmtx.setInt16(4 * i + 2, lsb);
    }

    const head = this.#copy("head");
    const headView = new DataView(head.buffer);
    headView.setUint32(8, 0); // checkSumAdjustment, set below
    headView.setInt16(50, 1); // long loca
    const hhea = this.#copy("hhea");
    new DataView(hhea.buffer).setUint16(34, n);
    const maxp = this.#copy("maxp");
    new DataView(maxp.buffer).setUint16(4, n);
    // post version 3: no glyph names.
    const post = this.#copy("post").subarray(0, 32);
    new DataView(post.buffer, post.byteOffset).setUint32(0, 0x00030000);

    const tables: [string, Uint8Array][] = [
      ["cmap", EMPTY_CMAP],
      ["glyf", glyf],
      ["head", head],
      ["hhea", hhea],
      ["hmtx", new Uint8Array(hmtx.buffer)],
      ["loca", new Uint8Array(loca.buffer)],
      ["maxp", maxp],
      ["post", post],
    ];
    for (const tag of ["cvt ", "fpgm", "prep"]) if (this.#tables.has(tag)) tables.push([tag, this.#copy(tag)]);
    tables.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const font = assembleFont(tables);
    const total = checksum(font);
    new DataView(font.buffer).setUint32(tableOffset(font, "head") + 8, (0xb1b0afba - total) >>> 0);
    return { font, order };
  }

  #table(tag: string): TableRecord {
    return this.#tables.get(tag)!;
  }

  #copy(tag: string): Uint8Array {
    const { offset, length } = this.#table(tag);
    return this.#data.slice(offset, offset + length);
  }

  #glyphBytes(gid: number): Uint8Array {
    if (gid < 0 || gid >= this.numGlyphs) throw new Error(`glyph ${gid} is out of range`);
    const loca = this.#table("loca").offset;
    const glyf = this.#table("glyf").offset;
    const start = this.#longLoca ? this.#view.getUint32(loca + 4 * gid) : 2 * this.#view.getUint16(loca + 2 * gid);
    const end = this.#longLoca
      ? this.#view.getUint32(loca + 4 * gid + 4)
      : 2 * this.#view.getUint16(loca + 2 * gid + 2);
    return this.#data.subarray(glyf + start, glyf + end);
  }

  #remapComposite(source: Uint8Array, remap: (gid: number) => number): Uint8Array {
    const bytes = source.slice();
    const view = new DataView(bytes.buffer);
    let at = 10;
    for (;;) {
      const flags = view.getUint16(at);
      view.setUint16(at + 2, remap(view.getUint16(at + 2)));
      at += 4 + (flags & GLYF_ARG_1_AND_2_ARE_WORDS ? 4 : 2);
      if (flags & GLYF_WE_HAVE_A_SCALE) at += 2;
      else if (flags & GLYF_WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
      else if (flags & GLYF_WE_HAVE_A_TWO_BY_TWO) at += 8;
      if (!(flags & GLYF_MORE_COMPONENTS)) return bytes;
    }
  }

  #readPostScriptName(): string | undefined {
    const name = this.#tables.get("name");
    if (!name) return undefined;
    const count = this.#view.getUint16(name.offset + 2);
    const strings = name.offset + this.#view.getUint16(name.offset + 4);
    for (let i = 0; i < count; i++) {
      const r = name.offset + 6 + 12 * i;
      const [platform, , , nameId, length, offset] = [0, 2, 4, 6, 8, 10].map((d) => this.#view.getUint16(r + d));
      if (nameId !== 6) continue;
      const raw = this.#data.subarray(strings + offset, strings + offset + length);
      const text =
        platform === 3 || platform === 0
          ? String.fromCharCode(...Array.from({ length: length / 2 }, (_, k) => (raw[2 * k] << 8) | raw[2 * k + 1]))
          : String.fromCharCode(...raw);
      return text.replace(/[^A-Za-z0-9-]/g, "");
    }
    return undefined;
  }

  /** A lookup over the cmap's format 12 (full Unicode) subtable, or else its format 4 one. */
  #readCmap(): (codePoint: number) => number {
    const cmap = this.#table("cmap").offset;
    const count = this.#view.getUint16(cmap + 2);
    let format4: number | undefined;
    for (let i = 0; i < count; i++) {
      const platform = this.#view.getUint16(cmap + 4 + 8 * i);
      const encoding = this.#view.getUint16(cmap + 6 + 8 * i);
      const sub = cmap + this.#view.getUint32(cmap + 8 + 8 * i);
      const format = this.#view.getUint16(sub);
      if (format === 12 && ((platform === 3 && encoding === 10) || platform === 0)) {
        const groups = this.#view.getUint32(sub + 12);
        const starts = new Uint32Array(groups);
        const ends = new Uint32Array(groups);
        const firstGlyph = new Uint32Array(groups);
        for (let g = 0; g < groups; g++) {
          starts[g] = this.#view.getUint32(sub + 16 + 12 * g);
          ends[g] = this.#view.getUint32(sub + 20 + 12 * g);
          firstGlyph[g] = this.#view.getUint32(sub + 24 + 12 * g);
        }
        return (codePoint) => {
          let lo = 0;
          let hi = groups - 1;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (codePoint < starts[mid]) hi = mid - 1;
            else if (codePoint > ends[mid]) lo = mid + 1;
            else return firstGlyph[mid] + codePoint - starts[mid];
          }
          return 0;
        };
      }
      if (format === 4 && platform === 3 && encoding === 1) format4 = sub;
    }
    if (format4 === undefined) throw new Error("font has no Unicode cmap (format 12 or 4)");
    const sub = format4;
    const segments = this.#view.getUint16(sub + 6) / 2;
    const ends = sub + 14;
    const starts = ends + 2 * segments + 2;
    const deltas = starts + 2 * segments;
    const rangeOffsets = deltas + 2 * segments;
    return (codePoint) => {
      if (codePoint > 0xffff) return 0;
      for (let s = 0; s < segments; s++) {
        if (codePoint > this.#view.getUint16(ends + 2 * s)) continue;
        const start = this.#view.getUint16(starts + 2 * s);
        if (codePoint < start) return 0;
        const delta = this.#view.getUint16(deltas + 2 * s);
        const rangeOffset = this.#view.getUint16(rangeOffsets + 2 * s);
        if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
        const glyph = this.#view.getUint16(rangeOffsets + 2 * s + rangeOffset + 2 * (codePoint - start));
        return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
      }
      return 0;
    };
  }
}

/** A cmap with one empty format 4 subtable: PDF maps codes to glyphs itself (CIDToGIDMap). */
const EMPTY_CMAP = new Uint8Array([
  0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12,
  // format 4, length 24, language 0, segCountX2 2, searchRange 2, entrySelector 0, rangeShift 0
  0, 4, 0, 24, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 1, 0, 0,
]);

function assembleFont(tables: [string, Uint8Array][]): Uint8Array {
  const numTables = tables.length;
  let entrySelector = 0;
  while (2 ** (entrySelector + 1) <= numTables) entrySelector++;
  const searchRange = 16 * 2 ** entrySelector;
  let size = 12 + 16 * numTables;
  for (const [, bytes] of tables) size += (bytes.length + 3) & ~3;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00010000);
  view.setUint16(4, numTables);
  view.setUint16(6, searchRange);
  view.setUint16(8, entrySelector);
  view.setUint16(10, numTables * 16 - searchRange);
  let at = 12 + 16 * numTables;
  tables.forEach(([tag, bytes], i) => {
    const record = 12 + 16 * i;
    for (let k = 0; k < 4; k++) out[record + k] = tag.charCodeAt(k);
    out.set(bytes, at);
    view.setUint32(record + 4, checksum(out.subarray(at, at + ((bytes.length + 3) & ~3))));
    view.setUint32(record + 8, at);
    view.setUint32(record + 12, bytes.length);
    at += (bytes.length + 3) & ~3;
  });
  return out;
}

function tableOffset(font: Uint8Array, tag: string): number {
  const view = new DataView(font.buffer, font.byteOffset);
  for (let i = 0; i < view.getUint16(4); i++) {
    const record = 12 + 16 * i;
    if (String.fromCharCode(...font.subarray(record, record + 4)) === tag) return view.getUint32(record + 8);
  }
  throw new Error(`no ${tag} table`);
}

function checksum(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  const whole = bytes.byteLength & ~3;
  for (let i = 0; i < whole; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  if (whole < bytes.byteLength) {
    let last = 0;
    for (let i = whole; i < whole + 4; i++) last = (last << 8) | (i < bytes.byteLength ? bytes[i] : 0);
    sum = (sum + (last >>> 0)) >>> 0;
  }
  return sum;
}
