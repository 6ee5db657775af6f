"""Local stand-ins for Salesforce and ForceManager that answer as the real APIs do."""
