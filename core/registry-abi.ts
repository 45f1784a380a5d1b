/**
 * The part of the registry's ABI the core uses, as constants: the `certificateStatus` selector and the
 * `RootAnchored` topic are written out (with the signature each is the keccak256 of) so that the
 * verifier needs no ABI coder in the browser. `test/core/registry-abi.test.ts` checks every constant
 * against the compiled Registry (`artifacts/contracts/Registry.sol/Registry.json`) and against
 * keccak256 of its signature.
 */

/**
 * The registry functions and events the verifier uses, in ethers' human-readable form, for tools that
 * decode with an ABI coder (`server/integrity/check.ts`); the core itself decodes by hand
 * (`decodeCertificateStatus`).
 */
export const REGISTRY_VERIFIER_ABI = [
  "function certificateStatus(bytes32 issuerId, bytes32 root, bytes32 leaf, bytes32 signingCertificate) view returns ((bool anchored, bytes32 issuerId, uint32 issuerNumber, bool issuerActive, string issuerNameEn, string issuerNameZh, string issuerDomain, bool signingCertificateRegistered, address signer, bool signerValidAtAnchor, uint64 anchoredAt, uint64 anchorBlock, uint32 certificateCount, bool batchRevoked, uint8 batchRevocationReason, uint64 batchRevokedAt, uint8 leafStatus, uint8 leafReason, uint64 leafChangedAt, bytes32 successor))",
  "event RootAnchored(bytes32 indexed root, uint256 certificateCount)",
] as const;

/** The canonical signature of the `certificateStatus` view. */
export const CERTIFICATE_STATUS_SIGNATURE = "certificateStatus(bytes32,bytes32,bytes32,bytes32)";
/** Selector of `certificateStatus`: the first 4 bytes of keccak256(bytes({@link CERTIFICATE_STATUS_SIGNATURE})). */
export const CERTIFICATE_STATUS_SELECTOR = "0xa6f6ccf7";

/** The canonical signature of the `RootAnchored` event (`root` indexed). */
export const ROOT_ANCHORED_SIGNATURE = "RootAnchored(bytes32,uint256)";
/** Topic 0 of `RootAnchored`: keccak256(bytes({@link ROOT_ANCHORED_SIGNATURE})). */
export const ROOT_ANCHORED_TOPIC = "0x2e8856af32a4e4b53d984c6f9424a615f670a7d22f2b2c8ed435a4ac2ff09b90";
