// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Licenses} from "../Licenses.sol";

/// @title ReentrantBuyer (tests only)
/// @notice Buys a licence; from the ERC-1155 receive hook it tries to buy again and
///         to withdraw. The tests check both re-entries fail and one licence is sold.
contract ReentrantBuyer {
    Licenses public immutable licenses;
    uint256 public hookCalls;
    bool public reentryBuySucceeded;
    bool public reentryWithdrawSucceeded;
    bytes public reentryError;

    constructor(Licenses licenses_) {
        licenses = licenses_;
    }

    function buy(uint256 offerId) external payable {
        licenses.buy{value: msg.value}(offerId);
    }

    function onERC1155Received(address, address, uint256 id, uint256, bytes calldata)
        external
        returns (bytes4)
    {
        hookCalls += 1;
        (, uint96 price,,,,,,) = _offer(id);
        try licenses.buy{value: price}(id) {
            reentryBuySucceeded = true;
        } catch (bytes memory reason) {
            reentryError = reason;
        }
        try licenses.withdraw() {
            reentryWithdrawSucceeded = true;
        } catch {}
        return this.onERC1155Received.selector;
    }

    function _offer(uint256 id)
        private
        view
        returns (uint256, uint96, uint64, uint32, uint32, uint8, bool, string memory)
    {
        Licenses.Offer memory o = licenses.offer(id);
        return (o.asset, o.price, o.expiry, o.supply, o.sold, o.uses, o.closed, o.terms);
    }

    receive() external payable {}
}
