// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Registry} from "../../../contracts/Registry.sol";
import {IRegistry} from "../../../contracts/IRegistry.sol";
import {TestBase} from "./TestBase.sol";

/// @notice Invariant-test handler: every public non-view function is one random call to the registry, made
/// by one of a fixed set of actors, none of which may act for FSD:
/// - the CSB signer (valid throughout: it really changes statuses, in CSB's namespace),
/// - an outsider that was never a signer,
/// - FSD signers outside their window: one cut off, one whose window starts in fifty years,
/// - the admin, which may act anywhere and is therefore only ever pointed at CSB.
/// Leaves and roots are drawn from small pools shared with FSD's certificates, so that every call aims at
/// digests and batches FSD has anchored. The handler keeps a model of CSB's namespace and of the pool's
/// batches; a call whose outcome (success or revert) differs from the model is recorded as a surprise,
/// because with `failOnRevert: false` a revert in the handler would go unnoticed.
contract RegistryHandler is TestBase {
    struct LeafModel {
        IRegistry.LeafStatus status;
        uint8 reason;
        uint64 changedAt;
        bytes32 successor;
    }

    /// @dev A root of the pool in CSB's namespace (`anchored`: CSB anchored it); `isFsd`: FSD anchored it
    /// before the run (CSB may anchor the same root: anchors are keyed by issuer).
    struct RootModel {
        bool anchored;
        bool isFsd;
        bool batchRevoked;
        uint8 batchReason;
        uint64 batchRevokedAt;
    }

    uint256 internal constant MAX_STEP = 30 days;

    Registry public immutable registry;
    bytes32 public immutable csbId;
    bytes32 public immutable fsdId;
    bytes32 public immutable fsdFingerprint;
    address public immutable admin;
    address public immutable csbSigner;

    address[] internal _actors;
    bytes32[] internal _leaves;
    bytes32[] internal _roots;

    mapping(bytes32 leaf => LeafModel) internal _csbLeaves;
    mapping(bytes32 root => RootModel) internal _rootModel;

    /// @notice The time every call runs at (set again before each call, so warps do not depend on the runner).
    uint256 public currentTime;
    /// @notice Number of calls whose outcome differed from the model, and a description of the first.
    uint256 public surprises;
    string public firstSurprise;
    /// @notice Calls that changed state, and calls that were (rightly) refused.
    uint256 public successfulCalls;
    uint256 public refusedCalls;

    constructor(
        Registry registry_,
        bytes32 csbId_,
        bytes32 fsdId_,
        bytes32 fsdFingerprint_,
        address admin_,
        address csbSigner_,
        address[] memory otherActors,
        bytes32[] memory leaves,
        bytes32[] memory fsdRoots,
        bytes32[] memory csbRoots,
        bytes32[] memory freshRoots
    ) {
        registry = registry_;
        csbId = csbId_;
        fsdId = fsdId_;
        fsdFingerprint = fsdFingerprint_;
        admin = admin_;
        csbSigner = csbSigner_;
        currentTime = block.timestamp;
        _actors.push(csbSigner_);
        for (uint256 i = 0; i < otherActors.length; ++i) _actors.push(otherActors[i]);
        _actors.push(admin_);
        for (uint256 i = 0; i < leaves.length; ++i) _leaves.push(leaves[i]);
        _leaves.push(bytes32(0));
        for (uint256 i = 0; i < fsdRoots.length; ++i) {
            _roots.push(fsdRoots[i]);
            _rootModel[fsdRoots[i]] = RootModel(false, true, false, 0, 0);
        }
        for (uint256 i = 0; i < csbRoots.length; ++i) {
            _roots.push(csbRoots[i]);
            _rootModel[csbRoots[i]] = RootModel(true, false, false, 0, 0);
        }
        for (uint256 i = 0; i < freshRoots.length; ++i) _roots.push(freshRoots[i]);
        _roots.push(bytes32(0));
    }

    // ---------------------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------------------

    function warp(uint256 seconds_) external {
        currentTime += bound(seconds_, 0, MAX_STEP);
    }

    function anchor(uint256 actorSeed, uint256 rootSeed, uint256 count) external {
        address actor = _actor(actorSeed);
        bytes32 root = _root(rootSeed);
        uint32 n = uint32(bound(count, 0, 20_000));
        bool expectOk = actor == csbSigner && root != bytes32(0) && n != 0 && !_rootModel[root].anchored;
        _before(actor);
        try registry.anchor(root, n) {
            if (expectOk) _rootModel[root].anchored = true;
            _check(true, expectOk, "anchor", actor);
        } catch {
            _check(false, expectOk, "anchor", actor);
        }
    }

    function revokeBatch(uint256 actorSeed, uint256 rootSeed, uint8 reason) external {
        address actor = _actor(actorSeed);
        bytes32 root = _root(rootSeed);
        RootModel storage m = _rootModel[root];
        // Only in the caller's own namespace: CSB's, whether or not FSD anchored the same root.
        bool expectOk = actor == csbSigner && m.anchored && !m.batchRevoked;
        _before(actor);
        try registry.revokeBatch(root, reason) {
            if (expectOk) {
                m.batchRevoked = true;
                m.batchReason = reason;
                m.batchRevokedAt = uint64(currentTime);
            }
            _check(true, expectOk, "revokeBatch", actor);
        } catch {
            _check(false, expectOk, "revokeBatch", actor);
        }
    }

    function revokeBatchFor(uint256 actorSeed, uint256 issuerSeed, uint256 rootSeed, uint8 reason) external {
        address actor = _actor(actorSeed);
        bytes32 issuerId = _issuerFor(actor, issuerSeed);
        bytes32 root = _root(rootSeed);
        RootModel storage m = _rootModel[root];
        bool expectOk = actor == admin && m.anchored && !m.batchRevoked;
        _before(actor);
        try registry.revokeBatchFor(issuerId, root, reason) {
            if (expectOk) {
                m.batchRevoked = true;
                m.batchReason = reason;
                m.batchRevokedAt = uint64(currentTime);
            }
            _check(true, expectOk, "revokeBatchFor", actor);
        } catch {
            _check(false, expectOk, "revokeBatchFor", actor);
        }
    }

    function revoke(uint256 actorSeed, uint256 leafSeed, uint8 reason) external {
        address actor = _actor(actorSeed);
        bytes32 leaf = _leaf(leafSeed);
        bool expectOk = actor == csbSigner && _canRevoke(leaf);
        _before(actor);
        try registry.revoke(leaf, reason) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Revoked, reason, bytes32(0));
            _check(true, expectOk, "revoke", actor);
        } catch {
            _check(false, expectOk, "revoke", actor);
        }
    }

    function suspend(uint256 actorSeed, uint256 leafSeed, uint8 reason) external {
        address actor = _actor(actorSeed);
        bytes32 leaf = _leaf(leafSeed);
        bool expectOk = actor == csbSigner && _canSuspend(leaf);
        _before(actor);
        try registry.suspend(leaf, reason) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Suspended, reason, bytes32(0));
            _check(true, expectOk, "suspend", actor);
        } catch {
            _check(false, expectOk, "suspend", actor);
        }
    }

    function reinstate(uint256 actorSeed, uint256 leafSeed) external {
        address actor = _actor(actorSeed);
        bytes32 leaf = _leaf(leafSeed);
        bool expectOk = actor == csbSigner && _canReinstate(leaf);
        _before(actor);
        try registry.reinstate(leaf) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Valid, 0, bytes32(0));
            _check(true, expectOk, "reinstate", actor);
        } catch {
            _check(false, expectOk, "reinstate", actor);
        }
    }

    function supersede(uint256 actorSeed, uint256 leafSeed, uint256 successorSeed) external {
        address actor = _actor(actorSeed);
        bytes32 leaf = _leaf(leafSeed);
        bytes32 successor = _leaf(successorSeed);
        bool expectOk = actor == csbSigner && _canSupersede(leaf, successor);
        _before(actor);
        try registry.supersede(leaf, successor) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Superseded, 0, successor);
            _check(true, expectOk, "supersede", actor);
        } catch {
            _check(false, expectOk, "supersede", actor);
        }
    }

    function revokeFor(uint256 actorSeed, uint256 issuerSeed, uint256 leafSeed, uint8 reason) external {
        address actor = _actor(actorSeed);
        bytes32 issuerId = _issuerFor(actor, issuerSeed);
        bytes32 leaf = _leaf(leafSeed);
        bool expectOk = actor == admin && _canRevoke(leaf);
        _before(actor);
        try registry.revokeFor(issuerId, leaf, reason) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Revoked, reason, bytes32(0));
            _check(true, expectOk, "revokeFor", actor);
        } catch {
            _check(false, expectOk, "revokeFor", actor);
        }
    }

    function suspendFor(uint256 actorSeed, uint256 issuerSeed, uint256 leafSeed, uint8 reason) external {
        address actor = _actor(actorSeed);
        bytes32 issuerId = _issuerFor(actor, issuerSeed);
        bytes32 leaf = _leaf(leafSeed);
        bool expectOk = actor == admin && _canSuspend(leaf);
        _before(actor);
        try registry.suspendFor(issuerId, leaf, reason) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Suspended, reason, bytes32(0));
            _check(true, expectOk, "suspendFor", actor);
        } catch {
            _check(false, expectOk, "suspendFor", actor);
        }
    }

    function reinstateFor(uint256 actorSeed, uint256 issuerSeed, uint256 leafSeed) external {
        address actor = _actor(actorSeed);
        bytes32 issuerId = _issuerFor(actor, issuerSeed);
        bytes32 leaf = _leaf(leafSeed);
        bool expectOk = actor == admin && _canReinstate(leaf);
        _before(actor);
        try registry.reinstateFor(issuerId, leaf) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Valid, 0, bytes32(0));
            _check(true, expectOk, "reinstateFor", actor);
        } catch {
            _check(false, expectOk, "reinstateFor", actor);
        }
    }

    function supersedeFor(uint256 actorSeed, uint256 issuerSeed, uint256 leafSeed, uint256 successorSeed) external {
        address actor = _actor(actorSeed);
        bytes32 issuerId = _issuerFor(actor, issuerSeed);
        bytes32 leaf = _leaf(leafSeed);
        bytes32 successor = _leaf(successorSeed);
        bool expectOk = actor == admin && _canSupersede(leaf, successor);
        _before(actor);
        try registry.supersedeFor(issuerId, leaf, successor) {
            if (expectOk) _setCsb(leaf, IRegistry.LeafStatus.Superseded, 0, successor);
            _check(true, expectOk, "supersedeFor", actor);
        } catch {
            _check(false, expectOk, "supersedeFor", actor);
        }
    }

    /// @notice A non-admin tries one of the governance calls that would let it act for FSD, or stop FSD's
    /// roots from verifying: all must be refused.
    function governanceAttempt(uint256 actorSeed, uint256 op, uint64 at) external {
        address actor = _nonAdmin(actorSeed);
        op = bound(op, 0, 9);
        bytes memory data;
        if (op == 0) data = abi.encodeCall(registry.addSigner, (fsdId, actor, 0, type(uint64).max));
        else if (op == 1) data = abi.encodeCall(registry.cutOffSigner, (registry.issuer(fsdId).signers[0], at));
        else if (op == 2) data = abi.encodeCall(registry.setIssuerActive, (fsdId, false));
        else if (op == 3) data = abi.encodeCall(registry.stopIssuer, (fsdId));
        else if (op == 4) data = abi.encodeCall(registry.removeSigningCertificate, (fsdId, fsdFingerprint));
        else if (op == 5) data = abi.encodeCall(registry.updateIssuer, (fsdId, "x", "x", "x"));
        else if (op == 6) data = abi.encodeCall(registry.grantRole, (bytes32(0), actor));
        else if (op == 7) data = abi.encodeCall(registry.beginDefaultAdminTransfer, (actor));
        else if (op == 8) data = abi.encodeCall(registry.acceptDefaultAdminTransfer, ());
        else data = abi.encodeCall(registry.registerIssuer, (keccak256(abi.encode(actor)), "x", "x", "x", "fp"));
        _before(actor); // after the view call above, which would otherwise consume the prank
        (bool ok,) = address(registry).call(data);
        _check(ok, false, "governanceAttempt", actor);
    }

    // ---------------------------------------------------------------------------------------------
    // Views for the invariants
    // ---------------------------------------------------------------------------------------------

    function leafPool() external view returns (bytes32[] memory) {
        return _leaves;
    }

    function rootPool() external view returns (bytes32[] memory) {
        return _roots;
    }

    function csbLeaf(bytes32 leaf) external view returns (LeafModel memory) {
        return _csbLeaves[leaf];
    }

    function rootModel(bytes32 root) external view returns (RootModel memory) {
        return _rootModel[root];
    }

    // ---------------------------------------------------------------------------------------------
    // Internal
    // ---------------------------------------------------------------------------------------------

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[bound(seed, 0, _actors.length - 1)];
    }

    function _nonAdmin(uint256 seed) internal view returns (address) {
        return _actors[bound(seed, 0, _actors.length - 2)]; // the admin is last
    }

    function _leaf(uint256 seed) internal view returns (bytes32) {
        return _leaves[bound(seed, 0, _leaves.length - 1)];
    }

    function _root(uint256 seed) internal view returns (bytes32) {
        return _roots[bound(seed, 0, _roots.length - 1)];
    }

    /// @dev Non-admins aim at FSD, CSB or an unknown issuer; the admin only at CSB.
    function _issuerFor(address actor, uint256 seed) internal view returns (bytes32) {
        if (actor == admin) return csbId;
        uint256 k = bound(seed, 0, 2);
        return k == 0 ? fsdId : k == 1 ? csbId : keccak256("hk.gov.unknown");
    }

    function _canRevoke(bytes32 leaf) internal view returns (bool) {
        IRegistry.LeafStatus s = _csbLeaves[leaf].status;
        return leaf != bytes32(0) && s != IRegistry.LeafStatus.Revoked && s != IRegistry.LeafStatus.Superseded;
    }

    function _canSuspend(bytes32 leaf) internal view returns (bool) {
        return leaf != bytes32(0) && _csbLeaves[leaf].status == IRegistry.LeafStatus.Valid;
    }

    function _canReinstate(bytes32 leaf) internal view returns (bool) {
        return leaf != bytes32(0) && _csbLeaves[leaf].status == IRegistry.LeafStatus.Suspended;
    }

    function _canSupersede(bytes32 leaf, bytes32 successor) internal view returns (bool) {
        return _canRevoke(leaf) && successor != bytes32(0) && successor != leaf;
    }

    function _setCsb(bytes32 leaf, IRegistry.LeafStatus status, uint8 reason, bytes32 successor) internal {
        LeafModel storage m = _csbLeaves[leaf];
        m.status = status;
        m.reason = reason;
        m.changedAt = uint64(currentTime);
        if (status == IRegistry.LeafStatus.Superseded) m.successor = successor;
    }

    function _before(address actor) internal {
        vm.warp(currentTime);
        vm.prank(actor);
    }

    function _check(bool succeeded, bool expected, string memory what, address actor) internal {
        if (succeeded) ++successfulCalls;
        else ++refusedCalls;
        if (succeeded == expected) return;
        if (surprises++ == 0) {
            firstSurprise = string.concat(
                what,
                " by ",
                vm.toString(actor),
                succeeded ? " succeeded, expected a revert" : " reverted, expected success"
            );
        }
    }
}
