"""What every capability stands on: settings, errors and their HTTP mapping, request reading and
validation, token verification, logging, DynamoDB plumbing, resource definitions, and the
adapters for SES and SNS. Imports no capability package (`tests/unit/test_layering.py`)."""
