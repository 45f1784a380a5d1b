/**
 * # The mailer: candidates are told their certificate is issued
 *
 * A row's e-mail address is queued in the outbox with the certificate (`Store.insertUpload`,
 * `email_outbox`, status `waiting`, its claim code kept only until the message is sent). The mailer is a
 * loop beside the issuance pipeline, started and stopped with the service, that never touches issuance:
 * each pass takes the e-mails that are due and whose certificate is no longer pending or anchoring
 * (`Store.dueEmails`), and
 *
 * - cancels those whose certificate failed (a rejected upload, a batch set aside) or was superseded
 *   before its e-mail went out (the renewal is the candidate's certificate now);
 * - sends the bilingual claim e-mail (`claim-email.ts`) for issued, suspended and revoked ones, over SMTP
 *   (nodemailer; `smtp://` with STARTTLS when the server offers it, or `smtps://`), one connection per
 *   message, and marks it sent (the claim code is then forgotten);
 * - on failure, stores the SMTP server's answer (never the credentials of the SMTP URL, the recipient's
 *   address masked) and tries again after 1 minute, 2, 4 ... at most an hour; after
 *   {@link MAX_EMAIL_ATTEMPTS} attempts the e-mail is `failed` with the last answer, for an officer to see.
 *
 * What is sent is read just before it is sent, never from the pass's list: each e-mail is claimed
 * (`Store.claimEmail`: still waiting and due, made due again only {@link EMAIL_CLAIM_MS} later) and sent
 * with its claim code and its certificate's status as they are then. An e-mail cancelled after the pass
 * listed it (an officer gave the certificate a new claim code or printed its letter, the upload was
 * rejected) is not sent; a certificate revoked meanwhile gets the e-mail that says so.
 *
 * Several instances may share a database: only the holder of the `mailer` lease sends (taken each pass,
 * renewed while held, `instance-leases.ts`), and a claimed e-mail is not due for anyone until its claim
 * ends, so each message is sent once. A holder that stops between sending a message and marking it sent
 * (a crash) leaves it waiting, and it is sent again once its claim ends: at least once, never twice while
 * the database answers. Nothing is logged that names a candidate: no address, no code.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "pino";
import { getCertificateType } from "../../core/index.ts";
import { redact } from "../config.ts";
import type { EmailRow, Store } from "../db/store.ts";
import { InstanceLeases } from "../issuance/instance-leases.ts";
import { claimEmail, claimLink, type Bilingual } from "./claim-email.ts";

/** An e-mail that failed this many times is given up (`failed`). */
export const MAX_EMAIL_ATTEMPTS = 8;
/** The wait after the first failed attempt (ms); each further failure doubles it... */
export const EMAIL_RETRY_BASE_MS = 60_000;
/** ...up to this (ms). */
export const EMAIL_RETRY_MAX_MS = 3_600_000;
/** The lease that makes one instance the sender. */
export const MAILER_LEASE = "mailer";
/**
 * How long a claimed e-mail is not due for anyone else (ms): longer than one SMTP exchange can take (a
 * few replies of at most `smtpTimeoutMs` each); a sender that stopped meanwhile leaves it to be sent then.
 */
export const EMAIL_CLAIM_MS = 300_000;

export interface MailerParameters {
  store: Store;
  /** The departments by issuer id: their names in both languages (the issuer profiles). */
  issuers: Record<string, { nameEn: string; nameZh: string }>;
  /** The base of the claim link (`<claimUrl>/claim#<code>`). */
  claimUrl: string;
  /** The SMTP server (`smtp://` or `smtps://`, credentials allowed) and the From address. */
  smtp: { url: string; from: string };
  log: Logger;
  /** This instance's name among those sharing the database (default: host, pid and a random part). */
  holder?: string;
  /** How long the mailer lease lasts unless renewed (ms, default 15,000). */
  leaseTtlMs?: number;
  /** How often a pass runs (ms, default 2000). */
  pollMs?: number;
  /** E-mails taken per pass (default 20). */
  batchSize?: number;
  /** Backoff after failed attempts (ms): default {@link EMAIL_RETRY_BASE_MS} doubling to {@link EMAIL_RETRY_MAX_MS}. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Attempts before an e-mail is given up (default {@link MAX_EMAIL_ATTEMPTS}). */
  maxAttempts?: number;
  /** Time allowed to connect, for the greeting and for any one SMTP reply (ms, default 15,000). */
  smtpTimeoutMs?: number;
  now?: () => Date;
}

/** For tests: a step run between the pass's list of due e-mails and the claim of each one. */
export interface MailerTickHooks {
  /** Called with the e-mail as the pass listed it, just before it is claimed (read again) and sent. */
  beforeClaim?: (email: EmailRow) => Promise<void>;
}

/** What one pass did. */
export interface MailerPassResult {
  sent: number;
  retried: number;
  gaveUp: number;
  cancelled: number;
}

/**
 * An e-mail address for officers' eyes and logs: the first character of the local part, then `***`.
 *
 * @example
 * maskAddress("chan.tai.man@example.com") // "c***@example.com"
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${[...address.slice(0, at)][0]}***${address.slice(at)}`;
}

/** The wait before the next attempt after `attempts` failed ones: base·2^(attempts-1), at most `maxMs`. */
export function emailRetryDelay(attempts: number, baseMs = EMAIL_RETRY_BASE_MS, maxMs = EMAIL_RETRY_MAX_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempts - 1), 40));
}

/** The sender of candidates' e-mails (see the module comment). */
export class Mailer {
  readonly #p: MailerParameters;
  readonly #leases: InstanceLeases;
  readonly #transport: Transporter;
  /** Strings never to store or log: the SMTP URL's user name and password, as given and decoded. */
  readonly #secrets: string[];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #started = false;
  /** Set by `stop()`: the pass in progress ends after its current message. */
  #stopping = false;

  constructor(parameters: MailerParameters) {
    this.#p = parameters;
    this.#leases = new InstanceLeases(parameters.store, {
      holder: parameters.holder,
      ttlMs: parameters.leaseTtlMs,
      log: parameters.log,
    });
    const timeout = parameters.smtpTimeoutMs ?? 15_000;
    this.#transport = nodemailer.createTransport(
      {
        url: parameters.smtp.url,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        logger: false,
        debug: false,
      },
      { from: parameters.smtp.from },
    );
    const url = new URL(parameters.smtp.url);
    this.#secrets = [url.username, url.password, safeDecode(url.username), safeDecode(url.password)].filter(
      (s) => s.length >= 3,
    );
  }

  /** This instance's name among those sharing the database (the holder of the mailer lease). */
  get holder(): string {
    return this.#leases.holder;
  }

  /** The SMTP server, for a log line: no credentials. */
  get server(): string {
    return redact(this.#p.smtp.url);
  }

  /** Starts the loop: a pass now, then every `pollMs`. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
  }

  /** Stops the loop, waits for the pass in progress and gives the lease up (another instance sends at once). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#started = false;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#leases.close();
    this.#transport.close();
  }

  #schedule(delay: number): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .catch((error: unknown) =>
          this.#p.log.warn({ err: { message: this.#clean(errorText(error)) } }, "mailer pass failed; retrying"),
        )
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#p.pollMs ?? 2000);
        });
    }, delay);
    this.#timer.unref();
  }

  #now(): Date {
    return this.#p.now?.() ?? new Date();
  }

  /**
   * One pass: under the mailer lease (nothing is done while another instance holds it), every due e-mail
   * is sent, retried later or cancelled, one after another, each as it is when it is claimed (an e-mail
   * cancelled since the list was read is skipped).
   */
  async tick(hooks: MailerTickHooks = {}): Promise<MailerPassResult> {
    const result: MailerPassResult = { sent: 0, retried: 0, gaveUp: 0, cancelled: 0 };
    const { store } = this.#p;
    if (!(await this.#leases.take(MAILER_LEASE))) return result;
    const due = await store.dueEmails(this.#now().toISOString(), this.#p.batchSize ?? 20);
    for (const listed of due) {
      // Each message only while the lease is held (with time to spare): a takeover never sends it twice.
      if (this.#stopping) break;
      if (this.#leases.epoch(MAILER_LEASE) === undefined) break;
      await hooks.beforeClaim?.(listed);
      // Read again as it is now, and taken: the list is a moment old (a code replaced since, or the
      // certificate revoked, must not go out as it was).
      const now = this.#now();
      const email = await store.claimEmail(
        listed.id,
        now.toISOString(),
        new Date(now.getTime() + EMAIL_CLAIM_MS).toISOString(),
      );
      if (!email) {
        this.#p.log.info(
          { emailId: listed.id, certificateId: listed.certificateId },
          "e-mail skipped: cancelled or taken since the pass read it",
        );
        continue;
      }
      if (email.certificateStatus === "failed" || email.certificateStatus === "superseded") {
        await store.cancelEmail(email.id);
        result.cancelled += 1;
        this.#p.log.info(
          { emailId: email.id, certificateId: email.certificateId, certificateStatus: email.certificateStatus },
          "e-mail cancelled: the certificate will not be issued",
        );
        continue;
      }
      const outcome = await this.#send(email, email.certificateStatus);
      result[outcome] += 1;
    }
    return result;
  }

  async #send(email: EmailRow, status: string): Promise<"sent" | "retried" | "gaveUp" | "cancelled"> {
    const { store, log } = this.#p;
    const certificate = await store.findCertificate(email.certificateId);
    if (!certificate || !email.claimCode || !(status === "issued" || status === "suspended" || status === "revoked")) {
      await store.cancelEmail(email.id);
      log.warn({ emailId: email.id, certificateId: email.certificateId, status }, "e-mail cancelled: nothing to send");
      return "cancelled";
    }
    const type = getCertificateType(certificate.typeId);
    const profile = this.#p.issuers[certificate.issuerId];
    const department: Bilingual = profile
      ? { en: profile.nameEn, "zh-HK": profile.nameZh }
      : { en: certificate.issuerId, "zh-HK": certificate.issuerId };
    const numberLabel: Bilingual = type.certificateNumber?.label ??
      type.columns.find((c) => c.path === "/certificateNumber")?.label ?? {
        en: "Certificate No.",
        "zh-HK": "證書編號",
      };
    const message = claimEmail({
      department,
      typeTitle: type.title,
      numberLabel,
      certificateNumber: certificate.certificateNumber,
      claimLink: claimLink(this.#p.claimUrl, email.claimCode),
      status,
    });
    try {
      await this.#transport.sendMail({
        to: email.toAddress,
        subject: message.subject,
        text: message.text,
        html: message.html,
        textEncoding: "base64",
        headers: { "Auto-Submitted": "auto-generated", "Content-Language": "en, zh-HK" },
      });
    } catch (error) {
      const attempts = email.attempts + 1;
      const giveUp = attempts >= (this.#p.maxAttempts ?? MAX_EMAIL_ATTEMPTS);
      const text = this.#clean(errorText(error), email.toAddress);
      const next = new Date(
        this.#now().getTime() + emailRetryDelay(attempts, this.#p.retryBaseMs, this.#p.retryMaxMs),
      ).toISOString();
      await store.markEmailAttempt(email.id, text, next, giveUp);
      log.warn(
        { emailId: email.id, certificateId: email.certificateId, attempts, error: text, ...(giveUp ? {} : { next }) },
        giveUp ? "e-mail given up after its last attempt" : "e-mail not sent; trying again later",
      );
      return giveUp ? "gaveUp" : "retried";
    }
    await store.markEmailSent(email.id, this.#now().toISOString());
    log.info({ emailId: email.id, certificateId: email.certificateId, attempts: email.attempts + 1 }, "e-mail sent");
    return "sent";
  }

  /** An error's text with the SMTP credentials removed and the recipient's address masked, on one line. */
  #clean(text: string, address?: string): string {
    let clean = text;
    for (const secret of this.#secrets) clean = clean.split(secret).join("***");
    if (address) clean = clean.split(address).join(maskAddress(address));
    // Any other address the server echoed (a forwarding target) is masked too.
    clean = clean.replace(/[^\s<>"'@:;,]+@([A-Za-z0-9.-]+)/g, (match) =>
      match.includes("***@") ? match : maskAddress(match),
    );
    return clean.replace(/\s+/g, " ").trim().slice(0, 500);
  }
}

/** What an SMTP failure says: the server's answer when there is one, else the error's code and message. */
function errorText(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { response?: unknown; code?: unknown; message?: unknown; command?: unknown };
    if (typeof e.response === "string" && e.response) return e.response;
    const code = typeof e.code === "string" ? `${e.code}: ` : "";
    return `${code}${typeof e.message === "string" ? e.message : String(error)}`;
  }
  return String(error);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
