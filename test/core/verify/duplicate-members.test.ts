// A credential whose JSON text holds a member twice can say one thing to JSON.parse (which keeps the last)
// and another to a first-wins parser or a person reading it: the verifier refuses it as MALFORMED.
import { expect } from "chai";
import { verify, type Credential, type VerificationResult, type VerifyOptions } from "../../../core/index.ts";
import { startEcertFixture, type EcertFixture } from "../../helpers/ecert-fixture.ts";
import { replaceEmbeddedText } from "../../helpers/pdf-surgery.ts";

/** `text` with `"name":value` added right after the `{` that follows `after` (first) or before that object's end. */
function withMember(text: string, after: string, name: string, value: unknown, where: "first" | "last"): string {
  const open = text.indexOf(`${after}{`) + after.length;
  if (open < after.length) throw new Error(`no ${after}{ in the text`);
  const member = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
  if (where === "first") return `${text.slice(0, open + 1)}${member},${text.slice(open + 1)}`;
  // The matching close of the object that starts at `open`.
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (text[i] === "{" || text[i] === "[") depth++;
    else if (text[i] === "}" || text[i] === "]") {
      depth--;
      if (depth === 0) return `${text.slice(0, i)},${member}${text.slice(i)}`;
    }
  }
  throw new Error("unbalanced");
}

function expectMalformed(result: VerificationResult, member: string, pointer: string): void {
  expect(result.status).to.equal("INVALID");
  expect(result.reasons).to.include("MALFORMED");
  const named = result.checks.find((c) => c.message.en.includes(`"${member}" twice (at ${pointer})`));
  expect(named, JSON.stringify(result.checks.map((c) => c.message.en))).to.not.equal(undefined);
  expect(named!.message["zh-HK"]).to.include(pointer);
}

describe("verify: JSON with a member name twice is MALFORMED", function () {
  this.timeout(60_000);
  let f: EcertFixture;
  let options: VerifyOptions;
  let genuine: Credential;
  let text: string;

  before(async () => {
    f = await startEcertFixture();
    options = f.options();
    genuine = (await f.issue("csb-cre.csv", "csb-cre", { rows: [0, 1] })).credentials[0];
    text = JSON.stringify(genuine);
  });
  after(async () => f?.close());

  it("verifies the genuine credential text VALID (the baseline)", async () => {
    const result = await verify(text, options);
    expect(result.status, JSON.stringify(result.checks)).to.equal("VALID");
  });

  for (const where of ["first", "last"] as const) {
    it(`refuses a second credentialSubject at the top level, the forged one ${where}`, async () => {
      const forged = { ...genuine.credentialSubject, name: { en: "FORGED Name", "zh-HK": "偽造" } };
      const doubled = withMember(`{"root":${text}}`, `"root":`, "credentialSubject", forged, where).slice(
        '{"root":'.length,
        -1,
      );
      expect(JSON.parse(doubled).credentialSubject.name.en).to.equal(
        where === "last" ? "FORGED Name" : (genuine.credentialSubject.name as { en: string }).en,
      );
      expectMalformed(await verify(doubled, options), "credentialSubject", "/credentialSubject");
    });
  }

  it("refuses a salt given twice in proof.salts", async () => {
    const pointer = "/credentialSubject/name/en";
    const doubled = withMember(text, `"salts":`, pointer, "AAAAAAAAAAAAAAAAAAAAAA", "first");
    expectMalformed(await verify(doubled, options), pointer, "/proof/salts/~1credentialSubject~1name~1en");
  });

  it("refuses a member twice deeper down (the English name inside credentialSubject.name)", async () => {
    const doubled = withMember(text, `"name":`, "en", "FORGED Name", "first");
    expectMalformed(await verify(doubled, options), "en", "/credentialSubject/name/en");
  });

  it("refuses it from a credential file's bytes, the { credential: text } input and a PDF's attachment", async () => {
    const doubled = withMember(text, `"name":`, "en", "FORGED Name", "last");
    expectMalformed(await verify(new TextEncoder().encode(doubled), options), "en", "/credentialSubject/name/en");
    expectMalformed(await verify({ credential: doubled }, options), "en", "/credentialSubject/name/en");
    // The attachment is replaced in place: make room by leaving out the (unchecked here) schema member.
    const shorter = doubled.replace(/"credentialSchema":\{[^}]*\},/, "");
    const pdf = replaceEmbeddedText(f.pdf(genuine), shorter);
    expectMalformed(await verify(pdf, options), "en", "/credentialSubject/name/en");
  });
});
