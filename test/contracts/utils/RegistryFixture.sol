// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Registry} from "../../../contracts/Registry.sol";
import {IRegistry} from "../../../contracts/IRegistry.sol";
import {TestBase} from "./TestBase.sol";

/// @notice A registry with two admitted departments, the Civil Service Bureau (CSB) and the Fire Services
/// Department (FSD), each with one signer valid for ten years from `START`.
abstract contract RegistryFixture is TestBase {
    /// @dev 2025-06-15T15:06:40Z: a realistic chain time.
    uint256 internal constant START = 1_750_000_000;
    uint64 internal constant TEN_YEARS = 10 * 365 days;
    /// @dev Largest time the fuzz tests warp to: the year 2200, far below the registry's uint40 limit.
    uint256 internal constant LAST_TIME = 7_258_118_400;

    bytes32 internal constant CSB_ID = keccak256("hk.gov.csb");
    bytes32 internal constant FSD_ID = keccak256("hk.gov.fsd");
    bytes32 internal constant UNKNOWN_ID = keccak256("hk.gov.unknown");
    bytes32 internal constant CSB_FP = keccak256("CSB PDF-signing certificate");
    bytes32 internal constant FSD_FP = keccak256("FSD PDF-signing certificate");
    bytes32 internal constant DEFAULT_ADMIN_ROLE = bytes32(0);

    Registry internal registry;
    address internal admin;
    address internal csbSigner;
    address internal fsdSigner;
    address internal outsider;

    function _deployFixture() internal {
        vm.warp(START);
        admin = makeAddr("admin");
        csbSigner = makeAddr("csbSigner");
        fsdSigner = makeAddr("fsdSigner");
        outsider = makeAddr("outsider");
        registry = new Registry(3 days, admin);
        vm.startPrank(admin);
        registry.registerIssuer(CSB_ID, "Civil Service Bureau", unicode"公務員事務局", "csb.gov.hk", CSB_FP);
        registry.registerIssuer(FSD_ID, "Fire Services Department", unicode"消防處", "hkfsd.gov.hk", FSD_FP);
        registry.addSigner(CSB_ID, csbSigner, uint64(START), uint64(START) + TEN_YEARS);
        registry.addSigner(FSD_ID, fsdSigner, uint64(START), uint64(START) + TEN_YEARS);
        vm.stopPrank();
    }

    function _anchor(address signer_, bytes32 root, uint32 count) internal {
        vm.prank(signer_);
        registry.anchor(root, count);
    }

    /// @dev The status under whichever issuer anchored `root` (the zero issuer id is no issuer: the view
    /// reports the first that did); for roots only one issuer anchored.
    function _status(bytes32 root, bytes32 leaf) internal view returns (IRegistry.CertificateStatus memory) {
        return registry.certificateStatus(bytes32(0), root, leaf, bytes32(0));
    }

    function _status(bytes32 issuerId, bytes32 root, bytes32 leaf)
        internal
        view
        returns (IRegistry.CertificateStatus memory)
    {
        return registry.certificateStatus(issuerId, root, leaf, bytes32(0));
    }
}
