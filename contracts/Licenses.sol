// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC165} from "@openzeppelin/contracts/interfaces/IERC165.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Custody} from "./Custody.sol";

/// @title Licenses
/// @notice Licence offers of custody-held assets, sold as ERC-1155 tokens, and each
///         asset's revenue distribution plan. Used by `nit license` and `nit royalty`.
/// @dev Glue over OpenZeppelin's ERC1155 and ReentrancyGuardTransient.
///      - An asset is its Custody token id. Whoever `Custody.controllerOf` names
///        (the holder, or the governor it appointed) creates offers and sets the plan.
///      - Each offer is one ERC-1155 token id (1, 2, ... in creation order).
///      - A sale at the exact price mints one licence token to the buyer and credits
///        the price to the plan's payees; payees withdraw their balance themselves
///        (pull payments: nothing is ever pushed to an arbitrary address). The
///        rounding dust of a split goes to the plan's first payee; an asset with no
///        plan credits its custody holder. The contract's balance always equals the
///        sum of what it owes.
///      - A licence is valid while its offer's expiry (if any) has not passed.
contract Licenses is ERC1155, IERC2981, ReentrancyGuardTransient {
    uint16 public constant TOTAL_BPS = 10_000;
    /// Bounds the gas of a sale, which credits every payee.
    uint256 public constant MAX_PAYEES = 16;

    struct Offer {
        uint256 asset; // Custody token id
        uint96 price; // wei
        uint64 expiry; // unix seconds; 0: never
        uint32 supply; // cap on licences sold
        uint32 sold;
        uint8 uses; // Custody.USE_* bits this licence grants
        bool closed;
        string terms; // Nid of the licence document
    }

    struct Share {
        address payee;
        uint16 bps;
    }

    Custody public immutable custody;
    uint256 public offerCount;
    /// Total the contract owes its payees; equals its balance.
    uint256 public totalOwed;

    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 asset => uint256[]) private _offersOf;
    mapping(uint256 asset => Share[]) private _plans;
    mapping(address payee => uint256) private _owed;

    event OfferCreated(
        uint256 indexed offerId,
        uint256 indexed asset,
        uint96 price,
        uint32 supply,
        uint64 expiry,
        uint8 uses,
        string terms,
        address by
    );
    event OfferClosed(uint256 indexed offerId, uint256 indexed asset, address by);
    event PlanSet(uint256 indexed asset, address[] payees, uint16[] bps, address by);
    event Purchased(
        uint256 indexed offerId, uint256 indexed asset, address indexed buyer, uint256 price
    );
    event Credited(address indexed payee, uint256 indexed asset, uint256 amount);
    event Withdrawn(address indexed payee, uint256 amount);

    error NotController(uint256 asset, address caller, address controller);
    error UnknownOffer(uint256 offerId);
    error OfferIsClosed(uint256 offerId);
    error OfferExpired(uint256 offerId, uint64 expiry);
    error SoldOut(uint256 offerId, uint32 supply);
    error WrongPrice(uint256 offerId, uint256 price, uint256 sent);
    error ZeroSupply();
    error ExpiryInPast(uint64 expiry);
    error UseNotPermitted(uint8 uses, uint8 permitted);
    error EmptyTerms();
    error PlanLengthMismatch(uint256 payees, uint256 shares);
    error PlanSize(uint256 payees);
    error InvalidPayee(address payee);
    error DuplicatePayee(address payee);
    error ZeroShare(address payee);
    error PlanSumInvalid(uint256 sum);
    error NothingDue(address payee);
    error WithdrawFailed(address payee, uint256 amount);

    constructor(Custody custody_) ERC1155("") {
        custody = custody_;
    }

    modifier onlyController(uint256 asset) {
        _requireController(asset);
        _;
    }

    function _requireController(uint256 asset) private view {
        address controller = custody.controllerOf(asset);
        if (msg.sender != controller) revert NotController(asset, msg.sender, controller);
    }

    // -- offers ---------------------------------------------------------------

    /// @notice Offer licences of `asset`: `supply` tokens at `price` wei each, granting
    ///         `uses` (a subset of the asset's usage flags) under the terms document
    ///         `terms` (a Nid), valid until `expiry` (0: no expiry).
    function createOffer(
        uint256 asset,
        string calldata terms,
        uint96 price,
        uint32 supply,
        uint64 expiry,
        uint8 uses
    ) external returns (uint256 offerId) {
        _requireController(asset);
        if (supply == 0) revert ZeroSupply();
        if (expiry != 0 && expiry <= block.timestamp) revert ExpiryInPast(expiry);
        if (bytes(terms).length == 0) revert EmptyTerms();
        {
            uint8 permitted = custody.usageOf(asset);
            if (uses & ~permitted != 0) revert UseNotPermitted(uses, permitted);
        }
        offerId = ++offerCount;
        _offers[offerId] = Offer(asset, price, expiry, supply, 0, uses, false, terms);
        _offersOf[asset].push(offerId);
        emit OfferCreated(offerId, asset, price, supply, expiry, uses, terms, msg.sender);
    }

    /// @notice Stop selling `offerId`; licences already sold stay valid.
    function closeOffer(uint256 offerId) external onlyController(_existing(offerId).asset) {
        _offers[offerId].closed = true;
        emit OfferClosed(offerId, _offers[offerId].asset, msg.sender);
    }

    function offer(uint256 offerId) external view returns (Offer memory) {
        return _existing(offerId);
    }

    function offersOf(uint256 asset) external view returns (uint256[] memory) {
        return _offersOf[asset];
    }

    // -- revenue distribution plan ----------------------------------------------

    /// @notice Replace `asset`'s plan: distinct non-zero payees whose basis points
    ///         are each positive and sum to 10,000. The first payee also gets the
    ///         rounding dust of every split.
    function setPlan(uint256 asset, address[] calldata payees, uint16[] calldata bps)
        external
        onlyController(asset)
    {
        if (payees.length != bps.length) revert PlanLengthMismatch(payees.length, bps.length);
        if (payees.length == 0 || payees.length > MAX_PAYEES) revert PlanSize(payees.length);
        uint256 sum;
        for (uint256 i = 0; i < payees.length; ++i) {
            if (payees[i] == address(0)) revert InvalidPayee(payees[i]);
            if (bps[i] == 0) revert ZeroShare(payees[i]);
            for (uint256 j = 0; j < i; ++j) {
                if (payees[j] == payees[i]) revert DuplicatePayee(payees[i]);
            }
            sum += bps[i];
        }
        if (sum != TOTAL_BPS) revert PlanSumInvalid(sum);
        Share[] storage plan = _plans[asset];
        while (plan.length > 0) plan.pop();
        for (uint256 i = 0; i < payees.length; ++i) {
            plan.push(Share(payees[i], bps[i]));
        }
        emit PlanSet(asset, payees, bps, msg.sender);
    }

    function planOf(uint256 asset)
        external
        view
        returns (address[] memory payees, uint16[] memory bps)
    {
        Share[] storage plan = _plans[asset];
        payees = new address[](plan.length);
        bps = new uint16[](plan.length);
        for (uint256 i = 0; i < plan.length; ++i) {
            (payees[i], bps[i]) = (plan[i].payee, plan[i].bps);
        }
    }

    // -- sales and pull payments ------------------------------------------------

    /// @notice Buy one licence of `offerId` at exactly its price.
    function buy(uint256 offerId) external payable nonReentrant {
        Offer storage o = _offers[offerId];
        uint256 asset = o.asset;
        if (asset == 0) revert UnknownOffer(offerId);
        if (o.closed) revert OfferIsClosed(offerId);
        uint64 expiry = o.expiry;
        if (expiry != 0 && block.timestamp >= expiry) revert OfferExpired(offerId, expiry);
        uint32 sold = o.sold;
        if (sold >= o.supply) revert SoldOut(offerId, o.supply);
        uint256 price = o.price;
        if (msg.value != price) revert WrongPrice(offerId, price, msg.value);
        o.sold = sold + 1;
        if (price != 0) _credit(asset, price);
        emit Purchased(offerId, asset, msg.sender, price);
        _mint(msg.sender, offerId, 1, "");
    }

    /// @notice What `payee` may withdraw.
    function owed(address payee) external view returns (uint256) {
        return _owed[payee];
    }

    /// @notice Send the caller everything it is owed.
    function withdraw() external nonReentrant {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert NothingDue(msg.sender);
        _owed[msg.sender] = 0;
        totalOwed -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
    }

    // -- licence checks -----------------------------------------------------------

    /// @notice Whether `account` holds an unexpired licence of `asset` granting every use
    ///         in `uses`; the first such offer id (0 when none).
    function licenseOf(address account, uint256 asset, uint8 uses)
        external
        view
        returns (bool licensed, uint256 offerId)
    {
        uint256[] storage ids = _offersOf[asset];
        for (uint256 i = 0; i < ids.length; ++i) {
            Offer storage o = _offers[ids[i]];
            if (o.uses & uses != uses) continue;
            if (o.expiry != 0 && block.timestamp >= o.expiry) continue;
            if (balanceOf(account, ids[i]) > 0) return (true, ids[i]);
        }
        return (false, 0);
    }

    // -- metadata and royalties -------------------------------------------------

    /// @notice `ipfs://<terms Nid>`: the licence document of the offer.
    function uri(uint256 offerId) public view override returns (string memory) {
        return string.concat("ipfs://", _existing(offerId).terms);
    }

    /// @notice ERC-2981 for licence resales: the asset's royalty, paid to its custody holder.
    function royaltyInfo(uint256 offerId, uint256 salePrice)
        external
        view
        returns (address receiver, uint256 amount)
    {
        uint256 asset = _offers[offerId].asset;
        if (asset == 0) return (address(0), 0);
        return custody.royaltyInfo(asset, salePrice);
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC1155, IERC165)
        returns (bool)
    {
        return interfaceId == type(IERC2981).interfaceId || super.supportsInterface(interfaceId);
    }

    // -- internals ----------------------------------------------------------------

    function _existing(uint256 offerId) private view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.asset == 0) revert UnknownOffer(offerId);
    }

    /// @dev Split `amount` by `asset`'s plan; the first payee takes the remainder.
    function _credit(uint256 asset, uint256 amount) private {
        totalOwed += amount;
        Share[] storage plan = _plans[asset];
        uint256 count = plan.length;
        if (count == 0) {
            address holder = custody.ownerOf(asset);
            _owed[holder] += amount;
            emit Credited(holder, asset, amount);
            return;
        }
        uint256 rest = amount;
        for (uint256 i = 1; i < count; ++i) {
            Share storage share = plan[i];
            uint256 part = amount * share.bps / TOTAL_BPS;
            rest -= part;
            _owed[share.payee] += part;
            emit Credited(share.payee, asset, part);
        }
        address first = plan[0].payee;
        _owed[first] += rest;
        emit Credited(first, asset, rest);
    }
}
