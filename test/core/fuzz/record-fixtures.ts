/**
 * Writes the fuzz suite's committed artefacts to `test/core/fuzz/fixtures/`: run it again when the
 * credential, PDF or registry format changes (`node test/core/fuzz/record-fixtures.ts`; about 5 s).
 * Nothing runs on import (mocha loads every `.ts` file under `test/`).
 *
 * It starts the test world of `test/helpers/ecert-fixture.ts` (local chain, registry, development
 * issuers and PKI), issues two csb-cre certificates and one fsd-dg-licence, and writes their PDFs (one
 * signed with the CA embedded as the chain), their credentials (and one with hidden claims), their QR
 * URLs, and the registry's answers (`chain.json`): every `certificateStatus` answer for each class of
 * issuer id (CSB, FSD, none, another), root (each anchored root, another) and signing-certificate
 * fingerprint (each registered one, another), read from the chain, plus the logs the genuine documents'
 * verifications read. It checks that the leaf does not change the answer (no leaf is revoked) and that
 * every document is VALID through the replay.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { encodeCredentialUrl, hideClaims, verify, type ChainReader, type Credential } from "../../../core/index.ts";
import { NOW, VERIFIER_URL, startEcertFixture } from "../../helpers/ecert-fixture.ts";
import { FIXTURES, recordedOptions, type RecordedChain } from "./fuzz-helpers.ts";

async function record(): Promise<void> {
  const f = await startEcertFixture();
  try {
    const cre = await f.issue("csb-cre.csv", "csb-cre", { rows: [0, 1] });
    const licence = await f.issue("fsd-dg-licence.csv", "fsd-dg-licence", { rows: [3] });
    const credentials: Credential[] = [...cre.credentials, ...licence.credentials];
    credentials.push(hideClaims(cre.credentials[0], ["/credentialSubject/hkidPartial"]));
    const pdfs: Record<string, Uint8Array> = {
      "csb-cre.pdf": f.pdf(cre.credentials[0]),
      "csb-cre-chained.pdf": f.pdf(cre.credentials[1], { signer: await f.chainedSigner("CSB") }),
      "fsd-dg-licence.pdf": f.pdf(licence.credentials[0]),
    };
    const urls = credentials.flatMap((c) => [
      encodeCredentialUrl(VERIFIER_URL, c),
      encodeCredentialUrl(VERIFIER_URL, c, { form: "base64url" }),
    ]);

    // Every request of the genuine verifications, against the real chain.
    const seen: { method: string; params: unknown[]; result: unknown }[] = [];
    const recording: ChainReader = {
      async request({ method, params = [] }) {
        const result = await f.chain.provider.request({ method, params });
        seen.push({ method, params, result });
        return result;
      },
    };
    const live = f.options({ providers: [recording] });
    for (const input of [...Object.values(pdfs), ...credentials.map((credential) => ({ credential })), ...urls]) {
      const result = await verify(input, live);
      if (result.status !== "VALID") throw new Error(`a genuine document is ${result.status}: ${result.reasons}`);
    }
    const statusCalls = seen.filter((c) => c.method === "eth_call");
    const words = statusCalls.map(
      (c) => ((c.params[0] as { data: string }).data.slice(10).match(/.{64}/g) ?? []) as string[],
    );
    const selector = (statusCalls[0].params[0] as { data: string }).data.slice(0, 10);
    const word = (text: string) => Buffer.from(text.padEnd(32, "\0"), "latin1").toString("hex");
    const random = (n: number) => n.toString(16).padStart(8, "0").repeat(8);
    const issuerWords = [word("CSB"), word("FSD"), "0".repeat(64), word("XYZ")];
    const roots = [...new Set(words.map((w) => w[1]))];
    const leaves = [...new Set(words.map((w) => w[2]))];
    const fingerprints = [...new Set(words.map((w) => w[3]))];
    const ask = async (issuer: string, root: string, leaf: string, fingerprint: string) =>
      (await f.chain.provider.request({
        method: "eth_call",
        params: [{ to: f.registry, data: selector + issuer + root + leaf + fingerprint }, "latest"],
      })) as string;

    const probes: RecordedChain["probes"] = [];
    for (const issuer of issuerWords) {
      for (const root of [...roots, random(0xabcdef01)]) {
        for (const fingerprint of [...fingerprints, random(0x12345678)]) {
          const answers = new Set<string>();
          for (const leaf of [...leaves, random(0x77777777)]) answers.add(await ask(issuer, root, leaf, fingerprint));
          if (answers.size !== 1) throw new Error(`the registry's answer depends on the leaf for ${issuer}/${root}`);
          const cls = (value: string, known: string[]) => (known.includes(value) ? value : "other");
          probes.push({
            issuer: issuer === word("XYZ") ? "other" : issuer,
            root: cls(root, roots),
            fingerprint: cls(fingerprint, fingerprints),
            answer: [...answers][0],
          });
        }
      }
    }
    const chain: RecordedChain = {
      chainId: f.chainId,
      registry: f.registry,
      now: NOW.toISOString(),
      probes,
      calls: seen.filter((c) => c.method === "eth_getLogs" || c.method === "eth_getTransactionByHash"),
    };

    // The replay must say VALID for every genuine document, as the chain did.
    for (const input of [...Object.values(pdfs), ...credentials.map((credential) => ({ credential })), ...urls]) {
      const result = await verify(input, recordedOptions(chain));
      if (result.status !== "VALID")
        throw new Error(`replayed, a genuine document is ${result.status}: ${result.reasons}`);
    }

    await mkdir(FIXTURES, { recursive: true });
    for (const [name, bytes] of Object.entries(pdfs)) await writeFile(new URL(name, FIXTURES), bytes);
    // As Prettier writes them (`npm run lint` checks the tree).
    const json = async (name: string, value: unknown) => {
      const file = fileURLToPath(new URL(name, FIXTURES));
      const options = { ...(await prettier.resolveConfig(file)), filepath: file };
      await writeFile(file, await prettier.format(JSON.stringify(value), options));
    };
    await json("credentials.json", credentials);
    await json("urls.json", urls);
    await json("chain.json", chain);
    console.log(
      `wrote ${Object.keys(pdfs).length} PDFs, ${credentials.length} credentials, ${urls.length} URLs, ${probes.length} registry answers`,
    );
  } finally {
    await f.close();
  }
}

if (import.meta.main) await record();
