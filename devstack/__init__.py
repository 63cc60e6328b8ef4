"""Stockroom's local runtime: the whole system on loopback, with no AWS account (`make run`).

Modules: `env` (ports, stage environment, settings), `emulator` (moto, serialized, loopback only),
`moto_patches` (DynamoDB and EventBridge as AWS runs them; TransactionConflict emulation), `cognito`
(real e-mailed codes), `provision` (resources from the app's own definitions), `runtime`
(stream/SQS/schedule handlers and Lambda functions, Lambda semantics), `stepfunctions` (ASL documents
run by moto, tasks by the app), `inbox` (what SES and SNS sent), `web` (static site + proxies +
controls), `redrive` (DLQ back to its queue), `demo` (demo data), `stack` (everything together).
"""
