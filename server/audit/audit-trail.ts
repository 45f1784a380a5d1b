/**
 * The audit trail (issue 14): every department action, appended per department to a hash chain. An
 * entry's hash is SHA-256 over its predecessor's hash and the entry's fields in a fixed order (RFC 8785
 * canonical JSON), so changing, inserting or deleting an entry breaks every hash after it, and the
 * department's head (`audit_heads`) names the last one: `certs audit verify` recomputes the chain.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { actorId, actorName, type Actor } from "../auth/actor.ts";
import { AUDIT_GENESIS_HASH, type AuditRow, type NewAuditEntry, type Store } from "../db/store.ts";

/** Who an entry names: an actor of a request, or a named operator of a command ("cli:<user>"). */
export type AuditActor = Actor | { id: string; name: string };

export interface AuditInput {
  issuerId: string;
  actor: AuditActor;
  action: string;
  /** The client's address, or "cli". */
  source?: string | null;
  certificateId?: string | null;
  uploadId?: string | null;
  batchId?: string | null;
  detail?: Record<string, unknown>;
  at?: string;
}

/** The hash of entry `seq` of a department, after `prevHash`. */
export function auditHash(entry: NewAuditEntry, seq: number, prevHash: string): string {
  const fields = {
    v: 1,
    issuerId: entry.issuerId,
    seq,
    at: entry.at,
    actorId: entry.actorId,
    actorName: entry.actorName,
    action: entry.action,
    source: entry.source,
    certificateId: entry.certificateId,
    uploadId: entry.uploadId,
    batchId: entry.batchId,
    detail: JSON.parse(entry.detailJson) as unknown,
    prevHash,
  };
  return createHash("sha256")
    .update(String(canonicalize(fields)))
    .digest("hex");
}

/**
 * Appends an entry to its department's trail, in `store`'s transaction when it is one (so the entry
 * and the action it records are committed together).
 */
export async function recordAudit(store: Store, input: AuditInput): Promise<AuditRow> {
  const a = input.actor;
  const entry: NewAuditEntry = {
    issuerId: input.issuerId,
    at: input.at ?? new Date().toISOString(),
    actorId: "kind" in a ? actorId(a) : a.id,
    actorName: "kind" in a ? actorName(a) : a.name,
    action: input.action,
    source: input.source ?? null,
    certificateId: input.certificateId ?? null,
    uploadId: input.uploadId ?? null,
    batchId: input.batchId ?? null,
    detailJson: JSON.stringify(input.detail ?? {}),
  };
  return store.appendAudit(entry, (seq, prevHash) => auditHash(entry, seq, prevHash));
}

/** Words in English and Traditional Chinese (Hong Kong). */
export interface Bilingual {
  en: string;
  "zh-HK": string;
}

/**
 * What is wrong at one place of a trail:
 * - `changed`: the entry's hash does not recompute from its fields (it was edited);
 * - `missing`: entries are missing between two that are there (deleted);
 * - `broken-link`: the entry's `prevHash` is not its predecessor's hash (its predecessor was replaced);
 * - `not-in-head`: the entry comes after the one the head names (appended without the head: forged);
 * - `head-mismatch`: the entry the head names has another hash than the head's;
 * - `tail-missing`: the head names an entry after the trail's last (the tail was deleted).
 */
export type AuditProblemKind = "changed" | "missing" | "broken-link" | "not-in-head" | "head-mismatch" | "tail-missing";

export interface AuditProblem {
  /** The first entry concerned (for a gap or a missing tail: the first missing one). */
  seq: number;
  kind: AuditProblemKind;
  problem: Bilingual;
}

export interface VerifyAuditParameters {
  /** Entries read per query (default 500). */
  pageSize?: number;
  /** Problems listed at most (default 100; `ok` still says whether there were more). */
  maxProblems?: number;
}

export interface AuditVerification {
  issuerId: string;
  /** Entries read. */
  entries: number;
  /** The head's entry number when the check ended. */
  headSeq: number;
  ok: boolean;
  /** In `seq` order; at most `maxProblems`. */
  problems: AuditProblem[];
}

/** The bilingual description of a problem. */
function describe(kind: AuditProblemKind, seq: number, other: number): Bilingual {
  const range = (from: number, to: number) => (from === to ? `entry ${from}` : `entries ${from} to ${to}`);
  const rangeZh = (from: number, to: number) => (from === to ? `第 ${from} 項` : `第 ${from} 至 ${to} 項`);
  switch (kind) {
    case "changed":
      return {
        en: `Entry ${seq} was changed: its hash does not match its contents`,
        "zh-HK": `第 ${seq} 項記錄曾被更改：其雜湊值與內容不符`,
      };
    case "missing":
      return {
        en: `${range(seq, other - 1).replace(/^e/, "E")} ${seq === other - 1 ? "is" : "are"} missing (deleted): the trail goes from entry ${seq - 1} to entry ${other}`,
        "zh-HK": `${rangeZh(seq, other - 1)}記錄已遺失（被刪除）：記錄由第 ${seq - 1} 項跳至第 ${other} 項`,
      };
    case "broken-link":
      return {
        en: `Entry ${seq} does not follow entry ${seq - 1}: the previous hash it names is not entry ${seq - 1}'s`,
        "zh-HK": `第 ${seq} 項記錄與第 ${seq - 1} 項記錄接不上：其所載的前一項雜湊值並非第 ${seq - 1} 項的雜湊值`,
      };
    case "not-in-head":
      return {
        en: `${range(seq, other).replace(/^e/, "E")} ${seq === other ? "was" : "were"} added outside the audit trail: the trail's head names entry ${seq - 1} as the last`,
        "zh-HK": `${rangeZh(seq, other)}記錄並非經審計記錄程序加入：記錄鏈的頭部所載的最後一項是第 ${seq - 1} 項`,
      };
    case "head-mismatch":
      return {
        en: `Entry ${seq} is not the entry the trail's head names: its hash differs from the head's`,
        "zh-HK": `第 ${seq} 項記錄與記錄鏈頭部所載的不符：雜湊值不同`,
      };
    case "tail-missing":
      return {
        en: `${range(seq, other).replace(/^e/, "E")} at the end ${seq === other ? "is" : "are"} missing (deleted): the trail's head names entry ${other}, but the trail ends at entry ${seq - 1}`,
        "zh-HK": `記錄末端的${rangeZh(seq, other)}記錄已遺失（被刪除）：記錄鏈的頭部記至第 ${other} 項，但記錄只到第 ${seq - 1} 項`,
      };
  }
}

/** An entry's hash recomputed from its fields, or undefined when its detail is not JSON. */
function recomputed(row: AuditRow): string | undefined {
  try {
    return auditHash(row, row.seq, row.prevHash);
  } catch {
    return undefined;
  }
}

/**
 * Checks a department's audit trail: reads its entries in `seq` order a page at a time, recomputes each
 * entry's hash, and checks that the numbers have no gap, that each entry names its predecessor's hash,
 * and that the last entry is the one the department's head (`audit_heads`) names. So an edited entry
 * (`changed`), a deleted one (`missing`, or `broken-link` when it was replaced), one inserted without the
 * head (`not-in-head`) and a deleted tail (`tail-missing`) are each found, by their `seq`.
 *
 * Entries appended while it reads are read too (the head is read after the last page, and the pages
 * go on until they reach it), so a trail in use verifies.
 *
 * @example
 * const { ok, problems } = await verifyAuditTrail(store, "CSB");
 * if (!ok) console.log(problems[0].problem.en); // "Entry 17 was changed: its hash does not match its contents"
 */
export async function verifyAuditTrail(
  store: Store,
  issuerId: string,
  parameters: VerifyAuditParameters = {},
): Promise<AuditVerification> {
  const pageSize = parameters.pageSize ?? 500;
  const maxProblems = parameters.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  let found = 0;
  const report = (kind: AuditProblemKind, seq: number, other = seq) => {
    found += 1;
    if (problems.length < maxProblems) problems.push({ seq, kind, problem: describe(kind, seq, other) });
  };
  let entries = 0;
  let lastSeq = 0;
  let lastHash = AUDIT_GENESIS_HASH;
  const check = (row: AuditRow) => {
    entries += 1;
    if (row.seq !== lastSeq + 1) report("missing", lastSeq + 1, row.seq);
    else if (row.prevHash !== lastHash) report("broken-link", row.seq);
    if (recomputed(row) !== row.hash) report("changed", row.seq);
    // The stored hash goes on: one edited entry is one problem, not one for every entry after it.
    lastSeq = row.seq;
    lastHash = row.hash;
  };
  const readFrom = async (): Promise<number> => {
    let read = 0;
    for (;;) {
      const page = await store.listAudit(issuerId, { afterSeq: lastSeq, limit: pageSize });
      for (const row of page) check(row);
      read += page.length;
      if (page.length < pageSize) return read;
    }
  };
  await readFrom();
  let head = await store.auditHead(issuerId);
  // Appended since the last page was read: read on until the trail reaches the head (or stops short of it).
  while (lastSeq < head.seq && (await readFrom()) > 0) head = await store.auditHead(issuerId);
  if (lastSeq < head.seq) report("tail-missing", lastSeq + 1, head.seq);
  else if (lastSeq > head.seq) report("not-in-head", head.seq + 1, lastSeq);
  if (head.seq > 0 && lastSeq >= head.seq) {
    // The entry the head names (the last one, unless entries were forged after it) has the head's hash.
    const [named] =
      lastSeq === head.seq
        ? [{ seq: lastSeq, hash: lastHash }]
        : await store.listAudit(issuerId, { afterSeq: head.seq - 1, limit: 1 });
    if (named?.seq === head.seq && named.hash !== head.hash) report("head-mismatch", head.seq);
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { issuerId, entries, headSeq: head.seq, ok: found === 0, problems };
}
