/**
 * A real SMTP peer for the mail tests (`smtp-server` on 127.0.0.1, a random port): it records every
 * message it accepts, and can be told to answer `451` to the next N messages, to drop the connection
 * during the next N, or to require a user name and password. Nothing runs on import.
 */
import type { AddressInfo, Socket } from "node:net";
import { SMTPServer } from "smtp-server";
import { readMessage, type ReadMessage } from "../../../server/mail/mime-text.ts";

/** A message the peer accepted. */
export interface PeerMessage extends ReadMessage {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpPeer {
  /** `smtp://127.0.0.1:<port>` (with `user:password@` when the peer requires them). */
  readonly url: string;
  readonly port: number;
  readonly messages: PeerMessage[];
  /** DATA commands seen (accepted or not). */
  readonly attempts: number;
  /** Answer `451 4.3.0 ...` to the next `n` messages (after their data). */
  failNext(n: number): void;
  /** Drop the connection during the next `n` messages (before answering their data). */
  dropNext(n: number): void;
  /** Refuse the recipient of the next `n` messages (`550 5.1.1 <address>: ...`, naming it). */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

/** Starts a peer; `credentials` makes it require AUTH PLAIN/LOGIN with them (over plain SMTP). */
export async function startSmtpPeer(credentials?: { user: string; password: string }): Promise<SmtpPeer> {
  const messages: PeerMessage[] = [];
  let fail = 0;
  let drop = 0;
  let refuse = 0;
  let attempts = 0;
  const sockets = new Map<number, Socket>();
  const server = new SMTPServer({
    authOptional: !credentials,
    allowInsecureAuth: true,
    disabledCommands: credentials ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (credentials && auth.username === credentials.user && auth.password === credentials.password)
        callback(null, { user: auth.username });
      else callback(Object.assign(new Error("535 5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (refuse > 0) {
        refuse -= 1;
        callback(
          Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: unknown user`), {
            responseCode: 550,
          }),
        );
      } else callback();
    },
    onData(stream, session, callback) {
      attempts += 1;
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (drop > 0) {
          drop -= 1;
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        if (fail > 0) {
          fail -= 1;
          callback(
            Object.assign(new Error("4.3.0 Mailbox temporarily unavailable, try again later"), { responseCode: 451 }),
          );
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        messages.push({
          ...readMessage(raw),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback(null, "250 2.0.0 accepted");
      });
    },
  });
  server.server.on("connection", (socket: Socket) => {
    if (socket.remotePort !== undefined) sockets.set(socket.remotePort, socket);
    socket.on("close", () => socket.remotePort !== undefined && sockets.delete(socket.remotePort));
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  const auth = credentials
    ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
    : "";
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    messages,
    get attempts() {
      return attempts;
    },
    failNext(n) {
      fail = n;
    },
    dropNext(n) {
      drop = n;
    },
    refuseNext(n) {
      refuse = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.values()) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (taken, then given back). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
