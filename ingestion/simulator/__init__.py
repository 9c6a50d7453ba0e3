"""The simulated source systems: a vendor-style core business system and partner-department feeds."""
