// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title VotesToken (tests only)
/// @notice The voting token of the test DAO: OpenZeppelin ERC20Votes, the whole
///         supply minted to the deployer, who hands it out.
contract VotesToken is ERC20, ERC20Permit, ERC20Votes {
    constructor(uint256 supply) ERC20("nit DAO vote", "NITV") ERC20Permit("nit DAO vote") {
        _mint(msg.sender, supply);
    }

    function _update(address from, address to, uint256 value)
        internal
        override(ERC20, ERC20Votes)
    {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
