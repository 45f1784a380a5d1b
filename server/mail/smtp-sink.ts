/**
 * The embedded default's SMTP sink: a real SMTP server (`smtp-server`) on 127.0.0.1 at a random port that
 * accepts every message and delivers none. Each is written to `<dir>/<time>-<id>.eml` (the messages of
 * earlier runs are read back at start) and the last {@link SINK_KEEP} are kept in memory for the outbox
 * page (`GET /dev/outbox`), so a person trying the service sees what a candidate would get. Development
 * only: the messages hold claim links.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import { SMTPServer } from "smtp-server";
import { readMessage } from "./mime-text.ts";

/** Messages kept in memory (and read back from disk at start). */
export const SINK_KEEP = 200;
/** Largest message the sink takes (bytes). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** A message the sink received. */
export interface SinkMessage {
  id: string;
  receivedAt: string;
  /** The envelope's sender and recipients. */
  from: string;
  to: string[];
  subject: string;
  text: string | undefined;
  html: string | undefined;
  /** The message as received (RFC 5322). */
  raw: string;
  /** Where it is on disk. */
  file: string;
}

export interface SmtpSinkParameters {
  /** The directory of the `.eml` files (created, mode 0700). */
  dir: string;
  log: Logger;
}

/** The running sink. */
export class SmtpSink {
  readonly #server: SMTPServer;
  readonly #messages: SinkMessage[];
  readonly url: string;

  private constructor(server: SMTPServer, url: string, messages: SinkMessage[]) {
    this.#server = server;
    this.url = url;
    this.#messages = messages;
  }

  /** Starts the sink on 127.0.0.1 (a random port); `url` is its `smtp://` address. */
  static async start(parameters: SmtpSinkParameters): Promise<SmtpSink> {
    const { dir, log } = parameters;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const messages = await readBack(dir);
    const receive = (raw: string, from: string, to: string[]) => storeMessage(dir, messages, raw, from, to);
    const server = new SMTPServer({
      // Plain SMTP on the loopback address: nothing to authenticate, no certificate to offer.
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      size: MAX_MESSAGE_BYTES,
      banner: "HK e-Cert development SMTP sink (nothing is delivered)",
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", (error) => callback(error));
        stream.on("end", () => {
          if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error("552 message too large for the development sink"), { responseCode: 552 }));
            return;
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          const to = session.envelope.rcptTo.map((r) => r.address);
          receive(raw, from, to).then(
            (message) => callback(null, `250 stored as ${message.id}`),
            (error: unknown) => {
              log.warn({ err: error }, "SMTP sink could not store a message");
              callback(error instanceof Error ? error : new Error(String(error)));
            },
          );
        });
      },
    });
    server.on("error", (error) => log.warn({ err: error }, "SMTP sink error"));
    await new Promise<void>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.server.address() as AddressInfo).port;
    return new SmtpSink(server, `smtp://127.0.0.1:${port}`, messages);
  }

  /** The messages received, newest first (at most {@link SINK_KEEP}). */
  messages(): readonly SinkMessage[] {
    return [...this.#messages].reverse();
  }

  /** Stops listening (connections open are closed). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Writes a received message to `dir` and keeps it in `messages` (the last {@link SINK_KEEP}). */
async function storeMessage(
  dir: string,
  messages: SinkMessage[],
  raw: string,
  from: string,
  to: string[],
): Promise<SinkMessage> {
  const id = randomUUID();
  const receivedAt = new Date().toISOString();
  const file = path.join(dir, `${receivedAt.replace(/[:.]/g, "-")}-${id}.eml`);
  await writeFile(file, raw, { mode: 0o600 });
  const read = readMessage(raw);
  const message: SinkMessage = {
    id,
    receivedAt,
    from,
    to,
    subject: read.subject,
    text: read.text,
    html: read.html,
    raw,
    file,
  };
  messages.push(message);
  if (messages.length > SINK_KEEP) messages.splice(0, messages.length - SINK_KEEP);
  return message;
}

/** The last {@link SINK_KEEP} `.eml` files of `dir`, oldest first (their names start with the time received). */
async function readBack(dir: string): Promise<SinkMessage[]> {
  const names = (await readdir(dir)).filter((n) => /^[\dT-]+Z-[0-9a-f-]{36}\.eml$/.test(n)).sort();
  const messages: SinkMessage[] = [];
  for (const name of names.slice(-SINK_KEEP)) {
    const file = path.join(dir, name);
    const raw = await readFile(file, "utf8");
    const read = readMessage(raw);
    const stamp = name.slice(0, 24);
    const receivedAt = `${stamp.slice(0, 10)}T${stamp.slice(11, 13)}:${stamp.slice(14, 16)}:${stamp.slice(17, 19)}.${stamp.slice(20, 23)}Z`;
    messages.push({
      id: name.slice(25, 61),
      receivedAt,
      from: read.headers.from ?? "",
      to: (read.headers.to ?? "").split(",").map((s) => s.trim()),
      subject: read.subject,
      text: read.text,
      html: read.html,
      raw,
      file,
    });
  }
  return messages;
}
