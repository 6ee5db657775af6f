"""ForceManager's Salesforce integration: the API server and the shared core."""
