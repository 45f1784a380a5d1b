/**
 * The candidates' e-mails as officers see them (issue 14, "candidates are told"): whether a
 * certificate's e-mail was sent, is waiting or being retried (attempts, the SMTP server's last answer,
 * the next attempt), or failed; and the department's outbox, e.g. the failed ones. The address is
 * masked (`c***@example.com`) and the claim code is never shown. Behind the department authentication
 * with the `read` permission, one department each.
 *
 * And, for the embedded default only, `GET /dev/outbox`: the messages its SMTP sink received
 * (`server/mail/smtp-sink.ts`), as a small page in both languages, so a person trying the service sees
 * what a candidate gets.
 */
import type { Express, RequestHandler, Router } from "express";
import type { z } from "zod";
import type { EmailRow, Store } from "../db/store.ts";
import { maskAddress } from "../mail/mailer.ts";
import type { SinkMessage } from "../mail/smtp-sink.ts";
import { requirePermission } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { parse, type AuthedRequest } from "./request.ts";
import { schemas } from "./openapi.ts";

export interface OutboxRoutesParameters {
  store: Store;
  /** The department authentication (`auth.ts` `authenticate`): sets `req.actor` and `req.issuerId`. */
  auth: RequestHandler;
}

/** An outbox row as officers see it. */
export function emailView(row: EmailRow): z.infer<typeof schemas.Email> {
  return {
    certificateId: row.certificateId,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    nextAttemptAt: row.status === "waiting" ? row.nextAttemptAt : null,
    sentAt: row.sentAt,
    createdAt: row.createdAt,
    toAddress: maskAddress(row.toAddress),
  };
}

/** Mounts `GET /certificates/:id/email` and `GET /outbox` on `api`. */
export function mountOutboxRoutes(api: Router, parameters: OutboxRoutesParameters): void {
  const { store, auth } = parameters;
  const read = [auth, requirePermission("read")];

  api.get("/certificates/:id/email", ...read, async (req: AuthedRequest, res) => {
    const id = String(req.params.id);
    const certificate = await store.findCertificate(id);
    const email = certificate && certificate.issuerId === req.issuerId ? await store.findEmail(id) : undefined;
    // Another department's certificate is as unknown as a missing one.
    if (!email || email.issuerId !== req.issuerId)
      throw new ApiError(
        "NOT_FOUND",
        certificate && certificate.issuerId === req.issuerId
          ? `Certificate ${id.slice(0, 40)} had no e-mail address in its row`
          : `No certificate ${id.slice(0, 40)}`,
      );
    const body: z.infer<typeof schemas.Email> = emailView(email);
    res.json(body);
  });

  api.get("/outbox", ...read, async (req: AuthedRequest, res) => {
    const q = parse(schemas.OutboxQuery, req.query);
    const rows = await store.listEmails(req.issuerId!, { status: q.status, limit: q.limit, offset: q.offset });
    const body: z.infer<typeof schemas.EmailList> = { emails: rows.map(emailView) };
    res.json(body);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Makes the URLs of a text clickable (escaped), the rest escaped. */
function linkify(text: string): string {
  return text
    .split(/(https?:\/\/[^\s<>"]+)/g)
    .map((part, i) => (i % 2 === 1 ? `<a href="${escapeHtml(part)}">${escapeHtml(part)}</a>` : escapeHtml(part)))
    .join("");
}

/**
 * A plain text as paragraphs (a blank line between them), its lines kept, its URLs links; after a line
 * of dashes (the claim e-mail's English and Chinese halves) the paragraphs are marked Chinese.
 */
function paragraphs(text: string): string {
  let lang = "";
  return text
    .trim()
    .split(/\r?\n\s*\r?\n/)
    .map((p) => {
      if (/^-{10,}$/.test(p.trim())) {
        lang = ' lang="zh-HK"';
        return "<hr>";
      }
      return `<p${lang}>${p.split(/\r?\n/).map(linkify).join("<br>\n")}</p>`;
    })
    .join("\n");
}

/** The outbox page: plain HTML, no script, no style, no stylesheet (readable as it is). */
export function outboxPage(messages: readonly SinkMessage[]): string {
  const items = messages.map(
    (m) => `<article lang="en">
<h2>${escapeHtml(m.subject || "(no subject)")}</h2>
<dl>
<div><dt>To · 收件人</dt><dd>${escapeHtml(m.to.join(", "))}</dd></div>
<div><dt>From · 寄件人</dt><dd>${escapeHtml(m.from)}</dd></div>
<div><dt>Received · 收到時間</dt><dd><time datetime="${escapeHtml(m.receivedAt)}">${escapeHtml(m.receivedAt)}</time></dd></div>
</dl>
<div>
${paragraphs(m.text ?? "(no plain-text part · 沒有純文字內容)")}
</div>
</article>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Development outbox · 開發用寄件匣</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<header><h1>Development outbox · <span lang="zh-HK">開發用寄件匣</span></h1></header>
<main id="main">
<p>The e-mails candidates would get, as the embedded default's SMTP sink received them (the last 200, newest first; also under DATA_DIR/outbox/ as .eml files). Nothing is delivered.</p>
<p lang="zh-HK">考生會收到的電郵，即內置預設模式的SMTP接收器所收到的郵件（最近200封，最新的在前；亦以.eml檔案存於DATA_DIR/outbox/）。這些電郵不會寄出。</p>
${items.length > 0 ? items.join("\n") : '<p>No e-mail yet. · <span lang="zh-HK">暫時沒有電郵。</span></p>'}
</main>
</body>
</html>
`;
}

/** Mounts `GET /dev/outbox` (the embedded default's sink): use in `createApp`'s `extend`. */
export function mountDevOutbox(app: Express, sink: { messages(): readonly SinkMessage[] }): void {
  app.get("/dev/outbox", (req, res) => {
    // Development only, and only to this machine: it shows candidates' addresses and working claim links.
    const from = req.socket.remoteAddress ?? "";
    if (!/^(127\.|::1$|::ffff:127\.)/.test(from)) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    res.set("Cache-Control", "no-store");
    res.type("html").send(outboxPage(sink.messages()));
  });
}
