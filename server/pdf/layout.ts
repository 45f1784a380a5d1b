import type { FontSubset } from "./pdf-font.ts";

/** A font as the page uses it: its resource name (`/F1`) and the subset that encodes its text. */
export interface PageFont {
  resource: string;
  subset: FontSubset;
}

/** Characters after which, or before which, a line may break although there is no space. */
const CJK = /[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u{20000}-\u{3134f}]/u;

/**
 * Splits `text` into lines no wider than `width` points at `size`: Latin text breaks at spaces (a word
 * longer than the line is cut), Chinese text between any two characters.
 */
export function wrap(subset: FontSubset, text: string, size: number, width: number): string[] {
  const scale = size / subset.font.unitsPerEm;
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    // Tokens: a run of spaces, a CJK character, or a run of anything else.
    const tokens = paragraph.match(/ +|[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u{20000}-\u{3134f}]|[^ \u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u{20000}-\u{3134f}]+/gu) ?? [""];
    let line = "";
    let lineWidth = 0;
    for (const token of tokens) {
      const tokenWidth = subset.font.measure(token) * scale;
      if (lineWidth + tokenWidth <= width || line === "") {
        if (tokenWidth > width && !CJK.test(token)) {
          // A word longer than a line: cut it character by character.
          for (const char of token) {
            const w = subset.font.measure(char) * scale;
            if (lineWidth + w > width && line !== "") {
              lines.push(line.trimEnd());
              line = "";
              lineWidth = 0;
            }
            line += char;
            lineWidth += w;
          }
          continue;
        }
        line += token;
        lineWidth += tokenWidth;
      } else {
        lines.push(line.trimEnd());
        line = token.startsWith(" ") ? "" : token;
        lineWidth = token.startsWith(" ") ? 0 : tokenWidth;
      }
    }
    lines.push(line.trimEnd());
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
    if (text !== "") this.#ops.push(`BT ${font.resource} ${n(size)} Tf ${n(x)} ${n(y)} Td ${font.subset.encode(text)} Tj ET`);
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
