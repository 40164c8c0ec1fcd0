"""Vote rounds: secret ballots on the drafted principles, sealed at close, with receipts, paper
and phone entry, paper packs, and the tallies released by an officer."""
