import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { expect } from "chai";
import { pino, type Logger } from "pino";
import { describeOn } from "../../helpers/postgres.ts";
import type { NewCertificate, Store } from "../../../server/db/store.ts";
import {
  MAX_EMAIL_ATTEMPTS,
  Mailer,
  emailRetryDelay,
  maskAddress,
  type MailerParameters,
} from "../../../server/mail/mailer.ts";
import { claimEmail, claimLink } from "../../../server/mail/claim-email.ts";
import { readMessage } from "../../../server/mail/mime-text.ts";
import {
  newUploadWith,
  postgresHarness,
  seedIssued,
  sqliteHarness,
  testClock,
  type Harness,
} from "../db/store-fixtures.ts";
import { closedPort, startSmtpPeer, type SmtpPeer } from "./smtp-peer.ts";

const ISSUERS = {
  CSB: { nameEn: "Civil Service Bureau", nameZh: "公務員事務局" },
  FSD: { nameEn: "Fire Services Department", nameZh: "消防處" },
};
const CLAIM_URL = "https://ecert.example.gov.hk";
const MINUTE = 60_000;

/** A logger whose lines are kept, to check that none names a candidate. */
function capturedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString("utf8"));
      callback();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

/** A claim code like the service's: 3 groups of 4. */
function code(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4, 8).join("")}-${chars.slice(8).join("")}`;
}

describe("claim e-mail and helpers", () => {
  it("masks an address to its first character and its domain", () => {
    expect(maskAddress("chan.tai.man@example.com")).to.equal("c***@example.com");
    expect(maskAddress("陳@example.hk")).to.equal("陳***@example.hk");
    expect(maskAddress("no-at-sign")).to.equal("***");
  });

  it("backs off 1 minute, 2, 4 ... and never more than an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => emailRetryDelay(n) / MINUTE)).to.deep.equal([
      1, 2, 4, 8, 16, 32, 60, 60, 60,
    ]);
  });

  it("writes both languages, the department's two names, the type title, the number and the claim link, and nothing from a header in a field", () => {
    const link = claimLink(CLAIM_URL, "ABCD-EFGH-JKLM");
    expect(link).to.equal("https://ecert.example.gov.hk/claim#ABCD-EFGH-JKLM");
    const message = claimEmail({
      department: { en: "Civil Service Bureau", "zh-HK": "公務員事務局" },
      typeTitle: { en: "Common Recruitment Examination Result", "zh-HK": "綜合招聘考試成績" },
      numberLabel: { en: "Certificate No.", "zh-HK": "證書編號" },
      certificateNumber: "CRE-1\r\nBcc: x@evil.example",
      claimLink: link,
      status: "revoked",
    });
    expect(message.subject).to.equal("Your certificate from the Civil Service Bureau · 公務員事務局簽發給你的證書");
    for (const part of [message.text, message.html]) {
      expect(part).to.include("Civil Service Bureau").and.include("公務員事務局");
      expect(part).to.include("Common Recruitment Examination Result").and.include("綜合招聘考試成績");
      expect(part).to.include(link);
      expect(part).to.include("revoked").and.include("撤銷");
      expect(part).to.not.match(/\r?\nBcc:/);
    }
    expect(message.html).to.not.match(/<img|<script|<style|style=|src=/i);
  });
});

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`Mailer over ${database} and a real SMTP peer`, function () {
    this.timeout(60_000);
    const harness: Harness = database === "SQLite" ? sqliteHarness() : postgresHarness();
    let location: string;
    let store: Store;
    let peer: SmtpPeer;
    let clock: ReturnType<typeof testClock>;
    let captured: ReturnType<typeof capturedLog>;
    const mailers: Mailer[] = [];
    const stores: Store[] = [];

    async function openStore(): Promise<Store> {
      const s = await harness.open(location);
      stores.push(s);
      await s.migrate();
      return s;
    }

    function mailer(overrides: Partial<MailerParameters> = {}): Mailer {
      const m = new Mailer({
        store,
        issuers: ISSUERS,
        claimUrl: CLAIM_URL,
        smtp: { url: peer.url, from: "HK e-Cert <no-reply@ecert.example.gov.hk>" },
        log: captured.log,
        now: clock.now,
        smtpTimeoutMs: 5000,
        ...overrides,
      });
      mailers.push(m);
      return m;
    }

    /** Inserts `count` certificates each with an e-mail, takes them to `issued`, returns them and their codes. */
    async function seedWithEmails(count: number): Promise<(NewCertificate & { code: string; address: string })[]> {
      const { upload, certificates } = newUploadWith(count);
      const seeded = certificates.map((c, i) => {
        const claim = code();
        const address = `candidate.${i + 1}.${randomBytes(3).toString("hex")}@example.com`;
        return { ...c, email: { toAddress: address, claimCode: claim }, code: claim, address };
      });
      await store.insertUpload(upload, seeded);
      await seedIssued(store, seeded);
      return seeded;
    }

    before(() => harness.setup());
    after(() => harness.cleanup());
    beforeEach(async () => {
      clock = testClock(100);
      captured = capturedLog();
      location = await harness.fresh();
      store = await openStore();
      peer = await startSmtpPeer();
    });
    afterEach(async () => {
      for (const m of mailers.splice(0)) await m.stop();
      for (const s of stores.splice(0)) await s.close();
      await peer.close();
    });

    it("sends each issued certificate's e-mail once, bilingual, with its claim link, then forgets the claim code", async () => {
      const seeded = await seedWithEmails(3);
      const m = mailer();
      expect(await m.tick()).to.deep.equal({ sent: 3, retried: 0, gaveUp: 0, cancelled: 0 });
      expect(await m.tick()).to.deep.equal({ sent: 0, retried: 0, gaveUp: 0, cancelled: 0 });
      expect(peer.messages).to.have.length(3);
      for (const c of seeded) {
        const received = peer.messages.filter((msg) => msg.to.includes(c.address));
        expect(received, c.address).to.have.length(1);
        const message = received[0];
        expect(message.from).to.equal("no-reply@ecert.example.gov.hk");
        expect(message.subject).to.equal("Your certificate from the Civil Service Bureau · 公務員事務局簽發給你的證書");
        expect(message.text).to.include(`${CLAIM_URL}/claim#${c.code}`);
        expect(message.text).to.include("Dear candidate").and.include("考生你好");
        expect(message.text).to.include(c.certificateNumber);
        expect(message.html).to.include(`href="${CLAIM_URL}/claim#${c.code}"`);
        // Nothing of the certificate beyond its type and number: not the candidate's name.
        expect(message.raw).to.not.include("CHAN Tai Man");
        const row = (await store.findEmail(c.id))!;
        expect(row).to.include({ status: "sent", attempts: 1, lastError: null, claimCode: null });
        expect(row.sentAt).to.equal(clock.iso());
      }
      const logs = captured.lines.join("");
      for (const c of seeded) expect(logs).to.not.include(c.address).and.not.include(c.code);
    });

    it("waits while a certificate is pending, and cancels the e-mail of a certificate that failed", async () => {
      const { upload, certificates } = newUploadWith(2);
      const withEmail = certificates.map((c, i) => ({
        ...c,
        email: { toAddress: `pending${i}@example.com`, claimCode: code() },
      }));
      await store.insertUpload(upload, withEmail);
      const m = mailer();
      expect(await m.tick()).to.deep.equal({ sent: 0, retried: 0, gaveUp: 0, cancelled: 0 });
      await harness.query(
        location,
        harness.dialect === "sqlite"
          ? "UPDATE certificates SET status = 'failed' WHERE id = ?"
          : "UPDATE certificates SET status = 'failed' WHERE id = $1",
        [withEmail[0].id],
      );
      expect(await m.tick()).to.deep.equal({ sent: 0, retried: 0, gaveUp: 0, cancelled: 1 });
      expect(await store.findEmail(withEmail[0].id)).to.include({ status: "cancelled", claimCode: null });
      expect(await store.findEmail(withEmail[1].id)).to.include({ status: "waiting", attempts: 0 });
      expect(peer.attempts).to.equal(0);
    });

    it("sends each e-mail as it is when it is sent: not one whose code was replaced after the pass listed it, and a certificate revoked meanwhile as revoked", async () => {
      const seeded = await seedWithEmails(3);
      const [replaced, revoked, untouched] = seeded;
      const m = mailer();
      const listed: string[] = [];
      const result = await m.tick({
        beforeClaim: async (email) => {
          listed.push(email.certificateId);
          // An officer acts between the pass's list and the send: the list still holds the old code.
          expect(email.claimCode).to.be.a("string");
          if (email.certificateId === replaced.id) {
            await store.replaceClaimCode("CSB", replaced.id, "f".repeat(64));
          }
          if (email.certificateId === revoked.id) {
            await harness.query(
              location,
              harness.dialect === "sqlite"
                ? "UPDATE certificates SET status = 'revoked' WHERE id = ?"
                : "UPDATE certificates SET status = 'revoked' WHERE id = $1",
              [revoked.id],
            );
          }
        },
      });
      expect(listed).to.have.members(seeded.map((c) => c.id));
      expect(result).to.deep.equal({ sent: 2, retried: 0, gaveUp: 0, cancelled: 0 });
      expect(peer.messages.filter((msg) => msg.to.includes(replaced.address))).to.have.length(0);
      expect(peer.messages.map((msg) => msg.raw).join("")).to.not.include(replaced.code);
      expect(await store.findEmail(replaced.id)).to.include({ status: "cancelled", claimCode: null, attempts: 0 });
      const [toRevoked] = peer.messages.filter((msg) => msg.to.includes(revoked.address));
      expect(toRevoked.text).to.include(`${CLAIM_URL}/claim#${revoked.code}`).and.include("revoked");
      const [toUntouched] = peer.messages.filter((msg) => msg.to.includes(untouched.address));
      expect(toUntouched.text).to.include(`${CLAIM_URL}/claim#${untouched.code}`).and.not.include("revoked");
      for (const c of [revoked, untouched]) {
        expect(await store.findEmail(c.id)).to.include({ status: "sent", attempts: 1, claimCode: null });
      }
      // Nothing more later, not even once every claim has run out.
      clock.set(100 + 3600);
      expect(await m.tick()).to.deep.equal({ sent: 0, retried: 0, gaveUp: 0, cancelled: 0 });
      expect(peer.messages).to.have.length(2);
      expect(peer.attempts).to.equal(2);
    });

    it("claims an e-mail once: taken, it is not due for another sender until its claim ends; a cancelled one is never taken", async () => {
      const [a, b] = await seedWithEmails(2);
      const [first, second] = await store.dueEmails(clock.iso(), 10);
      const until = new Date(clock.now().getTime() + 5 * MINUTE).toISOString();
      const claimed = (await store.claimEmail(first.id, clock.iso(), until))!;
      expect(claimed).to.include({
        id: first.id,
        status: "waiting",
        nextAttemptAt: until,
        certificateStatus: "issued",
      });
      expect(claimed.claimCode).to.equal([a, b].find((c) => c.id === first.certificateId)!.code);
      // Taken: not again at the same moment (another instance), nor due in the list.
      expect(await store.claimEmail(first.id, clock.iso(), until)).to.equal(undefined);
      expect((await store.dueEmails(clock.iso(), 10)).map((e) => e.id)).to.deep.equal([second.id]);
      // A claim that ran out (the sender stopped before marking it) is due again.
      expect((await store.claimEmail(first.id, until, until))!.id).to.equal(first.id);
      await store.cancelEmail(second.id);
      expect(await store.claimEmail(second.id, until, until)).to.equal(undefined);
      await store.markEmailSent(first.id, until);
      expect(await store.claimEmail(first.id, until, until)).to.equal(undefined);
    });

    it("retries after 451 answers with the backoff (1 minute, then 2), with the server's answer stored, then sends once", async () => {
      const [c] = await seedWithEmails(1);
      peer.failNext(2);
      const m = mailer();
      expect((await m.tick()).retried).to.equal(1);
      let row = (await store.findEmail(c.id))!;
      expect(row).to.include({ status: "waiting", attempts: 1 });
      expect(row.lastError).to.match(/^451 4\.3\.0 Mailbox temporarily unavailable/);
      expect(row.nextAttemptAt).to.equal(new Date(clock.now().getTime() + MINUTE).toISOString());
      expect(row.claimCode).to.equal(c.code);

      clock.set(100 + 59); // not yet due
      expect(await m.tick()).to.deep.equal({ sent: 0, retried: 0, gaveUp: 0, cancelled: 0 });
      clock.set(100 + 60);
      expect((await m.tick()).retried).to.equal(1);
      row = (await store.findEmail(c.id))!;
      expect(row).to.include({ status: "waiting", attempts: 2 });
      expect(row.nextAttemptAt).to.equal(new Date(clock.now().getTime() + 2 * MINUTE).toISOString());

      clock.set(100 + 60 + 120);
      expect((await m.tick()).sent).to.equal(1);
      expect(await store.findEmail(c.id)).to.include({ status: "sent", attempts: 3, lastError: null, claimCode: null });
      expect(peer.attempts).to.equal(3);
      expect(peer.messages).to.have.length(1);
      expect(captured.lines.join("")).to.not.include(c.address).and.not.include(c.code);
    });

    it("retries after a dropped connection, and gives up after 8 attempts with the last error, for the officer to see", async () => {
      const [c] = await seedWithEmails(1);
      peer.dropNext(1);
      peer.failNext(100);
      const m = mailer();
      await m.tick();
      let row = (await store.findEmail(c.id))!;
      expect(row.attempts).to.equal(1);
      expect(row.lastError).to.match(/connection|closed/i);
      let seconds = 100;
      for (let attempt = 2; attempt <= MAX_EMAIL_ATTEMPTS; attempt++) {
        seconds += emailRetryDelay(attempt - 1) / 1000;
        clock.set(seconds);
        await m.tick();
      }
      row = (await store.findEmail(c.id))!;
      expect(row).to.include({ status: "failed", attempts: MAX_EMAIL_ATTEMPTS, claimCode: null });
      expect(row.lastError).to.match(/^451 /);
      clock.set(seconds + 86_400);
      expect(await m.tick()).to.deep.equal({ sent: 0, retried: 0, gaveUp: 0, cancelled: 0 });
      expect(peer.messages).to.have.length(0);
      expect(await store.listEmails("CSB", { status: "failed", limit: 10, offset: 0 })).to.have.length(1);
    });

    it("never stores or logs the SMTP credentials (a refused login), and sends once they are right", async () => {
      const [c] = await seedWithEmails(1);
      const secure = await startSmtpPeer({ user: "mailer-user", password: "s3cret-Passw0rd" });
      try {
        const wrong = secure.url.replace("s3cret-Passw0rd", "wr0ng-Passw0rd-xyz");
        const m = mailer({ smtp: { url: wrong, from: "no-reply@ecert.example.gov.hk" } });
        await m.tick();
        const row = (await store.findEmail(c.id))!;
        expect(row.attempts).to.equal(1);
        expect(row.lastError).to.match(/535/);
        expect(row.lastError).to.not.include("wr0ng-Passw0rd-xyz").and.not.include("mailer-user");
        expect(m.server).to.not.include("wr0ng").and.not.include("mailer-user");
        const logs = captured.lines.join("");
        expect(logs).to.not.include("wr0ng-Passw0rd-xyz").and.not.include(c.address).and.not.include(c.code);

        clock.set(100 + 60);
        await m.stop(); // gives the mailer lease up to the next instance
        const right = mailer({ smtp: { url: secure.url, from: "no-reply@ecert.example.gov.hk" } });
        expect((await right.tick()).sent).to.equal(1);
        expect(secure.messages).to.have.length(1);
      } finally {
        await secure.close();
      }
    });

    it("masks the recipient's address in the stored error and the log when the server refuses it", async () => {
      const [c] = await seedWithEmails(1);
      peer.refuseNext(1);
      const m = mailer();
      expect((await m.tick()).retried).to.equal(1);
      const row = (await store.findEmail(c.id))!;
      expect(row.lastError).to.match(/^550 5\.1\.1 <c\*\*\*@example\.com>: Recipient address rejected/);
      expect(row.lastError).to.not.include(c.address);
      expect(captured.lines.join("")).to.include("c***@example.com").and.not.include(c.address);
    });

    it("never delays: a server that is down costs one attempt per e-mail, retried later", async () => {
      const seeded = await seedWithEmails(2);
      const started = Date.now();
      const m = mailer({ smtp: { url: `smtp://127.0.0.1:${await closedPort()}`, from: "no-reply@example.com" } });
      expect((await m.tick()).retried).to.equal(2);
      expect(Date.now() - started).to.be.below(5000);
      for (const c of seeded) {
        const row = (await store.findEmail(c.id))!;
        expect(row).to.include({ status: "waiting", attempts: 1 });
        expect(row.lastError).to.match(/ECONNREFUSED/);
      }
    });

    if (database === "PostgreSQL") {
      it("sends each message once with two mailers on one database, each with its own connections, looping at once", async () => {
        const seeded = await seedWithEmails(12);
        const other = await openStore();
        const a = mailer({ holder: "instance-a", pollMs: 20, leaseTtlMs: 3000, now: undefined });
        const b = mailer({ store: other, holder: "instance-b", pollMs: 20, leaseTtlMs: 3000, now: undefined });
        a.start();
        b.start();
        const deadline = Date.now() + 30_000;
        while (peer.messages.length < seeded.length && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        // Both keep looping a while: nothing more may arrive.
        await new Promise((r) => setTimeout(r, 500));
        await a.stop();
        await b.stop();
        // A lease taken over (the other instance stopped) sends nothing twice either.
        const c = mailer({ store: other, holder: "instance-c", now: undefined });
        await c.tick();
        const counts = seeded.map((s) => peer.messages.filter((msg) => msg.to.includes(s.address)).length);
        expect(counts).to.deep.equal(seeded.map(() => 1));
        expect(peer.attempts).to.equal(seeded.length);
        const rows = await store.listEmails("CSB", { limit: 50, offset: 0 });
        expect(rows.map((r) => r.status)).to.deep.equal(seeded.map(() => "sent"));
        expect(rows.map((r) => r.attempts)).to.deep.equal(seeded.map(() => 1));
      });
    }
  });
}

describe("mime-text reads what nodemailer writes", () => {
  it("decodes encoded-word subjects and base64 and quoted-printable parts", () => {
    const raw = [
      "Subject: =?UTF-8?B?5L2g5aW9?= =?UTF-8?Q?_world?=",
      'Content-Type: multipart/alternative; boundary="b1"',
      "",
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "caf=C3=A9 =",
      "au lait",
      "--b1",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("<p>證書</p>").toString("base64"),
      "--b1--",
      "",
    ].join("\r\n");
    const read = readMessage(raw);
    expect(read.subject).to.equal("你好 world");
    expect(read.text).to.equal("café au lait");
    expect(read.html).to.equal("<p>證書</p>");
  });
});
