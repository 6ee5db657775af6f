"""What the sync did: statistics, recent records, the sync log and the run history."""
