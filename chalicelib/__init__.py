"""Stockroom: serverless inventory and order processing (the code packaged into every Lambda)."""
