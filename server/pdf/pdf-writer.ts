import { deflateSync } from "node:zlib";

/** A PDF object reference, `n 0 R`. */
export class Ref {
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
  toString(): string {
    return `${this.id} 0 R`;
  }
}

/**
 * Writes a PDF file object by object: a dictionary is written as a string of PDF syntax, a stream as its
 * dictionary plus bytes (compressed with Flate unless told otherwise). Objects are numbered as they are
 * reserved, so that they can refer to each other in any order. Used for certificates, whose structure
 * is fixed and small: no parsing, no object model, just bytes.
 */
export class PdfWriter {
  #objects: (Uint8Array | undefined)[] = [];

  /** Reserves an object number, to fill later with `set`. */
  reserve(): Ref {
    this.#objects.push(undefined);
    return new Ref(this.#objects.length);
  }

  /** Adds an object written as PDF syntax, e.g. `<< /Type /Page ... >>`. */
  add(body: string): Ref {
    const ref = this.reserve();
    this.set(ref, body);
    return ref;
  }

  set(ref: Ref, body: string | Uint8Array): void {
    this.#objects[ref.id - 1] = typeof body === "string" ? latin1(body) : body;
  }

  /**
   * Adds a stream. `dictionary` holds the entries other than /Length and /Filter (e.g. `/Type
   * /EmbeddedFile`). Compressed with Flate (level `level`) unless `compress` is false.
   */
  addStream(dictionary: string, data: Uint8Array, options: { compress?: boolean; level?: number } = {}): Ref {
    const ref = this.reserve();
    this.setStream(ref, dictionary, data, options);
    return ref;
  }

  setStream(
    ref: Ref,
    dictionary: string,
    data: Uint8Array,
    options: { compress?: boolean; level?: number } = {},
  ): void {
    const { compress = true, level = 6 } = options;
    const body = compress ? deflateSync(data, { level }) : data;
    this.setRawStream(ref, `${dictionary}${compress ? " /Filter /FlateDecode" : ""}`, body);
  }

  /** Sets a stream whose bytes are already encoded (e.g. pre-compressed once for a whole batch). */
  setRawStream(ref: Ref, dictionary: string, encoded: Uint8Array): void {
    const head = latin1(`<< ${dictionary} /Length ${encoded.length} >>\nstream\n`);
    const tail = latin1("\nendstream");
    const out = new Uint8Array(head.length + encoded.length + tail.length);
    out.set(head, 0);
    out.set(encoded, head.length);
    out.set(tail, head.length + encoded.length);
    this.#objects[ref.id - 1] = out;
  }

  /** The whole file: header, objects, cross-reference table and trailer. */
  toBytes(trailer: { root: Ref; info?: Ref; id: Uint8Array }): Uint8Array {
    const parts: Uint8Array[] = [latin1("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")];
    let offset = parts[0].length;
    const offsets: number[] = [];
    this.#objects.forEach((body, i) => {
      if (!body) throw new Error(`PDF object ${i + 1} was reserved but never set`);
      const head = latin1(`${i + 1} 0 obj\n`);
      offsets.push(offset);
      parts.push(head, body, latin1("\nendobj\n"));
      offset += head.length + body.length + 8;
    });
    const xref = [`xref\n0 ${this.#objects.length + 1}\n0000000000 65535 f \n`];
    for (const o of offsets) xref.push(`${String(o).padStart(10, "0")} 00000 n \n`);
    const id = hex(trailer.id);
    xref.push(
      `trailer\n<< /Size ${this.#objects.length + 1} /Root ${trailer.root}${trailer.info ? ` /Info ${trailer.info}` : ""} /ID [<${id}> <${id}>] >>\nstartxref\n${offset}\n%%EOF\n`,
    );
    parts.push(latin1(xref.join("")));
    return concat(parts);
  }
}

/** A PDF text string: UTF-16BE with a byte-order mark, as a hex string. Safe for any Unicode text. */
export function pdfText(text: string): string {
  let out = "<FEFF";
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).padStart(4, "0").toUpperCase();
  return `${out}>`;
}

/** A PDF date, `(D:20261127150000Z)`. */
export function pdfDate(date: Date): string {
  return `(D:${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z)`;
}

/** A PDF name with any byte outside `!`..`~` or a delimiter written as `#xx`. */
export function pdfName(name: string): string {
  return `/${[...new TextEncoder().encode(name)]
    .map((b) =>
      b > 0x20 && b < 0x7f && !"#()<>[]{}/%".includes(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `#${b.toString(16).padStart(2, "0")}`,
    )
    .join("")}`;
}

/** The bytes of a string of characters U+0000 to U+00FF (PDF syntax). */
export function latin1(text: string): Uint8Array {
  return Buffer.from(text, "latin1");
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex").toUpperCase();
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
