"""Custody, governance and monetisation of registered assets (issue 12).

One module per verb family, all on a `session.MarketSession` (the network's
Custody and Licenses contracts, bound through numbers_cli.chain):

- `mint`: the custody NFT, by the wallet that registered the asset;
- `licenses`: offers, listing, purchases;
- `check`: `check_license`, the licence check of scripts and `nit monitor`;
- `royalty`: revenue distribution plans, balances, withdrawals;
- `govern`: usage rules, royalty, handing control to a governor and back;
- `deploy`: putting the contracts on a network (`nit contracts deploy`, devnet);
- `record`: every action of an asset also committed (and pushed) to its history.

Nothing here prints; results are dataclasses with `to_json()`.
"""
