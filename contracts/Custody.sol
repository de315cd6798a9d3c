// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Custody
/// @notice One ERC-721 token per registered asset (Nid): whoever holds it, or the
///         governor the holder appointed, sets the asset's governance rules. Used
///         by `nit mint` and `nit govern`; `Licenses` asks it who may sell licences.
/// @dev Glue over OpenZeppelin's ERC721, ERC2981, EIP712 and SignatureChecker.
///      - tokenId = uint256(keccak256(utf-8 Nid)): the same hash the
///        IntegrityRegister keys assets by, computable by anyone from the Nid.
///      - Minting needs the registering wallet's EIP-712 signature of
///        MintAuthorization(nid, recipient) under this contract's domain (name
///        "nit Custody", version "1", chain id, this address), so it cannot be
///        replayed for another recipient, contract or chain. Anyone may submit it.
///      - tokenURI is `ipfs://` + the CIDv1 (raw codec, sha2-256, base32) of the
///        token's metadata JSON, stored as its 32-byte digest (one slot).
///      - Rules (usage flags, royalty, governor) share one storage slot per token.
///      - Transferring the token clears the governor: control moves to the new holder.
contract Custody is ERC721, ERC2981, EIP712 {
    /// EIP-712 type of the registrant's consent to mint the custody token of `nid` to `recipient`.
    bytes32 public constant MINT_AUTHORIZATION_TYPEHASH =
        keccak256("MintAuthorization(string nid,address recipient)");

    /// Usage flags (bits of `usage`); licences can only grant uses the asset permits.
    uint8 public constant USE_COMMERCIAL = 1;
    uint8 public constant USE_AI_TRAINING = 2;
    uint8 public constant USE_DERIVATIVES = 4;
    uint8 public constant ALL_USES = 7;

    /// Royalties are in basis points of the sale price.
    uint16 public constant MAX_ROYALTY_BPS = 10_000;

    struct Rules {
        address governor; // address(0): the holder governs
        uint16 royaltyBps;
        uint8 usage;
    }

    mapping(uint256 tokenId => Rules) private _rules;
    mapping(uint256 tokenId => bytes32) private _metadataDigest;

    event CustodyMinted(
        uint256 indexed tokenId,
        address indexed registrant,
        address indexed recipient,
        string nid,
        bytes32 metadataDigest,
        uint16 royaltyBps
    );
    event UsageSet(uint256 indexed tokenId, uint8 usage, address indexed by);
    event RoyaltySet(uint256 indexed tokenId, uint16 royaltyBps, address indexed by);
    event GovernorSet(
        uint256 indexed tokenId, address indexed previous, address indexed governor, address by
    );

    error CustodyAlreadyMinted(uint256 tokenId);
    error InvalidMintSignature(address registrant);
    error NotController(uint256 tokenId, address caller, address controller);
    error RoyaltyTooHigh(uint256 royaltyBps);
    error UnknownUsage(uint256 usage);
    error EmptyMetadata();

    constructor() ERC721("nit Custody", "NITC") EIP712("nit Custody", "1") {}

    modifier onlyController(uint256 tokenId) {
        address controller = controllerOf(tokenId);
        if (msg.sender != controller) revert NotController(tokenId, msg.sender, controller);
        _;
    }

    /// @notice The token id of a Nid: uint256(keccak256(bytes(nid))).
    function tokenIdOf(string calldata nid) public pure returns (uint256) {
        return uint256(keccak256(bytes(nid)));
    }

    /// @notice The EIP-712 digest the registrant signs to let `recipient` receive `nid`'s token.
    function mintDigest(string calldata nid, address recipient) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(MINT_AUTHORIZATION_TYPEHASH, keccak256(bytes(nid)), recipient))
        );
    }

    /// @notice Mint the custody token of `nid` to `recipient`, with `registrant`'s EIP-712
    ///         consent (an EOA signature, or ERC-1271 for a contract wallet).
    /// @param metadataDigest sha2-256 digest of the token's metadata JSON (a raw-codec CIDv1).
    /// @param royaltyBps ERC-2981 royalty for secondary sales, paid to the current holder.
    function mint(
        string calldata nid,
        address recipient,
        bytes32 metadataDigest,
        uint16 royaltyBps,
        address registrant,
        bytes calldata signature
    ) external returns (uint256 tokenId) {
        tokenId = uint256(keccak256(bytes(nid)));
        if (_ownerOf(tokenId) != address(0)) revert CustodyAlreadyMinted(tokenId);
        if (metadataDigest == bytes32(0)) revert EmptyMetadata();
        if (royaltyBps > MAX_ROYALTY_BPS) revert RoyaltyTooHigh(royaltyBps);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(MINT_AUTHORIZATION_TYPEHASH, tokenId, recipient))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(registrant, digest, signature)) {
            revert InvalidMintSignature(registrant);
        }
        _metadataDigest[tokenId] = metadataDigest;
        if (royaltyBps != 0) _rules[tokenId].royaltyBps = royaltyBps;
        _safeMint(recipient, tokenId);
        emit CustodyMinted(tokenId, registrant, recipient, nid, metadataDigest, royaltyBps);
    }

    /// @notice Who sets the rules of `tokenId`: the appointed governor, else the holder.
    function controllerOf(uint256 tokenId) public view returns (address) {
        address holder = _requireOwned(tokenId);
        address governor = _rules[tokenId].governor;
        return governor == address(0) ? holder : governor;
    }

    /// @notice Everything `nit govern show` prints, in one call.
    function rulesOf(uint256 tokenId)
        external
        view
        returns (address holder, address governor, uint8 usage, uint16 royaltyBps)
    {
        holder = _requireOwned(tokenId);
        Rules memory rules = _rules[tokenId];
        return (holder, rules.governor, rules.usage, rules.royaltyBps);
    }

    /// @notice The usage flags of `tokenId` (USE_* bits).
    function usageOf(uint256 tokenId) external view returns (uint8) {
        _requireOwned(tokenId);
        return _rules[tokenId].usage;
    }

    /// @notice sha2-256 digest of the metadata JSON that tokenURI names.
    function metadataDigestOf(uint256 tokenId) external view returns (bytes32) {
        _requireOwned(tokenId);
        return _metadataDigest[tokenId];
    }

    function setUsage(uint256 tokenId, uint8 usage) external onlyController(tokenId) {
        if (usage & ~ALL_USES != 0) revert UnknownUsage(usage);
        _rules[tokenId].usage = usage;
        emit UsageSet(tokenId, usage, msg.sender);
    }

    function setRoyalty(uint256 tokenId, uint16 royaltyBps) external onlyController(tokenId) {
        if (royaltyBps > MAX_ROYALTY_BPS) revert RoyaltyTooHigh(royaltyBps);
        _rules[tokenId].royaltyBps = royaltyBps;
        emit RoyaltySet(tokenId, royaltyBps, msg.sender);
    }

    /// @notice Appoint `governor` (a Safe, a DAO's TimelockController...) to set the rules
    ///         instead of the holder; address(0) hands control back to the holder.
    ///         Only the current controller may call it, so once a governor is appointed
    ///         only that governor can appoint another or hand control back.
    function setGovernor(uint256 tokenId, address governor) external onlyController(tokenId) {
        address previous = _rules[tokenId].governor;
        _rules[tokenId].governor = governor;
        emit GovernorSet(tokenId, previous, governor, msg.sender);
    }

    /// @notice ERC-2981: the current holder receives `royaltyBps` of a secondary sale.
    function royaltyInfo(uint256 tokenId, uint256 salePrice)
        public
        view
        override
        returns (address receiver, uint256 amount)
    {
        receiver = _ownerOf(tokenId);
        if (receiver == address(0)) return (address(0), 0);
        amount = salePrice * _rules[tokenId].royaltyBps / MAX_ROYALTY_BPS;
    }

    /// @notice `ipfs://<CIDv1 of the metadata JSON>` (raw codec, sha2-256, base32).
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat("ipfs://", _rawCid(_metadataDigest[tokenId]));
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, ERC2981)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }

    /// @dev A transfer (not a mint) clears the governor: control moves to the new holder.
    function _update(address to, uint256 tokenId, address auth)
        internal
        override
        returns (address from)
    {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != from) {
            address previous = _rules[tokenId].governor;
            if (previous != address(0)) {
                _rules[tokenId].governor = address(0);
                emit GovernorSet(tokenId, previous, address(0), from);
            }
        }
    }

    /// @dev "b" + lowercase RFC 4648 base32 (no padding) of 0x01 0x55 0x12 0x20 || digest.
    function _rawCid(bytes32 digest) private pure returns (string memory) {
        bytes memory alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        bytes memory data = abi.encodePacked(bytes4(0x01551220), digest); // 36 bytes
        bytes memory out = new bytes(1 + (data.length * 8 + 4) / 5); // 1 + 58
        out[0] = "b";
        uint256 buffer;
        uint256 bits;
        uint256 pos = 1;
        for (uint256 i = 0; i < data.length; ++i) {
            buffer = ((buffer << 8) | uint8(data[i])) & 0xffff; // holds < 13 bits
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out[pos++] = alphabet[(buffer >> bits) & 31];
            }
        }
        if (bits > 0) out[pos] = alphabet[(buffer << (5 - bits)) & 31];
        return string(out);
    }
}
