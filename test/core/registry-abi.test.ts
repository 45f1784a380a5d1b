import { readFileSync } from "node:fs";
import { expect } from "chai";
import { Interface, id } from "ethers";
import { toHex, utf8 } from "../../core/bytes.ts";
import { keccak256Bytes } from "../../core/keccak.ts";
import {
  CERTIFICATE_STATUS_SELECTOR,
  CERTIFICATE_STATUS_SIGNATURE,
  REGISTRY_VERIFIER_ABI,
  ROOT_ANCHORED_SIGNATURE,
  ROOT_ANCHORED_TOPIC,
} from "../../core/registry-abi.ts";

/** The Registry as `hardhat build` compiled it. */
const compiled = new Interface(
  JSON.parse(readFileSync(new URL("../../artifacts/contracts/Registry.sol/Registry.json", import.meta.url), "utf8"))
    .abi,
);

describe("core/registry-abi.ts", () => {
  it("has the compiled Registry's certificateStatus selector, keccak256 of its signature", () => {
    const fragment = compiled.getFunction("certificateStatus")!;
    expect(fragment.format("sighash")).to.equal(CERTIFICATE_STATUS_SIGNATURE);
    expect(fragment.selector).to.equal(CERTIFICATE_STATUS_SELECTOR);
    expect(toHex(keccak256Bytes(utf8(CERTIFICATE_STATUS_SIGNATURE))).slice(0, 10)).to.equal(
      CERTIFICATE_STATUS_SELECTOR,
    );
  });

  it("has the compiled Registry's RootAnchored topic, keccak256 of its signature, with the root indexed", () => {
    const event = compiled.getEvent("RootAnchored")!;
    expect(event.format("sighash")).to.equal(ROOT_ANCHORED_SIGNATURE);
    expect(event.topicHash).to.equal(ROOT_ANCHORED_TOPIC);
    expect(id(ROOT_ANCHORED_SIGNATURE)).to.equal(ROOT_ANCHORED_TOPIC);
    expect(event.inputs[0].name).to.equal("root");
    expect(event.inputs[0].indexed).to.equal(true);
  });

  it("REGISTRY_VERIFIER_ABI names the same selector and topic as the constants", () => {
    const ours = new Interface(REGISTRY_VERIFIER_ABI);
    expect(ours.getFunction("certificateStatus")!.selector).to.equal(CERTIFICATE_STATUS_SELECTOR);
    expect(ours.getEvent("RootAnchored")!.topicHash).to.equal(ROOT_ANCHORED_TOPIC);
  });
});
