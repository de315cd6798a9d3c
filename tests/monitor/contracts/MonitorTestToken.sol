// SPDX-License-Identifier: MIT
// A plain ERC-721 with per-token URIs, for `nit monitor scan nft://...` tests only:
// any ERC-721 that answers tokenURI and ownerOf is what monitor reads.
pragma solidity ^0.8.20;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

contract MonitorTestToken is ERC721URIStorage {
    constructor() ERC721("nit monitor test token", "NMT") {}

    function mint(address to, uint256 tokenId, string calldata uri) external {
        _mint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }
}
