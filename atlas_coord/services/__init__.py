"""Use cases as plain functions: load, check policy, change, flush; audit and outbox in the same transaction."""
