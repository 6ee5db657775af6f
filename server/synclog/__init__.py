"""The per-record sync log and its statistics counters, written together."""
