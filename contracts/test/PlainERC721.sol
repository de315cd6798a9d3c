// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title PlainERC721 (benchmarks only)
/// @notice The anchor of bench/bench_market_gas.py: OpenZeppelin's ERC-721 with an
///         open mint and nothing else, so Custody's mint can be compared with the
///         cost of a bare ERC-721 mint measured in the same run.
contract PlainERC721 is ERC721 {
    constructor() ERC721("plain", "PLAIN") {}

    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
