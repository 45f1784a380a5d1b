// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm, VM} from "./Vm.sol";

/// @notice Cheatcodes, `bound` and assertions for the Solidity tests (there is no forge-std `Test` here).
/// Assertions revert with a message, which fails the test.
abstract contract TestBase {
    Vm internal constant vm = VM;

    /// @dev Clamps `x` into `[min, max]`: values already inside are kept (so the fuzzer's edge values such as
    /// `min` and `max` survive), others are wrapped.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1; // cannot overflow: [0, type(uint256).max] keeps every x above
        return min + (x % size);
    }

    function fail(string memory message) internal pure {
        revert(string.concat("assertion failed: ", message));
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) fail(message);
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": got ", vm.toString(actual), ", expected ", vm.toString(expected)));
        }
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": got ", vm.toString(actual), ", expected ", vm.toString(expected)));
        }
    }

    function assertEq(address actual, address expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": got ", vm.toString(actual), ", expected ", vm.toString(expected)));
        }
    }

    function assertEq(bool actual, bool expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": got ", _str(actual), ", expected ", _str(expected)));
        }
    }

    function _str(bool value) private pure returns (string memory) {
        return value ? "true" : "false";
    }

    /// @dev A deterministic address for a name, far from precompiles and the cheatcode address.
    function makeAddr(string memory name) internal returns (address account) {
        account = address(uint160(uint256(keccak256(abi.encodePacked("hk-ecert test account ", name)))));
        vm.label(account, name);
    }
}
