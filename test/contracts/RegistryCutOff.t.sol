// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRegistry} from "../../contracts/IRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {CutOffHandler} from "./utils/CutOffHandler.sol";

/// @notice A compromised key can do no lasting harm to status. Invariant: after any sequence of leaf and batch
/// changes by CSB's signers and the admin, and any cut-offs (from any past time), `certificateStatus` reads
/// exactly the latest change that counts, so no change a signer made at or after its cut-off affects a verdict
/// (see `CutOffHandler`). Fuzz: a key compromised from T changes anything it likes; once it is cut off from T,
/// every certificate and the batch read exactly as they did at T.
contract RegistryCutOffTest is RegistryFixture {
    bytes32 internal constant ROOT = keccak256("CSB batch 2025-06");
    CutOffHandler internal handler;
    address internal thief;
    address internal thief2;
    bytes32[] internal leaves;

    function setUp() public {
        _deployFixture();
        thief = makeAddr("thief");
        thief2 = makeAddr("thief2");
        vm.startPrank(admin);
        registry.addSigner(CSB_ID, thief, uint64(START), uint64(START) + TEN_YEARS);
        registry.addSigner(CSB_ID, thief2, uint64(START), uint64(START) + TEN_YEARS);
        vm.stopPrank();
        vm.warp(START + 1 hours);
        _anchor(csbSigner, ROOT, 1_000);
        for (uint256 i = 0; i < 4; ++i) leaves.push(keccak256(abi.encode("certificate digest", i)));
        address[] memory signers = new address[](3);
        (signers[0], signers[1], signers[2]) = (csbSigner, thief, thief2);
        handler = new CutOffHandler(registry, CSB_ID, ROOT, admin, signers, leaves);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Every leaf and the batch read as the model's latest change that counts.
    function invariant_statusIsTheLatestChangeThatCounts() public view {
        for (uint256 l = 0; l < leaves.length; ++l) {
            IRegistry.CertificateStatus memory s = _status(CSB_ID, ROOT, leaves[l]);
            CutOffHandler.Change memory c = handler.expectedLeaf(leaves[l]);
            assertEq(uint8(s.leafStatus), uint8(c.status), "leafStatus");
            assertEq(s.leafReason, c.reason, "leafReason");
            assertEq(s.leafChangedAt, c.at, "leafChangedAt");
            assertEq(s.successor, c.successor, "successor");
        }
        IRegistry.CertificateStatus memory b = _status(CSB_ID, ROOT, bytes32(0));
        CutOffHandler.BatchChange memory e = handler.expectedBatch();
        assertEq(b.batchRevoked, e.revoked, "batchRevoked");
        if (e.revoked) {
            assertEq(b.batchRevokedAt, e.at, "batchRevokedAt");
            assertEq(b.batchRevocationReason, e.reason, "batchRevocationReason");
        }
        assertTrue(b.signerValidAtAnchor, "CSB's anchor stays valid (its signer is never cut off)");
    }

    function invariant_everyCallOutcomeAsExpected() public view {
        if (handler.surprises() != 0) {
            fail(string.concat(vm.toString(handler.surprises()), " unexpected outcome(s); first: ", handler.firstSurprise()));
        }
    }

    /// @dev Before T, CSB's signer and the soon-compromised key make changes that count; from T the key makes any
    /// changes it can; then it is cut off from T: every leaf and the batch read as at T.
    function testFuzz_compromisedKeyChangesAfterCutOffDoNotCount(uint256 seed, uint256 compromisedFor, uint256 detectedAfter)
        public
    {
        for (uint256 i = 0; i < 8; ++i) _randomChange(i % 2 == 0 ? csbSigner : thief, uint256(keccak256(abi.encode(seed, "before", i))));
        vm.warp(block.timestamp + 1);
        uint256 cutOffAt = block.timestamp;
        bytes32[] memory snapshot = new bytes32[](leaves.length + 1);
        for (uint256 l = 0; l < leaves.length; ++l) snapshot[l] = keccak256(abi.encode(_status(CSB_ID, ROOT, leaves[l])));
        snapshot[leaves.length] = keccak256(abi.encode(_status(CSB_ID, ROOT, bytes32(0))));

        uint256 steps = bound(compromisedFor, 1, 24);
        for (uint256 i = 0; i < steps; ++i) _randomChange(thief, uint256(keccak256(abi.encode(seed, "after", i))));
        vm.warp(block.timestamp + bound(detectedAfter, 0, 30 days));
        vm.prank(admin);
        registry.cutOffSigner(thief, uint64(cutOffAt));

        for (uint256 l = 0; l < leaves.length; ++l) {
            assertEq(keccak256(abi.encode(_status(CSB_ID, ROOT, leaves[l]))), snapshot[l], "leaf reads as at the cut-off");
        }
        assertEq(keccak256(abi.encode(_status(CSB_ID, ROOT, bytes32(0)))), snapshot[leaves.length], "batch reads as at the cut-off");
    }

    /// @dev One random change by `actor` (refused ones are fine: the key tries whatever it likes).
    function _randomChange(address actor, uint256 r) internal {
        vm.warp(block.timestamp + (r % 3 days));
        bytes32 leaf = leaves[(r >> 8) % leaves.length];
        uint256 op = (r >> 16) % 5;
        bytes memory data;
        if (op == 0) data = abi.encodeCall(registry.revoke, (leaf, uint8(r >> 24)));
        else if (op == 1) data = abi.encodeCall(registry.suspend, (leaf, uint8(r >> 24)));
        else if (op == 2) data = abi.encodeCall(registry.reinstate, (leaf));
        else if (op == 3) data = abi.encodeCall(registry.supersede, (leaf, keccak256(abi.encode(r))));
        else data = abi.encodeCall(registry.revokeBatch, (ROOT, uint8(r >> 24)));
        vm.prank(actor);
        (bool ok,) = address(registry).call(data);
        ok; // a refused change changes nothing
    }
}
