// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRegistry} from "../../contracts/IRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {RegistryHandler} from "./utils/RegistryHandler.sol";

/// @notice Invariant test: no sequence of calls by accounts that are neither the admin nor a currently valid
/// FSD signer changes what a verifier reads for FSD's certificates through
/// `certificateStatus(FSD, root, leaf, ..)`, not even CSB anchoring FSD's roots itself.
/// FSD anchors three batches and sets some leaves (revoked, suspended, superseded) and one batch (revoked)
/// before the run; then `RegistryHandler` makes random calls as the CSB signer, an outsider, a cut-off FSD
/// signer, a not-yet-valid FSD signer, and the admin acting for CSB only, aimed at the same digests and roots.
contract RegistryInvariantTest is RegistryFixture {
    RegistryHandler internal handler;
    address internal fsdRetired;
    address internal fsdPending;

    bytes32[] internal fsdRoots;
    bytes32[] internal csbRoots;
    bytes32[] internal leafPool;
    /// @dev keccak256 of FSD's `certificateStatus` for each (FSD root, leaf of the pool) after set-up.
    mapping(bytes32 root => mapping(bytes32 leaf => bytes32)) internal fsdSnapshot;
    IRegistry.SignerView internal fsdSignerBefore;

    function setUp() public {
        _deployFixture();
        fsdRetired = makeAddr("fsdRetired");
        fsdPending = makeAddr("fsdPending");
        vm.startPrank(admin);
        registry.addSigner(FSD_ID, fsdRetired, uint64(START), uint64(START) + TEN_YEARS);
        registry.addSigner(FSD_ID, fsdPending, uint64(START) + 50 * 365 days, uint64(START) + 60 * 365 days);
        vm.stopPrank();

        for (uint256 i = 0; i < 8; ++i) leafPool.push(keccak256(abi.encode("certificate digest", i)));
        for (uint256 i = 0; i < 3; ++i) fsdRoots.push(keccak256(abi.encode("FSD root", i)));
        for (uint256 i = 0; i < 2; ++i) csbRoots.push(keccak256(abi.encode("CSB root", i)));
        bytes32[] memory freshRoots = new bytes32[](3);
        for (uint256 i = 0; i < 3; ++i) freshRoots[i] = keccak256(abi.encode("fresh root", i));

        vm.warp(START + 1 hours);
        _anchor(fsdSigner, fsdRoots[0], 100);
        _anchor(fsdSigner, fsdRoots[1], 50);
        _anchor(fsdRetired, fsdRoots[2], 10);
        _anchor(csbSigner, csbRoots[0], 20);
        _anchor(csbSigner, csbRoots[1], 30);

        vm.warp(START + 2 hours);
        vm.startPrank(fsdSigner);
        registry.revoke(leafPool[1], 3);
        registry.suspend(leafPool[2], 4);
        registry.supersede(leafPool[3], leafPool[4]);
        registry.revokeBatch(fsdRoots[1], 9);
        vm.stopPrank();

        // Retire a signer from a time after it anchored: its root stays valid, but it can no longer act.
        vm.warp(START + 3 hours);
        vm.prank(admin);
        registry.cutOffSigner(fsdRetired, uint64(START + 2 hours));

        bytes32[] memory pool = _pool();
        for (uint256 r = 0; r < fsdRoots.length; ++r) {
            for (uint256 l = 0; l < pool.length; ++l) {
                IRegistry.CertificateStatus memory s = registry.certificateStatus(FSD_ID, fsdRoots[r], pool[l], FSD_FP);
                assertTrue(s.anchored && s.signerValidAtAnchor && s.issuerId == FSD_ID, "FSD root set up");
                fsdSnapshot[fsdRoots[r]][pool[l]] = keccak256(abi.encode(s));
            }
        }
        IRegistry.CertificateStatus memory untouched = _status(fsdRoots[0], leafPool[0]);
        assertEq(uint8(untouched.leafStatus), uint8(IRegistry.LeafStatus.Valid), "untouched FSD leaf is Valid");
        fsdSignerBefore = registry.signerRecord(fsdSigner);

        address[] memory others = new address[](3);
        others[0] = outsider;
        others[1] = fsdRetired;
        others[2] = fsdPending;
        handler = new RegistryHandler(
            registry, CSB_ID, FSD_ID, FSD_FP, admin, csbSigner, others, leafPool, fsdRoots, csbRoots, freshRoots
        );
    }

    /// @notice Only the handler is called during the run (Foundry convention, supported by EDR).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Every FSD root reads, for every leaf of the pool, exactly as after set-up: valid leaves stay
    /// Valid, FSD's revocation, suspension, supersession and batch revocation stay as FSD made them, and the
    /// anchor record (issuer, signer, time, count, validity at anchor) is unchanged.
    function invariant_fsdCertificatesUnchangedByOthers() public view {
        bytes32[] memory pool = _pool();
        for (uint256 r = 0; r < fsdRoots.length; ++r) {
            for (uint256 l = 0; l < pool.length; ++l) {
                IRegistry.CertificateStatus memory s = registry.certificateStatus(FSD_ID, fsdRoots[r], pool[l], FSD_FP);
                if (keccak256(abi.encode(s)) != fsdSnapshot[fsdRoots[r]][pool[l]]) {
                    fail(
                        string.concat(
                            "FSD certificate changed: root #",
                            vm.toString(r),
                            " leaf #",
                            vm.toString(l),
                            " now leafStatus ",
                            vm.toString(uint256(s.leafStatus)),
                            ", batchRevoked ",
                            s.batchRevoked ? "true" : "false",
                            ", signerValidAtAnchor ",
                            s.signerValidAtAnchor ? "true" : "false"
                        )
                    );
                }
            }
        }
    }

    /// @notice Nobody gained a way to act for FSD or to touch its roots' validity: the admin is unchanged with no
    /// handover pending, FSD's signer keeps its window, FSD is active with its signers and fingerprint.
    function invariant_governanceUnchangedByOthers() public view {
        assertEq(registry.defaultAdmin(), admin, "defaultAdmin");
        (address pending, uint48 schedule) = registry.pendingDefaultAdmin();
        assertEq(pending, address(0), "pendingDefaultAdmin");
        assertEq(schedule, 0, "pendingDefaultAdmin schedule");
        IRegistry.SignerView memory s = registry.signerRecord(fsdSigner);
        assertEq(s.validFrom, fsdSignerBefore.validFrom, "FSD signer validFrom");
        assertEq(s.validUntil, fsdSignerBefore.validUntil, "FSD signer validUntil");
        IRegistry.IssuerView memory fsd = registry.issuer(FSD_ID);
        assertTrue(fsd.active, "FSD active");
        assertEq(fsd.stoppedAt, 0, "FSD not stopped");
        assertEq(fsd.signers.length, 3, "FSD signers");
        assertTrue(registry.isSigningCertificate(FSD_ID, FSD_FP), "FSD fingerprint registered");
    }

    /// @notice The calls that are allowed really happen: CSB's namespace, read through a CSB root, and the
    /// pool's CSB and fresh batches follow the handler's model of the status rules.
    function invariant_csbNamespaceFollowsModel() public view {
        bytes32[] memory leaves = handler.leafPool();
        for (uint256 l = 0; l < leaves.length; ++l) {
            IRegistry.CertificateStatus memory s = registry.certificateStatus(CSB_ID, csbRoots[0], leaves[l], 0);
            RegistryHandler.LeafModel memory m = handler.csbLeaf(leaves[l]);
            assertEq(uint8(s.leafStatus), uint8(m.status), "CSB leafStatus");
            assertEq(s.leafReason, m.reason, "CSB leafReason");
            assertEq(s.leafChangedAt, m.changedAt, "CSB leafChangedAt");
            assertEq(s.successor, m.successor, "CSB successor");
        }
        bytes32[] memory roots = handler.rootPool();
        for (uint256 r = 0; r < roots.length; ++r) {
            RegistryHandler.RootModel memory m = handler.rootModel(roots[r]);
            IRegistry.CertificateStatus memory s = registry.certificateStatus(CSB_ID, roots[r], 0, 0);
            // Not anchored by CSB: the view names whoever did (FSD for FSD's roots), never CSB.
            if (!m.anchored) {
                assertTrue(!s.anchored || s.issuerId != CSB_ID, "root not anchored by CSB");
                assertEq(s.anchored, m.isFsd, "root anchored by FSD only");
                continue;
            }
            assertEq(s.issuerId, CSB_ID, "root issuer");
            assertEq(s.batchRevoked, m.batchRevoked, "batchRevoked");
            assertEq(s.batchRevocationReason, m.batchReason, "batchRevocationReason");
            assertEq(s.batchRevokedAt, m.batchRevokedAt, "batchRevokedAt");
        }
    }

    /// @notice Every call succeeded or reverted exactly as the access rules say (a revert inside the handler
    /// does not fail the run by itself, since `failOnRevert` is false).
    function invariant_everyCallOutcomeAsExpected() public view {
        if (handler.surprises() != 0) {
            string memory count = vm.toString(handler.surprises());
            fail(string.concat(count, " unexpected outcome(s); first: ", handler.firstSurprise()));
        }
    }

    function _pool() internal view returns (bytes32[] memory pool) {
        pool = new bytes32[](leafPool.length + 1); // plus the zero leaf
        for (uint256 i = 0; i < leafPool.length; ++i) pool[i] = leafPool[i];
    }
}
