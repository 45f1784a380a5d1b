/**
 * The credential core of HK e-Cert: certificate types, CSV / JSON validation, credentials (salted,
 * selectively disclosable W3C VCs), credential digests and the batch Merkle tree. Runs unchanged in Node
 * and in the browser: no `node:` modules, no `process`, no `Buffer`; randomness and the clock are
 * parameters. See `credential.ts` for the format.
 */
export { CoreError, isCoreError, CORE_ERROR_CODES, VALIDATION_ISSUE_CODES } from "./errors.ts";
export type {
  CoreErrorCode,
  CoreErrorOptions,
  ValidationIssue,
  ValidationIssueCode,
  ValidationMessage,
} from "./errors.ts";
export {
  CERTIFICATE_TYPES,
  EMAIL_COLUMN,
  EMAIL_LABEL,
  getCertificateType,
  assertValidSchema,
  defineCertificateType,
} from "./types/index.ts";
export type * from "./types/schema.ts";
export { validateCsv } from "./validateCsv.ts";
export { MAX_EMAIL_LENGTH } from "./validateRow.ts";

export { parseStrictJson, scanJsonText } from "./strictJson.ts";
export type { JsonTextScan } from "./strictJson.ts";
export type { ValidateCsvOptions, ValidateCsvResult, ValidatedCsvRow, CsvFileError } from "./validateCsv.ts";
export { validateRecord } from "./validateRecord.ts";
export type { ValidateRecordOptions, ValidateRecordResult } from "./validateRecord.ts";
export {
  CREDENTIAL_CONTEXT,
  CREDENTIAL_TYPES,
  CREDENTIAL_DIGEST_DOMAIN,
  PROOF_TYPE,
  SALT_BYTES,
  issuerUrn,
  schemaUrn,
} from "./credential.ts";
export type {
  CertificateRecord,
  Credential,
  CredentialProof,
  CredentialSubject,
  Hex,
  JsonValue,
  MerkleAnchor,
} from "./credential.ts";
export { createCredential } from "./createCredential.ts";
export type { CreateCredentialParameters, CreateCredentialResult, GetRandomValues } from "./createCredential.ts";
export { computeCredentialDigest } from "./computeCredentialDigest.ts";
export type { ComputeCredentialDigestParameters, ComputeCredentialDigestResult } from "./computeCredentialDigest.ts";
export { brokenDisclosureRule, hideClaims } from "./hideClaims.ts";
export type { HideClaimsParameters, HideClaimsResult } from "./hideClaims.ts";
export { withMerkleProof } from "./withMerkleProof.ts";
export { buildBatch } from "./buildBatch.ts";
export type { BuildBatchParameters, BuildBatchResult } from "./buildBatch.ts";
export type { WithMerkleProofOptions, WithMerkleProofParameters, WithMerkleProofResult } from "./withMerkleProof.ts";
export { buildMerkleTree, verifyMerkleProof } from "./merkle.ts";
export type { BuildMerkleTreeParameters, BuildMerkleTreeResult, MerkleLeaf, MerkleTree } from "./merkle.ts";
export {
  CREDENTIAL_PAYLOAD_VERSION,
  MAX_CREDENTIAL_PAYLOAD_BYTES,
  decodeCredentialPayload,
  decodeCredentialUrl,
  encodeCredentialPayload,
  encodeCredentialUrl,
} from "./qr/index.ts";
export type { EncodeCredentialPayloadOptions } from "./qr/index.ts";
export { verify, MAX_VERIFY_INPUT_BYTES } from "./verify/verify.ts";
export type { VerifyInput, VerifyOptions, VerifyParameters, VerifyResult } from "./verify/verify.ts";
export { verdict, REQUIRED_FOR_VALID } from "./verify/verdict.ts";
export type { VerdictResult } from "./verify/verdict.ts";
export { REASON_CODES, CHECK_IDS, CHECK_STATUSES, VERIFICATION_STATUSES } from "./verify/codes.ts";
export { authenticDetails } from "./verify/authentic-details.ts";
export type { ReasonCode, CheckId, CheckStatus, VerificationStatus } from "./verify/codes.ts";
export type {
  AnchorSummary,
  CertificateSummary,
  CheckFragment,
  CheckResult,
  IssuerSummary,
  LocalizedMessage,
  VerificationResult,
} from "./verify/types.ts";
export { createJsonRpcProvider, JsonRpcError, DEFAULT_RPC_TIMEOUT_MS } from "./verify/jsonRpc.ts";
export type { ChainReader, CreateJsonRpcProviderOptions, Fetch } from "./verify/jsonRpc.ts";
export { REGISTRY_VERIFIER_ABI, readCertificateStatus } from "./verify/readCertificateStatus.ts";
export type {
  LabelledReader,
  ReadCertificateStatusParameters,
  ReadCertificateStatusResult,
  RegistryCertificateStatus,
} from "./verify/readCertificateStatus.ts";
export { scanPdf, looksLikePdf } from "./verify/scanPdf.ts";
export type { PdfCredentialScan, PdfSignatureScan, ScanPdfResult } from "./verify/scanPdf.ts";
export { verifyPadesCms } from "./verify/verifyPadesCms.ts";
export type { PadesSigner, VerifyPadesCmsParameters, VerifyPadesCmsResult } from "./verify/verifyPadesCms.ts";
export { DEPARTMENT_REASONS, REVOCATION_REASONS, revocationReasonOf } from "./revocationReasons.ts";
export type { DepartmentReason, RevocationReason } from "./revocationReasons.ts";
