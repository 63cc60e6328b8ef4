# The bus for domain events (docs/events/): order status changes, published from the orders
# stream by publish_order_events, and low-stock crossings (StockLow) from the stock stream by
# on_stock_change. Its rules and their SQS targets (with retry policies and DLQs) are written
# into chalice.tf.json by `make package` from resources.EVENT_BUSES, the definition the devstack
# provisions too; the queues and their policies are in sqs.tf.
resource "aws_cloudwatch_event_bus" "domain" {
  name = "${var.name_prefix}-domain-events"
}
