"""Claims as billing companies hold them: X12 837P files in, 835 remittances for backtests."""
