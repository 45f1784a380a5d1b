// A fresh registry on a Hardhat network connection with CSB registered and one funded signer, for the
// IssuerChain tests. Nothing runs on import.
import { BrowserProvider, Wallet, encodeBytes32String, id } from "ethers";

type Connection = {
  ethers: {
    getSigners(): Promise<{ address: string; sendTransaction(tx: { to: string; value: bigint }): Promise<unknown> }[]>;
    deployContract(name: string, args: unknown[]): Promise<any>;
  };
  provider: ConstructorParameters<typeof BrowserProvider>[0];
};

/** Deploys the registry, registers CSB and gives it a new signer holding 1 ETH. */
export async function deployCsbRegistry({ ethers, provider: eip1193 }: Connection) {
  const [admin] = await ethers.getSigners();
  const registry = await ethers.deployContract("Registry", [0, admin.address]);
  const signer = Wallet.createRandom();
  await admin.sendTransaction({ to: signer.address, value: 10n ** 18n });
  await registry.registerIssuer(
    encodeBytes32String("CSB"),
    "Civil Service Bureau",
    "公務員事務局",
    "csb.gov.hk",
    id("fp"),
  );
  await registry.addSigner(encodeBytes32String("CSB"), signer.address, 0, 2n ** 40n);
  const provider = new BrowserProvider(eip1193, undefined, { cacheTimeout: -1, pollingInterval: 50 });
  return { registry: (await registry.getAddress()) as string, signer: signer.connect(provider), provider };
}
