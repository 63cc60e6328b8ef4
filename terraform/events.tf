# The bus for domain events (order placed, paid, cancelled, ...), published by the orders-stream
# outbox handler; consumers add rules on it.
resource "aws_cloudwatch_event_bus" "domain" {
  name = "${var.name_prefix}-domain-events"
}
