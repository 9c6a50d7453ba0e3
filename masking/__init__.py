"""Personal-data protection: Chinese PII detection, classification, masking, access control (issue #5)."""
