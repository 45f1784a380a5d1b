/**
 * Reads what a person sees of an RFC 5322 message: its headers (unfolded, RFC 2047 encoded words
 * decoded) and its plain-text and HTML parts (a single part or `multipart/*`, nested; `base64`,
 * `quoted-printable`, `7bit` and `8bit`; UTF-8 and Latin-1). Enough for the embedded default's outbox
 * page (`GET /dev/outbox`) and tests; not a general mail parser (no attachments, no other charsets).
 */

/** The parts of a message a person reads. */
export interface ReadMessage {
  /** Header names in lower case, values decoded; a header given twice keeps its first value. */
  headers: Record<string, string>;
  subject: string;
  text: string | undefined;
  html: string | undefined;
}

/** Largest message read (bytes of text); the rest is not looked at. */
const MAX_MESSAGE = 2 * 2 ** 20;

function splitHeadBody(raw: string): [string, string] {
  const match = /\r?\n\r?\n/.exec(raw);
  return match ? [raw.slice(0, match.index), raw.slice(match.index + match[0].length)] : [raw, ""];
}

function parseHeaders(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = decodeWords(line.slice(colon + 1).trim());
  }
  return headers;
}

function bytesToText(bytes: Uint8Array, charset: string): string {
  const label = /^(utf-?8|us-ascii|iso-8859-1|latin1|windows-1252)$/i.test(charset) ? charset : "utf-8";
  return new TextDecoder(label.toLowerCase() === "us-ascii" ? "utf-8" : label).decode(bytes);
}

function quotedPrintable(text: string): Uint8Array {
  const soft = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...new TextEncoder().encode(c));
  }
  return new Uint8Array(bytes);
}

/** RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?UTF-8?Q?...?=`), adjacent ones joined. */
export function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, charset: string, encoding: string, data: string) => {
      const bytes =
        encoding.toUpperCase() === "B"
          ? Uint8Array.from(Buffer.from(data, "base64"))
          : quotedPrintable(data.replace(/_/g, " "));
      return bytesToText(bytes, charset);
    });
}

function parameter(header: string | undefined, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(header ?? "");
  return match ? (match[1] ?? match[2]) : undefined;
}

function decodeBody(body: string, headers: Record<string, string>): string {
  const encoding = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  const charset = parameter(headers["content-type"], "charset") ?? "utf-8";
  if (encoding === "base64")
    return bytesToText(Uint8Array.from(Buffer.from(body.replace(/\s+/g, ""), "base64")), charset);
  if (encoding === "quoted-printable") return bytesToText(quotedPrintable(body), charset);
  return body;
}

function walk(
  headers: Record<string, string>,
  body: string,
  found: { text?: string; html?: string },
  depth: number,
): void {
  const type = (headers["content-type"] ?? "text/plain").split(";")[0].trim().toLowerCase();
  if (type.startsWith("multipart/") && depth < 8) {
    const boundary = parameter(headers["content-type"], "boundary");
    if (!boundary) return;
    const parts = body.split(`--${boundary}`);
    for (const part of parts.slice(1)) {
      if (part.startsWith("--")) break;
      const [head, partBody] = splitHeadBody(part.replace(/^\r?\n/, ""));
      walk(parseHeaders(head), partBody.replace(/\r?\n$/, ""), found, depth + 1);
    }
    return;
  }
  if (type === "text/plain" && found.text === undefined) found.text = decodeBody(body, headers);
  else if (type === "text/html" && found.html === undefined) found.html = decodeBody(body, headers);
}

/**
 * The headers, subject and text parts of the message `raw`.
 *
 * @example
 * readMessage("Subject: =?UTF-8?B?5L2g5aW9?=\r\n\r\nHello").subject // "你好"
 */
export function readMessage(raw: string): ReadMessage {
  const [head, body] = splitHeadBody(raw.slice(0, MAX_MESSAGE));
  const headers = parseHeaders(head);
  const found: { text?: string; html?: string } = {};
  walk(headers, body, found, 0);
  return { headers, subject: headers.subject ?? "", text: found.text, html: found.html };
}
