// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Registry} from "../../../contracts/Registry.sol";
import {IRegistry} from "../../../contracts/IRegistry.sol";
import {TestBase} from "./TestBase.sol";

/// @notice Invariant-test handler for cut-offs: random status changes on a small pool of CSB leaves and one CSB
/// batch, by CSB's signers (two of which the admin may cut off at any time, from any time in the past) and by
/// the admin (`...For`, restores), with random warps. It keeps the log of every change that succeeded (who, when,
/// what) and derives the expected status from it alone: the latest change whose maker is the admin or whose
/// maker's window (as the registry now holds it) covers the change's time, else valid. That is the rule
/// "a change a signer made at or after its cut-off affects no verdict", stated without the registry's packed
/// words and history. The expected outcome of every call (success or revert) follows from the same status.
contract CutOffHandler is TestBase {
    struct Change {
        address maker; // zero: the admin
        uint64 at;
        IRegistry.LeafStatus status;
        uint8 reason;
        bytes32 successor;
    }

    struct BatchChange {
        address maker;
        uint64 at;
        bool revoked;
        uint8 reason;
    }

    uint256 internal constant MAX_STEP = 3 days;

    Registry public immutable registry;
    bytes32 public immutable csbId;
    bytes32 public immutable root;
    address public immutable admin;

    address[] internal _signers;
    bytes32[] internal _leaves;
    mapping(bytes32 leaf => Change[]) internal _log;
    BatchChange[] internal _batchLog;

    uint256 public currentTime;
    uint256 public surprises;
    string public firstSurprise;
    uint256 public successfulCalls;
    uint256 public cutOffs;

    constructor(Registry registry_, bytes32 csbId_, bytes32 root_, address admin_, address[] memory signers_, bytes32[] memory leaves_) {
        registry = registry_;
        csbId = csbId_;
        root = root_;
        admin = admin_;
        currentTime = block.timestamp;
        for (uint256 i = 0; i < signers_.length; ++i) _signers.push(signers_[i]);
        for (uint256 i = 0; i < leaves_.length; ++i) _leaves.push(leaves_[i]);
    }

    // ---------------------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------------------

    function warp(uint256 seconds_) external {
        currentTime += bound(seconds_, 1, MAX_STEP);
    }

    /// @notice The admin cuts a signer off from a time up to 10 days in the past (never the first signer, so
    /// that someone can always act; cut-offs that would not move the end earlier are refused, as expected).
    function cutOff(uint256 signerSeed, uint256 back) external {
        address signer = _signers[bound(signerSeed, 1, _signers.length - 1)];
        uint64 at = uint64(currentTime - bound(back, 0, 10 days));
        bool expectOk = at < registry.signerRecord(signer).validUntil;
        vm.warp(currentTime);
        vm.prank(admin);
        try registry.cutOffSigner(signer, at) {
            ++cutOffs;
            _check(true, expectOk, "cutOffSigner");
        } catch {
            _check(false, expectOk, "cutOffSigner");
        }
    }

    /// @dev One planned leaf call: its calldata, the change it makes and whether it should succeed.
    struct Plan {
        bytes data;
        IRegistry.LeafStatus next;
        uint8 reason;
        bytes32 successor;
        bool expectOk;
    }

    /// @notice One leaf change: op 0 revoke, 1 suspend, 2 reinstate, 3 supersede, 4 restore (admin only).
    function change(uint256 actorSeed, uint256 leafSeed, uint256 op, uint8 reason, uint256 successorSeed) external {
        bool byAdmin = bound(actorSeed, 0, _signers.length) == _signers.length;
        address actor = byAdmin ? admin : _signers[bound(actorSeed, 0, _signers.length - 1)];
        bytes32 leaf = _leaves[bound(leafSeed, 0, _leaves.length - 1)];
        Plan memory p = _plan(byAdmin, leaf, bound(op, 0, byAdmin ? 4 : 3), reason, keccak256(abi.encode("renewal", successorSeed % 3)));
        p.expectOk = p.expectOk && (byAdmin || _windowCovers(actor, currentTime));
        vm.warp(currentTime);
        vm.prank(actor);
        (bool ok,) = address(registry).call(p.data);
        if (ok) _log[leaf].push(Change(byAdmin ? address(0) : actor, uint64(currentTime), p.next, p.reason, p.successor));
        _check(ok, p.expectOk, "leaf change");
    }

    function _plan(bool byAdmin, bytes32 leaf, uint256 op, uint8 reason, bytes32 successor) internal view returns (Plan memory p) {
        IRegistry.LeafStatus current = expectedLeaf(leaf).status;
        bool final_ = current == IRegistry.LeafStatus.Revoked || current == IRegistry.LeafStatus.Superseded;
        p.reason = reason;
        if (op == 0) {
            (p.next, p.expectOk) = (IRegistry.LeafStatus.Revoked, !final_);
            p.data = byAdmin ? abi.encodeCall(registry.revokeFor, (csbId, leaf, reason)) : abi.encodeCall(registry.revoke, (leaf, reason));
        } else if (op == 1) {
            (p.next, p.expectOk) = (IRegistry.LeafStatus.Suspended, current == IRegistry.LeafStatus.Valid);
            p.data = byAdmin ? abi.encodeCall(registry.suspendFor, (csbId, leaf, reason)) : abi.encodeCall(registry.suspend, (leaf, reason));
        } else if (op == 2) {
            (p.next, p.expectOk, p.reason) = (IRegistry.LeafStatus.Valid, current == IRegistry.LeafStatus.Suspended, 0);
            p.data = byAdmin ? abi.encodeCall(registry.reinstateFor, (csbId, leaf)) : abi.encodeCall(registry.reinstate, (leaf));
        } else if (op == 3) {
            (p.next, p.expectOk, p.reason, p.successor) = (IRegistry.LeafStatus.Superseded, !final_, 0, successor);
            p.data = byAdmin
                ? abi.encodeCall(registry.supersedeFor, (csbId, leaf, successor))
                : abi.encodeCall(registry.supersede, (leaf, successor));
        } else {
            (p.next, p.expectOk) = (IRegistry.LeafStatus.Valid, current != IRegistry.LeafStatus.Valid);
            p.data = abi.encodeCall(registry.restoreCertificate, (csbId, leaf, reason));
        }
    }

    /// @notice Batch revocation (by a signer or the admin), or the admin's restore.
    function batch(uint256 actorSeed, bool restore, uint8 reason) external {
        bool byAdmin = bound(actorSeed, 0, _signers.length) == _signers.length;
        address actor = byAdmin ? admin : _signers[bound(actorSeed, 0, _signers.length - 1)];
        bool revoked = expectedBatch().revoked;
        bool expectOk;
        bytes memory data;
        if (restore && byAdmin) {
            expectOk = revoked;
            data = abi.encodeCall(registry.restoreBatch, (csbId, root, reason));
        } else {
            expectOk = !revoked && (byAdmin || _windowCovers(actor, currentTime));
            data = byAdmin ? abi.encodeCall(registry.revokeBatchFor, (csbId, root, reason)) : abi.encodeCall(registry.revokeBatch, (root, reason));
        }
        vm.warp(currentTime);
        vm.prank(actor);
        (bool ok,) = address(registry).call(data);
        if (ok) _batchLog.push(BatchChange(byAdmin ? address(0) : actor, uint64(currentTime), !(restore && byAdmin), reason));
        _check(ok, expectOk, restore && byAdmin ? "restoreBatch" : "revokeBatch");
    }

    // ---------------------------------------------------------------------------------------------
    // The model
    // ---------------------------------------------------------------------------------------------

    /// @notice The latest logged change of `leaf` that counts, or an all-zero (valid) one.
    function expectedLeaf(bytes32 leaf) public view returns (Change memory none) {
        Change[] storage log = _log[leaf];
        for (uint256 k = log.length; k > 0; --k) {
            Change storage c = log[k - 1];
            if (c.maker == address(0) || _windowCovers(c.maker, c.at)) return c;
        }
        return none;
    }

    /// @notice The latest logged batch change that counts (a restore counts as not revoked).
    function expectedBatch() public view returns (BatchChange memory none) {
        for (uint256 k = _batchLog.length; k > 0; --k) {
            BatchChange storage c = _batchLog[k - 1];
            if (c.maker == address(0) || _windowCovers(c.maker, c.at)) return c;
        }
        return none;
    }

    function leafPool() external view returns (bytes32[] memory) {
        return _leaves;
    }

    /// @notice How many logged changes no longer count (made at or after their signer's cut-off).
    function voidedChanges() external view returns (uint256 count) {
        for (uint256 l = 0; l < _leaves.length; ++l) {
            Change[] storage log = _log[_leaves[l]];
            for (uint256 k = 0; k < log.length; ++k) {
                if (log[k].maker != address(0) && !_windowCovers(log[k].maker, log[k].at)) ++count;
            }
        }
    }

    function _windowCovers(address signer, uint256 at) internal view returns (bool) {
        IRegistry.SignerView memory s = registry.signerRecord(signer);
        return s.validFrom <= at && at < s.validUntil;
    }

    function _check(bool succeeded, bool expected, string memory what) internal {
        if (succeeded) ++successfulCalls;
        if (succeeded == expected) return;
        if (surprises++ == 0) {
            firstSurprise = string.concat(what, succeeded ? " succeeded, expected a revert" : " reverted, expected success");
        }
    }
}
