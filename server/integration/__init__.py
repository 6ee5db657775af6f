"""The integration of one organization: its state machine, Salesforce connection, entity
settings, user matching and the clients the sync engine builds from them."""
