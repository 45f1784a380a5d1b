/**
 * A whole HK e-Cert world for verification tests, built from real parts: the local Hardhat chain with
 * the registry and the development issuers (`startLocalChain`), the development PKI, credentials from
 * the sample CSVs, roots anchored by the departments' signer keys, PDFs rendered and PAdES-signed as
 * the issuer does, and QR URLs. Nothing runs on import: call {@link startEcertFixture} (in a `before`)
 * and `close()` it (in an `after`).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BrowserProvider, Contract, ContractFactory, Wallet, encodeBytes32String, parseEther } from "ethers";
import {
  buildBatch,
  createCredential,
  encodeCredentialUrl,
  getCertificateType,
  validateCsv,
  type CertificateRecord,
  type Credential,
  type Hex,
  type VerifyOptions,
} from "../../core/index.ts";
import { DEV_KEYS, startLocalChain, type LocalChainResult } from "../../server/chain/local-chain.ts";
import { createPadesSigner, type PadesSigner } from "../../server/pdf/pades.ts";
import { CertificateTemplate } from "../../server/pdf/render-certificate.ts";
import { loadSigningIdentity, type SigningIdentity } from "../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../server/pki/dev-pki.ts";
import { selfSignedIdentity } from "./identities.ts";

/** The verifier's address printed on the certificates. */
export const VERIFIER_URL = "https://verify.ecert.gov.hk";

/**
 * The verification clock of the tests: 2026-12-01 noon, Hong Kong. Against it, in the sample data,
 * `fsd-dg-licence.csv` row 1 expired (2026-10-08), row 4 is valid (to 2027-10-21) and
 * `fsd-fsi-contractor.csv` row 10 is not valid yet (from 2026-12-26).
 */
export const NOW = new Date("2026-12-01T12:00:00+08:00");

/** Issuance time of the permanent (CSB) certificates. */
export const ISSUED_AT = new Date("2026-11-20T09:00:00Z");

/** The development departments as registered by `config/issuers.dev.json`. */
export const DEPARTMENTS = {
  CSB: { id: "CSB", nameEn: "Civil Service Bureau", nameZh: "公務員事務局", domain: "csb.gov.hk" },
  FSD: { id: "FSD", nameEn: "Fire Services Department", nameZh: "消防處", domain: "hkfsd.gov.hk" },
} as const;

export type DepartmentId = keyof typeof DEPARTMENTS;

/** A batch of credentials, anchored (or not) on a registry. */
export type IssuedBatch = {
  root: Hex;
  /** With `proof.merkle`, in CSV row order. */
  credentials: Credential[];
  /** Credential digests (the Merkle leaves), in the same order. */
  digests: Hex[];
  /** The anchoring transaction, when anchored. */
  txHash?: Hex;
  blockNumber?: number;
};

export type IssueOptions = {
  /** Which registry the credentials name and the root is anchored in (default: the fixture's). */
  registry?: string;
  /** The chain id the credentials name (default: the local chain's). */
  chainId?: number;
  /** Who anchors (default: the signer key of the type's issuer); `null`: do not anchor. */
  anchorKey?: string | null;
  /** Only these rows (0-based) of the CSV. */
  rows?: number[];
};

export type EcertFixture = {
  dataDir: string;
  chain: LocalChainResult;
  rpcUrl: string;
  chainId: number;
  registry: string;
  /** ethers provider on the in-process chain, for transactions. */
  provider: BrowserProvider;
  /** The registry ABI (from the compiled artifact). */
  registryAbi: unknown[];
  /** The department's PAdES signer (its registered development certificate). */
  padesSigners: Record<DepartmentId, PadesSigner>;
  identities: Record<DepartmentId, SigningIdentity>;
  /** `verify` options: the local chain's URL as the one endpoint, the fixture's trusted network and {@link NOW}. */
  options(overrides?: Partial<VerifyOptions>): VerifyOptions;
  /** The registry as a contract, connected to the wallet of `key`. */
  registryAs(key: string, address?: string): Contract;
  /** Validates rows of a sample CSV, creates their credentials, builds the batch and anchors its root. */
  issue(csvName: string, typeId: string, options?: IssueOptions): Promise<IssuedBatch>;
  /** Issues credentials for records built by hand. */
  issueRecords(records: CertificateRecord[], typeId: string, options?: IssueOptions): Promise<IssuedBatch>;
  /** The certificate PDF of a credential, signed with the department's identity (or `signer`). */
  pdf(credential: Credential, options?: { signer?: PadesSigner }): Uint8Array;
  /** The certificate PDF with its signature placeholder left empty (never signed). */
  unsignedPdf(credential: Credential): Uint8Array;
  /** The verifier URL of the QR code. */
  qrUrl(credential: Credential): string;
  /** The department's registered certificate, with the development CA embedded as its chain. */
  chainedSigner(department: DepartmentId): Promise<PadesSigner>;
  /** A PAdES signer with a self-signed certificate whose names copy the department's. */
  lookAlikeSigner(department: DepartmentId): Promise<PadesSigner>;
  /** Deploys another registry (its admin: `adminKey`) and registers `issuers` in it, each with one signer. */
  deployRegistry(parameters: {
    adminKey: string;
    issuers: { department: DepartmentId; signerAddress: string; fingerprint: Hex }[];
  }): Promise<string>;
  /** A fresh wallet holding 1 ETH. */
  fundedWallet(): Promise<Wallet>;
  close(): Promise<void>;
};

/** A sample CSV from `examples/`. */
export async function sampleCsv(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(new URL(`../../examples/${name}`, import.meta.url)));
}

/**
 * Starts the chain, loads the PKI and returns the fixture. About a second.
 *
 * @example
 * let f: EcertFixture;
 * before(async () => (f = await startEcertFixture()));
 * after(() => f.close());
 */
export async function startEcertFixture(): Promise<EcertFixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ecert-verify-"));
  const chain = await startLocalChain({ dataDir, port: 0 });
  const pki = await ensureDevPki(path.join(dataDir, "pki"), Object.values(DEPARTMENTS));
  const identities = {
    CSB: await loadSigningIdentity(pki.departments.CSB),
    FSD: await loadSigningIdentity(pki.departments.FSD),
  };
  const padesSigners = { CSB: createPadesSigner(identities.CSB), FSD: createPadesSigner(identities.FSD) };
  // No response cache: nonces must be read fresh for back-to-back transactions.
  const provider = new BrowserProvider(chain.provider, undefined, { cacheTimeout: -1, pollingInterval: 50 });
  const artifact = JSON.parse(
    await readFile(new URL("../../artifacts/contracts/Registry.sol/Registry.json", import.meta.url), "utf8"),
  );
  const registryAbi: unknown[] = artifact.abi;
  const templates = new Map<string, CertificateTemplate>();
  const keyOf: Record<DepartmentId, string> = { CSB: DEV_KEYS.CSB, FSD: DEV_KEYS.FSD };

  const registryAs = (key: string, address = chain.registry) =>
    new Contract(address, registryAbi as never, new Wallet(key, provider));

  const template = (typeId: string): CertificateTemplate => {
    let t = templates.get(typeId);
    if (!t) {
      const schema = getCertificateType(typeId);
      t = new CertificateTemplate({
        schema,
        issuer: DEPARTMENTS[schema.issuer as DepartmentId],
        verifierUrl: VERIFIER_URL,
      });
      templates.set(typeId, t);
    }
    return t;
  };

  const issueRecords = async (
    records: CertificateRecord[],
    typeId: string,
    options: IssueOptions = {},
  ): Promise<IssuedBatch> => {
    const schema = getCertificateType(typeId);
    const registry = options.registry ?? chain.registry;
    const issued = records.map((record) => createCredential({ record, now: () => ISSUED_AT }));
    const { root, credentials } = buildBatch({ issued, chainId: options.chainId ?? chain.chainId, registry });
    const batch: IssuedBatch = { root, credentials, digests: issued.map((i) => i.digest) };
    const anchorKey = options.anchorKey === undefined ? keyOf[schema.issuer as DepartmentId] : options.anchorKey;
    if (anchorKey !== null) {
      const receipt = await (await registryAs(anchorKey, registry).anchor(root, credentials.length)).wait();
      batch.txHash = receipt.hash as Hex;
      batch.blockNumber = receipt.blockNumber;
    }
    return batch;
  };

  return {
    dataDir,
    chain,
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    registry: chain.registry,
    provider,
    registryAbi,
    padesSigners,
    identities,
    options: (overrides = {}) => ({
      providers: [chain.rpcUrl],
      trusted: { chainId: chain.chainId, registry: chain.registry },
      now: NOW,
      ...overrides,
    }),
    registryAs,
    issueRecords,
    async issue(csvName, typeId, options = {}) {
      const { records, fileError, errors } = validateCsv(await sampleCsv(csvName), typeId);
      if (fileError || errors.length > 0) throw new Error(`${csvName}: ${JSON.stringify(fileError ?? errors)}`);
      return issueRecords(options.rows ? options.rows.map((r) => records[r]) : records, typeId, options);
    },
    pdf(credential, options = {}) {
      const typeId = credential.credentialSubject.type;
      const signer = options.signer ?? padesSigners[getCertificateType(typeId).issuer as DepartmentId];
      const signed = signer.sign(
        template(typeId).render({
          credential,
          qrUrl: encodeCredentialUrl(VERIFIER_URL, credential),
          signingTime: ISSUED_AT,
        }),
      );
      return new Uint8Array(signed); // a plain copy: a Buffer's slice() would be a view
    },
    unsignedPdf(credential) {
      const typeId = credential.credentialSubject.type;
      return template(typeId).render({
        credential,
        qrUrl: encodeCredentialUrl(VERIFIER_URL, credential),
        signingTime: ISSUED_AT,
      });
    },
    qrUrl: (credential) => encodeCredentialUrl(VERIFIER_URL, credential),
    async chainedSigner(department) {
      const source = { ...pki.departments[department], chainFiles: [path.join(dataDir, "pki", "ca.cert.pem")] };
      return createPadesSigner(await loadSigningIdentity(source));
    },
    async lookAlikeSigner(department) {
      const { nameEn } = DEPARTMENTS[department];
      const subject = `CN=${nameEn} (development), O=${nameEn}, C=HK`;
      return createPadesSigner(await selfSignedIdentity({ dir: dataDir, name: `look-alike-${department}`, subject }));
    },
    async deployRegistry({ adminKey, issuers }) {
      const admin = new Wallet(adminKey, provider);
      const factory = new ContractFactory(registryAbi as never, artifact.bytecode, admin);
      const deployed = await factory.deploy(0, admin.address);
      await deployed.waitForDeployment();
      const address = await deployed.getAddress();
      const registry = new Contract(address, registryAbi as never, admin);
      for (const { department, signerAddress, fingerprint } of issuers) {
        const d = DEPARTMENTS[department];
        const id = encodeBytes32String(d.id);
        await (await registry.registerIssuer(id, d.nameEn, d.nameZh, d.domain, fingerprint)).wait();
        await (await registry.addSigner(id, signerAddress, 1767225600n, 2n ** 64n - 1n)).wait();
      }
      return address;
    },
    async fundedWallet() {
      const wallet = Wallet.createRandom().connect(provider);
      const admin = new Wallet(DEV_KEYS.admin, provider);
      await (await admin.sendTransaction({ to: wallet.address, value: parseEther("1") })).wait();
      return wallet as unknown as Wallet;
    },
    async close() {
      provider.destroy();
      await chain.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
