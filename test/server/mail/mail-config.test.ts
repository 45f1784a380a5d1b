import { expect } from "chai";
import { ConfigError, loadConfig } from "../../../server/config.ts";

/** The ConfigError `loadConfig(env)` throws. */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("loadConfig took it");
}

describe("loadConfig: candidates' e-mail (SMTP_URL, MAIL_FROM, CLAIM_URL)", () => {
  it("leaves e-mail to the embedded default's sink when SMTP_URL is not set, and the claim links to the verifier URL", () => {
    const config = loadConfig({});
    expect(config.mail).to.equal(undefined);
    expect(config.claimUrl).to.equal(undefined);
  });

  it("takes smtp:// and smtps:// URLs, credentials included, with MAIL_FROM", () => {
    for (const url of ["smtp://127.0.0.1:2525", "smtps://user:p%40ss@smtp.example.gov.hk:465", "SMTP://mail.example"]) {
      const config = loadConfig({ SMTP_URL: url, MAIL_FROM: "HK e-Cert <no-reply@ecert.example.gov.hk>" });
      expect(config.mail).to.deep.equal({ smtpUrl: url, from: "HK e-Cert <no-reply@ecert.example.gov.hk>" });
    }
    expect(loadConfig({ CLAIM_URL: "https://ecert.example.gov.hk/" }).claimUrl).to.equal(
      "https://ecert.example.gov.hk",
    );
  });

  it("refuses SMTP_URL without MAIL_FROM, naming MAIL_FROM", () => {
    const error = refusal({ SMTP_URL: "smtp://127.0.0.1:2525" });
    expect(error.code).to.equal("MISSING_VALUE");
    expect(error.details).to.deep.equal({ variable: "MAIL_FROM" });
  });

  it("refuses another scheme or a URL that does not parse, naming SMTP_URL and never echoing its password", () => {
    for (const url of ["http://user:hunter2-secret@mail.example", "smtp:/nohost", "mail.example:25", "smtp://"]) {
      const error = refusal({ SMTP_URL: url, MAIL_FROM: "a@example.com" });
      expect(error.code, url).to.equal("INVALID_VALUE");
      expect(error.details).to.deep.equal({ variable: "SMTP_URL" });
      expect(error.message)
        .to.match(/^SMTP_URL: /)
        .and.not.include("hunter2");
    }
  });

  it("refuses a MAIL_FROM with no address or with a line break (no header can be added through it)", () => {
    for (const from of ["no-reply", "a@example.com\r\nBcc: x@evil.example"]) {
      const error = refusal({ SMTP_URL: "smtp://127.0.0.1:2525", MAIL_FROM: from });
      expect(error.details).to.deep.equal({ variable: "MAIL_FROM" });
    }
    expect(refusal({ CLAIM_URL: "ftp://ecert.example" }).details).to.deep.equal({ variable: "CLAIM_URL" });
  });
});
