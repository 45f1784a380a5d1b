import type { FontSubset } from "./pdf-font.ts";

/** A font as the page uses it: its resource name (`/F1`) and the subset that encodes its text. */
export interface PageFont {
  resource: string;
  subset: FontSubset;
}

/** Characters before and after which a line may break although there is no space (CJK and full-width forms). */
const CJK_RANGES = "\\u2e80-\\u9fff\\uf900-\\ufaff\\u3000-\\u303f\\uff00-\\uffef\\u{20000}-\\u{3134f}";
/**
 * The tokens of a paragraph: a run of spaces; one CJK character with the marks that follow it (a
 * variation selector, a combining mark); or a run of anything else (a word).
 */
const TOKENS = new RegExp(`( +)|[${CJK_RANGES}]\\p{M}*|[^ ${CJK_RANGES}]+`, "gu");
/** Grapheme clusters: where a word too wide for a line is cut (never inside a surrogate pair or a combining sequence). */
const GRAPHEMES = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * Splits `text` into lines no wider than `width` points at `size`: Latin text breaks at spaces, Chinese
 * text between any two characters, and a word wider than the line, wherever it stands, starts a line
 * and is cut between two grapheme clusters (a surrogate pair or a combining sequence is never split).
 * Only a single grapheme cluster wider than the whole line could exceed it.
 */
export function wrap(subset: FontSubset, text: string, size: number, width: number): string[] {
  const scale = size / subset.font.unitsPerEm;
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    const first = lines.length;
    let line = "";
    let lineWidth = 0;
    const breakLine = () => {
      if (line.trim() !== "") lines.push(line.trimEnd());
      line = "";
      lineWidth = 0;
    };
    for (const [token, spaces] of paragraph.matchAll(TOKENS)) {
      const tokenWidth = subset.font.measure(token) * scale;
      if (lineWidth + tokenWidth <= width) {
        line += token;
        lineWidth += tokenWidth;
      } else if (spaces !== undefined) {
        breakLine(); // the spaces end the line and are dropped
      } else if (tokenWidth <= width) {
        breakLine();
        line = token;
        lineWidth = tokenWidth;
      } else {
        // A word wider than a line: cut between grapheme clusters; its last piece stays on the line.
        breakLine();
        for (const { segment } of GRAPHEMES.segment(token)) {
          const w = subset.font.measure(segment) * scale;
          if (lineWidth + w > width && line !== "") breakLine();
          line += segment;
          lineWidth += w;
        }
      }
    }
    if (line.trim() !== "" || lines.length === first) lines.push(line.trimEnd());
  }
  return lines;
}

/** Width of `text` in points. */
export function textWidth(font: PageFont, text: string, size: number): number {
  return (font.subset.font.measure(text) * size) / font.subset.font.unitsPerEm;
}

/** Builds a page's content stream. Coordinates are PDF points from the bottom left. */
export class ContentStream {
  #ops: string[] = [];

  text(font: PageFont, size: number, x: number, y: number, text: string): this {
    if (text !== "")
      this.#ops.push(`BT ${font.resource} ${n(size)} Tf ${n(x)} ${n(y)} Td ${font.subset.encode(text)} Tj ET`);
    return this;
  }

  /** Text whose right edge is at `right`. */
  textRight(font: PageFont, size: number, right: number, y: number, text: string): this {
    return this.text(font, size, right - textWidth(font, text, size), y, text);
  }

  /** Text centred on `centre`. */
  textCentre(font: PageFont, size: number, centre: number, y: number, text: string): this {
    return this.text(font, size, centre - textWidth(font, text, size) / 2, y, text);
  }

  fillColour(r: number, g: number, b: number): this {
    this.#ops.push(`${n(r)} ${n(g)} ${n(b)} rg`);
    return this;
  }

  strokeColour(r: number, g: number, b: number): this {
    this.#ops.push(`${n(r)} ${n(g)} ${n(b)} RG`);
    return this;
  }

  line(x1: number, y1: number, x2: number, y2: number, width: number): this {
    this.#ops.push(`${n(width)} w ${n(x1)} ${n(y1)} m ${n(x2)} ${n(y2)} l S`);
    return this;
  }

  rect(x: number, y: number, w: number, h: number, mode: "f" | "S"): this {
    this.#ops.push(`${n(x)} ${n(y)} ${n(w)} ${n(h)} re ${mode}`);
    return this;
  }

  lineWidth(width: number): this {
    this.#ops.push(`${n(width)} w`);
    return this;
  }

  /** Paints an image XObject into the rectangle (x, y, w, h). */
  image(resource: string, x: number, y: number, w: number, h: number): this {
    this.#ops.push(`q ${n(w)} 0 0 ${n(h)} ${n(x)} ${n(y)} cm ${resource} Do Q`);
    return this;
  }

  raw(op: string): this {
    this.#ops.push(op);
    return this;
  }

  toString(): string {
    return this.#ops.join("\n");
  }
}

function n(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
