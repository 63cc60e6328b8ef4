"""What happens to an order after it is placed: the order state machine, the workflow's tasks,
payments, receipts, domain events, cancellation and shipping. May import `shop`, `inventory` and
`core`."""
