"""Stockroom's local runtime: the whole system on loopback, with no AWS account (`make run`).

Modules: `env` (ports, stage environment), `emulator` (moto, serialized), `provision` (resources
from the app's own definitions), `runtime` (stream/SQS/schedule handlers, Lambda semantics),
`inbox` (what SES and SNS sent), `web` (static site + proxies), `demo` (demo data), `stack`
(everything together).
"""
