/**
 * The integrity check anyone can run (`certs check`): reads the issuer service's database and the chain
 * and reports, per check, how many items it looked at, how many failed and the first offenders.
 *
 * | check | what holds |
 * | --- | --- |
 * | `credential-matches-row` | every stored credential is its row's: type, issuer and certificate number (`credentialMismatch`), and its subject and validity are the row's validated record |
 * | `digest-recomputes` | every stored digest is the digest recomputed from the stored credential (`computeCredentialDigest`) |
 * | `digest-unique` | no two certificates hold one digest |
 * | `leaf-in-root` | every batch's root is rebuilt from its members' digests in leaf order (`buildMerkleTree`), its leaves are 0..n-1 with n its certificate count, and each member's proof leads to the root |
 * | `root-on-chain` | every anchored or rendered batch (and any batch with an issued certificate) is anchored on chain: the registry's `certificateStatus(issuer, root, 0, 0)` says anchored by the batch's issuer, with its count and block, and exactly one `RootAnchored` event sent by its anchoring signer names the root (other departments may anchor the same root). Batches set aside by the pipeline (`failure` set) with nothing issued are skipped |
 * | `pdf-embeds-credential` | every stored PDF embeds its own credential (the stored one, whole), its Merkle root and path and the trusted chain and registry (`pdfMismatch`), is signed, and has the hash stored for it; every issued (or revoked, suspended, superseded) certificate has a PDF |
 * | `number-live-once` | no certificate number is live twice for one issuer (pending, anchoring, issued or suspended; a certificate whose renewal of the same number is on its way is not counted beside it) |
 *
 * Everything is read in pages (certificates by id, batches by id, a batch's PDFs by leaf), so memory
 * stays flat whatever the database holds: one page of certificates, one batch's leaves and tree, one
 * page of PDFs, and a few numbers per batch for the on-chain phase, which runs last (so that no JSON-RPC
 * request waits behind the CPU work of the other checks). Nothing is written, to the database or the
 * chain. Offender reasons name ids, numbers,
 * hashes and field names, never personal values.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { Interface } from "ethers";
import { BaseError } from "../../core/base-error.ts";
import { buildMerkleTree, computeCredentialDigest, verifyMerkleProof, type MerkleTree } from "../../core/index.ts";
import {
  decodeCertificateStatus,
  issuerIdWord,
  REGISTRY_VERIFIER_ABI,
} from "../../core/verify/readCertificateStatus.ts";
import type { BatchRow, CertificateStatus, Store } from "../db/store.ts";
import { comparePdf, credentialObjectMismatch } from "./matches.ts";

export const INTEGRITY_CHECKS = [
  { id: "credential-matches-row", title: "every stored credential matches its row and type" },
  { id: "digest-recomputes", title: "every digest recomputes from its credential" },
  { id: "digest-unique", title: "every digest is unique" },
  { id: "leaf-in-root", title: "every certificate's leaf is in its batch's root" },
  { id: "root-on-chain", title: "every anchored batch's root is on chain, anchored once by its issuer" },
  { id: "pdf-embeds-credential", title: "every PDF embeds its own credential and a signature" },
  { id: "number-live-once", title: "no certificate number is live twice for one issuer" },
] as const;

export type IntegrityCheckId = (typeof INTEGRITY_CHECKS)[number]["id"];

export interface IntegrityOffender {
  /** What failed: a certificate or a batch. */
  kind: "certificate" | "batch";
  id: string;
  reason: string;
}

export interface IntegrityCheckResult {
  id: IntegrityCheckId;
  title: string;
  /** True when nothing failed and the check could be completed. */
  ok: boolean;
  /** Items looked at: certificates, except `root-on-chain` (batches). */
  checked: number;
  failed: number;
  /** Items not looked at on purpose (batches set aside or not anchored yet, certificates not rendered yet). */
  skipped: number;
  /** The first offenders (at most `maxOffenders`). */
  offenders: IntegrityOffender[];
  /** Why the check could not be completed (the chain could not be read ...). */
  error?: string;
}

export interface IntegrityReport {
  /** True only when every check holds. */
  ok: boolean;
  /** True when a check could not be completed (and none failed otherwise). */
  unableToCheck: boolean;
  checkedAt: string;
  durationMs: number;
  chainId: number;
  registry: string;
  totals: { certificates: number; batches: number; pdfs: number };
  checks: IntegrityCheckResult[];
}

/** The chain: an EIP-1193 provider (`request`), or an ethers `JsonRpcProvider` / `BrowserProvider` (`send`). */
export type IntegrityChainProvider =
  | { request(args: { method: string; params?: unknown[] }): Promise<unknown> }
  | { send(method: string, params: unknown[]): Promise<unknown> };

export interface CheckIntegrityParameters {
  store: Store;
  provider: IntegrityChainProvider;
  /** The registry the service anchors in (any letter case). */
  registry: string;
  chainId: number;
  /** Certificates (and batches) per page (default 500). */
  pageSize?: number;
  /** PDFs per page (default 32). */
  pdfPageSize?: number;
  /** Offenders listed per check (default 10). */
  maxOffenders?: number;
  /** First block searched for `RootAnchored` events (default 0: the registry's deployment is not known). */
  fromBlock?: number;
  /** Batches checked on chain at once (default 8). */
  chainConcurrency?: number;
  /** Called after each page, for a progress display. */
  onProgress?: (progress: { phase: "certificates" | "batches"; done: number }) => void;
  now?: () => Date;
}

/** Statuses a certificate only reaches once its batch was anchored and its PDF stored. */
const RELEASED: ReadonlySet<CertificateStatus> = new Set(["issued", "revoked", "suspended", "superseded"]);
const LIVE: ReadonlySet<CertificateStatus> = new Set(["pending", "anchoring", "issued", "suspended"]);
const registryInterface = new Interface(REGISTRY_VERIFIER_ABI);
/** The selector of `certificateStatus(bytes32,bytes32,bytes32,bytes32)`. */
const CERTIFICATE_STATUS_SELECTOR = registryInterface.getFunction("certificateStatus")!.selector;
/** The topic of `RootAnchored(bytes32 indexed root, uint256 certificateCount)`. */
const ROOT_ANCHORED = registryInterface.getEvent("RootAnchored")!.topicHash.toLowerCase();
const ZERO_WORD = "0".repeat(64);

class Tally {
  checked = 0;
  failed = 0;
  skipped = 0;
  error: string | undefined;
  readonly offenders: IntegrityOffender[] = [];
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  fail(kind: IntegrityOffender["kind"], id: string, reason: string, count = 1): void {
    this.failed += count;
    if (this.offenders.length < this.#max) this.offenders.push({ kind, id, reason: reason.slice(0, 500) });
  }
}

/** A chain endpoint failed (transport, error answer): the on-chain check cannot be completed. */
class ChainUnavailable extends BaseError<"CHAIN_UNAVAILABLE"> {
  override name = "ChainUnavailable";

  constructor(message: string, options: { method: string; cause?: unknown }) {
    super("CHAIN_UNAVAILABLE", message, { details: { method: options.method }, cause: options.cause });
  }
}

/**
 * Checks the database against itself and the chain (see the module comment). Never writes.
 *
 * @returns one result per check, in {@link INTEGRITY_CHECKS} order; `ok` only when all hold
 * @throws StoreError when the database cannot be read (the chain's failures are reported, not thrown)
 *
 * @example
 * ```ts
 * const report = await checkIntegrity({ store, provider, registry, chainId: 31337 });
 * if (!report.ok) for (const c of report.checks) if (!c.ok) console.log(c.id, c.failed, c.offenders);
 * ```
 */
export async function checkIntegrity(parameters: CheckIntegrityParameters): Promise<IntegrityReport> {
  const { store, chainId } = parameters;
  const registry = parameters.registry.toLowerCase();
  const pageSize = parameters.pageSize ?? 500;
  const pdfPageSize = parameters.pdfPageSize ?? 32;
  const maxOffenders = parameters.maxOffenders ?? 10;
  const now = parameters.now ?? (() => new Date());
  const started = Date.now();
  const checkedAt = now().toISOString();
  const tallies = Object.fromEntries(INTEGRITY_CHECKS.map((c) => [c.id, new Tally(maxOffenders)])) as Record<
    IntegrityCheckId,
    Tally
  >;
  const totals = { certificates: 0, batches: 0, pdfs: 0 };

  // 1. Every certificate: its credential against its row, its digest recomputed.
  const matches = tallies["credential-matches-row"];
  const recomputes = tallies["digest-recomputes"];
  for (let after: string | null = null; ;) {
    const page = await store.scanCertificates(after, pageSize);
    if (page.length === 0) break;
    for (const row of page) {
      totals.certificates++;
      if (LIVE.has(row.status)) tallies["number-live-once"].checked++;
      tallies["digest-unique"].checked++;
      matches.checked++;
      recomputes.checked++;
      let credential: unknown;
      try {
        credential = JSON.parse(row.credentialJson);
      } catch {
        matches.fail("certificate", row.id, "its credential is not JSON");
        recomputes.fail("certificate", row.id, "its credential is not JSON");
        continue;
      }
      const mismatch =
        credentialObjectMismatch(credential, {
          typeId: row.typeId,
          issuerId: row.issuerId,
          certificateNumber: row.certificateNumber,
        }) ?? recordMismatch(credential, row.recordJson);
      if (mismatch) matches.fail("certificate", row.id, mismatch);
      let digest: string;
      try {
        digest = computeCredentialDigest(credential);
      } catch (error) {
        recomputes.fail("certificate", row.id, `its credential cannot be digested: ${(error as Error).message}`);
        continue;
      }
      if (digest !== row.digest.toLowerCase()) {
        recomputes.fail("certificate", row.id, `its credential's digest is ${digest}, the stored digest ${row.digest}`);
      }
    }
    after = page[page.length - 1].id;
    parameters.onProgress?.({ phase: "certificates", done: totals.certificates });
    await yieldToEventLoop();
  }

  // 2. Uniqueness, aggregated by the database.
  const digests = await store.duplicateDigests(maxOffenders);
  const unique = tallies["digest-unique"];
  unique.failed = digests.total;
  for (const group of digests.groups) {
    for (const id of group.certificateIds) {
      if (unique.offenders.length >= maxOffenders) break;
      const others = group.certificateIds.filter((other) => other !== id);
      unique.offenders.push({
        kind: "certificate",
        id,
        reason: `digest ${group.digest} is held by ${group.count} certificates (also ${others.join(", ")})`,
      });
    }
  }
  const numbers = await store.duplicateLiveNumbers(maxOffenders);
  const liveOnce = tallies["number-live-once"];
  liveOnce.failed = numbers.total;
  for (const group of numbers.groups) {
    for (const id of group.certificateIds) {
      if (liveOnce.offenders.length >= maxOffenders) break;
      const others = group.certificateIds.filter((other) => other !== id);
      liveOnce.offenders.push({
        kind: "certificate",
        id,
        reason: `certificate number ${group.certificateNumber} of ${group.issuerId} is live ${group.count} times (also ${others.join(", ")})`,
      });
    }
  }

  // 3. Every batch: its tree and its PDFs; which roots must be on chain.
  const onChain: ChainTarget[] = [];
  for (let after: string | null = null; ;) {
    const page = await store.listBatches(after, pageSize);
    if (page.length === 0) break;
    for (const batch of page) {
      totals.batches++;
      const { tree, released } = await checkLeaves(store, batch, tallies["leaf-in-root"]);
      if (released || ((batch.status === "anchored" || batch.status === "rendered") && !isSetAside(batch))) {
        const { id, root, issuerId, certificateCount, blockNumber, status } = batch;
        onChain.push({ id, root, issuerId, certificateCount, blockNumber, status });
      } else {
        tallies["root-on-chain"].skipped++;
      }
      totals.pdfs += await checkPdfs(
        store,
        batch,
        tree,
        { chainId, registry, pdfPageSize },
        tallies["pdf-embeds-credential"],
      );
    }
    after = page[page.length - 1].id;
    parameters.onProgress?.({ phase: "batches", done: totals.batches });
    await yieldToEventLoop();
  }

  // 4. The roots on chain: a phase of its own, so that no request waits behind the CPU work above.
  const chain = new ChainChecks(parameters, registry, tallies["root-on-chain"]);
  await chain.preflight();
  for (const target of onChain) await chain.enqueue(target);
  await chain.drain();

  const checks: IntegrityCheckResult[] = INTEGRITY_CHECKS.map(({ id, title }) => {
    const t = tallies[id];
    return {
      id,
      title,
      ok: t.failed === 0 && t.error === undefined,
      checked: t.checked,
      failed: t.failed,
      skipped: t.skipped,
      offenders: t.offenders,
      ...(t.error !== undefined ? { error: t.error } : {}),
    };
  });
  const failed = checks.some((c) => c.failed > 0);
  return {
    ok: checks.every((c) => c.ok),
    unableToCheck: !failed && checks.some((c) => c.error !== undefined),
    checkedAt,
    durationMs: Date.now() - started,
    chainId,
    registry: parameters.registry,
    totals,
    checks,
  };
}

/** What the on-chain check needs of a batch. */
type ChainTarget = Pick<BatchRow, "id" | "root" | "issuerId" | "certificateCount" | "blockNumber" | "status">;

/**
 * Lets timers and I/O run between pages: SQLite reads resolve at once, so without this a check run in
 * a server's process (or beside its own JSON-RPC requests) would hold the event loop for the whole pass.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether the pipeline set the batch aside (the `failure` / `failed_at` columns, when the schema has them). */
function isSetAside(batch: BatchRow): boolean {
  const b = batch as { failure?: unknown; failedAt?: unknown };
  return (b.failure !== undefined && b.failure !== null) || (b.failedAt !== undefined && b.failedAt !== null);
}

/**
 * The credential's subject and validity against the row's validated record (`recordJson`: `{ subject,
 * validFrom?, validUntil? }`). Names the differing fields, never their values.
 */
export function recordMismatch(credential: unknown, recordJson: string): string | undefined {
  let record: { subject?: unknown; validFrom?: unknown; validUntil?: unknown };
  try {
    record = JSON.parse(recordJson);
  } catch {
    return "the row's record is not JSON";
  }
  const c = credential as { credentialSubject?: Record<string, unknown>; validFrom?: unknown; validUntil?: unknown };
  const subject = record?.subject;
  if (typeof subject !== "object" || subject === null || Array.isArray(subject))
    return "the row's record has no subject";
  const own = c.credentialSubject ?? {};
  const differing = [...new Set([...Object.keys(subject), ...Object.keys(own)])].filter(
    (key) => canonicalize((subject as Record<string, unknown>)[key]) !== canonicalize(own[key]),
  );
  const problems: string[] = [];
  if (differing.length > 0)
    problems.push(`credentialSubject differs from the row's record in ${differing.slice(0, 10).join(", ")}`);
  // Period types: the record holds the validity; permanent types: validFrom is the issuance time.
  if (typeof record.validFrom === "string" && c.validFrom !== record.validFrom)
    problems.push("validFrom differs from the row's record");
  if ((record.validUntil ?? undefined) !== (c.validUntil ?? undefined))
    problems.push("validUntil differs from the row's record");
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/**
 * `leaf-in-root` for one batch. Returns the tree (for the PDFs' paths) when the batch's leaves are whole,
 * and whether any member was released (issued or later).
 */
async function checkLeaves(
  store: Store,
  batch: BatchRow,
  tally: Tally,
): Promise<{ tree: MerkleTree | undefined; released: boolean }> {
  const leaves = await store.batchLeaves(batch.id);
  const released = leaves.some((leaf) => RELEASED.has(leaf.status));
  if (leaves.length === 0) {
    // A batch set aside may have given its certificates back; any other batch has members.
    if (isSetAside(batch)) {
      tally.skipped++;
    } else {
      tally.checked++;
      tally.fail("batch", batch.id, `batch has no certificates but a count of ${batch.certificateCount}`);
    }
    return { tree: undefined, released };
  }
  tally.checked += leaves.length;
  const gap = leaves.findIndex((leaf, i) => leaf.leafIndex !== i);
  if (gap >= 0) {
    tally.fail(
      "batch",
      batch.id,
      `batch's leaf indexes are not 0 to ${leaves.length - 1} (leaf ${gap} is at index ${leaves[gap].leafIndex})`,
      leaves.length,
    );
    return { tree: undefined, released };
  }
  let tree: MerkleTree;
  try {
    tree = buildMerkleTree(leaves.map((leaf) => leaf.digest));
  } catch (error) {
    tally.fail("batch", batch.id, `batch's tree cannot be built: ${(error as Error).message}`, leaves.length);
    return { tree: undefined, released };
  }
  if (tree.root !== batch.root.toLowerCase()) {
    tally.fail(
      "batch",
      batch.id,
      `batch's root rebuilt from its ${leaves.length} leaves is ${tree.root}, the stored root ${batch.root}`,
      leaves.length,
    );
    return { tree, released };
  }
  if (leaves.length !== batch.certificateCount) {
    tally.fail(
      "batch",
      batch.id,
      `batch has ${leaves.length} certificates but a count of ${batch.certificateCount}`,
      leaves.length,
    );
    return { tree, released };
  }
  leaves.forEach((leaf, i) => {
    if (!verifyMerkleProof(leaf.digest, tree.proof(i), batch.root)) {
      tally.fail(
        "certificate",
        leaf.certificateId,
        `its proof does not lead from its digest to the root of batch ${batch.id}`,
      );
    }
  });
  return { tree, released };
}

/** `pdf-embeds-credential` for one batch, one page of PDFs at a time. Returns how many PDFs were read. */
async function checkPdfs(
  store: Store,
  batch: BatchRow,
  tree: MerkleTree | undefined,
  options: { chainId: number; registry: string; pdfPageSize: number },
  tally: Tally,
): Promise<number> {
  let pdfs = 0;
  for (let after: number | null = null; ;) {
    const page = await store.batchPdfs(batch.id, after, options.pdfPageSize);
    if (page.length === 0) break;
    for (const member of page) {
      if (member.pdf === null) {
        if (member.pdfHash !== null) {
          tally.checked++;
          tally.fail("certificate", member.certificateId, "its row has a PDF hash but no PDF is stored");
        } else if (RELEASED.has(member.status)) {
          tally.checked++;
          tally.fail("certificate", member.certificateId, `it is ${member.status} but has no PDF`);
        } else {
          tally.skipped++; // not rendered yet
        }
        continue;
      }
      pdfs++;
      tally.checked++;
      const problem = pdfProblem(member.pdf, member, batch, tree, options);
      if (problem) tally.fail("certificate", member.certificateId, problem);
    }
    after = page[page.length - 1].leafIndex;
    await yieldToEventLoop();
  }
  return pdfs;
}

function pdfProblem(
  pdf: Uint8Array,
  member: { leafIndex: number; credentialJson: string; pdfHash: string | null; storedPdfHash: string | null },
  batch: BatchRow,
  tree: MerkleTree | undefined,
  options: { chainId: number; registry: string },
): string | undefined {
  const problems: string[] = [];
  const hash = createHash("sha256").update(pdf).digest("hex");
  if (member.storedPdfHash !== hash) problems.push("the stored PDF's SHA-256 is not the hash stored beside it");
  if (member.pdfHash !== hash) problems.push("the stored PDF's SHA-256 is not the certificate row's pdfHash");
  const path = tree && member.leafIndex < tree.leafCount ? tree.proof(member.leafIndex) : undefined;
  const { mismatch, embedded } = comparePdf(pdf, { credentialJson: member.credentialJson, root: batch.root, path });
  if (mismatch) problems.push(mismatch);
  if (embedded) {
    const merkle = (embedded.proof as { merkle?: { chainId?: unknown; registry?: unknown } } | undefined)?.merkle;
    if (merkle && merkle.chainId !== options.chainId)
      problems.push(`its credential names chain ${String(merkle.chainId).slice(0, 20)}, not ${options.chainId}`);
    if (merkle && String(merkle.registry).toLowerCase() !== options.registry) {
      problems.push(`its credential names registry ${String(merkle.registry).slice(0, 42)}, not ${options.registry}`);
    }
    if (!mismatch) {
      const differing = credentialDifferences(embedded, member.credentialJson);
      if (differing) problems.push(`its embedded credential differs from the stored one in ${differing}`);
    }
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/** The members (and subject fields) in which two credentials differ, `proof.merkle` left out; undefined when equal. */
function credentialDifferences(embedded: Record<string, unknown>, storedJson: string): string | undefined {
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(storedJson);
  } catch {
    return "everything (the stored credential is not JSON)";
  }
  const strip = (credential: Record<string, unknown>): Record<string, unknown> => {
    const proof = credential.proof as Record<string, unknown> | undefined;
    if (typeof proof !== "object" || proof === null) return credential;
    const { merkle: _merkle, ...rest } = proof;
    return { ...credential, proof: rest };
  };
  const a = strip(embedded);
  const b = strip(stored);
  if (canonicalize(a) === canonicalize(b)) return undefined;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (key) => canonicalize(a[key]) !== canonicalize(b[key]),
  );
  const subjectA = (a.credentialSubject ?? {}) as Record<string, unknown>;
  const subjectB = (b.credentialSubject ?? {}) as Record<string, unknown>;
  const names = keys.flatMap((key) =>
    key === "credentialSubject" && typeof subjectA === "object" && typeof subjectB === "object"
      ? [...new Set([...Object.keys(subjectA), ...Object.keys(subjectB)])]
          .filter((field) => canonicalize(subjectA[field]) !== canonicalize(subjectB[field]))
          .map((field) => `credentialSubject.${field}`)
      : [key],
  );
  return names.slice(0, 10).join(", ");
}

/** `root-on-chain`: the registry's view and the `RootAnchored` logs of each batch root, a few at a time. */
class ChainChecks {
  readonly #request: (method: string, params: unknown[]) => Promise<unknown>;
  readonly #p: CheckIntegrityParameters;
  readonly #registry: string;
  readonly #tally: Tally;
  readonly #running = new Set<Promise<void>>();
  readonly #limit: number;
  #unavailable = false;

  constructor(parameters: CheckIntegrityParameters, registry: string, tally: Tally) {
    this.#p = parameters;
    this.#registry = registry;
    this.#tally = tally;
    this.#limit = Math.max(1, parameters.chainConcurrency ?? 8);
    const provider = parameters.provider as { request?: unknown; send?: unknown };
    if (typeof provider.request === "function") {
      const p = parameters.provider as { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
      this.#request = (method, params) => p.request({ method, params });
    } else if (typeof provider.send === "function") {
      const p = parameters.provider as { send(method: string, params: unknown[]): Promise<unknown> };
      this.#request = (method, params) => p.send(method, params);
    } else {
      throw new TypeError("checkIntegrity: provider has neither request() (EIP-1193) nor send() (ethers)");
    }
  }

  async #call(method: string, params: unknown[]): Promise<unknown> {
    try {
      return await this.#request(method, params);
    } catch (error) {
      throw new ChainUnavailable(`${method} failed: ${describe(error)}`, { method, cause: error });
    }
  }

  #giveUp(message: string): void {
    if (this.#unavailable) return;
    this.#unavailable = true;
    this.#tally.error = message;
  }

  /** The endpoint serves the chain and has the registry, or the check is marked unable to complete. */
  async preflight(): Promise<void> {
    try {
      const answered = await this.#call("eth_chainId", []);
      const served = typeof answered === "string" ? Number.parseInt(answered, 16) : Number(answered);
      if (served !== this.#p.chainId)
        return this.#giveUp(`the chain endpoint serves chain ${String(answered).slice(0, 20)}, not ${this.#p.chainId}`);
      const code = await this.#call("eth_getCode", [this.#registry, "latest"]);
      if (code === "0x" || code === "0x0")
        return this.#giveUp(
          `there is no contract at the registry address ${this.#p.registry} on chain ${this.#p.chainId}`,
        );
    } catch (error) {
      this.#giveUp(`the chain cannot be read: ${(error as Error).message}`);
    }
  }

  /** Checks `batch` on chain (counted now, answered later), waiting while `chainConcurrency` are running. */
  async enqueue(batch: ChainTarget): Promise<void> {
    this.#tally.checked++;
    if (this.#unavailable) return;
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    const job: Promise<void> = this.#check(batch)
      .then((problem) => {
        if (problem) this.#tally.fail("batch", batch.id, problem);
      })
      .catch((error: unknown) => this.#giveUp(`the chain cannot be read: ${(error as Error).message}`))
      .finally(() => this.#running.delete(job));
    this.#running.add(job);
  }

  async drain(): Promise<void> {
    await Promise.all(this.#running);
  }

  async #check(batch: ChainTarget): Promise<string | undefined> {
    const root = batch.root.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(root)) return `batch's root ${batch.root.slice(0, 70)} is not a bytes32`;
    // Under the batch's own issuer: another issuer's anchor of the same root is not this batch's.
    const data = CERTIFICATE_STATUS_SELECTOR + issuerIdWord(batch.issuerId) + root.slice(2) + ZERO_WORD + ZERO_WORD;
    const answer = await this.#call("eth_call", [{ to: this.#registry, data }, "latest"]);
    let status;
    try {
      status = decodeCertificateStatus(String(answer));
    } catch {
      throw new ChainUnavailable("the registry answered certificateStatus with data that is not its status", {
        method: "eth_call",
      });
    }
    const problems: string[] = [];
    if (!status.anchored) {
      problems.push(`batch's root ${root} is not anchored on chain (batch ${batch.status})`);
    } else {
      if (status.issuerId !== batch.issuerId)
        problems.push(`batch's root is anchored by issuer ${status.issuerId}, not ${batch.issuerId}`);
      if (status.certificateCount !== batch.certificateCount) {
        problems.push(
          `batch's root is anchored with a count of ${status.certificateCount}, not ${batch.certificateCount}`,
        );
      }
      if (batch.blockNumber !== null && status.anchorBlock !== batch.blockNumber) {
        problems.push(
          `batch's root is anchored in block ${status.anchorBlock}, not block ${batch.blockNumber} as stored`,
        );
      }
    }
    const fromBlock = `0x${Math.max(0, Math.trunc(this.#p.fromBlock ?? 0)).toString(16)}`;
    const logs = await this.#call("eth_getLogs", [
      { address: this.#registry, topics: [ROOT_ANCHORED, root], fromBlock, toBlock: "latest" },
    ]);
    if (!Array.isArray(logs))
      throw new ChainUnavailable("eth_getLogs answered something that is not a list of logs", {
        method: "eth_getLogs",
      });
    let events = logs.filter(
      (log: { removed?: unknown; address?: unknown; topics?: unknown }) =>
        log?.removed !== true &&
        String(log?.address).toLowerCase() === this.#registry &&
        Array.isArray(log.topics) &&
        String(log.topics[0]).toLowerCase() === ROOT_ANCHORED &&
        String(log.topics[1]).toLowerCase() === root,
    );
    // Several departments may anchor the same root: only the events the batch's anchoring signer sent
    // count (a signer address belongs to one issuer, and a second anchor by the same issuer reverts).
    if (events.length > 1 && status.anchored && status.issuerId === batch.issuerId) {
      const own = [];
      for (const event of events as { transactionHash?: unknown }[]) {
        const tx = (await this.#call("eth_getTransactionByHash", [event.transactionHash])) as { from?: unknown } | null;
        if (String(tx?.from).toLowerCase() === status.signer.toLowerCase()) own.push(event);
      }
      events = own;
    }
    if (events.length !== 1 && (status.anchored || events.length > 0)) {
      problems.push(`${events.length} RootAnchored events name batch's root, not exactly one`);
    }
    return problems.length > 0 ? problems.join("; ") : undefined;
  }
}

function describe(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return String(e?.shortMessage ?? e?.message ?? error).slice(0, 200);
}
