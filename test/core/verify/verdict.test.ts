import { expect } from "chai";
import {
  CHECK_IDS,
  REASON_CODES,
  REQUIRED_FOR_VALID,
  verdict,
  type CheckFragment,
  type CheckId,
  type ReasonCode,
} from "../../../core/index.ts";

const message = { en: "m", "zh-HK": "訊息" };
const pass = (id: CheckId): CheckFragment => ({ id, status: "pass", message });
const skip = (id: CheckId): CheckFragment => ({ id, status: "skip", message });
const fail = (id: CheckId, reason: ReasonCode): CheckFragment => ({ id, status: "fail", reason, message });
const error = (id: CheckId): CheckFragment => ({ id, status: "error", reason: "CHAIN_UNREACHABLE", message });

describe("verdict", () => {
  it("returns VALID with no reasons when every check passes", () => {
    expect(verdict(CHECK_IDS.map(pass))).to.deep.equal({ status: "VALID", reasons: [] });
  });

  it("returns VALID when the checks that do not apply are skipped", () => {
    const fragments = CHECK_IDS.map((id) =>
      id === "pdf-signature" || id === "signing-certificate" ? skip(id) : pass(id),
    );
    expect(verdict(fragments)).to.deep.equal({ status: "VALID", reasons: [] });
  });

  it("is never VALID unless every check that makes a certificate one passed: INVALID MALFORMED otherwise", () => {
    // Nothing failed and nothing errored, but nothing was proven either (an input with nothing to check).
    expect(verdict(CHECK_IDS.map(skip))).to.deep.equal({ status: "INVALID", reasons: ["MALFORMED"] });
    expect(verdict([])).to.deep.equal({ status: "INVALID", reasons: ["MALFORMED"] });
    for (const id of REQUIRED_FOR_VALID) {
      const fragments = CHECK_IDS.map((other) => (other === id ? skip(other) : pass(other)));
      expect(verdict(fragments), id).to.deep.equal({ status: "INVALID", reasons: ["MALFORMED"] });
      expect(verdict(fragments.filter((f) => f.id !== id)), `${id} missing`).to.deep.equal({
        status: "INVALID",
        reasons: ["MALFORMED"],
      });
    }
  });

  it("returns INVALID with the failed check's reason", () => {
    const fragments = CHECK_IDS.map((id) => (id === "certificate-status" ? fail(id, "REVOKED") : pass(id)));
    expect(verdict(fragments)).to.deep.equal({ status: "INVALID", reasons: ["REVOKED"] });
  });

  it("returns UNABLE_TO_CHECK CHAIN_UNREACHABLE when a chain check is in error and nothing failed", () => {
    const fragments = CHECK_IDS.map((id) => (id === "anchor" || id === "issuer" ? error(id) : pass(id)));
    expect(verdict(fragments)).to.deep.equal({ status: "UNABLE_TO_CHECK", reasons: ["CHAIN_UNREACHABLE"] });
  });

  it("returns INVALID, not UNABLE_TO_CHECK, when a check failed offline while the chain was unreachable", () => {
    const fragments = CHECK_IDS.map((id) =>
      id === "pdf-signature"
        ? fail(id, "TAMPERED")
        : ["anchor", "issuer", "certificate-status"].includes(id)
          ? error(id)
          : pass(id),
    );
    expect(verdict(fragments)).to.deep.equal({ status: "INVALID", reasons: ["TAMPERED"] });
  });

  it("lists reasons once each, in check order, whatever order the fragments come in", () => {
    const fragments = [
      fail("validity-period", "EXPIRED"),
      fail("certificate-status", "SUPERSEDED"),
      fail("pdf-signature", "TAMPERED"),
      fail("merkle-proof", "TAMPERED"),
      pass("anchor"),
    ];
    expect(verdict(fragments)).to.deep.equal({ status: "INVALID", reasons: ["TAMPERED", "SUPERSEDED", "EXPIRED"] });
  });

  it("never returns VALID for a failed fragment that lacks its reason", () => {
    const fragments: CheckFragment[] = [{ id: "network", status: "fail", message }];
    expect(verdict(fragments)).to.deep.equal({ status: "INVALID", reasons: ["MALFORMED"] });
  });

  it("is a pure function: the same fragments always give the same verdict and are not modified", () => {
    const fragments = Object.freeze(
      CHECK_IDS.map((id) => Object.freeze(id === "issuer" ? fail(id, "UNKNOWN_ISSUER") : pass(id))),
    );
    expect(verdict(fragments)).to.deep.equal(verdict(fragments));
  });
});

describe("reason codes and check ids", () => {
  it("are frozen, in the order DESIGN.md lists the reason codes", () => {
    expect(Object.isFrozen(REASON_CODES)).to.equal(true);
    expect(Object.isFrozen(CHECK_IDS)).to.equal(true);
    expect(REASON_CODES).to.deep.equal([
      "MALFORMED",
      "TAMPERED",
      "SIGNATURE_MISSING",
      "SIGNER_NOT_REGISTERED",
      "NOT_ANCHORED",
      "UNKNOWN_ISSUER",
      "ISSUER_KEY_REVOKED",
      "REVOKED",
      "SUSPENDED",
      "SUPERSEDED",
      "EXPIRED",
      "NOT_YET_VALID",
      "WRONG_NETWORK",
      "CHAIN_UNREACHABLE",
      "CHAIN_DISAGREEMENT",
    ]);
  });
});
