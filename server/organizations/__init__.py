"""Organizations (tenants): provisioning and their ForceManager credentials."""
