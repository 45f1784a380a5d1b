// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IRegistry} from "../../contracts/IRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

/// @notice Fuzz tests of the registry's authorisation rules: issuer namespaces, signer windows and cut-offs,
/// one anchor per root, and no anchoring by accounts that are not signers.
contract RegistryFuzzTest is RegistryFixture {
    bytes32 internal constant FSD_ROOT = keccak256("FSD batch 2025-06");
    bytes32 internal constant CSB_ROOT = keccak256("CSB batch 2025-06");

    function setUp() public {
        _deployFixture();
        vm.warp(START + 1 hours);
        _anchor(fsdSigner, FSD_ROOT, 1_000);
        _anchor(csbSigner, CSB_ROOT, 500);
    }

    // ---------------------------------------------------------------------------------------------
    // One issuer can never change another issuer's certificates
    // ---------------------------------------------------------------------------------------------

    /// @dev CSB revokes a digest that FSD also issued: the revocation lands in CSB's namespace only, whatever
    /// FSD had done to that leaf before.
    function testFuzz_otherIssuerCannotRevoke(bytes32 leaf, uint8 reason, uint256 fsdPreset, uint256 delay)
        public
    {
        IRegistry.CertificateStatus memory fsdBefore = _presetFsdLeaf(leaf, fsdPreset);
        vm.warp(block.timestamp + bound(delay, 0, 365 days));

        if (leaf == bytes32(0)) vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryZeroLeaf.selector));
        vm.prank(csbSigner);
        registry.revoke(leaf, reason);

        _assertSameStatus(_status(FSD_ROOT, leaf), fsdBefore, "FSD leaf after CSB revoke");
        if (leaf != bytes32(0)) {
            IRegistry.CertificateStatus memory csb = _status(CSB_ROOT, leaf);
            assertEq(uint8(csb.leafStatus), uint8(IRegistry.LeafStatus.Revoked), "CSB's own leaf revoked");
            assertEq(csb.leafReason, reason, "CSB's revocation reason");
        }
    }

    function testFuzz_otherIssuerCannotSuspend(bytes32 leaf, uint8 reason, uint256 fsdPreset, uint256 delay)
        public
    {
        IRegistry.CertificateStatus memory fsdBefore = _presetFsdLeaf(leaf, fsdPreset);
        vm.warp(block.timestamp + bound(delay, 0, 365 days));

        if (leaf == bytes32(0)) vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryZeroLeaf.selector));
        vm.prank(csbSigner);
        registry.suspend(leaf, reason);

        _assertSameStatus(_status(FSD_ROOT, leaf), fsdBefore, "FSD leaf after CSB suspend");
        if (leaf != bytes32(0)) {
            IRegistry.CertificateStatus memory csb = _status(CSB_ROOT, leaf);
            assertEq(uint8(csb.leafStatus), uint8(IRegistry.LeafStatus.Suspended), "CSB's own leaf suspended");
            assertEq(csb.leafReason, reason, "CSB's suspension reason");
        }
    }

    function testFuzz_otherIssuerCannotSupersede(bytes32 leaf, bytes32 successor, uint256 fsdPreset, uint256 delay)
        public
    {
        IRegistry.CertificateStatus memory fsdBefore = _presetFsdLeaf(leaf, fsdPreset);
        vm.warp(block.timestamp + bound(delay, 0, 365 days));

        bool ok = leaf != bytes32(0) && successor != bytes32(0) && successor != leaf;
        if (leaf == bytes32(0)) {
            vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryZeroLeaf.selector));
        } else if (!ok) {
            vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryInvalidSuccessor.selector, leaf, successor));
        }
        vm.prank(csbSigner);
        registry.supersede(leaf, successor);

        _assertSameStatus(_status(FSD_ROOT, leaf), fsdBefore, "FSD leaf after CSB supersede");
        if (ok) {
            IRegistry.CertificateStatus memory csb = _status(CSB_ROOT, leaf);
            assertEq(uint8(csb.leafStatus), uint8(IRegistry.LeafStatus.Superseded), "CSB's own leaf superseded");
            assertEq(csb.successor, successor, "CSB's successor");
        }
    }

    /// @dev CSB suspends and reinstates a digest in its namespace: an FSD suspension of it stays in force.
    function testFuzz_otherIssuerCannotReinstate(bytes32 leaf, uint8 reason, uint256 fsdPreset) public {
        vm.assume(leaf != bytes32(0));
        IRegistry.CertificateStatus memory fsdBefore = _presetFsdLeaf(leaf, fsdPreset);

        vm.startPrank(csbSigner);
        // Reinstating a leaf that is not suspended in CSB's own namespace fails, FSD's suspension or not.
        vm.expectRevert(
            abi.encodeWithSelector(IRegistry.RegistryInvalidTransition.selector, leaf, IRegistry.LeafStatus.Valid)
        );
        registry.reinstate(leaf);
        registry.suspend(leaf, reason);
        registry.reinstate(leaf);
        vm.stopPrank();

        _assertSameStatus(_status(FSD_ROOT, leaf), fsdBefore, "FSD leaf after CSB reinstate");
        assertEq(uint8(_status(CSB_ROOT, leaf).leafStatus), uint8(IRegistry.LeafStatus.Valid), "CSB's leaf reinstated");
    }

    /// @dev Batch revocation is confined to the caller's namespace: CSB can never revoke an FSD batch, whatever
    /// its root (it is not anchored in CSB's namespace).
    function testFuzz_otherIssuerCannotRevokeBatch(bytes32 root, uint32 count, uint8 reason) public {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        count = uint32(bound(count, 1, type(uint32).max));
        _anchor(fsdSigner, root, count);

        vm.prank(csbSigner);
        vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryRootNotAnchored.selector, CSB_ID, root));
        registry.revokeBatch(root, reason);
        assertFalse(_status(root, bytes32(0)).batchRevoked, "FSD batch still unrevoked");

        vm.prank(fsdSigner);
        registry.revokeBatch(root, reason);
        IRegistry.CertificateStatus memory s = _status(root, bytes32(0));
        assertTrue(s.batchRevoked, "FSD revokes its own batch");
        assertEq(s.batchRevocationReason, reason, "batch revocation reason");
    }

    /// @dev The admin's `...For` functions refuse every other caller, signers included.
    function testFuzz_nonAdminCannotActForAnIssuer(
        address caller,
        bytes32 leaf,
        uint8 reason,
        bytes32 successor,
        uint256 op,
        uint256 fsdPreset
    ) public {
        vm.assume(caller != admin);
        IRegistry.CertificateStatus memory fsdBefore = _presetFsdLeaf(leaf, fsdPreset);
        op = bound(op, 0, 3);

        vm.prank(caller);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, DEFAULT_ADMIN_ROLE)
        );
        if (op == 0) registry.revokeFor(FSD_ID, leaf, reason);
        else if (op == 1) registry.suspendFor(FSD_ID, leaf, reason);
        else if (op == 2) registry.reinstateFor(FSD_ID, leaf);
        else registry.supersedeFor(FSD_ID, leaf, successor);

        _assertSameStatus(_status(FSD_ROOT, leaf), fsdBefore, "FSD leaf after a non-admin ...For call");
    }

    // ---------------------------------------------------------------------------------------------
    // Signer windows and cut-offs
    // ---------------------------------------------------------------------------------------------

    /// @dev Whenever the admin cuts FSD's signer off at `cutOff` (before or after it does so), anchoring at or
    /// after `cutOff` is refused.
    function testFuzz_anchorAtOrAfterCutOffReverts(uint256 cutOff, uint256 cutAt, uint256 sinceCutOff, bytes32 root)
        public
    {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        cutOff = bound(cutOff, 0, START + TEN_YEARS - 1);
        uint256 earliest = cutOff > block.timestamp ? cutOff : block.timestamp;
        // An offset, so that the fuzzer's favourite 0 lands exactly on the cut-off.
        uint256 anchorAt = earliest + bound(sinceCutOff, 0, LAST_TIME - earliest);
        cutAt = bound(cutAt, block.timestamp, anchorAt);

        vm.warp(cutAt);
        vm.prank(admin);
        registry.cutOffSigner(fsdSigner, uint64(cutOff));

        vm.warp(anchorAt);
        vm.prank(fsdSigner);
        vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryUnauthorizedSigner.selector, fsdSigner));
        registry.anchor(root, 1);
        assertFalse(_status(root, bytes32(0)).anchored, "root not anchored");
    }

    /// @dev The other side of the cut-off: before it, inside the window, the signer still anchors.
    function testFuzz_anchorBeforeCutOffSucceeds(uint256 cutOff, uint256 beforeCutOff, bytes32 root) public {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        cutOff = bound(cutOff, block.timestamp + 1, START + TEN_YEARS - 1);
        uint256 anchorAt = cutOff - 1 - bound(beforeCutOff, 0, cutOff - 1 - block.timestamp);

        vm.prank(admin);
        registry.cutOffSigner(fsdSigner, uint64(cutOff));
        vm.warp(anchorAt);
        _anchor(fsdSigner, root, 7);

        IRegistry.CertificateStatus memory s = _status(root, bytes32(0));
        assertTrue(s.anchored, "anchored");
        assertTrue(s.signerValidAtAnchor, "signer valid at anchor");
        assertEq(s.anchoredAt, anchorAt, "anchoredAt");
    }

    /// @dev A root anchored before a cut-off stays `signerValidAtAnchor`, whenever the cut-off is made and
    /// whenever the root is read.
    function testFuzz_rootsAnchoredBeforeCutOffStayValid(
        uint256 anchorAt,
        uint256 afterAnchor,
        uint256 cutAt,
        uint256 readAt,
        bytes32 root
    ) public {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        anchorAt = bound(anchorAt, block.timestamp, START + TEN_YEARS - 2);
        uint256 cutOff = anchorAt + 1 + bound(afterAnchor, 0, START + TEN_YEARS - 2 - anchorAt);
        cutAt = bound(cutAt, anchorAt, LAST_TIME);
        readAt = bound(readAt, cutAt, LAST_TIME);

        vm.warp(anchorAt);
        _anchor(fsdSigner, root, 42);
        vm.warp(cutAt);
        vm.prank(admin);
        registry.cutOffSigner(fsdSigner, uint64(cutOff));
        vm.warp(readAt);

        IRegistry.CertificateStatus memory s = _status(root, bytes32(0));
        assertTrue(s.signerValidAtAnchor, "root anchored before the cut-off stays valid");
        assertEq(s.anchoredAt, anchorAt, "anchoredAt");
        assertEq(s.signer, fsdSigner, "signer");
        assertEq(s.issuerId, FSD_ID, "issuer");
    }

    /// @dev A retroactive cut-off at or before the anchor time invalidates the root.
    function testFuzz_cutOffAtOrBeforeAnchorInvalidatesRoot(
        uint256 anchorAt,
        uint256 beforeAnchor,
        uint256 cutAt,
        bytes32 root
    ) public {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        anchorAt = bound(anchorAt, block.timestamp, START + TEN_YEARS - 1);
        uint256 cutOff = anchorAt - bound(beforeAnchor, 0, anchorAt);
        cutAt = bound(cutAt, anchorAt, LAST_TIME);

        vm.warp(anchorAt);
        _anchor(fsdSigner, root, 42);
        vm.warp(cutAt);
        vm.prank(admin);
        registry.cutOffSigner(fsdSigner, uint64(cutOff));

        assertFalse(_status(root, bytes32(0)).signerValidAtAnchor, "root anchored at/after the cut-off is invalid");
    }

    /// @dev Stopping or deactivating an issuer cuts its signers off from now: earlier roots stay valid (a root
    /// anchored in the very second of the stop does not), the signer can no longer anchor, and the other
    /// issuer is untouched.
    function testFuzz_stopIssuerKeepsEarlierRoots(uint256 anchorAt, uint256 sinceAnchor, bool deactivate, bytes32 root)
        public
    {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        anchorAt = bound(anchorAt, block.timestamp, START + TEN_YEARS - 1);
        uint256 stopAt = anchorAt + bound(sinceAnchor, 0, LAST_TIME - anchorAt);

        vm.warp(anchorAt);
        _anchor(fsdSigner, root, 3);
        vm.warp(stopAt);
        vm.prank(admin);
        if (deactivate) registry.setIssuerActive(FSD_ID, false);
        else registry.stopIssuer(FSD_ID);

        bool valid = _status(root, bytes32(0)).signerValidAtAnchor;
        assertEq(valid, stopAt > anchorAt, "valid iff anchored before the stop");
        assertTrue(_status(CSB_ROOT, bytes32(0)).signerValidAtAnchor, "other issuer untouched");
        vm.prank(fsdSigner);
        vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryUnauthorizedSigner.selector, fsdSigner));
        registry.anchor(keccak256(abi.encode(root)), 3);
    }

    /// @dev Cut-offs only move a window's end earlier.
    function testFuzz_cutOffOnlyMovesEarlier(uint256 first, uint256 second) public {
        first = bound(first, 0, START + TEN_YEARS - 1);
        second = bound(second, 0, type(uint64).max);
        vm.startPrank(admin);
        registry.cutOffSigner(fsdSigner, uint64(first));
        if (second >= first) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRegistry.RegistryCutOffNotEarlier.selector, fsdSigner, uint64(second), uint64(first)
                )
            );
        }
        registry.cutOffSigner(fsdSigner, uint64(second));
        vm.stopPrank();
        assertEq(registry.signerRecord(fsdSigner).validUntil, second < first ? second : first, "validUntil");
    }

    /// @dev A signer whose window `[validFrom, validUntil)` does not cover now cannot anchor; inside it, it can.
    function testFuzz_signerAnchorsOnlyInsideItsWindow(
        uint256 validFrom,
        uint256 validUntil,
        uint256 anchorAt,
        uint256 edge
    ) public {
        validFrom = bound(validFrom, 1, LAST_TIME - 2);
        validUntil = bound(validUntil, validFrom + 1, LAST_TIME - 1);
        // Half the runs anchor on an edge of the window: one second before, first second, last second, end.
        edge = bound(edge, 0, 7);
        if (edge == 0) anchorAt = validFrom - 1;
        else if (edge == 1) anchorAt = validFrom;
        else if (edge == 2) anchorAt = validUntil - 1;
        else if (edge == 3) anchorAt = validUntil;
        else anchorAt = bound(anchorAt, 1, LAST_TIME);
        address late = makeAddr("lateSigner");
        vm.prank(admin);
        registry.addSigner(FSD_ID, late, uint64(validFrom), uint64(validUntil));

        vm.warp(anchorAt);
        bytes32 root = keccak256(abi.encode("window", validFrom, validUntil, anchorAt));
        bool inside = validFrom <= anchorAt && anchorAt < validUntil;
        if (!inside) vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryUnauthorizedSigner.selector, late));
        _anchor(late, root, 1);
        IRegistry.CertificateStatus memory s = _status(root, bytes32(0));
        assertEq(s.anchored, inside, "anchored exactly inside the window");
        assertEq(s.signerValidAtAnchor, inside, "signerValidAtAnchor");
    }

    // ---------------------------------------------------------------------------------------------
    // Anchoring
    // ---------------------------------------------------------------------------------------------

    /// @dev A root is anchored once per issuer: a second anchor by the same issuer, at any later time, even
    /// after the batch was revoked, reverts and leaves the first anchor record as it was; another issuer's
    /// anchor of the same root succeeds in its own namespace and leaves the first one untouched too.
    function testFuzz_anchorSameRootTwiceReverts(
        bytes32 root,
        uint32 count1,
        uint32 count2,
        uint256 secondSigner,
        uint256 delay,
        bool revokeFirst
    ) public {
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        count1 = uint32(bound(count1, 1, type(uint32).max));
        count2 = uint32(bound(count2, 1, type(uint32).max));
        _anchor(fsdSigner, root, count1);
        if (revokeFirst) {
            vm.prank(fsdSigner);
            registry.revokeBatch(root, 1);
        }
        IRegistry.CertificateStatus memory before = _status(root, bytes32(0));

        vm.warp(block.timestamp + bound(delay, 0, 5 * 365 days));
        bool sameIssuer = bound(secondSigner, 0, 1) == 0;
        vm.prank(sameIssuer ? fsdSigner : csbSigner);
        if (sameIssuer) vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryRootAlreadyAnchored.selector, root));
        registry.anchor(root, count2);

        _assertSameStatus(_status(FSD_ID, root, bytes32(0)), before, "FSD's anchor record after a second anchor");
        IRegistry.CertificateStatus memory csb = _status(CSB_ID, root, bytes32(0));
        assertEq(csb.issuerId, sameIssuer ? FSD_ID : CSB_ID, "CSB's view names the issuer that anchored");
        if (!sameIssuer) {
            assertEq(csb.certificateCount, count2, "CSB's own count");
            assertTrue(csb.signerValidAtAnchor && !csb.batchRevoked, "CSB's own anchor, unrevoked");
        }
    }

    /// @dev An account that was never added as a signer (the admin included) can never anchor, at any time.
    function testFuzz_unknownAccountCannotAnchor(address account, bytes32 root, uint32 count, uint256 time) public {
        vm.assume(account != csbSigner && account != fsdSigner);
        // A fresh non-zero root and a non-empty batch: the caller is the only thing wrong with this anchor.
        vm.assume(root != bytes32(0) && root != FSD_ROOT && root != CSB_ROOT);
        count = uint32(bound(count, 1, type(uint32).max));
        vm.warp(bound(time, 1, LAST_TIME));

        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(IRegistry.RegistryUnauthorizedSigner.selector, account));
        registry.anchor(root, count);
        assertFalse(_status(root, bytes32(0)).anchored, "root not anchored");
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    /// @dev FSD puts `leaf` in one of the four statuses (for a non-zero leaf); returns FSD's view of it.
    function _presetFsdLeaf(bytes32 leaf, uint256 preset) internal returns (IRegistry.CertificateStatus memory) {
        preset = bound(preset, 0, 3);
        if (leaf != bytes32(0) && preset != 0) {
            vm.prank(fsdSigner);
            if (preset == 1) registry.revoke(leaf, 11);
            else if (preset == 2) registry.suspend(leaf, 12);
            else registry.supersede(leaf, keccak256(abi.encode(leaf)));
        }
        IRegistry.CertificateStatus memory s = _status(FSD_ROOT, leaf);
        assertEq(uint8(s.leafStatus), preset == 0 || leaf == bytes32(0) ? 0 : preset, "FSD preset status");
        return s;
    }

    function _assertSameStatus(
        IRegistry.CertificateStatus memory actual,
        IRegistry.CertificateStatus memory expected,
        string memory context
    ) internal pure {
        assertEq(uint8(actual.leafStatus), uint8(expected.leafStatus), string.concat(context, ": leafStatus"));
        assertEq(actual.leafReason, expected.leafReason, string.concat(context, ": leafReason"));
        assertEq(actual.leafChangedAt, expected.leafChangedAt, string.concat(context, ": leafChangedAt"));
        assertEq(actual.successor, expected.successor, string.concat(context, ": successor"));
        assertEq(actual.batchRevoked, expected.batchRevoked, string.concat(context, ": batchRevoked"));
        assertEq(actual.issuerId, expected.issuerId, string.concat(context, ": issuerId"));
        assertEq(actual.signer, expected.signer, string.concat(context, ": signer"));
        assertTrue(
            keccak256(abi.encode(actual)) == keccak256(abi.encode(expected)), string.concat(context, ": other fields")
        );
    }
}
