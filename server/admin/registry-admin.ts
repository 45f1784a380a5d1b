/**
 * The governance admin's view of the registry: its ABI (every function the admin tool calls, the events
 * it reads and every custom error the registry can revert with), the decoding of a revert into a sentence,
 * and the read of every issuer with its signers, windows and signing certificates (`certs admin issuer list`).
 */
import { HDNodeWallet, Interface, decodeBytes32String, encodeBytes32String, type Contract } from "ethers";

/** `validUntil` of a signer with no end (the largest uint64), as `registerIssuers` writes it. */
export const NO_END = 2n ** 64n - 1n;

/**
 * The registry's ABI as the admin tool uses it, in human-readable form. `test/server/admin/admin.test.ts`
 * checks that it holds every error of the compiled artifact, and that each has a sentence below.
 */
export const REGISTRY_ADMIN_ABI = [
  "function registerIssuer(bytes32 issuerId, string nameEn, string nameZh, string domain, bytes32 signingCertificate)",
  "function updateIssuer(bytes32 issuerId, string nameEn, string nameZh, string domain)",
  "function setIssuerActive(bytes32 issuerId, bool active)",
  "function stopIssuer(bytes32 issuerId)",
  "function addSigningCertificate(bytes32 issuerId, bytes32 fingerprint)",
  "function removeSigningCertificate(bytes32 issuerId, bytes32 fingerprint)",
  "function addSigner(bytes32 issuerId, address signer, uint64 validFrom, uint64 validUntil)",
  "function cutOffSigner(address signer, uint64 at)",
  "function restoreCertificate(bytes32 issuerId, bytes32 leaf, uint8 reason)",
  "function restoreBatch(bytes32 issuerId, bytes32 root, uint8 reason)",
  "function issuer(bytes32 issuerId) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
  "function signerRecord(address account) view returns ((bytes32 issuerId, uint64 validFrom, uint64 validUntil))",
  "function isSigningCertificate(bytes32 issuerId, bytes32 fingerprint) view returns (bool)",
  "function issuerIds() view returns (bytes32[])",
  "function signersOf(bytes32 issuerId) view returns (address[])",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function defaultAdmin() view returns (address)",
  "event IssuerRegistered(bytes32 indexed issuerId, uint32 indexed issuerNumber, string nameEn, string nameZh, string domain, bytes32 signingCertificate)",
  "event SigningCertificateAdded(bytes32 indexed issuerId, bytes32 indexed fingerprint)",
  "event SigningCertificateRemoved(bytes32 indexed issuerId, bytes32 indexed fingerprint)",
  // Registry errors (contracts/IRegistry.sol)
  "error RegistryZeroIssuerId()",
  "error RegistryIssuerExists(bytes32 issuerId)",
  "error RegistryUnknownIssuer(bytes32 issuerId)",
  "error RegistryEmptyIssuerField(string field)",
  "error RegistryIssuerInactive(bytes32 issuerId)",
  "error RegistryZeroFingerprint()",
  "error RegistryFingerprintExists(bytes32 issuerId, bytes32 fingerprint)",
  "error RegistryUnknownFingerprint(bytes32 issuerId, bytes32 fingerprint)",
  "error RegistryZeroSigner()",
  "error RegistrySignerExists(address signer)",
  "error RegistryUnknownSigner(address signer)",
  "error RegistryInvalidWindow(uint64 validFrom, uint64 validUntil)",
  "error RegistryTooManySigners(bytes32 issuerId)",
  "error RegistryCutOffNotEarlier(address signer, uint64 cutOff, uint64 validUntil)",
  "error RegistryUnauthorizedSigner(address account)",
  "error RegistryZeroRoot()",
  "error RegistryEmptyBatch()",
  "error RegistryRootAlreadyAnchored(bytes32 root)",
  "error RegistryRootNotAnchored(bytes32 issuerId, bytes32 root)",
  "error RegistryBatchAlreadyRevoked(bytes32 root)",
  "error RegistryBatchNotRevoked(bytes32 issuerId, bytes32 root)",
  "error RegistryInvalidTransition(bytes32 leaf, uint8 current)",
  "error RegistryInvalidSuccessor(bytes32 leaf, bytes32 successor)",
  "error RegistryZeroLeaf()",
  // OpenZeppelin AccessControlDefaultAdminRules and SafeCast
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error AccessControlBadConfirmation()",
  "error AccessControlEnforcedDefaultAdminDelay(uint48 schedule)",
  "error AccessControlEnforcedDefaultAdminRules()",
  "error AccessControlInvalidDefaultAdmin(address defaultAdmin)",
  "error SafeCastOverflowedUintDowncast(uint8 bits, uint256 value)",
] as const;

export const registryAdminInterface = new Interface(REGISTRY_ADMIN_ABI);

const LEAF_STATUS = ["valid", "revoked", "suspended", "superseded"];

/** An issuer id as text ("CSB"), or the bytes32 in hex when it is not a short string. */
export function issuerName(id: string): string {
  try {
    return decodeBytes32String(id) || id;
  } catch {
    return id;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Args = any;

/** One sentence per custom error: what the registry refused, and why. */
const ERROR_SENTENCES: Record<string, (a: Args) => string> = {
  RegistryZeroIssuerId: () => "An issuer id cannot be empty (zero).",
  RegistryIssuerExists: (a) => `Issuer ${issuerName(a.issuerId)} is already registered.`,
  RegistryUnknownIssuer: (a) => `Issuer ${issuerName(a.issuerId)} is not registered in this registry.`,
  RegistryEmptyIssuerField: (a) => `The issuer's ${a.field} cannot be empty.`,
  RegistryIssuerInactive: (a) =>
    `Issuer ${issuerName(a.issuerId)} is deactivated: reactivate it (certs admin issuer reactivate) before adding a signer.`,
  RegistryZeroFingerprint: () => "A signing-certificate fingerprint cannot be zero.",
  RegistryFingerprintExists: (a) =>
    `Signing certificate ${a.fingerprint} is already registered for ${issuerName(a.issuerId)}.`,
  RegistryUnknownFingerprint: (a) =>
    `Signing certificate ${a.fingerprint} is not registered for ${issuerName(a.issuerId)}.`,
  RegistryZeroSigner: () => "The zero address cannot be a signer.",
  RegistrySignerExists: (a) =>
    `Signer ${a.signer} was already added (to this or another issuer): addresses are never reused; use a new key.`,
  RegistryUnknownSigner: (a) => `${a.signer} was never added as a signer.`,
  RegistryInvalidWindow: (a) =>
    `The validity window is empty: it must start (${formatTime(a.validFrom)}) before it ends (${formatTime(a.validUntil)}).`,
  RegistryTooManySigners: (a) =>
    `Issuer ${issuerName(a.issuerId)} already has the most signers whose window has not ended: cut one off first.`,
  RegistryCutOffNotEarlier: (a) =>
    `Signer ${a.signer}'s window already ends at ${formatTime(a.validUntil)}, not after ${formatTime(a.cutOff)}: a cut-off can only move the end earlier.`,
  RegistryUnauthorizedSigner: (a) => `${a.account} is not a signer whose validity window covers now.`,
  RegistryZeroRoot: () => "The zero root cannot be anchored.",
  RegistryEmptyBatch: () => "A batch of zero certificates cannot be anchored.",
  RegistryRootAlreadyAnchored: (a) => `Root ${a.root} is already anchored by this issuer.`,
  RegistryRootNotAnchored: (a) => `Issuer ${issuerName(a.issuerId)} never anchored root ${a.root}.`,
  RegistryBatchAlreadyRevoked: (a) => `Batch ${a.root} is already revoked.`,
  RegistryBatchNotRevoked: (a) =>
    `Batch ${a.root} of ${issuerName(a.issuerId)} is not revoked (or its revocation no longer counts): there is nothing to restore.`,
  RegistryInvalidTransition: (a) =>
    `Certificate ${a.leaf} cannot make that change from its current status, ${LEAF_STATUS[Number(a.current)] ?? a.current}.`,
  RegistryInvalidSuccessor: (a) => `${a.successor} cannot succeed ${a.leaf} (zero, or the certificate itself).`,
  RegistryZeroLeaf: () => "A certificate digest (leaf) cannot be zero.",
  AccessControlUnauthorizedAccount: (a) =>
    `${a.account} is not the registry's governance admin (it lacks role ${a.neededRole}): use the admin's key.`,
  AccessControlBadConfirmation: () => "Renouncing a role must name the caller's own account.",
  AccessControlEnforcedDefaultAdminDelay: (a) => `The admin handover is not due until ${formatTime(a.schedule)}.`,
  AccessControlEnforcedDefaultAdminRules: () =>
    "The admin role can only be handed over in two steps (begin, then accept after the delay).",
  AccessControlInvalidDefaultAdmin: (a) => `${a.defaultAdmin} cannot become the admin.`,
  SafeCastOverflowedUintDowncast: (a) => `A value (${a.value}) does not fit in ${a.bits} bits.`,
};

/** The names of the errors that have a sentence (for the completeness test). */
export const EXPLAINED_ERRORS = Object.keys(ERROR_SENTENCES);

/** A custom error of the registry, decoded. */
export interface RegistryRefusal {
  name: string;
  args: Record<string, unknown>;
  sentence: string;
}

/**
 * Finds revert data in an ethers error (or a JSON-RPC error nested in it) and decodes it with the
 * registry's ABI. Undefined when the error carries no revert data this ABI knows.
 */
export function decodeRegistryError(error: unknown): RegistryRefusal | undefined {
  for (const data of revertData(error)) {
    let parsed;
    try {
      parsed = registryAdminInterface.parseError(data);
    } catch {
      continue;
    }
    if (!parsed) continue;
    const args: Record<string, unknown> = {};
    parsed.fragment.inputs.forEach((input, i) => (args[input.name] = parsed.args[i]));
    const explain = ERROR_SENTENCES[parsed.name];
    return { name: parsed.name, args, sentence: explain ? explain(args) : `The registry refused with ${parsed.name}.` };
  }
  return undefined;
}

function revertData(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== "object" || depth > 5) return [];
  const e = error as Record<string, unknown>;
  const found: string[] = [];
  if (typeof e.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(e.data)) found.push(e.data);
  for (const key of ["error", "info", "cause", "data"])
    if (e[key] && typeof e[key] === "object") found.push(...revertData(e[key], depth + 1));
  return found;
}

/** True when an ethers error means the chain could not be reached (not that it refused). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (
    code === "NETWORK_ERROR" ||
    code === "TIMEOUT" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "ENOTFOUND"
  )
    return true;
  if (code === "SERVER_ERROR") return true; // a bad HTTP status or no answer from the endpoint
  const message = String((error as Error)?.message ?? "");
  return (
    /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|socket hang up|timeout/i.test(message) && !revertData(error).length
  );
}

/** A time as "2026-12-01 20:00:00 HKT (2026-12-01T12:00:00Z)"; the largest uint64 is "no end". */
export function formatTime(seconds: bigint | number): string {
  const s = BigInt(seconds);
  if (s >= NO_END) return "no end";
  if (s > 253_402_300_799n) return `unix ${s}`; // past year 9999
  const date = new Date(Number(s) * 1000);
  const hk = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Hong_Kong",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  })
    .format(date)
    .replace(", ", " ");
  return `${hk} HKT (${date.toISOString().replace(".000Z", "Z")})`;
}

/**
 * The development admin key of the embedded default: account #0 of Hardhat's public development
 * mnemonic, the same key as `DEV_KEYS.admin` of `server/chain/local-chain.ts` (checked by the tests).
 * Derived here so that `certs admin` does not load Hardhat (which needs the repository's config).
 */
export function devAdminKey(): string {
  return HDNodeWallet.fromPhrase(
    "test test test test test test test test test test test junk",
    undefined,
    "m/44'/60'/0'/0/0",
  ).privateKey;
}

/** One signer of an issuer as `issuer list` shows it. */
export interface SignerListing {
  address: string;
  validFrom: bigint;
  validUntil: bigint;
  /** Whether its window covers `now`. */
  current: boolean;
}

/** One issuer as `issuer list` shows it. */
export interface IssuerListing {
  id: string;
  number: number;
  active: boolean;
  stoppedAt: bigint;
  nameEn: string;
  nameZh: string;
  domain: string;
  /** The current signing certificate (the latest added), zero when it was removed. */
  signingCertificate: string;
  /** Every fingerprint still registered (from the registry's events, each checked with `isSigningCertificate`). */
  signingCertificates: string[];
  signers: SignerListing[];
}

/** Reads every issuer with its signers (ended windows included) and registered signing certificates. */
export async function listIssuers(registry: Contract, now: number): Promise<IssuerListing[]> {
  const ids = (await registry.issuerIds()) as string[];
  const listings: IssuerListing[] = [];
  for (const id of ids) {
    const view = await registry.issuer(id);
    const addresses = (await registry.signersOf(id)) as string[];
    const signers: SignerListing[] = [];
    for (const address of addresses) {
      const record = await registry.signerRecord(address);
      const validFrom = BigInt(record.validFrom);
      const validUntil = BigInt(record.validUntil);
      signers.push({ address, validFrom, validUntil, current: validFrom <= BigInt(now) && BigInt(now) < validUntil });
    }
    listings.push({
      id: issuerName(id),
      number: Number(view.number),
      active: view.active,
      stoppedAt: BigInt(view.stoppedAt),
      nameEn: view.nameEn,
      nameZh: view.nameZh,
      domain: view.domain,
      signingCertificate: view.signingCertificate,
      signingCertificates: await signingCertificatesOf(registry, id, view.signingCertificate),
      signers,
    });
  }
  return listings;
}

async function signingCertificatesOf(registry: Contract, id: string, current: string): Promise<string[]> {
  const candidates = new Set<string>();
  if (!/^0x0+$/.test(current)) candidates.add(current.toLowerCase());
  try {
    const registered = await registry.queryFilter(registry.filters.IssuerRegistered(id), 0, "latest");
    const added = await registry.queryFilter(registry.filters.SigningCertificateAdded(id), 0, "latest");
    for (const log of registered)
      candidates.add(
        String((log as unknown as { args: { signingCertificate: string } }).args.signingCertificate).toLowerCase(),
      );
    for (const log of added)
      candidates.add(String((log as unknown as { args: { fingerprint: string } }).args.fingerprint).toLowerCase());
  } catch {
    // an endpoint that limits log ranges: the current fingerprint is what can be shown
  }
  const still: string[] = [];
  for (const fingerprint of candidates)
    if (await registry.isSigningCertificate(id, fingerprint)) still.push(fingerprint);
  return still;
}

/** The bytes32 id of an issuer given as text ("CSB") or as 0x hex. */
export function issuerIdOf(text: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  return encodeBytes32String(text);
}
