/**
 * What the checks look at: the outcome of each verification step, gathered once by `verify`. Every
 * check is a pure function of this context (`checks/`), so each can be tested on a context built by
 * hand, and the order of the steps (which are async: WebCrypto, JSON-RPC) stays out of the checks.
 */
import { issuerUrn } from "../credential.ts";
import type { Credential, Hex } from "../credential.ts";
import type { CheckFragment, LocalizedMessage } from "./types.ts";
import type { CheckId, ReasonCode } from "./codes.ts";
import type { RegistryCertificateStatus } from "./readCertificateStatus.ts";
import type { PadesSigner } from "./verifyPadesCms.ts";

/** How the input was read. `problem` is set when it could not be read. */
export type InputStage = {
  kind: "pdf" | "credential" | "url" | "unknown";
  problem?: LocalizedMessage;
};

/** The PDF signature (PDFs only). */
export type SignatureStage =
  | { state: "missing"; detail: LocalizedMessage }
  | { state: "invalid"; detail: LocalizedMessage; signer?: PadesSigner }
  | { state: "valid"; signer: PadesSigner };

/** The credential and its recomputed digest. */
export type CredentialStage =
  | { ok: false; problem: string }
  | { ok: true; credential: Credential; digest: Hex; disclosed: number; hidden: string[] };

/** The Merkle proof from the digest to the root. */
export type MerkleStage = { state: "absent" } | { state: "mismatch"; root: Hex } | { state: "ok"; root: Hex };

/** The registry read (only when the credential names the trusted network). */
export type ChainStage =
  | { ok: false; failures: string[]; disagreement?: true }
  | { ok: true; status: RegistryCertificateStatus; txHash: Hex | null };

export type VerificationContext = {
  now: Date;
  trusted: { chainId: number; registry: string };
  input: InputStage;
  /** Undefined when the input is not a PDF. */
  signature?: SignatureStage;
  /** Undefined when no credential could be read. */
  credential?: CredentialStage;
  /** Undefined when there is no digest. */
  merkle?: MerkleStage;
  /** Undefined when the chain was not read (no root, or another network). */
  chain?: ChainStage;
};

/** A check: one small unit, a pure function of the context. */
export type Check = (context: VerificationContext) => CheckFragment;

/** A message in both languages. */
export function message(en: string, zh: string): LocalizedMessage {
  return { en, "zh-HK": zh };
}

/** A passed check. */
export function pass(id: CheckId, en: string, zh: string): CheckFragment {
  return { id, status: "pass", message: message(en, zh) };
}

/** A failed check, with the reason it gives the verdict. */
export function fail(id: CheckId, reason: ReasonCode, en: string, zh: string): CheckFragment {
  return { id, status: "fail", reason, message: message(en, zh) };
}

/** A check that does not apply, or has nothing to look at. */
export function skip(id: CheckId, en: string, zh: string): CheckFragment {
  return { id, status: "skip", message: message(en, zh) };
}

/**
 * The chain could not be read: `error`, reason CHAIN_UNREACHABLE; or, when the endpoints gave different
 * answers (`disagreement`, a quorum of two or more), reason CHAIN_DISAGREEMENT.
 */
export function unreachable(id: CheckId, failures: readonly string[], disagreement = false): CheckFragment {
  const detail = failures.join("; ");
  if (disagreement) {
    return {
      id,
      status: "error",
      reason: "CHAIN_DISAGREEMENT",
      message: message(
        `Could not be checked: the blockchain endpoints gave different answers, so none is believed (${detail}). One of them may be wrong or compromised.`,
        `未能檢查：各區塊鏈節點的答覆不一致，因此不採信任何答覆（${detail}）。其中可能有節點出錯或被入侵。`,
      ),
    };
  }
  return {
    id,
    status: "error",
    reason: "CHAIN_UNREACHABLE",
    message: message(
      `Could not be checked: the blockchain could not be reached (${detail}). Try again later.`,
      `未能檢查：無法連接區塊鏈（${detail}）。請稍後再試。`,
    ),
  };
}

/**
 * The common reasons a chain check has nothing to look at, or `undefined` when the registry answered
 * (then `context.chain` is `{ ok: true }`).
 */
export function chainUnavailable(id: CheckId, context: VerificationContext): CheckFragment | undefined {
  const { credential, merkle, chain } = context;
  if (!credential?.ok) return skip(id, "Not checked: no credential could be read.", "未檢查：無法讀取憑證。");
  if (merkle?.state === "absent") {
    return skip(id, "Not checked: the credential has no Merkle proof.", "未檢查：憑證沒有默克爾證明。");
  }
  if (!chain) {
    return skip(
      id,
      "Not checked: the certificate names a network this verifier does not trust.",
      "未檢查：證書指明的網絡並非本核實服務所信任的網絡。",
    );
  }
  if (!chain.ok) return unreachable(id, chain.failures, chain.disagreement);
  if (!chain.status.anchored) {
    return skip(
      id,
      "Not checked: the batch is not anchored in the trusted registry.",
      "未檢查：該批證書並未錨定於受信任的登記冊。",
    );
  }
  return undefined;
}

/**
 * A skip when the registry's answer is about another issuer's anchor of the root (the registry names the
 * issuer that anchored it when the credential's own issuer did not): then only the `issuer` check speaks
 * (UNKNOWN_ISSUER), and the other issuer's anchor, signing certificates and statuses say nothing about this
 * certificate. `undefined` otherwise.
 */
export function anchoredByAnotherIssuer(id: CheckId, context: VerificationContext): CheckFragment | undefined {
  const { credential, chain } = context;
  if (!credential?.ok || !chain?.ok || !chain.status.anchored) return undefined;
  if (credential.credential.issuer === issuerUrn(chain.status.issuerId)) return undefined;
  return skip(
    id,
    `Not checked: the root was anchored by another issuer (${chain.status.issuerId}), not by the one the certificate names.`,
    `未檢查：根值由另一簽發機構（${chain.status.issuerId}）錨定，而非證書指明的簽發機構。`,
  );
}

/** The registry's answer, once {@link chainUnavailable} returned `undefined` (a programming error otherwise). */
export function registryStatus(context: VerificationContext): RegistryCertificateStatus {
  if (!context.chain?.ok) throw new Error("registryStatus: the registry was not read");
  return context.chain.status;
}

export { hongKongDate, isoSeconds } from "../time.ts";
