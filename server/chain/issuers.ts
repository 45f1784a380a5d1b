import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { encodeBytes32String, getAddress, type BaseContract, type ContractTransactionResponse } from "ethers";
import { z } from "zod";
import { parseStrictJson } from "../../core/strictJson.ts";

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

const signerSchema = z.object({
  address: z.string().refine((a) => /^0x[0-9a-fA-F]{40}$/.test(a), "must be a 0x-prefixed 20-byte address"),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }).optional(),
});

const issuerSchema = z.object({
  id: z.string().regex(/^[A-Z0-9-]{2,31}$/, "must be 2 to 31 characters A-Z, 0-9 or -"),
  nameEn: z.string().min(1),
  nameZh: z.string().min(1),
  domain: z.string().min(1),
  signingCertificate: z.string().min(1),
  signers: z.array(signerSchema).min(1),
});

const issuersFileSchema = z.object({ issuers: z.array(issuerSchema).min(1) });

/** An issuer ready to register: ids and fingerprints resolved. */
export interface IssuerConfig {
  id: string;
  nameEn: string;
  nameZh: string;
  domain: string;
  /** SHA-256 of the DER of the department's PDF-signing certificate, 0x hex. */
  signingCertificate: string;
  /** Unix seconds; `validUntil` undefined means no end. */
  signers: { address: string; validFrom: number; validUntil?: number }[];
}

/** `validUntil` of a signer with no end: the largest value the registry stores (uint64). */
export const NO_END = 2n ** 64n - 1n;

/**
 * Reads an issuers file (see `config/issuers.dev.json`), expanding `${DATA_DIR}`, and resolves each
 * `signingCertificate` (a 0x SHA-256 fingerprint, or a path to a PEM certificate relative to the file)
 * to a fingerprint. Throws an error naming the file and the field on any bad entry.
 */
export async function loadIssuersFile(file: string, env: { DATA_DIR: string }): Promise<IssuerConfig[]> {
  const text = (await readFile(file, "utf8")).replaceAll("${DATA_DIR}", env.DATA_DIR.replaceAll("\\", "/"));
  let json: unknown;
  try {
    json = parseStrictJson(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = issuersFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`${file}: ${first.path.join(".")}: ${first.message}`);
  }
  return Promise.all(
    parsed.data.issuers.map(async (issuer) => ({
      ...issuer,
      signingCertificate: HEX32.test(issuer.signingCertificate)
        ? issuer.signingCertificate.toLowerCase()
        : await certificateFingerprint(path.resolve(path.dirname(file), issuer.signingCertificate)),
      signers: issuer.signers.map((s) => ({
        address: getAddress(s.address),
        validFrom: Math.floor(Date.parse(s.validFrom) / 1000),
        validUntil: s.validUntil === undefined ? undefined : Math.floor(Date.parse(s.validUntil) / 1000),
      })),
    })),
  );
}

/** SHA-256 fingerprint (0x hex) of the DER encoding of a PEM certificate file. */
export async function certificateFingerprint(pemFile: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(pemFile, "utf8");
  } catch {
    throw new Error(`signing certificate file not found: ${pemFile}`);
  }
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error(`not a PEM certificate: ${pemFile}`);
  const der = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
  return "0x" + createHash("sha256").update(der).digest("hex");
}

/** The registry functions registration needs (an ethers Contract of `Registry` connected to the admin). */
export interface RegistryAdmin extends BaseContract {
  issuer(id: string): Promise<{ signingCertificate: string }>;
  signerRecord(account: string): Promise<unknown>;
  isSigningCertificate(id: string, fingerprint: string): Promise<boolean>;
  registerIssuer(
    id: string,
    nameEn: string,
    nameZh: string,
    domain: string,
    fingerprint: string,
  ): Promise<ContractTransactionResponse>;
  addSigningCertificate(id: string, fingerprint: string): Promise<ContractTransactionResponse>;
  addSigner(id: string, account: string, validFrom: bigint, validUntil: bigint): Promise<ContractTransactionResponse>;
}

/** What `registerIssuers` did, for the log. */
export interface RegistrationStep {
  issuer: string;
  action: "registered" | "added-signing-certificate" | "added-signer" | "unchanged";
  detail?: string;
}

/**
 * Registers issuers, their signing-certificate fingerprints and signers. Idempotent: what is already on
 * chain is left as it is, so the same file can be applied again after adding a signer or a certificate.
 */
export async function registerIssuers(registry: RegistryAdmin, issuers: IssuerConfig[]): Promise<RegistrationStep[]> {
  const steps: RegistrationStep[] = [];
  for (const issuer of issuers) {
    const id = encodeBytes32String(issuer.id);
    const exists = await registry.issuer(id).then(
      () => true,
      () => false,
    );
    let changed = false;
    if (!exists) {
      await (
        await registry.registerIssuer(id, issuer.nameEn, issuer.nameZh, issuer.domain, issuer.signingCertificate)
      ).wait();
      steps.push({ issuer: issuer.id, action: "registered" });
      changed = true;
    } else if (!(await registry.isSigningCertificate(id, issuer.signingCertificate))) {
      await (await registry.addSigningCertificate(id, issuer.signingCertificate)).wait();
      steps.push({ issuer: issuer.id, action: "added-signing-certificate", detail: issuer.signingCertificate });
      changed = true;
    }
    for (const s of issuer.signers) {
      const known = await registry.signerRecord(s.address).then(
        () => true,
        () => false,
      );
      if (known) continue;
      const until = s.validUntil === undefined ? NO_END : BigInt(s.validUntil);
      await (await registry.addSigner(id, s.address, BigInt(s.validFrom), until)).wait();
      steps.push({ issuer: issuer.id, action: "added-signer", detail: s.address });
      changed = true;
    }
    if (!changed) steps.push({ issuer: issuer.id, action: "unchanged" });
  }
  return steps;
}
