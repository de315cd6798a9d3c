// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Licenses} from "../Licenses.sol";

/// @title ReentrantPayee (tests only)
/// @notice A payee contract that, when Licenses pays it on withdraw, tries to
///         withdraw again and to buy a licence from inside the payment. The tests
///         check both re-entries fail while the outer withdraw pays exactly once.
contract ReentrantPayee {
    Licenses public immutable licenses;
    uint256 public offerToBuy;
    uint256 public received;
    uint256 public payments;
    bool public reentryWithdrawSucceeded;
    bool public reentryBuySucceeded;
    bytes public reentryError;
    /// When set, the payee refuses payments (receive reverts): withdraw must revert
    /// and keep the balance owed.
    bool public refuse;

    constructor(Licenses licenses_) {
        licenses = licenses_;
    }

    function setOfferToBuy(uint256 offerId) external {
        offerToBuy = offerId;
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    function withdraw() external {
        licenses.withdraw();
    }

    receive() external payable {
        require(!refuse, "payee refuses payments");
        payments += 1;
        received += msg.value;
        try licenses.withdraw() {
            reentryWithdrawSucceeded = true;
        } catch (bytes memory reason) {
            reentryError = reason;
        }
        if (offerToBuy != 0) {
            try licenses.buy{value: 0}(offerToBuy) {
                reentryBuySucceeded = true;
            } catch {}
        }
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return this.onERC1155Received.selector;
    }
}
