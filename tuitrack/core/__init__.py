"""The store contract and the rules every backend shares: entities' construction,
validation, limits, paging, history requests and downsampling, orphan judgement, and
the registry that opens a store by URI. Imports nothing from sdk, cli or tui."""
